package import GitStore

/// A commit with the files it changed relative to its first parent.
package struct CommitDetails: Sendable {
  package var commit: Commit
  package var changes: [FileChange]
}

/// A sample as stored in one revision, with its labels from every field.
package struct SampleDetails: Sendable {
  package var commit: ObjectID
  package var key: String
  package var record: JSONValue
  /// Label files by field name, sorted by field.
  package var labels: [(field: String, file: JSONValue)]
}

extension CairnRepository {
  /// Commits reachable from `revision` (HEAD when nil), newest first; with `keys`, only those
  /// that changed one of those samples' records or label files.
  package func log(from revision: String?, keys: [String], limit: Int?) throws(CairnError)
    -> [Commit]
  {
    for key in keys {
      if let problem = FormatV1.keyProblem(key) {
        throw CairnError(.invalidInput, "invalid sample key '\(key)': \(problem)")
      }
    }
    let start: ObjectID
    if let revision {
      start = try resolve(revision)
    } else {
      guard let target = try head().target else { return [] }
      start = target
    }
    var commits: [Commit] = []
    try CairnError.wrap {
      let walk = TreeWalk(repository: git)
      try git.walkHistory(from: start) { id in
        let commit = try git.readCommit(id)
        if !keys.isEmpty {
          let parentTree = try commit.parents.first.map { try git.readCommit($0).tree }
          let touched = try keys.contains { key in
            try Self.touches(key: key, tree: commit.tree, parent: parentTree, walk: walk, git: git)
          }
          if !touched { return true }
        }
        commits.append(commit)
        return limit.map { commits.count < $0 } ?? true
      }
    }
    return commits
  }

  private static func touches(
    key: String, tree: ObjectID, parent: ObjectID?, walk: TreeWalk, git: GitRepository
  ) throws -> Bool {
    let samplePath = FormatV1.samplePath(key)
    let now = try walk.entry(at: samplePath, in: tree)?.id
    let before = try parent.flatMap { try walk.entry(at: samplePath, in: $0)?.id }
    if now != before { return true }
    var fields: Set<String> = []
    for side in [tree, parent].compactMap({ $0 }) {
      if let labels = try walk.entry(at: "labels", in: side), labels.isTree {
        for entry in try git.readTree(labels.id) where entry.isTree { fields.insert(entry.name) }
      }
    }
    for field in fields {
      let path = FormatV1.labelPath(field: field, key: key)
      let a = try walk.entry(at: path, in: tree)?.id
      let b = try parent.flatMap { try walk.entry(at: path, in: $0)?.id }
      if a != b { return true }
    }
    return false
  }

  /// A commit and the files it changed relative to its first parent.
  package func details(of revision: String) throws(CairnError) -> CommitDetails {
    let id = try resolve(revision)
    return try CairnError.wrap {
      let commit = try git.readCommit(id)
      let parentTree = try commit.parents.first.map { try git.readCommit($0).tree }
      var changes: [FileChange] = []
      try TreeWalk(repository: git).differences(from: parentTree, to: commit.tree) { difference in
        let kind: ChangeKind =
          difference.old == nil ? .added : difference.new == nil ? .deleted : .modified
        changes.append(FileChange(path: difference.path, change: kind))
      }
      return CommitDetails(commit: commit, changes: changes)
    }
  }

  /// The sample `key` as stored in `revision`, with its labels.
  package func sample(_ key: String, at revision: String) throws(CairnError) -> SampleDetails {
    if let problem = FormatV1.keyProblem(key) {
      throw CairnError(.invalidInput, "invalid sample key '\(key)': \(problem)")
    }
    let id = try resolve(revision)
    return try CairnError.wrap {
      let walk = TreeWalk(repository: git)
      let tree = try git.readCommit(id).tree
      guard let entry = try walk.entry(at: FormatV1.samplePath(key), in: tree) else {
        throw CairnError(.notFound, "no sample '\(key)' in \(revision) (\(id.short))")
      }
      let record = try JSONParser.parse(try git.readBlob(entry.id))
      var labels: [(field: String, file: JSONValue)] = []
      if let labelsTree = try walk.entry(at: "labels", in: tree), labelsTree.isTree {
        for field in try git.readTree(labelsTree.id) where field.isTree {
          let path = FormatV1.labelPath(field: field.name, key: key)
          if let label = try walk.entry(at: path, in: tree) {
            labels.append((field.name, try JSONParser.parse(try git.readBlob(label.id))))
          }
        }
      }
      return SampleDetails(commit: id, key: key, record: record, labels: labels)
    }
  }
}
