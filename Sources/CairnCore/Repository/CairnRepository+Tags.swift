internal import GitStore

/// Which samples a tag command works on: a saved view, further stages, or both.
package struct SampleSelection: Sendable {
  /// A view of the working tree, applied first.
  package var view: String?
  /// Stages run after the view's (or on every sample without a view).
  package var stages: [ViewStage]
  /// Keys that must exist (those given with `--key`).
  package var requiredKeys: [String]

  package init(view: String? = nil, stages: [ViewStage] = [], requiredKeys: [String] = []) {
    self.view = view
    self.stages = stages
    self.requiredKeys = requiredKeys
  }
}

/// Which labels a tag command works on: the labels of one field (after the selection's label
/// filters), optionally of one class only.
package struct LabelSelection: Sendable {
  package var field: String
  package var labelClass: String?

  package init(field: String, labelClass: String? = nil) {
    self.field = field
    self.labelClass = labelClass
  }
}

/// What `cairn tags add` or `remove` did.
package struct TagEditResult: Sendable {
  /// Samples the selection matched.
  package var samplesSelected: Int
  /// Records or labels whose tags changed.
  package var samplesChanged: Int
  package var labelsChanged: Int
  /// Files rewritten in the working tree.
  package var filesWritten: Int
}

/// Tag counts over a selection.
package struct TagCounts: Sendable {
  package var samplesSelected: Int
  /// Samples (or labels) carrying each tag, sorted by tag.
  package var counts: [(tag: String, count: Int)]
}

extension CairnRepository {
  /// Adds or removes tags on the selected samples, or on their labels of one field.
  ///
  /// Every file is read and changed in memory first; only then are the changed files written
  /// (each atomically, in canonical form, tags sorted and unique). Nothing is committed. In a
  /// sparse working tree only the materialised samples can be selected.
  ///
  /// - Throws: `CairnError` `.invalidInput` for an invalid tag or an unreadable file (nothing
  ///   is written), `.notFound` for a `--key` the working tree does not have.
  package func editTags(
    _ tags: [String], add: Bool, selection: SampleSelection, labels: LabelSelection?
  ) throws(CairnError) -> TagEditResult {
    let root = try requireRoot(for: "tagging")
    for tag in tags {
      if let problem = Self.tagProblem(tag) {
        throw CairnError(.invalidInput, "invalid tag '\(tag)': \(problem)")
      }
    }
    let lock = try WriterLock(path: lockPath)
    defer { lock.release() }
    let samples = try selectedSamples(selection, labels: labels)
    var writes: [(path: String, bytes: [UInt8])] = []
    var samplesChanged = 0
    var labelsChanged = 0
    var violations: [CairnError.Violation] = []
    for sample in samples {
      if let labels {
        let path = FormatV1.labelPath(field: labels.field, key: sample.key)
        guard let selected = sample.labels[labels.field] else { continue }
        let ids = Set(
          selected.filter { labels.labelClass == nil || $0["label"]?.string == labels.labelClass }
            .compactMap { $0["id"]?.string })
        if ids.isEmpty { continue }
        do throws(CairnError.Violation) {
          let (bytes, changed) = try Self.retagLabels(
            root: root, path: path, ids: ids, tags: tags, add: add)
          if changed > 0 {
            writes.append((path, bytes))
            labelsChanged += changed
          }
        } catch {
          violations.append(error)
        }
      } else {
        let path = FormatV1.samplePath(sample.key)
        guard var members = sample.record.object else {
          violations.append(CairnError.Violation(path, "a sample record is a JSON object"))
          continue
        }
        guard let current = Self.tagList(members["tags"] ?? .array([])) else {
          violations.append(CairnError.Violation(path, "\"tags\" must be an array of strings"))
          continue
        }
        let updated = Self.edited(current, tags, add: add)
        if updated != current {
          members["tags"] = .array(updated.map { .string($0) })
          writes.append((path, CanonicalJSON.encode(.object(members))))
          samplesChanged += 1
        }
      }
    }
    if !violations.isEmpty {
      throw CairnError(
        .invalidInput,
        "cannot change tags: \(violations.count) file(s) are not valid; nothing was written",
        violations: violations)
    }
    try CairnError.wrap {
      for write in writes { try FileIO.writeAtomically(write.bytes, to: root + "/" + write.path) }
    }
    return TagEditResult(
      samplesSelected: samples.count, samplesChanged: samplesChanged,
      labelsChanged: labelsChanged, filesWritten: writes.count)
  }

  /// Counts the tags of the selected samples, or of their labels of one field.
  package func tagCounts(selection: SampleSelection, labels: LabelSelection?) throws(CairnError)
    -> TagCounts
  {
    _ = try requireRoot(for: "listing tags")
    let samples = try selectedSamples(selection, labels: labels)
    var counts: [String: Int] = [:]
    for sample in samples {
      if let labels {
        for label in sample.labels[labels.field] ?? []
        where labels.labelClass == nil || label["label"]?.string == labels.labelClass {
          for tag in Set(label["tags"].flatMap(Self.tagList) ?? []) { counts[tag, default: 0] += 1 }
        }
      } else {
        for tag in Set(sample.record["tags"].flatMap(Self.tagList) ?? []) {
          counts[tag, default: 0] += 1
        }
      }
    }
    let sorted = counts.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    return TagCounts(samplesSelected: samples.count, counts: sorted.map { ($0.key, $0.value) })
  }

  private func selectedSamples(_ selection: SampleSelection, labels: LabelSelection?)
    throws(CairnError) -> [ViewSample]
  {
    if let labels, let problem = FormatV1.fieldProblem(labels.field) {
      throw CairnError(.invalidInput, "invalid label field '\(labels.field)': \(problem)")
    }
    let definition =
      try selection.view.map { (name) throws(CairnError) in
        try view(named: name, in: .workingTree)
      } ?? ViewDefinition(stages: [])
    let evaluation = try evaluate(
      definition, extra: selection.stages, in: .workingTree, includeExcluded: false)
    if !selection.requiredKeys.isEmpty {
      let known = Set(evaluation.evaluator.table.keys)
      let unknown = selection.requiredKeys.filter { !known.contains($0) }
      if !unknown.isEmpty {
        throw CairnError(
          .notFound,
          "no sample \(unknown.map { "'\($0)'" }.joined(separator: ", ")) in the working tree; nothing was written"
        )
      }
    }
    if let pinned = definition.pinned, !evaluation.missing.isEmpty {
      throw CairnError(
        .notFound,
        "\(evaluation.missing.count) sample(s) of the pinned view (at \(pinned.commit.short)) are not in the working tree, for example '\(evaluation.missing[0])'; nothing was written"
      )
    }
    return try evaluation.samples()
  }

  /// Rewrites the tags of the labels `ids` in the label file at `path`.
  ///
  /// - Returns: The new file bytes and how many labels changed.
  private static func retagLabels(
    root: String, path: String, ids: Set<String>, tags: [String], add: Bool
  ) throws(CairnError.Violation) -> ([UInt8], Int) {
    let value: JSONValue
    do {
      value = try JSONParser.parse(try FileIO.read(root + "/" + path))
    } catch {
      throw CairnError.Violation(path, "cannot be read as JSON: \(error)")
    }
    guard var file = value.object, let labels = file["labels"]?.array else {
      throw CairnError.Violation(path, "a label file is an object with a \"labels\" array")
    }
    var changed = 0
    var updatedLabels: [JSONValue] = []
    for label in labels {
      guard var members = label.object, let id = members["id"]?.string, ids.contains(id) else {
        updatedLabels.append(label)
        continue
      }
      guard let current = tagList(members["tags"] ?? .array([])) else {
        throw CairnError.Violation(path, "label \(id): \"tags\" must be an array of strings")
      }
      let updated = edited(current, tags, add: add)
      if updated != current || (members["tags"] != nil && updated.isEmpty) {
        // An empty tag list is written as no "tags" member (it is optional on labels).
        members["tags"] = updated.isEmpty ? nil : .array(updated.map { .string($0) })
        if JSONValue.object(members) != label { changed += 1 }
      }
      updatedLabels.append(.object(members))
    }
    file["labels"] = .array(updatedLabels)
    return (CanonicalJSON.encode(.object(file)), changed)
  }

  /// The strings of a tag array, or nil when it is not one.
  static func tagList(_ value: JSONValue) -> [String]? {
    guard let array = value.array else { return nil }
    var tags: [String] = []
    for element in array {
      guard let tag = element.string else { return nil }
      tags.append(tag)
    }
    return tags
  }

  /// `current` with `tags` added or removed, sorted by bytes and unique.
  static func edited(_ current: [String], _ tags: [String], add: Bool) -> [String] {
    var set = Set(current)
    if add { set.formUnion(tags) } else { set.subtract(tags) }
    return set.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
  }

  /// Why `tag` is not a valid tag, or nil: non-empty, no control characters.
  static func tagProblem(_ tag: String) -> String? {
    if tag.isEmpty { return "a tag is not empty" }
    if tag.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
      return "a tag has no control characters"
    }
    return nil
  }
}
