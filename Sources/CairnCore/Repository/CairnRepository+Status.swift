package import GitStore

/// How a tracked file differs from HEAD.
package enum ChangeKind: String, Sendable, Codable {
  case added, modified, deleted
}

/// One changed file of the working tree.
package struct FileChange: Sendable, Equatable {
  package var path: String
  package var change: ChangeKind
}

/// What `cairn status` reports.
package struct StatusReport: Sendable {
  package var head: Head
  package var changes: [FileChange]
  /// How many files had to be read because their stat data did not match the index.
  package var filesRead: Int

  package init(head: Head, changes: [FileChange], filesRead: Int = 0) {
    self.head = head
    self.changes = changes
    self.filesRead = filesRead
  }

  /// Changes grouped by what the file holds ("samples", "labels/<field>", "other").
  package var groups: [(String, [FileChange])] {
    var grouped: [String: [FileChange]] = [:]
    for change in changes { grouped[Self.group(of: change.path), default: []].append(change) }
    return grouped.keys.sorted().map { ($0, grouped[$0] ?? []) }
  }

  static func group(of path: String) -> String {
    switch FormatV1.classify(path) {
    case .success(.sample): "samples"
    case .success(.label(let field, _)): "labels/\(field)"
    default: "other"
    }
  }
}

/// The working tree compared with HEAD, with every file's blob id once known.
struct WorkingSnapshot {
  var files: [WorkingFile]
  /// Blob ids of files whose stat data matched the index (not read).
  var known: [String: ObjectID]
  /// HEAD's files.
  var headFiles: [String: ObjectID]
  var headTree: ObjectID?
  var head: Head
  /// The tree the index mirrors, when known.
  var indexTree: ObjectID?
  /// Index entries of files outside Cairn's roots (committed with plain git), kept as they are.
  var foreignEntries: [IndexEntry] = []
}

extension CairnRepository {
  /// Compares the working tree with HEAD.
  ///
  /// Files whose stat data match the git index are not read; only new or touched files are
  /// hashed.
  package func status() throws(CairnError) -> StatusReport {
    let snapshot = try snapshot()
    let candidates = snapshot.files.filter { snapshot.known[$0.path] == nil }
    let root = try requireRoot(for: "status")
    let hashed = parallelMap(count: candidates.count, state: ()) { _, index -> ObjectID? in
      guard let bytes = try? FileIO.read(root + "/" + candidates[index].path) else { return nil }
      return ObjectHasher.id(of: .blob, bytes)
    }
    var current = snapshot.known
    for (file, id) in zip(candidates, hashed) { current[file.path] = id ?? ObjectID.emptyTree }
    return StatusReport(
      head: snapshot.head, changes: Self.changes(head: snapshot.headFiles, current: current),
      filesRead: candidates.count)
  }

  static func changes(head: [String: ObjectID], current: [String: ObjectID]) -> [FileChange] {
    var changes: [FileChange] = []
    for (path, id) in current {
      if let old = head[path] {
        if old != id { changes.append(FileChange(path: path, change: .modified)) }
      } else {
        changes.append(FileChange(path: path, change: .added))
      }
    }
    for path in head.keys where current[path] == nil {
      changes.append(FileChange(path: path, change: .deleted))
    }
    return changes.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
  }

  /// Scans the working tree and matches it against the index and HEAD.
  func snapshot() throws(CairnError) -> WorkingSnapshot {
    let root = try requireRoot(for: "this command")
    let head = try head()
    let headTree = try head.target.map { (id) throws(CairnError) in
      try CairnError.wrap { try git.readCommit(id).tree }
    }
    // An index Cairn cannot read (say, git's version 4) is only a cache: do without it.
    let index = try? IndexFile.read(from: indexPath)
    let files = WorkingTreeScanner.scan(root: root)
    var known: [String: ObjectID] = [:]
    if let index {
      var entries: [String: IndexEntry] = [:]
      entries.reserveCapacity(index.entries.count)
      for entry in index.entries { entries[entry.path] = entry }
      for file in files {
        if let entry = entries[file.path], entry.matches(file.stat), !index.isRacy(entry) {
          known[file.path] = entry.id
        }
      }
    }
    var headFiles: [String: ObjectID] = [:]
    let indexTree = index.flatMap { indexedTree(of: $0) }
    if let headTree {
      if let index, indexTree == headTree {
        for entry in index.entries where FormatV1.isTracked(entry.path) {
          headFiles[entry.path] = entry.id
        }
      } else {
        try CairnError.wrap {
          try TreeWalk(repository: git).files(in: headTree) { path, entry in
            if FormatV1.isTracked(path) { headFiles[path] = entry.id }
          }
        }
      }
    }
    return WorkingSnapshot(
      files: files, known: known, headFiles: headFiles, headTree: headTree, head: head,
      indexTree: indexTree,
      foreignEntries: index?.entries.filter { !FormatV1.isTracked($0.path) } ?? [])
  }
}
