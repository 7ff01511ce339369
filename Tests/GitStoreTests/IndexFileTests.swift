import CairnTestSupport
import Foundation
import GitStore
import Testing

@Suite struct IndexFileTests {
  /// Git reads the index Cairn writes, and `git status` finds nothing to refresh or report.
  @Test func gitReadsTheIndexWeWrite() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    _ = try CommandRunner.git(["init", "-q", "-b", "main", dir.path], in: "/")
    let paths = ["b/x.json", "a.json", "b/a.json", "c d.json"]
    for path in paths { try dir.write("content of \(path)\n", to: path) }
    _ = try CommandRunner.git(["add", "-A"], in: dir.path)
    _ = try CommandRunner.git(["commit", "-q", "-m", "c"], in: dir.path)
    // Replace git's index by ours.
    var entries: [IndexEntry] = []
    for path in paths {
      var entry = IndexEntry(
        path: path, id: ObjectHasher.id(of: .blob, Array("content of \(path)\n".utf8)))
      entry.setStat(try #require(FileStat.of(dir.appending(path))))
      entries.append(entry)
    }
    let bytes = IndexFile(entries: entries).serialize()
    try Data(bytes).write(to: URL(fileURLWithPath: dir.appending(".git/index")))
    let listed = try CommandRunner.git(["ls-files", "-s"], in: dir.path)
    #expect(listed.exitCode == 0, "\(listed)")
    #expect(
      listed.stdout.split(separator: "\n").map { String($0.split(separator: "\t")[1]) }
        == paths.sorted())
    let status = try CommandRunner.git(["status", "--porcelain"], in: dir.path)
    #expect(status.exitCode == 0)
    #expect(status.stdout.isEmpty, "git status after writing our index: \(status.stdout)")
    // And we read git's own index back.
    let read = try #require(try IndexFile.read(from: dir.appending(".git/index")))
    #expect(Set(read.entries.map(\.path)) == Set(paths))
    let entry = try #require(read.entries.first { $0.path == "a.json" })
    #expect(entry.matches(try #require(FileStat.of(dir.appending("a.json")))))
  }

  /// Entries with the skip-worktree bit make a version-3 index that git reads: the files may be
  /// missing from the working tree and `git status` stays clean; we read the bit back.
  @Test func skipWorktreeEntriesRoundTripThroughGit() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    _ = try CommandRunner.git(["init", "-q", "-b", "main", dir.path], in: "/")
    let paths = ["a.json", "b/long-name-\(String(repeating: "x", count: 40)).json", "c.json"]
    for path in paths { try dir.write("content of \(path)\n", to: path) }
    _ = try CommandRunner.git(["add", "-A"], in: dir.path)
    _ = try CommandRunner.git(["commit", "-q", "-m", "c"], in: dir.path)
    try FileManager.default.removeItem(atPath: dir.appending(paths[1]))
    try FileManager.default.removeItem(atPath: dir.appending("c.json"))
    var entries: [IndexEntry] = []
    for path in paths {
      var entry = IndexEntry(
        path: path, id: ObjectHasher.id(of: .blob, Array("content of \(path)\n".utf8)))
      if let info = FileStat.of(dir.appending(path)) {
        entry.setStat(info)
      } else {
        entry.skipWorktree = true
      }
      entries.append(entry)
    }
    let bytes = IndexFile(entries: entries).serialize()
    #expect(bytes[4..<8].elementsEqual([0, 0, 0, 3]))
    try Data(bytes).write(to: URL(fileURLWithPath: dir.appending(".git/index")))
    let listed = try CommandRunner.git(["ls-files", "-v"], in: dir.path)
    #expect(listed.exitCode == 0, "\(listed)")
    #expect(listed.stdout == "H a.json\nS \(paths[1])\nS c.json\n")
    let status = try CommandRunner.git(["status", "--porcelain"], in: dir.path)
    #expect(status.stdout.isEmpty, "\(status.stdout)")
    let fsck = try CommandRunner.git(["fsck", "--no-progress"], in: dir.path)
    #expect(fsck.exitCode == 0, "\(fsck)")
    let read = try #require(try IndexFile.read(from: dir.appending(".git/index")))
    #expect(read.entries.map(\.skipWorktree) == [false, true, true])
    #expect(read.entries.map(\.path) == paths)
  }
}
