import CairnCore
import CairnTestSupport
import Foundation
import GitStore
import Testing

/// Frozen test sets and golden sets: created once, never moved or deleted — by Cairn, by plain
/// git with the hooks, and by pushes to a server with the server hooks.
@Suite struct ProtectedSetTests {
  /// Four images, field gt with a box on each, the view `first-two` (img0, img1), committed;
  /// then the test set `t1` frozen from it.
  func frozenRepository() throws -> TemporaryDirectory {
    let dir = try makeRepository(images: 4)
    #expect(
      try cairn(
        "schema", "add-field", "gt", "--type", "detections", "--classes", "car", in: dir.path
      )
      .exitCode == 0)
    for index in 0..<4 {
      #expect(
        try cairn(
          "label", "add", "img\(index).png", "--field", "gt", "--class", "car", "--bbox",
          "0.1,0.1,0.2,0.2", in: dir.path
        ).exitCode == 0)
    }
    #expect(
      try cairn(
        "view", "save", "first-two", "--match", "key in ['img0.png', 'img1.png']", in: dir.path
      ).exitCode == 0)
    #expect(try cairn("commit", "-m", "labels and view", in: dir.path).exitCode == 0)
    let frozen = try cairn("freeze", "test", "t1", "--view", "first-two", in: dir.path)
    #expect(frozen.exitCode == 0, "\(frozen)")
    return dir
  }

  let gitUser = ["-c", "user.name=Ann", "-c", "user.email=ann@example.invalid"]

  @Test func freezingWritesExactlyTheSetAndItsMirror() throws {
    let dir = try frozenRepository()
    defer { dir.remove() }
    let set = try revParse("refs/frozen/t1", in: dir.path)
    #expect(try revParse("refs/tags/frozen/t1", in: dir.path) == set)
    let files = try git("ls-tree", "-r", "--name-only", "refs/frozen/t1", in: dir.path).stdout
      .split(separator: "\n").map(String.init)
    #expect(
      Set(files)
        == Set(
          [
            "cairn.json", "schema.json", FormatV1.samplePath("img0.png"),
            FormatV1.samplePath("img1.png"), FormatV1.labelPath(field: "gt", key: "img0.png"),
            FormatV1.labelPath(field: "gt", key: "img1.png"),
          ]), "\(files)")
    #expect(try revParse("refs/frozen/t1~1", in: dir.path) == (try revParse("main", in: dir.path)))
    let listed = try envelope(
      try cairn("protect", "list", "--json", in: dir.path), "cairn.protected/v1")
    let first = listed["sets"]?.array?.first
    #expect(first?["name"] == .string("t1"))
    #expect(first?["samples"] == .int(2))
    #expect(first?["view"] == .string("first-two"))
    #expect(first?["mirrored"] == .bool(true))
    // A golden set, and a new version of the test set under a new name.
    #expect(try cairn("freeze", "golden", "g1", "--view", "first-two", in: dir.path).exitCode == 0)
    #expect(try cairn("freeze", "test", "t1-v2", "--view", "first-two", in: dir.path).exitCode == 0)
    #expect(
      try envelope(try cairn("protect", "list", "--json", in: dir.path), "cairn.protected/v1")[
        "sets"]?.array?.count == 3)
    try expectFsckClean(dir.path)
  }

  @Test func cairnNeverMovesOrDeletesAProtectedSet() throws {
    let dir = try frozenRepository()
    defer { dir.remove() }
    let set = try revParse("refs/frozen/t1", in: dir.path)
    // Freezing again under the same name is refused.
    let again = try cairn("freeze", "test", "t1", "--view", "first-two", in: dir.path)
    #expect(again.exitCode == 11)
    #expect(again.stderr.contains("freeze a new one under a new name"))
    // Committing on top of a checked-out set moves a detached HEAD, not the set.
    #expect(try cairn("checkout", "refs/frozen/t1", in: dir.path).exitCode == 0)
    #expect(
      try cairn(
        "label", "add", "img0.png", "--field", "gt", "--class", "car", "--bbox", "0,0,0.1,0.1",
        in: dir.path
      ).exitCode == 0)
    #expect(try cairn("commit", "-m", "edit on top", in: dir.path).exitCode == 0)
    #expect(try revParse("refs/frozen/t1", in: dir.path) == set)
    // The git layer refuses every move or deletion, whoever asks.
    let repo = try GitRepository.open(at: dir.path)
    let head = try repo.resolveCommit("HEAD")
    let setID = try #require(ObjectID(hex: set))
    for name in ["refs/frozen/t1", "refs/tags/frozen/t1"] {
      #expect(throws: GitError.self) {
        try repo.updateReference(name, to: head, expected: setID, message: "move")
      }
      #expect(throws: GitError.self) { try repo.deleteReference(name, expected: setID) }
    }
    #expect(try revParse("refs/frozen/t1", in: dir.path) == set)
    #expect(try revParse("refs/tags/frozen/t1", in: dir.path) == set)
  }

  @Test func plainGitIsRefusedByTheReferenceTransactionHook() throws {
    let dir = try frozenRepository()
    defer { dir.remove() }
    let set = try revParse("refs/frozen/t1", in: dir.path)
    let attempts: [[String]] = [
      ["update-ref", "refs/frozen/t1", "main"],
      ["update-ref", "-d", "refs/frozen/t1"],
      ["tag", "-d", "frozen/t1"],
      ["tag", "-f", "frozen/t1", "main"],
      ["update-ref", "refs/tags/frozen/t1", "main"],
    ]
    for attempt in attempts {
      let result = try CommandRunner.git(gitUser + attempt, in: dir.path)
      #expect(result.exitCode != 0, "git \(attempt.joined(separator: " ")) was allowed")
      #expect(result.stderr.contains("protected set"), "\(result.stderr)")
    }
    #expect(try revParse("refs/frozen/t1", in: dir.path) == set)
    #expect(try revParse("refs/tags/frozen/t1", in: dir.path) == set)
    // Housekeeping still works, and creating a new set with plain git is allowed.
    #expect(try git("pack-refs", "--all", in: dir.path).exitCode == 0)
    #expect(try git("gc", "-q", in: dir.path).exitCode == 0)
    #expect(try git("update-ref", "refs/golden/by-hand", "main", in: dir.path).exitCode == 0)
    #expect(try git("pack-refs", "--all", in: dir.path).exitCode == 0)
    #expect(try revParse("refs/frozen/t1", in: dir.path) == set)
  }

  @Test func pushesThatMoveOrDeleteASetAreRefusedByTheServer() throws {
    let dir = try frozenRepository()
    defer { dir.remove() }
    let server = try TemporaryDirectory()
    defer { server.remove() }
    #expect(try cairn("init", "--bare", server.path, in: "/").exitCode == 0)
    for hook in ["pre-receive", "update", "reference-transaction"] {
      #expect(FileManager.default.isExecutableFile(atPath: server.appending("hooks/" + hook)))
    }
    let url = "file://" + server.path
    #expect(try git("remote", "add", "origin", url, in: dir.path).exitCode == 0)
    // Creating the set on the server works.
    let pushed = try git(
      "push", "origin", "main:refs/heads/dataset", "refs/frozen/t1:refs/frozen/t1",
      "refs/tags/frozen/t1:refs/tags/frozen/t1", in: dir.path)
    #expect(pushed.exitCode == 0, "\(pushed)")
    let set = try revParse("refs/frozen/t1", in: server.path)
    // Moving it (forced) or deleting it is refused.
    for attempt in [
      ["push", "--force", "origin", "main:refs/frozen/t1"],
      ["push", "--force", "origin", "main:refs/tags/frozen/t1"],
      ["push", "--delete", "origin", "refs/frozen/t1"],
      ["push", "--delete", "origin", "refs/tags/frozen/t1"],
    ] {
      let result = try CommandRunner.git(attempt, in: dir.path)
      #expect(result.exitCode != 0, "git \(attempt.joined(separator: " ")) was accepted")
      #expect(result.stderr.contains("protected set"), "\(result.stderr)")
    }
    #expect(try revParse("refs/frozen/t1", in: server.path) == set)
    // A new set can still be pushed.
    #expect(try cairn("freeze", "test", "t2", "--view", "first-two", in: dir.path).exitCode == 0)
    #expect(try git("push", "origin", "refs/frozen/t2:refs/frozen/t2", in: dir.path).exitCode == 0)
    #expect(!(try revParse("refs/frozen/t2", in: server.path)).isEmpty)
  }

  @Test func shippedHooksMatchTheInstalledOnes() throws {
    for (name, script) in Hooks.all + Hooks.server {
      let shipped = try String(
        contentsOfFile: Fixtures.packageRoot + "/hooks/" + name, encoding: .utf8)
      #expect(shipped == script, "hooks/\(name) differs from the embedded hook")
    }
  }
}
