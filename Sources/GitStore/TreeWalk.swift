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
    let raw = try repository.rawTree(tree)
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
  /// `git_diff_tree_to_tree` reads every entry). Trees are read raw, borrowed from the mapped
  /// packs when stored whole, and their entries compared as bytes (one `memcmp` for an
  /// unchanged entry); a path string is built only for a reported difference.
  ///
  /// - Complexity: O(changed files × depth) tree reads.
  package func differences(
    from old: ObjectID?, to new: ObjectID?, prefix: String = "",
    _ body: (TreeDifference) throws -> Void
  ) throws {
    if old == new { return }
    let left = try old.map { (id) throws(GitError) in try repository.rawTree(id) } ?? RawTree.empty
    let right = try new.map { (id) throws(GitError) in try repository.rawTree(id) } ?? RawTree.empty
    func path(_ tree: RawTree, _ index: Int) -> String {
      let name = tree.name(index)
      return prefix.isEmpty ? name : prefix + "/" + name
    }
    var i = 0
    var j = 0
    while i < left.count || j < right.count {
      if i < left.count, j < right.count {
        // Most entries of a changed tree are unchanged: same mode, name and id bytes.
        if left.sameEntry(i, right, j) {
          i += 1
          j += 1
          continue
        }
        if left.sameName(i, right, j) {
          defer {
            i += 1
            j += 1
          }
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

/// One entry of a single level of a two-tree walk (``TreeWalk/level(from:to:prefix:)``).
package enum LevelDifference: Sendable {
  /// A file that differs.
  case file(TreeDifference)
  /// A folder whose trees differ (nil: absent on that side), to walk further.
  case folder(path: String, old: ObjectID?, new: ObjectID?)
}

extension TreeWalk {
  /// The differences directly under `old` and `new`: files, and folders still to walk.
  ///
  /// Lets a caller split a walk into independent folder pairs (for several threads, each
  /// with its own repository handle) and finish each with
  /// ``differences(from:to:prefix:_:)``; in the order of git's entries.
  package func level(from old: ObjectID?, to new: ObjectID?, prefix: String) throws(GitError)
    -> [LevelDifference]
  {
    if old == new { return [] }
    let left = try old.map { (id) throws(GitError) in try repository.rawTree(id) } ?? RawTree.empty
    let right = try new.map { (id) throws(GitError) in try repository.rawTree(id) } ?? RawTree.empty
    func path(_ tree: RawTree, _ index: Int) -> String {
      let name = tree.name(index)
      return prefix.isEmpty ? name : prefix + "/" + name
    }
    var out: [LevelDifference] = []
    var i = 0
    var j = 0
    while i < left.count || j < right.count {
      if i < left.count, j < right.count {
        if left.sameEntry(i, right, j) {
          i += 1
          j += 1
          continue
        }
        if left.sameName(i, right, j) {
          let full = path(left, i)
          let (a, b) = (left.id(i), right.id(j))
          switch (left.isTree(i), right.isTree(j)) {
          case (true, true): out.append(.folder(path: full, old: a, new: b))
          case (false, false): out.append(.file(TreeDifference(path: full, old: a, new: b)))
          case (true, false):
            out.append(.folder(path: full, old: a, new: nil))
            out.append(.file(TreeDifference(path: full, old: nil, new: b)))
          case (false, true):
            out.append(.file(TreeDifference(path: full, old: a, new: nil)))
            out.append(.folder(path: full, old: nil, new: b))
          }
          i += 1
          j += 1
          continue
        }
      }
      if j >= right.count || (i < left.count && left.precedes(i, right, j)) {
        let full = path(left, i)
        out.append(
          left.isTree(i)
            ? .folder(path: full, old: left.id(i), new: nil)
            : .file(TreeDifference(path: full, old: left.id(i), new: nil)))
        i += 1
      } else {
        let full = path(right, j)
        out.append(
          right.isTree(j)
            ? .folder(path: full, old: nil, new: right.id(j))
            : .file(TreeDifference(path: full, old: nil, new: right.id(j))))
        j += 1
      }
    }
    return out
  }
}

/// A tree object's raw bytes with the offsets of its entries, compared without copying names.
///
/// The bytes are either borrowed from a mapped pack (valid while the pack reader keeps its
/// mappings, that is for the duration of a walk) or a copy this object owns.
final class RawTree {
  /// A tree with no entries.
  static var empty: RawTree { RawTree(copying: []) }

  private let bytes: UnsafeRawBufferPointer
  private let owned: Bool
  /// Per entry: where it starts (its mode), where its name starts and ends (the NUL), and
  /// whether it is a tree.
  ///
  /// Constants, so reading them needs no exclusivity check.
  private let starts: [Int32]
  private let nameStarts: [Int32]
  private let nameEnds: [Int32]
  private let trees: [Bool]

  /// Borrows `bytes`, which must outlive this object.
  init(borrowing bytes: UnsafeRawBufferPointer) {
    self.bytes = bytes
    owned = false
    (starts, nameStarts, nameEnds, trees) = Self.parse(bytes)
  }

  /// Copies `bytes`.
  init(copying bytes: [UInt8]) {
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 1)
    copy.copyBytes(from: bytes)
    self.bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(copy)[0..<bytes.count])
    owned = true
    (starts, nameStarts, nameEnds, trees) = Self.parse(self.bytes)
  }

  deinit {
    if owned, let base = bytes.baseAddress { base.deallocate() }
  }

  /// Finds the entries: `<mode> <name>\0<20-byte id>` each; stops at the first malformed one.
  private static func parse(_ buffer: UnsafeRawBufferPointer) -> (
    [Int32], [Int32], [Int32], [Bool]
  ) {
    guard let base = buffer.baseAddress else { return ([], [], [], []) }
    let count = buffer.count
    var starts: [Int32] = []
    var nameStarts: [Int32] = []
    var nameEnds: [Int32] = []
    var trees: [Bool] = []
    // About 60 bytes per entry in a dataset's leaf trees.
    let estimate = count / 48 + 1
    starts.reserveCapacity(estimate)
    nameStarts.reserveCapacity(estimate)
    nameEnds.reserveCapacity(estimate)
    trees.reserveCapacity(estimate)
    let bytes = base.assumingMemoryBound(to: UInt8.self)
    var at = 0
    while at < count {
      // The mode is at most 6 digits; names hold no NUL, so the next NUL ends the name.
      var space = at
      while space < count && space - at < 7 && bytes[space] != 0x20 { space += 1 }
      guard space < count, bytes[space] == 0x20,
        let nul = memchr(base + space + 1, 0, count - space - 1)
      else { break }
      let end = base.distance(to: UnsafeRawPointer(nul))
      guard end + 21 <= count else { break }
      starts.append(Int32(at))
      nameStarts.append(Int32(space + 1))
      nameEnds.append(Int32(end))
      // Tree entries have mode 40000.
      trees.append(space - at == 5 && bytes[at] == UInt8(ascii: "4"))
      at = end + 21
    }
    return (starts, nameStarts, nameEnds, trees)
  }

  var count: Int { starts.count }

  func isTree(_ index: Int) -> Bool { trees[index] }

  func name(_ index: Int) -> String {
    String(
      decoding: UnsafeRawBufferPointer(
        rebasing: bytes[Int(nameStarts[index])..<Int(nameEnds[index])]), as: UTF8.self)
  }

  func id(_ index: Int) -> ObjectID {
    let end = Int(nameEnds[index])
    return ObjectID(raw: UnsafeRawBufferPointer(rebasing: bytes[(end + 1)..<(end + 21)]))
  }

  /// Same name, mode and id: the whole entry's bytes are equal.
  func sameEntry(_ index: Int, _ other: RawTree, _ otherIndex: Int) -> Bool {
    let start = Int(starts[index])
    let length = Int(nameEnds[index]) + 21 - start
    let otherStart = Int(other.starts[otherIndex])
    guard Int(other.nameEnds[otherIndex]) + 21 - otherStart == length,
      let a = bytes.baseAddress, let b = other.bytes.baseAddress
    else { return false }
    return memcmp(a + start, b + otherStart, length) == 0
  }

  func sameName(_ index: Int, _ other: RawTree, _ otherIndex: Int) -> Bool {
    let start = Int(nameStarts[index])
    let length = Int(nameEnds[index]) - start
    let otherStart = Int(other.nameStarts[otherIndex])
    guard Int(other.nameEnds[otherIndex]) - otherStart == length,
      let a = bytes.baseAddress, let b = other.bytes.baseAddress
    else { return false }
    return memcmp(a + start, b + otherStart, length) == 0
  }

  /// Git's order: bytes, a tree's name compared as if it ended in `/`.
  func precedes(_ index: Int, _ other: RawTree, _ otherIndex: Int) -> Bool {
    var x = Int(nameStarts[index])
    var y = Int(other.nameStarts[otherIndex])
    let xEnd = Int(nameEnds[index])
    let yEnd = Int(other.nameEnds[otherIndex])
    while true {
      let l: UInt8 = x < xEnd ? bytes[x] : (trees[index] ? 0x2F : 0)
      let r: UInt8 = y < yEnd ? other.bytes[y] : (other.trees[otherIndex] ? 0x2F : 0)
      if l != r { return l < r }
      if x >= xEnd && y >= yEnd { return false }
      x += 1
      y += 1
    }
  }
}

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif
