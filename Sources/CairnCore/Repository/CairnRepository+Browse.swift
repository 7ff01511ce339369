internal import GitStore

/// One sample as a browser of the working tree sees it: enough to filter and page without
/// reading its files again.
package struct SampleSummary: Sendable, Equatable {
  package var key: String
  /// The sample's tags, sorted.
  package var tags: [String]
  /// Per label field with a label file: the classes of its labels, sorted and unique.
  package var classes: [String: [String]]
  /// Per label field with a label file: how many labels it holds.
  package var labelCounts: [String: Int]
  /// Why the record or a label file could not be read, if one could not.
  package var problem: String?

  package init(
    key: String, tags: [String] = [], classes: [String: [String]] = [:],
    labelCounts: [String: Int] = [:], problem: String? = nil
  ) {
    self.key = key
    self.tags = tags
    self.classes = classes
    self.labelCounts = labelCounts
    self.problem = problem
  }
}

/// Every sample of the working tree, summarised once, in key order (bytes of the key).
///
/// A derived, rebuildable value: never the source of truth. Edits made through
/// ``CairnRepository/replaceLabels(key:field:labels:)`` and
/// ``CairnRepository/setSampleTags(key:tags:)`` are folded in with ``update(_:)``.
package struct SampleIndex: Sendable {
  package private(set) var summaries: [SampleSummary]
  private var positions: [String: Int]

  package init(summaries: [SampleSummary]) {
    self.summaries = summaries
    var positions: [String: Int] = [:]
    positions.reserveCapacity(summaries.count)
    for (position, summary) in summaries.enumerated() { positions[summary.key] = position }
    self.positions = positions
  }

  /// The position of `key`, or nil.
  package func position(of key: String) -> Int? { positions[key] }

  /// Replaces the summary of its key, or inserts it in key order.
  package mutating func update(_ summary: SampleSummary) {
    if let position = positions[summary.key] {
      summaries[position] = summary
      return
    }
    let insertAt =
      summaries.firstIndex { ByteOrder.precedes(summary.key, $0.key) } ?? summaries.count
    summaries.insert(summary, at: insertAt)
    for position in insertAt..<summaries.count { positions[summaries[position].key] = position }
  }

  /// Removes the summary of `key`, if any.
  package mutating func remove(_ key: String) {
    guard let position = positions[key] else { return }
    summaries.remove(at: position)
    positions[key] = nil
    for later in position..<summaries.count { positions[summaries[later].key] = later }
  }

  /// How many samples carry each tag, sorted by tag.
  package func tagCounts() -> [(tag: String, count: Int)] {
    var counts: [String: Int] = [:]
    for summary in summaries { for tag in summary.tags { counts[tag, default: 0] += 1 } }
    return counts.keys.sorted().map { ($0, counts[$0] ?? 0) }
  }

  /// How many samples hold at least one label of each class, per field, sorted by class.
  package func classCounts() -> [String: [(label: String, count: Int)]] {
    var counts: [String: [String: Int]] = [:]
    for summary in summaries {
      for (field, classes) in summary.classes {
        for label in classes { counts[field, default: [:]][label, default: 0] += 1 }
      }
    }
    return counts.mapValues { byClass in byClass.keys.sorted().map { ($0, byClass[$0] ?? 0) } }
  }
}

/// A sample of the working tree, read whole: its record and every label file.
package struct WorkingSample: Sendable {
  package var record: SampleRecord
  /// Per label field with a label file: its labels.
  package var labels: [String: [JSONValue]]
}

extension CairnRepository {
  /// Summarises every sample of the working tree: tags, and per field the classes and the
  /// number of labels.
  ///
  /// Folders are listed without a `stat` per file; each record is parsed keeping only its
  /// tags and each label file keeping only its labels' classes, on all cores.
  ///
  /// - Complexity: one read of every sample record and label file.
  package func sampleIndex() throws(CairnError) -> SampleIndex {
    let root = try requireRoot(for: "browsing samples")
    let files = SampleTable.files(workingTree: root)
    let table = SampleTable(samples: files.samples, labels: files.labels)
    let fields = table.fields
    let summaries = parallelMap(count: table.keys.count, state: ()) { _, index in
      Self.summary(
        key: table.keys[index], record: table.records[index],
        labels: fields.compactMap { field in table.labels[field]?[index].map { (field, $0) } },
        root: root)
    }
    return SampleIndex(summaries: summaries)
  }

  /// Every sample key of the working tree, in key order, with empty summaries: what a browser
  /// needs to page through the samples before ``sampleIndex()`` has read them.
  ///
  /// - Complexity: lists the sample shard folders; reads no file.
  package func sampleKeys() throws(CairnError) -> SampleIndex {
    let root = try requireRoot(for: "browsing samples")
    let table = SampleTable(samples: SampleTable.sampleFiles(workingTree: root), labels: [:])
    return SampleIndex(summaries: table.keys.map { SampleSummary(key: $0) })
  }

  /// The summary of one sample of the working tree, or nil when it has no record.
  package func sampleSummary(key: String) throws(CairnError) -> SampleSummary? {
    let root = try requireRoot(for: "browsing samples")
    if FormatV1.keyProblem(key) != nil { return nil }
    let recordPath = FormatV1.samplePath(key)
    guard FileStat.of(root + "/" + recordPath) != nil else { return nil }
    var labels: [(String, ContentReference)] = []
    for field in (FileIO.list(root + "/labels") ?? []).sorted()
    where FormatV1.fieldProblem(field) == nil {
      let path = FormatV1.labelPath(field: field, key: key)
      if FileStat.of(root + "/" + path) != nil { labels.append((field, .file(path))) }
    }
    return Self.summary(key: key, record: .file(recordPath), labels: labels, root: root)
  }

  private static func summary(
    key: String, record: ContentReference, labels: [(String, ContentReference)], root: String
  ) -> SampleSummary {
    let reader = ContentReader(gitDirectory: nil, root: root)
    var summary = SampleSummary(key: key)
    do throws(CairnError.Violation) {
      let value = try reader.json(
        record, path: FormatV1.samplePath(key), keeping: .members(["tags": .all]))
      summary.tags = Array(Set((value["tags"]?.array ?? []).compactMap(\.string))).sorted()
      for (field, reference) in labels {
        let found = try reader.labels(
          reference, path: FormatV1.labelPath(field: field, key: key),
          keeping: .members(["label": .all]))
        summary.labelCounts[field] = found.count
        summary.classes[field] = Array(Set(found.compactMap { $0["label"]?.string })).sorted()
      }
    } catch {
      summary.problem = error.description
    }
    return summary
  }

  /// Reads one sample of the working tree whole: its record and every label file.
  ///
  /// - Throws: `CairnError` `.notFound` when the working tree has no such sample,
  ///   `.invalidInput` when a file cannot be read.
  package func sampleDetails(key: String) throws(CairnError) -> WorkingSample {
    let root = try requireRoot(for: "reading a sample")
    if let problem = FormatV1.keyProblem(key) {
      throw CairnError(.invalidInput, "invalid sample key '\(key)': \(problem)")
    }
    let path = FormatV1.samplePath(key)
    guard let bytes = try? FileIO.read(root + "/" + path) else {
      throw CairnError(.notFound, "no sample '\(key)' in the working tree")
    }
    let record: SampleRecord
    do {
      record = try SampleRecord(json: try JSONParser.parse(bytes))
    } catch {
      throw CairnError(.invalidInput, "\(path): \(error)")
    }
    var labels: [String: [JSONValue]] = [:]
    for field in FileIO.list(root + "/labels") ?? [] where FormatV1.fieldProblem(field) == nil {
      if let file = try readLabels(field: field, key: key) { labels[field] = file.labels }
    }
    return WorkingSample(record: record, labels: labels)
  }

  /// Replaces the labels of `field` for sample `key` in the working tree, through the same
  /// checks as a commit; labels without an `id` get a new one.
  ///
  /// Holds the repository's writer lock while it checks and writes, so it never interleaves
  /// with a commit.
  ///
  /// - Returns: The labels written (with their ids).
  /// - Throws: `CairnError` `.validationFailed` naming every broken rule (nothing is written),
  ///   `.notFound` for an unknown sample or field, `.locked` while another writer runs.
  @discardableResult
  package func replaceLabels(key: String, field: String, labels: [JSONValue])
    throws(CairnError) -> [JSONValue]
  {
    var withIDs: [JSONValue] = []
    for label in labels {
      guard var members = label.object else {
        throw CairnError(
          .validationFailed, "label edit refused; nothing was written",
          violations: [
            CairnError.Violation(FormatV1.labelPath(field: field, key: key), "a label is an object")
          ])
      }
      if members["id"] == nil { members["id"] = .string(LabelID.make()) }
      withIDs.append(.object(members))
    }
    let lock = try WriterLock(path: lockPath)
    defer { lock.release() }
    return try editLabels(key: key, field: field) { (current, _) throws(CairnError) in
      current = withIDs
      return withIDs
    }
  }

  /// Sets the tags of sample `key` in the working tree, checked as a commit checks the record.
  ///
  /// - Returns: The tags written, sorted and unique.
  /// - Throws: `CairnError` `.invalidInput` for an invalid tag, `.validationFailed` when the
  ///   record would break the format or the schema (nothing is written), `.notFound` for an
  ///   unknown sample, `.locked` while another writer runs.
  @discardableResult
  package func setSampleTags(key: String, tags: [String]) throws(CairnError) -> [String] {
    let root = try requireRoot(for: "tagging")
    for tag in tags {
      if let problem = Self.tagProblem(tag) {
        throw CairnError(.invalidInput, "invalid tag '\(tag)': \(problem)")
      }
    }
    let schema = try workingSchema()
    let lock = try WriterLock(path: lockPath)
    defer { lock.release() }
    var record = try sampleDetails(key: key).record
    let sorted = Array(Set(tags)).sorted()
    record.tags = sorted
    let path = FormatV1.samplePath(key)
    let bytes = record.encoded
    switch Validator.check(path: path, bytes: bytes, schema: schema) {
    case .valid: break
    case .invalid(let reason):
      throw CairnError(
        .validationFailed, "tag edit refused; nothing was written",
        violations: [CairnError.Violation(path, reason)])
    case .breaksSchema(let reasons):
      throw CairnError(
        .validationFailed, "tag edit refused: the record breaks the schema; nothing was written",
        violations: reasons.map { CairnError.Violation(path, $0) })
    case .notCanonical:
      throw CairnError(.validationFailed, "internal: the record did not encode canonically")
    }
    try CairnError.wrap { try FileIO.writeAtomically(bytes, to: root + "/" + path) }
    return sorted
  }
}
