import CairnCore
import CairnTestSupport
import Foundation
import GitStore
import Testing

@Suite struct TreeTests {
  /// Builds the same files with git and with TreeEditor: the root tree ids must be equal.
  @Test func treeEditorMatchesGitWriteTree() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    _ = try CommandRunner.git(["init", "-q", "-b", "main", dir.path], in: "/")
    let names = [
      "a.json", "a-b.json", "a/b.json", "a.b/c.json", "z/y/x.json", "samples/0a/3f/k%2Fey.json",
    ]
    for (index, name) in names.enumerated() { try dir.write("file \(index)\n", to: name) }
    _ = try CommandRunner.git(["add", "-A"], in: dir.path)
    let expected = try CommandRunner.git(["write-tree"], in: dir.path).stdout
      .trimmingCharacters(in: .whitespacesAndNewlines)

    let repo = try GitRepository.open(at: dir.path)
    let writer = try ObjectWriter(repository: repo)
    let changes = try names.enumerated().map { index, name in
      TreeChange(path: name, id: try writer.write(.blob, Array("file \(index)\n".utf8)))
    }
    let tree = try TreeEditor(repository: repo, writer: writer).apply(base: nil, changes: changes)
    try writer.commit()
    #expect(tree.hex == expected)
  }

  /// Git's entry order: bytes, with a tree's name compared as if it ended in `/`.
  @Test func entryOrderIsGits() {
    // (name, is a tree), in git's order.
    let ordered: [(String, Bool)] = [
      ("a", false), ("a-b", false), ("a.b", true), ("a", true), ("a0", false), ("ab", true),
      ("b", false), ("b.json", false), ("b", true), ("é", false),
    ]
    for (i, left) in ordered.enumerated() {
      for (j, right) in ordered.enumerated() {
        #expect(
          TreeFormat.precedes(left.0, left.1, right.0, right.1) == (i < j),
          "\(left) before \(right)")
      }
    }
  }

  @Test func editingOneFileKeepsUnchangedSubtrees() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let repo = try GitRepository.create(at: dir.path, bare: true)
    let writer = try ObjectWriter(repository: repo)
    var changes: [TreeChange] = []
    for index in 0..<200 {
      changes.append(
        TreeChange(
          path: "s/\(index % 10)/f\(index)", id: try writer.write(.blob, Array("\(index)".utf8))))
    }
    let editor = TreeEditor(repository: repo, writer: writer)
    let base = try editor.apply(base: nil, changes: changes)
    try writer.commit()

    let second = try ObjectWriter(repository: repo)
    let changed = try TreeEditor(repository: repo, writer: second).apply(
      base: base,
      changes: [
        TreeChange(path: "s/3/f3", id: try second.write(.blob, Array("new".utf8))),
        TreeChange(path: "s/4/f4", id: nil),
      ])
    // One blob, and the trees on the two changed paths (s/3, s/4, s, root) are new.
    #expect(second.count == 5)
    try second.commit()
    let walk = TreeWalk(repository: repo)
    let old = try #require(try walk.entry(at: "s/5", in: base))
    let new = try #require(try walk.entry(at: "s/5", in: changed))
    #expect(old.id == new.id)
    var differences: [TreeDifference] = []
    try walk.differences(from: base, to: changed) { differences.append($0) }
    #expect(differences.map(\.path) == ["s/3/f3", "s/4/f4"])
    #expect(differences[1].new == nil)
    #expect(try repo.libgit2DiffCount(base, changed) == 2)
  }

  /// Random edits: the pruning walk must report exactly what git's own diff reports.
  @Test(arguments: [1, 2, 3]) func treeWalkAgreesWithGitDiff(seed: UInt64) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let repo = try GitRepository.create(at: dir.path, bare: true)
    var generator = DemoRandom(seed: seed &+ 0x9E37_79B9_7F4A_7C15)
    var files: [String: ObjectID] = [:]
    let writer = try ObjectWriter(repository: repo)
    for index in 0..<300 {
      let path =
        "r/\(Int.random(in: 0..<6, using: &generator))/\(Int.random(in: 0..<5, using: &generator))/f\(index).json"
      files[path] = try writer.write(.blob, Array("v0 \(index)".utf8))
    }
    let editor = TreeEditor(repository: repo, writer: writer)
    let before = try editor.apply(
      base: nil, changes: files.map { TreeChange(path: $0.key, id: $0.value) })
    try writer.commit()
    let second = try ObjectWriter(repository: repo)
    var changes: [TreeChange] = []
    for (path, _) in files.shuffled(using: &generator).prefix(40) {
      if Bool.random(using: &generator) {
        changes.append(TreeChange(path: path, id: nil))
      } else {
        changes.append(
          TreeChange(path: path, id: try second.write(.blob, Array("v1 \(path)".utf8))))
      }
    }
    for index in 0..<10 {
      changes.append(
        TreeChange(
          path: "r/new\(index)/g.json", id: try second.write(.blob, Array("n\(index)".utf8))))
    }
    let after = try TreeEditor(repository: repo, writer: second).apply(
      base: before, changes: changes)
    try second.commit()
    var ours: [String] = []
    try TreeWalk(repository: repo).differences(from: before, to: after) { difference in
      let status = difference.old == nil ? "A" : difference.new == nil ? "D" : "M"
      ours.append("\(status)\t\(difference.path)")
    }
    let git = try CommandRunner.git(
      [
        "--git-dir", repo.gitDirectory, "diff", "--no-renames", "--name-status", before.hex,
        after.hex,
      ], in: dir.path)
    #expect(git.exitCode == 0)
    let theirs = git.stdout.split(separator: "\n").map(String.init)
    #expect(ours.sorted() == theirs.sorted())
    #expect(ours.count == 50)
  }

  @Test func referenceUpdatesAreCompareAndSwap() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let repo = try GitRepository.create(at: dir.path, bare: true)
    let writer = try ObjectWriter(repository: repo)
    let signature = Signature(
      name: "T", email: "t@example.invalid", time: 1_700_000_000, offsetMinutes: 0)
    let tree = try writer.write(.tree, [])
    let first = try writer.write(
      .commit,
      Commit.serialize(
        tree: tree, parents: [], author: signature, committer: signature, message: "a"))
    let second = try writer.write(
      .commit,
      Commit.serialize(
        tree: tree, parents: [first], author: signature, committer: signature, message: "b"))
    let third = try writer.write(
      .commit,
      Commit.serialize(
        tree: tree, parents: [first], author: signature, committer: signature, message: "c"))
    try writer.commit()
    try repo.updateReference("refs/heads/main", to: first, expected: nil, message: "t")
    #expect(throws: GitError.self) {
      try repo.updateReference("refs/heads/main", to: first, expected: nil, message: "t")
    }
    try repo.updateReference("refs/heads/main", to: second, expected: first, message: "t")
    // A writer that read `first` before `second` landed loses the race and changes nothing.
    do {
      try repo.updateReference("refs/heads/main", to: third, expected: first, message: "t")
      Issue.record("a stale compare-and-swap succeeded")
    } catch {
      #expect(error.code == .raceLost)
    }
    #expect(try repo.referenceTarget("refs/heads/main") == second)
  }
}
