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
///
/// - Complexity: O(changes × depth) trees read and written.
package struct TreeEditor {
  private final class Node {
    var children: [String: Node] = [:]
    var leaf: TreeChange?
  }

  private let repository: GitRepository
  private let writer: ObjectWriter

  package init(repository: GitRepository, writer: ObjectWriter) {
    self.repository = repository
    self.writer = writer
  }

  /// Applies `changes` to `base` (nil for an empty tree) and returns the new root tree id.
  package func apply(base: ObjectID?, changes: [TreeChange]) throws(GitError) -> ObjectID {
    let root = Node()
    for change in changes {
      var node = root
      let parts = change.path.split(separator: "/", omittingEmptySubsequences: false)
      guard !parts.isEmpty, !parts.contains(where: \.isEmpty) else {
        throw GitError(.invalidArgument, "invalid tree path '\(change.path)'")
      }
      for part in parts.dropLast() {
        let name = String(part)
        if let next = node.children[name] {
          node = next
        } else {
          let next = Node()
          node.children[name] = next
          node = next
        }
      }
      let leaf = Node()
      leaf.leaf = change
      node.children[String(parts[parts.count - 1])] = leaf
    }
    if let id = try build(base: base, node: root) { return id }
    return try writer.write(.tree, [])
  }

  private func build(base: ObjectID?, node: Node) throws(GitError) -> ObjectID? {
    var entries: [String: TreeEntry] = [:]
    if let base {
      for entry in try repository.readTree(base) { entries[entry.name] = entry }
    }
    for (name, child) in node.children {
      if let leaf = child.leaf {
        if let id = leaf.id {
          entries[name] = TreeEntry(name: name, mode: leaf.mode, id: id)
        } else {
          entries[name] = nil
        }
      } else {
        let existing = entries[name]
        let subBase = existing?.isTree == true ? existing?.id : nil
        if let id = try build(base: subBase, node: child) {
          entries[name] = TreeEntry(name: name, mode: TreeEntry.treeMode, id: id)
        } else {
          entries[name] = nil
        }
      }
    }
    if entries.isEmpty { return nil }
    return try writer.write(.tree, TreeFormat.serialize(Array(entries.values)))
  }
}
