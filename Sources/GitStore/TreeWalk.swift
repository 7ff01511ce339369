/// A file that differs between two trees.
package struct TreeDifference: Sendable, Equatable {
  package var path: String
  /// The blob id on the old side; nil when the file was added.
  package var old: ObjectID?
  /// The blob id on the new side; nil when the file was deleted.
  package var new: ObjectID?
}

/// Walks git trees, reading them lazily.
package struct TreeWalk {
  private let repository: GitRepository

  package init(repository: GitRepository) { self.repository = repository }

  /// Calls `body` for every file (blob) under `tree`, in git order, with its full path.
  package func files(
    in tree: ObjectID, prefix: String = "", _ body: (String, TreeEntry) throws -> Void
  ) throws {
    for entry in try repository.readTree(tree) {
      let path = prefix.isEmpty ? entry.name : prefix + "/" + entry.name
      if entry.isTree {
        try files(in: entry.id, prefix: path, body)
      } else {
        try body(path, entry)
      }
    }
  }

  /// Finds the entry at `path` (slash-separated) under `tree`, reading one tree per level.
  package func entry(at path: String, in tree: ObjectID) throws(GitError) -> TreeEntry? {
    var current = tree
    let parts = path.split(separator: "/")
    for (index, part) in parts.enumerated() {
      guard let entry = try repository.readTree(current).first(where: { $0.name == part }) else {
        return nil
      }
      if index == parts.count - 1 { return entry }
      guard entry.isTree else { return nil }
      current = entry.id
    }
    return nil
  }

  /// Calls `body` for every file that differs between `old` and `new`.
  ///
  /// Subtrees whose ids are equal on both sides are skipped without being read, so the cost
  /// follows the size of the change, not the size of the trees (libgit2 1.5's
  /// `git_diff_tree_to_tree` reads every entry).
  ///
  /// - Complexity: O(changed files × depth) tree reads.
  package func differences(
    from old: ObjectID?, to new: ObjectID?, prefix: String = "",
    _ body: (TreeDifference) throws -> Void
  ) throws {
    if old == new { return }
    let left = try old.map { try repository.readTree($0) } ?? []
    let right = try new.map { try repository.readTree($0) } ?? []
    var i = 0
    var j = 0
    while i < left.count || j < right.count {
      let a = i < left.count ? left[i] : nil
      let b = j < right.count ? right[j] : nil
      if let a, let b, a.name == b.name {
        i += 1
        j += 1
        if a.id == b.id && a.mode == b.mode { continue }
        let path = prefix.isEmpty ? a.name : prefix + "/" + a.name
        switch (a.isTree, b.isTree) {
        case (true, true):
          try differences(from: a.id, to: b.id, prefix: path, body)
        case (false, false):
          try body(TreeDifference(path: path, old: a.id, new: b.id))
        case (true, false):
          try differences(from: a.id, to: nil, prefix: path, body)
          try body(TreeDifference(path: path, old: nil, new: b.id))
        case (false, true):
          try body(TreeDifference(path: path, old: a.id, new: nil))
          try differences(from: nil, to: b.id, prefix: path, body)
        }
        continue
      }
      // Entries with different names: the one that sorts first exists on one side only.
      let takeLeft: Bool
      if let a, let b {
        takeLeft = TreeFormat.precedes(a, b)
      } else {
        takeLeft = a != nil
      }
      if takeLeft, let a {
        i += 1
        let path = prefix.isEmpty ? a.name : prefix + "/" + a.name
        if a.isTree {
          try differences(from: a.id, to: nil, prefix: path, body)
        } else {
          try body(TreeDifference(path: path, old: a.id, new: nil))
        }
      } else if let b {
        j += 1
        let path = prefix.isEmpty ? b.name : prefix + "/" + b.name
        if b.isTree {
          try differences(from: nil, to: b.id, prefix: path, body)
        } else {
          try body(TreeDifference(path: path, old: nil, new: b.id))
        }
      }
    }
  }
}
