package import GitStore

/// The commit that last changed one label.
package struct LabelBlame: Sendable {
  package var field: String
  package var id: String
  /// The label's class at the blamed revision.
  package var label: String?
  package var commit: Commit
}

/// For one sample at one revision: which commit last changed its record and each label.
package struct BlameReport: Sendable {
  package var key: String
  /// The revision blamed.
  package var commit: ObjectID
  /// The commit that last changed the sample record.
  package var record: Commit
  /// Every label of the sample, by field then in file order.
  package var labels: [LabelBlame]
}

extension CairnRepository {
  /// Which commit last changed each label of sample `key` (and its record), walking the
  /// first-parent history back from `revision`.
  ///
  /// A label is blamed on the newest commit in whose first parent it was absent or had other
  /// content (its JSON compared as values); a commit that left the sample's label file
  /// untouched (same blob id) is passed over without reading anything. A root commit takes
  /// whatever is left.
  ///
  /// - Parameters:
  ///   - key: The sample key.
  ///   - field: Only the labels of this field.
  ///   - revision: Where to start (HEAD when nil).
  /// - Returns: The commit of the record and of every label of the sample at `revision`.
  /// - Throws: `CairnError` `.notFound` for an unknown revision, a sample the revision does
  ///   not have or an unknown field, `.invalidInput` for an invalid key.
  /// - Complexity: a few tree reads per commit of the history until every label is blamed;
  ///   label files are read only where they changed.
  package func blame(key: String, field: String?, at revision: String?) throws(CairnError)
    -> BlameReport
  {
    if let problem = FormatV1.keyProblem(key) {
      throw CairnError(.invalidInput, "invalid sample key '\(key)': \(problem)")
    }
    let name = revision ?? "HEAD"
    let start = try resolve(name)
    return try CairnError.wrap { () throws -> BlameReport in
      let walk = TreeWalk(repository: git)
      let first = try git.readCommit(start)
      let samplePath = FormatV1.samplePath(key)
      guard let record = try walk.entry(at: samplePath, in: first.tree) else {
        throw CairnError(.notFound, "no sample '\(key)' in \(name) (\(start.short))")
      }
      var fields: [String] = []
      if let labels = try walk.entry(at: "labels", in: first.tree), labels.isTree {
        fields = try git.readTree(labels.id).filter(\.isTree).map(\.name)
      }
      if let field {
        if let problem = FormatV1.fieldProblem(field) {
          throw CairnError(.invalidInput, "invalid field name '\(field)': \(problem)")
        }
        let declared = (try? schema(at: start.hex))?.fields[field] != nil
        guard declared || fields.contains(field) else {
          throw CairnError(.notFound, "no label field '\(field)' in \(name) (\(start.short))")
        }
        fields = fields.filter { $0 == field }
      }
      // What is still to be blamed: per field, the label file's blob and its labels' values.
      struct Pending {
        var field: String
        var path: String
        var blob: ObjectID
        var order: [String]
        var labels: [String: JSONValue]
      }
      var pending: [Pending] = []
      for field in fields.sorted(by: ByteOrder.precedes) {
        let path = FormatV1.labelPath(field: field, key: key)
        guard let entry = try walk.entry(at: path, in: first.tree) else { continue }
        let labels = try Self.labelValues(try git.readBlob(entry.id), path: path)
        pending.append(
          Pending(
            field: field, path: path, blob: entry.id, order: labels.map(\.0),
            labels: Dictionary(labels, uniquingKeysWith: { a, _ in a })))
      }
      var blamed: [String: [String: Commit]] = [:]
      var recordCommit: Commit?
      var recordBlob = record.id
      var current = first
      while true {
        let parentTree = try current.parents.first.map { try git.readCommit($0).tree }
        // The record.
        if recordCommit == nil {
          let before = try parentTree.flatMap { try walk.entry(at: samplePath, in: $0)?.id }
          if before != recordBlob {
            recordCommit = current
          } else if let before {
            recordBlob = before
          }
        }
        // The labels.
        for index in pending.indices where !pending[index].labels.isEmpty {
          let before = try parentTree.flatMap { try walk.entry(at: pending[index].path, in: $0) }
          if before?.id == pending[index].blob { continue }
          let older =
            try before.map {
              try Self.labelValues(try git.readBlob($0.id), path: pending[index].path)
            }
            ?? []
          var previous: [String: JSONValue] = [:]
          for (id, value) in older { previous[id] = value }
          for (id, value) in pending[index].labels where previous[id] != value {
            blamed[pending[index].field, default: [:]][id] = current
            pending[index].labels[id] = nil
          }
          if let before { pending[index].blob = before.id }
        }
        let done = recordCommit != nil && pending.allSatisfy(\.labels.isEmpty)
        guard !done, let parent = current.parents.first else { break }
        current = try git.readCommit(parent)
      }
      // A root commit added whatever is left.
      for entry in pending {
        for id in entry.labels.keys { blamed[entry.field, default: [:]][id] = current }
      }
      var labels: [LabelBlame] = []
      for entry in pending {
        let values = try Self.labelValues(
          try git.readBlob(try walk.entry(at: entry.path, in: first.tree)?.id ?? entry.blob),
          path: entry.path)
        for (id, value) in values {
          guard let commit = blamed[entry.field]?[id] else { continue }
          labels.append(
            LabelBlame(field: entry.field, id: id, label: value["label"]?.string, commit: commit))
        }
      }
      return BlameReport(
        key: key, commit: start, record: recordCommit ?? current, labels: labels)
    }
  }

  /// The labels of a label file as (id, value) pairs, in file order.
  private static func labelValues(_ bytes: [UInt8], path: String) throws(CairnError)
    -> [(String, JSONValue)]
  {
    do {
      let value = try JSONParser.parse(bytes)
      return (value["labels"]?.array ?? []).map { ($0["id"]?.string ?? "", $0) }
    } catch {
      throw CairnError(.invalidInput, "\(path): broken JSON at \(error.description)")
    }
  }
}
