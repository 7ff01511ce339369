package import GitStore

/// How well the labels of one class agree with a golden set.
package struct ClassAgreement: Sendable, Equatable {
  /// Golden boxes matched by a box of the same class.
  package var matched = 0
  /// Boxes of this class matching no golden box of this class (extra, or another class).
  package var falsePositives = 0
  /// Golden boxes of this class without a box of this class (missed, or given another class).
  package var falseNegatives = 0
  /// Sums over the matched boxes, for the means.
  package var iouSum = 0.0
  package var areaRatioSum = 0.0

  package var precision: Double? {
    matched + falsePositives == 0 ? nil : Double(matched) / Double(matched + falsePositives)
  }
  package var recall: Double? {
    matched + falseNegatives == 0 ? nil : Double(matched) / Double(matched + falseNegatives)
  }
  /// Mean IoU of matched boxes with their golden boxes: tightness.
  package var meanIoU: Double? { matched == 0 ? nil : iouSum / Double(matched) }
  /// Mean area of matched boxes over their golden boxes' area: above 1, boxes are loose.
  package var meanAreaRatio: Double? { matched == 0 ? nil : areaRatioSum / Double(matched) }
}

/// A label of the golden set or of the annotation that found no counterpart.
package struct UnmatchedLabel: Sendable, Equatable {
  package var key: String
  package var id: String
  package var label: String
}

/// The agreement of a revision's labels with a golden set.
package struct GoldenReport: Sendable {
  package var set: String
  package var field: String
  package var commit: ObjectID
  package var samples: Int
  package var iouThreshold: Double
  package var classes: [String: ClassAgreement]
  /// Golden class → annotated class, for boxes that overlap but disagree on the class.
  package var confusions: [String: [String: Int]]
  /// Golden labels no annotated box overlaps.
  package var missing: [UnmatchedLabel]
  /// Annotated boxes that overlap no golden box.
  package var extra: [UnmatchedLabel]

  /// Every class together.
  package var overall: ClassAgreement {
    classes.values.reduce(into: ClassAgreement()) { total, item in
      total.matched += item.matched
      total.falsePositives += item.falsePositives
      total.falseNegatives += item.falseNegatives
      total.iouSum += item.iouSum
      total.areaRatioSum += item.areaRatioSum
    }
  }
}

/// Compares annotated boxes with golden boxes, sample by sample.
package enum GoldenComparison {
  /// Matches boxes per sample, best overlap first (IoU ≥ `threshold`, any class); a match of
  /// the same class counts for that class, one of different classes is a confusion (a miss of
  /// the golden class and a false positive of the annotated one); boxes left over are missing
  /// (golden) or extra (annotated).
  package static func compare(
    golden: [String: [JSONValue]], annotated: [String: [JSONValue]], threshold: Double
  ) -> (
    classes: [String: ClassAgreement], confusions: [String: [String: Int]],
    missing: [UnmatchedLabel], extra: [UnmatchedLabel]
  ) {
    var classes: [String: ClassAgreement] = [:]
    var confusions: [String: [String: Int]] = [:]
    var missing: [UnmatchedLabel] = []
    var extra: [UnmatchedLabel] = []
    for key in golden.keys.sorted() {
      let truth = (golden[key] ?? []).compactMap(Box.init)
      let given = (annotated[key] ?? []).compactMap(Box.init)
      var pairs: [(iou: Double, golden: Int, given: Int)] = []
      for (i, a) in truth.enumerated() {
        for (j, b) in given.enumerated() {
          let overlap = LabelIdentity.iou(a.box, b.box)
          if overlap >= threshold { pairs.append((overlap, i, j)) }
        }
      }
      pairs.sort { ($0.iou, -$0.golden, -$0.given) > ($1.iou, -$1.golden, -$1.given) }
      var usedGolden = Set<Int>()
      var usedGiven = Set<Int>()
      for pair in pairs where !usedGolden.contains(pair.golden) && !usedGiven.contains(pair.given) {
        usedGolden.insert(pair.golden)
        usedGiven.insert(pair.given)
        let (a, b) = (truth[pair.golden], given[pair.given])
        if a.label == b.label {
          classes[a.label, default: ClassAgreement()].matched += 1
          classes[a.label, default: ClassAgreement()].iouSum += pair.iou
          let area = a.box[2] * a.box[3]
          classes[a.label, default: ClassAgreement()].areaRatioSum +=
            area > 0 ? b.box[2] * b.box[3] / area : 0
        } else {
          confusions[a.label, default: [:]][b.label, default: 0] += 1
          classes[a.label, default: ClassAgreement()].falseNegatives += 1
          classes[b.label, default: ClassAgreement()].falsePositives += 1
        }
      }
      for (index, box) in truth.enumerated() where !usedGolden.contains(index) {
        classes[box.label, default: ClassAgreement()].falseNegatives += 1
        missing.append(UnmatchedLabel(key: key, id: box.id, label: box.label))
      }
      for (index, box) in given.enumerated() where !usedGiven.contains(index) {
        classes[box.label, default: ClassAgreement()].falsePositives += 1
        extra.append(UnmatchedLabel(key: key, id: box.id, label: box.label))
      }
    }
    return (classes, confusions, missing, extra)
  }

  struct Box {
    var id: String
    var label: String
    var box: [Double]

    init?(_ value: JSONValue) {
      guard let box = LabelRules.numbers(value["bbox"], count: 4),
        let label = value["label"]?.string
      else { return nil }
      self.id = value["id"]?.string ?? "?"
      self.label = label
      self.box = box
    }
  }
}

extension CairnRepository {
  /// Compares the labels `revision` (default `HEAD`) holds for the samples of golden set
  /// `name` with the set's own labels, in `field` (default: the set's only detections field).
  ///
  /// - Throws: `CairnError` `.notFound` for an unknown set, revision or field;
  ///   `.invalidInput` when the field must be named.
  package func goldenReport(
    set name: String, revision: String?, field: String?, iouThreshold: Double = 0.5
  ) throws(CairnError) -> GoldenReport {
    guard let set = try protectedSet(.golden, name: name) else {
      throw CairnError(.notFound, "no golden set '\(name)' (refs/golden/\(name))")
    }
    let schema = try self.schema(at: set.commit.hex)
    let chosen: String
    if let field {
      chosen = field
    } else {
      let detections = schema.fields.filter { $0.value.type == .detections }.map(\.key).sorted()
      guard detections.count == 1, let only = detections.first else {
        throw CairnError(
          .invalidInput,
          "golden set '\(name)' has \(detections.count) detections fields; name one with --field")
      }
      chosen = only
    }
    guard schema.fields[chosen] != nil else {
      throw CairnError(.notFound, "golden set '\(name)' has no field '\(chosen)'")
    }
    let commit = try resolve(revision ?? "HEAD")
    let keys = try identities(keys: nil, at: set.commit).map(\.key)
    let golden = try labels(field: chosen, keys: keys, at: set.commit)
    return try report(
      set: name, field: chosen, keys: keys, golden: golden, commit: commit,
      threshold: iouThreshold)
  }

  /// The report of every commit along the first-parent history of `revision`, newest first,
  /// back to the commit the golden set was frozen from (at most `limit` commits).
  package func goldenHistory(
    set name: String, revision: String?, field: String?, iouThreshold: Double = 0.5,
    limit: Int = 50
  ) throws(CairnError) -> [(commit: Commit, report: GoldenReport)] {
    let first = try goldenReport(
      set: name, revision: revision, field: field, iouThreshold: iouThreshold)
    guard let set = try protectedSet(.golden, name: name) else { return [] }
    let keys = try identities(keys: nil, at: set.commit).map(\.key)
    let golden = try labels(field: first.field, keys: keys, at: set.commit)
    var result: [(commit: Commit, report: GoldenReport)] = []
    var current: ObjectID? = first.commit
    while let id = current, result.count < limit {
      let commit = try CairnError.wrap { try git.readCommit(id) }
      result.append(
        (
          commit,
          try report(
            set: name, field: first.field, keys: keys, golden: golden, commit: id,
            threshold: iouThreshold)
        ))
      if id == set.source { break }
      current = commit.parents.first
    }
    return result
  }

  private func report(
    set: String, field: String, keys: [String], golden: [String: [JSONValue]], commit: ObjectID,
    threshold: Double
  ) throws(CairnError) -> GoldenReport {
    let annotated = try labels(field: field, keys: keys, at: commit)
    let result = GoldenComparison.compare(
      golden: golden, annotated: annotated, threshold: threshold)
    return GoldenReport(
      set: set, field: field, commit: commit, samples: keys.count, iouThreshold: threshold,
      classes: result.classes, confusions: result.confusions, missing: result.missing,
      extra: result.extra)
  }

  /// The labels of `field` for `keys` at `commit` (an empty list for a sample without a file).
  func labels(field: String, keys: [String], at commit: ObjectID) throws(CairnError) -> [String:
    [JSONValue]]
  {
    let git = self.git
    return try CairnError.wrap { () throws -> [String: [JSONValue]] in
      let tree = try git.readCommit(commit).tree
      let walk = TreeWalk(repository: git)
      var result: [String: [JSONValue]] = [:]
      for key in keys {
        if let entry = try walk.entry(at: FormatV1.labelPath(field: field, key: key), in: tree) {
          result[key] = try JSONParser.parse(try git.readBlob(entry.id))["labels"]?.array ?? []
        } else {
          result[key] = []
        }
      }
      return result
    }
  }
}
