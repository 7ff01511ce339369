internal import Dispatch

#if canImport(Glibc)
internal import Glibc
#endif

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

extension TreeWalk {
  /// All files that differ between `old` and `new`, found on `workers` threads.
  ///
  /// The top `depth` levels are compared on this thread; the differing subtree pairs below them
  /// are then split between workers, each with its own repository handle (libgit2 handles are
  /// not shared between threads). Results are sorted by path bytes.
  ///
  /// - Parameters:
  ///   - old: The old tree (nil for empty).
  ///   - new: The new tree (nil for empty).
  ///   - workers: How many threads to use.
  ///   - depth: How many levels to compare before splitting the work.
  /// - Returns: The differences, sorted by path.
  /// - Throws: `GitError` when a tree cannot be read or a handle cannot be opened.
  package func differencesInParallel(
    from old: ObjectID?, to new: ObjectID?, workers: Int = 2, depth: Int = 2
  ) throws -> [TreeDifference] {
    struct Pair: Sendable {
      var old: ObjectID?
      var new: ObjectID?
      var prefix: String
    }
    var results: [TreeDifference] = []
    var level = [Pair(old: old, new: new, prefix: "")]
    for _ in 0..<depth {
      var next: [Pair] = []
      for pair in level {
        try expand(pair.old, pair.new, prefix: pair.prefix) { difference, isTreePair in
          if isTreePair {
            next.append(Pair(old: difference.old, new: difference.new, prefix: difference.path))
          } else {
            results.append(difference)
          }
        }
      }
      level = next
    }
    let pairs = level
    let gitDirectory = repository.gitDirectory
    let count = max(1, min(workers, pairs.count))
    let found = UncheckedResults(count: count)
    DispatchQueue.concurrentPerform(iterations: count) { worker in
      do {
        let handle = try GitRepository.open(at: gitDirectory)
        let walk = TreeWalk(repository: handle)
        var mine: [TreeDifference] = []
        var index = worker
        while index < pairs.count {
          let pair = pairs[index]
          try walk.differences(from: pair.old, to: pair.new, prefix: pair.prefix) {
            mine.append($0)
          }
          index += count
        }
        found.set(worker, .success(mine))
      } catch {
        found.set(worker, .failure(error))
      }
    }
    for worker in 0..<count { results += try found.get(worker) }
    return results.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
  }

  /// Compares one level: reports file differences, and differing subtree pairs (as a
  /// difference whose ids are trees, with `isTreePair` set) without descending.
  private func expand(
    _ old: ObjectID?, _ new: ObjectID?, prefix: String,
    _ report: (TreeDifference, _ isTreePair: Bool) throws -> Void
  ) throws {
    if old == new { return }
    let left = try old.map { try repository.readTree($0) } ?? []
    let right = try new.map { try repository.readTree($0) } ?? []
    var byName: [String: (TreeEntry?, TreeEntry?)] = [:]
    for entry in left { byName[entry.name, default: (nil, nil)].0 = entry }
    for entry in right { byName[entry.name, default: (nil, nil)].1 = entry }
    for (name, sides) in byName {
      let (a, b) = sides
      if let a, let b, a.id == b.id, a.mode == b.mode { continue }
      let path = prefix.isEmpty ? name : prefix + "/" + name
      if a?.isTree ?? true, b?.isTree ?? true {
        try report(TreeDifference(path: path, old: a?.id, new: b?.id), true)
        continue
      }
      // A file on at least one side: compare the rest with the serial walk.
      try differences(
        from: a?.isTree == true ? a?.id : nil, to: b?.isTree == true ? b?.id : nil, prefix: path
      ) { try report($0, false) }
      if let a, !a.isTree, let b, !b.isTree {
        try report(TreeDifference(path: path, old: a.id, new: b.id), false)
      } else {
        if let a, !a.isTree { try report(TreeDifference(path: path, old: a.id, new: nil), false) }
        if let b, !b.isTree { try report(TreeDifference(path: path, old: nil, new: b.id), false) }
      }
    }
  }
}

/// Per-worker result slots, each written by exactly one worker.
private final class UncheckedResults: @unchecked Sendable {
  private var slots: [Result<[TreeDifference], any Error>?]
  private let lock = NSLockLite()

  init(count: Int) { slots = Array(repeating: nil, count: count) }

  func set(_ index: Int, _ value: Result<[TreeDifference], any Error>) {
    lock.withLock { slots[index] = value }
  }

  func get(_ index: Int) throws -> [TreeDifference] {
    try lock.withLock { slots[index] }?.get() ?? []
  }
}

/// A pthread mutex, to avoid Foundation in the git layer.
private final class NSLockLite: @unchecked Sendable {
  private var mutex = pthread_mutex_t()
  init() { pthread_mutex_init(&mutex, nil) }
  deinit { pthread_mutex_destroy(&mutex) }
  func withLock<T>(_ body: () throws -> T) rethrows -> T {
    pthread_mutex_lock(&mutex)
    defer { pthread_mutex_unlock(&mutex) }
    return try body()
  }
}
