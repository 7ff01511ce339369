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

  /// Lists every file under `tree` with its path relative to `tree`, in git order.
  ///
  /// Trees are read raw (straight from the packs when possible) and parsed without libgit2's
  /// object cache, which makes listing the thousands of shard trees of a dataset cheap.
  ///
  /// - Complexity: one read per tree under `tree`.
  package func listFiles(in tree: ObjectID) throws(GitError) -> [(path: String, id: ObjectID)] {
    var files: [(path: String, id: ObjectID)] = []
    try listFiles(in: tree, prefix: "", into: &files)
    return files
  }

  private func listFiles(
    in tree: ObjectID, prefix: String, into files: inout [(path: String, id: ObjectID)]
  ) throws(GitError) {
    let (type, bytes) = try repository.readObject(tree)
    guard type == .tree else { throw GitError(.corrupt, "object \(tree.hex) is not a tree") }
    let raw = RawTree(bytes)
    for index in 0..<raw.count {
      let path = prefix + raw.name(index)
      if raw.isTree(index) {
        try listFiles(in: raw.id(index), prefix: path + "/", into: &files)
      } else {
        files.append((path, raw.id(index)))
      }
    }
  }

  /// Calls `body` for every file that differs between `old` and `new`.
  ///
  /// Subtrees whose ids are equal on both sides are skipped without being read, so the cost
  /// follows the size of the change, not the size of the trees (libgit2 1.5's
  /// `git_diff_tree_to_tree` reads every entry). Trees are read raw from the object database
  /// and compared as bytes; a path string is built only for a reported difference.
  ///
  /// - Complexity: O(changed files × depth) tree reads.
  package func differences(
    from old: ObjectID?, to new: ObjectID?, prefix: String = "",
    _ body: (TreeDifference) throws -> Void
  ) throws {
    if old == new { return }
    let left = try old.map { RawTree(try repository.readObject($0).1) } ?? RawTree([])
    let right = try new.map { RawTree(try repository.readObject($0).1) } ?? RawTree([])
    func path(_ tree: RawTree, _ index: Int) -> String {
      let name = tree.name(index)
      return prefix.isEmpty ? name : prefix + "/" + name
    }
    var i = 0
    var j = 0
    while i < left.count || j < right.count {
      if i < left.count, j < right.count, left.sameName(i, right, j) {
        defer {
          i += 1
          j += 1
        }
        if left.sameEntry(i, right, j) { continue }
        let full = path(left, i)
        switch (left.isTree(i), right.isTree(j)) {
        case (true, true):
          try differences(from: left.id(i), to: right.id(j), prefix: full, body)
        case (false, false):
          try body(TreeDifference(path: full, old: left.id(i), new: right.id(j)))
        case (true, false):
          try differences(from: left.id(i), to: nil, prefix: full, body)
          try body(TreeDifference(path: full, old: nil, new: right.id(j)))
        case (false, true):
          try body(TreeDifference(path: full, old: left.id(i), new: nil))
          try differences(from: nil, to: right.id(j), prefix: full, body)
        }
        continue
      }
      // Entries with different names: the one that sorts first exists on one side only.
      let takeLeft = j >= right.count || (i < left.count && left.precedes(i, right, j))
      if takeLeft {
        let full = path(left, i)
        if left.isTree(i) {
          try differences(from: left.id(i), to: nil, prefix: full, body)
        } else {
          try body(TreeDifference(path: full, old: left.id(i), new: nil))
        }
        i += 1
      } else {
        let full = path(right, j)
        if right.isTree(j) {
          try differences(from: nil, to: right.id(j), prefix: full, body)
        } else {
          try body(TreeDifference(path: full, old: nil, new: right.id(j)))
        }
        j += 1
      }
    }
  }
}

/// A tree object's raw bytes with the offsets of its entries, compared without copying names.
struct RawTree {
  private let bytes: [UInt8]
  /// Per entry: start of the name, end of the name (its NUL), whether it is a tree.
  private var names: [(start: Int, end: Int, isTree: Bool)] = []

  init(_ bytes: [UInt8]) {
    self.bytes = bytes
    var at = 0
    while at < bytes.count {
      var space = at
      while space < bytes.count && bytes[space] != 0x20 { space += 1 }
      var end = space + 1
      while end < bytes.count && bytes[end] != 0 { end += 1 }
      guard end + 21 <= bytes.count else { break }
      // Tree entries have mode 40000.
      let isTree = space - at == 5 && bytes[at] == UInt8(ascii: "4")
      names.append((space + 1, end, isTree))
      at = end + 21
    }
  }

  var count: Int { names.count }

  func isTree(_ index: Int) -> Bool { names[index].isTree }

  func name(_ index: Int) -> String {
    String(decoding: bytes[names[index].start..<names[index].end], as: UTF8.self)
  }

  func id(_ index: Int) -> ObjectID {
    bytes.withUnsafeBytes { raw in
      ObjectID(
        raw: UnsafeRawBufferPointer(rebasing: raw[(names[index].end + 1)..<(names[index].end + 21)])
      )
    }
  }

  func sameName(_ index: Int, _ other: RawTree, _ otherIndex: Int) -> Bool {
    let a = names[index]
    let b = other.names[otherIndex]
    return bytes[a.start..<a.end].elementsEqual(other.bytes[b.start..<b.end])
  }

  /// Same name, mode and id: the mode text and the id follow the name in both entries.
  func sameEntry(_ index: Int, _ other: RawTree, _ otherIndex: Int) -> Bool {
    let a = names[index]
    let b = other.names[otherIndex]
    guard a.isTree == b.isTree else { return false }
    return bytes[(a.end + 1)..<(a.end + 21)].elementsEqual(other.bytes[(b.end + 1)..<(b.end + 21)])
      && modeText(index).elementsEqual(other.modeText(otherIndex))
  }

  private func modeText(_ index: Int) -> ArraySlice<UInt8> {
    let start = index == 0 ? 0 : names[index - 1].end + 21
    return bytes[start..<(names[index].start - 1)]
  }

  /// Git's order: bytes, a tree's name compared as if it ended in `/`.
  func precedes(_ index: Int, _ other: RawTree, _ otherIndex: Int) -> Bool {
    let a = names[index]
    let b = other.names[otherIndex]
    var x = a.start
    var y = b.start
    while true {
      let l: UInt8 = x < a.end ? bytes[x] : (a.isTree ? 0x2F : 0)
      let r: UInt8 = y < b.end ? other.bytes[y] : (b.isTree ? 0x2F : 0)
      if l != r { return l < r }
      if x >= a.end && y >= b.end { return false }
      x += 1
      y += 1
    }
  }
}
