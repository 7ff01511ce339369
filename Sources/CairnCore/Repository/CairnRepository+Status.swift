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
  /// The sparse checkout, when only a view's samples are in the working tree.
  package var sparse: SparseCheckout?

  package init(
    head: Head, changes: [FileChange], filesRead: Int = 0, sparse: SparseCheckout? = nil
  ) {
    self.head = head
    self.changes = changes
    self.filesRead = filesRead
    self.sparse = sparse
  }

  /// Changes grouped by what the file holds ("groups", "samples", "labels/<field>", "other").
  package var groups: [(String, [FileChange])] {
    var grouped: [String: [FileChange]] = [:]
    for change in changes { grouped[Self.group(of: change.path), default: []].append(change) }
    return grouped.keys.sorted().map { ($0, grouped[$0] ?? []) }
  }

  static func group(of path: String) -> String {
    switch FormatV1.classify(path) {
    case .success(.sample): "samples"
    case .success(.label(let field, _)): "labels/\(field)"
    case .success(.group): "groups"
    default: "other"
    }
  }
}

/// One tracked path as seen in the working tree, the index and HEAD.
struct SnapshotEntry {
  var path: String
  /// The working file's stat data; nil when the file is not in the working tree.
  var stat: FileStat?
  /// The blob id in HEAD; nil when HEAD does not have the path.
  var headID: ObjectID?
  /// The working file's blob id, when its stat data matched the index (so it was not read).
  var knownID: ObjectID?
  /// Left out by a sparse checkout: absent, and taken as HEAD's blob.
  var skipped = false

  /// Whether the file must be read to learn its blob id.
  var needsRead: Bool { stat != nil && knownID == nil }
}

/// The working tree compared with HEAD.
struct WorkingSnapshot {
  /// Every path in the working tree or in HEAD, in index order (bytes of the path).
  var entries: [SnapshotEntry]
  var headTree: ObjectID?
  var head: Head
  /// The tree the index mirrors, when known.
  var indexTree: ObjectID?
  /// Index entries of files outside Cairn's roots (committed with plain git), kept as they are.
  var foreignEntries: [IndexEntry] = []
  /// The sparse checkout, if any.
  var sparse: SparseCheckout?

  /// The change of entry `index` given the working file's blob id, or nil when unchanged.
  func change(at index: Int, currentID: ObjectID?) -> ChangeKind? {
    let entry = entries[index]
    if entry.stat == nil { return entry.headID == nil || entry.skipped ? nil : .deleted }
    guard let headID = entry.headID else { return .added }
    return currentID == headID ? nil : .modified
  }

  /// Whether `path` is a file of the working tree: a binary search of the entries, which are
  /// in the order of their bytes.
  ///
  /// - Complexity: O(log n) path comparisons, with no set of every path built for a few
  ///   lookups.
  func isPresent(_ path: String) -> Bool {
    var low = 0
    var high = entries.count
    while low < high {
      let middle = (low + high) / 2
      if ByteOrder.precedes(entries[middle].path, path) {
        low = middle + 1
      } else {
        high = middle
      }
    }
    return low < entries.count && ByteOrder.compare(entries[low].path, path) == 0
      && entries[low].stat != nil
  }
}

extension CairnRepository {
  /// Compares the working tree with HEAD.
  ///
  /// Files whose stat data match the git index are not read; only new or touched files are
  /// hashed.
  package func status() throws(CairnError) -> StatusReport {
    let snapshot = try snapshot()
    let root = try requireRoot(for: "status")
    let candidates = snapshot.entries.indices.filter { snapshot.entries[$0].needsRead }
    let entries = snapshot.entries
    let hashed = parallelMap(count: candidates.count, state: ()) { _, index -> ObjectID? in
      guard let bytes = try? FileIO.read(root + "/" + entries[candidates[index]].path) else {
        return nil
      }
      return ObjectHasher.id(of: .blob, bytes)
    }
    var current = entries.map(\.knownID)
    for (index, id) in zip(candidates, hashed) { current[index] = id }
    var changes: [FileChange] = []
    for index in entries.indices {
      if let kind = snapshot.change(at: index, currentID: current[index]) {
        changes.append(FileChange(path: entries[index].path, change: kind))
      }
    }
    return StatusReport(
      head: snapshot.head, changes: changes, filesRead: candidates.count,
      sparse: snapshot.sparse)
  }

  /// Scans the working tree and matches it against the index and HEAD.
  ///
  /// When the index mirrors HEAD (Cairn wrote it last), HEAD's ids come from the index and the
  /// two sorted lists are merged in one pass; otherwise HEAD's tree is read.
  func snapshot() throws(CairnError) -> WorkingSnapshot {
    let root = try requireRoot(for: "this command")
    let head = try head()
    let headTree = try head.target.map { (id) throws(CairnError) in
      try CairnError.wrap { try git.readCommit(id).tree }
    }
    // An index Cairn cannot read (say, git's version 4) is only a cache: do without it.
    let index = try? IndexFile.read(from: indexPath)
    let files = WorkingTreeScanner.scan(root: root)
    var tracked: [IndexEntry] = []
    var foreign: [IndexEntry] = []
    if let index {
      tracked.reserveCapacity(index.entries.count)
      for entry in index.entries {
        if FormatV1.isTracked(entry.path) { tracked.append(entry) } else { foreign.append(entry) }
      }
    }
    let indexTree = index.flatMap { indexedTree(of: $0) }
    func known(_ entry: IndexEntry?, _ stat: FileStat) -> ObjectID? {
      guard let entry, let index, entry.matches(stat), !index.isRacy(entry) else { return nil }
      return entry.id
    }
    var entries: [SnapshotEntry] = []
    entries.reserveCapacity(max(files.count, tracked.count))
    if headTree != nil && indexTree == headTree {
      // Merge two lists sorted by path bytes.
      var i = 0
      var j = 0
      while i < files.count || j < tracked.count {
        // One comparison of the path bytes (memcmp) per step.
        let order =
          i < files.count && j < tracked.count
          ? ByteOrder.compare(files[i].path, tracked[j].path) : (i < files.count ? -1 : 1)
        if order == 0 {
          entries.append(
            SnapshotEntry(
              path: files[i].path, stat: files[i].stat, headID: tracked[j].id,
              knownID: known(tracked[j], files[i].stat)))
          i += 1
          j += 1
        } else if order < 0 {
          entries.append(SnapshotEntry(path: files[i].path, stat: files[i].stat))
          i += 1
        } else {
          entries.append(SnapshotEntry(path: tracked[j].path, headID: tracked[j].id))
          j += 1
        }
      }
    } else {
      var headFiles: [String: ObjectID] = [:]
      if let headTree {
        try CairnError.wrap {
          try TreeWalk(repository: git).files(in: headTree) { path, entry in
            if FormatV1.isTracked(path) { headFiles[path] = entry.id }
          }
        }
      }
      var byPath: [String: IndexEntry] = [:]
      for entry in tracked { byPath[entry.path] = entry }
      for file in files {
        // An index that does not mirror HEAD (git staged something) proves only that a file
        // is unchanged: its id is trusted when it equals HEAD's, otherwise the file is read and
        // validated like any other change.
        let headID = headFiles.removeValue(forKey: file.path)
        let indexID = known(byPath[file.path], file.stat)
        entries.append(
          SnapshotEntry(
            path: file.path, stat: file.stat, headID: headID,
            knownID: indexID != nil && indexID == headID ? indexID : nil))
      }
      for (path, id) in headFiles { entries.append(SnapshotEntry(path: path, headID: id)) }
      entries.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    }
    // In a sparse checkout, files of the samples left out are absent: they are unchanged.
    let sparse = try SparseCheckout.load(gitDirectory: git.gitDirectory)
    if let sparse, !sparse.excluded.isEmpty {
      for index in entries.indices
      where entries[index].stat == nil && entries[index].headID != nil
        && sparse.excludes(entries[index].path)
      {
        entries[index].skipped = true
        entries[index].knownID = entries[index].headID
      }
    }
    return WorkingSnapshot(
      entries: entries, headTree: headTree, head: head, indexTree: indexTree,
      foreignEntries: foreign, sparse: sparse)
  }
}
