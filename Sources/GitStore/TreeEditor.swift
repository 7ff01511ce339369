/// A change to one file path of a tree: a new blob, or removal when `id` is nil.
package struct TreeChange: Sendable {
  package var path: String
  package var id: ObjectID?
  package var mode: UInt32

  package init(path: String, id: ObjectID?, mode: UInt32 = TreeEntry.fileMode) {
    self.path = path
    self.id = id
    self.mode = mode
  }
}

/// Builds a new tree from a base tree and a list of file changes.
///
/// Only the trees on the paths of changed files are read and rewritten; every other subtree
/// keeps its id, so a 1 % change rewrites a few hundred small trees, not the whole dataset.
/// Changes are sorted by path once; all changes under one folder then form one run, which is
/// built recursively without per-path allocations.
///
/// - Complexity: O(changes × depth) trees read and written.
package struct TreeEditor {
  private struct Item {
    var path: [UInt8]
    var change: TreeChange
  }

  private let repository: GitRepository
  private let writer: ObjectWriter

  package init(repository: GitRepository, writer: ObjectWriter) {
    self.repository = repository
    self.writer = writer
  }

  /// Applies `changes` to `base` (nil for an empty tree) and returns the new root tree id.
  ///
  /// - Throws: `GitError` `.invalidArgument` for an empty path segment or a path given twice.
  package func apply(base: ObjectID?, changes: [TreeChange]) throws(GitError) -> ObjectID {
    var items = changes.map { Item(path: Array($0.path.utf8), change: $0) }
    if !items.indices.dropLast().allSatisfy({
      items[$0].path.lexicographicallyPrecedes(items[$0 + 1].path)
    }) {
      items.sort { $0.path.lexicographicallyPrecedes($1.path) }
    }
    for index in items.indices {
      let path = items[index].path
      if path.isEmpty || path.first == 0x2F || path.last == 0x2F
        || zip(path, path.dropFirst()).contains(where: { $0 == 0x2F && $1 == 0x2F })
      {
        throw GitError(.invalidArgument, "invalid tree path '\(items[index].change.path)'")
      }
      if index > 0 && items[index - 1].path == path {
        throw GitError(.invalidArgument, "tree path '\(items[index].change.path)' is changed twice")
      }
    }
    if let id = try build(base: base, items: items[...], offset: 0) { return id }
    return try writer.write(.tree, [])
  }

  /// Builds the tree for `items`, whose paths all share the first `offset` bytes (the folder
  /// prefix, ending in `/`).
  private func build(base: ObjectID?, items: ArraySlice<Item>, offset: Int) throws(GitError)
    -> ObjectID?
  {
    // Without a base tree the runs arrive in git's tree order already (byte order of full
    // paths), so entries are appended in order and need no dictionary or sort.
    var ordered: [TreeEntry] = []
    var entries: [String: TreeEntry] = [:]
    let fresh = base == nil
    if let base {
      for entry in try repository.readTree(base) { entries[entry.name] = entry }
    }
    var start = items.startIndex
    while start < items.endIndex {
      let path = items[start].path
      let slash = path[offset...].firstIndex(of: 0x2F)
      let name = String(decoding: path[offset..<(slash ?? path.endIndex)], as: UTF8.self)
      guard let slash else {
        // A file directly in this folder.
        let change = items[start].change
        if fresh {
          if let id = change.id { ordered.append(TreeEntry(name: name, mode: change.mode, id: id)) }
        } else if let id = change.id {
          entries[name] = TreeEntry(name: name, mode: change.mode, id: id)
        } else {
          entries[name] = nil
        }
        start += 1
        continue
      }
      // Every item under `name/` forms one run in sorted order.
      let prefix = path[offset...slash]
      var end = start + 1
      while end < items.endIndex && items[end].path.count > slash
        && items[end].path[offset...slash].elementsEqual(prefix)
      {
        end += 1
      }
      let existing = entries[name]
      let subBase = existing?.isTree == true ? existing?.id : nil
      let id = try build(base: subBase, items: items[start..<end], offset: slash + 1)
      if fresh {
        if ordered.last?.name == name {
          throw GitError(.invalidArgument, "'\(name)' is both a file and a folder in one tree")
        }
        if let id { ordered.append(TreeEntry(name: name, mode: TreeEntry.treeMode, id: id)) }
      } else if let id {
        entries[name] = TreeEntry(name: name, mode: TreeEntry.treeMode, id: id)
      } else if entries[name]?.isTree == true {
        // The folder emptied; a file that replaced it (set just before) stays.
        entries[name] = nil
      }
      start = end
    }
    if fresh {
      if ordered.isEmpty { return nil }
      return try writer.write(.tree, TreeFormat.serialize(ordered, presorted: true))
    }
    if entries.isEmpty { return nil }
    return try writer.write(.tree, TreeFormat.serialize(Array(entries.values)))
  }
}
