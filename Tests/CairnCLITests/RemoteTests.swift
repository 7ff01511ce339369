import CairnCore
import CairnTestSupport
import Foundation
import Testing

/// A bare server made by `cairn init --bare` under a temporary folder, and clones of it beside.
struct RemoteFixture {
  let base: TemporaryDirectory
  var server: String { base.appending("server") }
  var url: String { "file://" + server }

  init() throws {
    base = try TemporaryDirectory("cairn-remote")
    let made = try cairn("init", "--bare", base.appending("server"), in: "/")
    #expect(made.exitCode == 0, "\(made)")
  }

  func remove() { base.remove() }

  /// Clones `url` (default: the server over `file://`) into `name` beside the server.
  @discardableResult
  func clone(_ name: String, from url: String? = nil) throws -> TemporaryDirectory {
    let result = try cairn("clone", url ?? self.url, name, in: base.path)
    #expect(result.exitCode == 0, "\(result)")
    return TemporaryDirectory(existing: base.appending(name))
  }

  /// Clones the server into `name` and pushes a dataset from it: four images, the field `gt`
  /// with one box on each, and the view `first-two` (img0, img1).
  func pushDataset(from name: String = "a") throws -> TemporaryDirectory {
    let dir = try clone(name)
    try writeImages(4, into: dir, folder: "media")
    let steps: [[String]] = [
      ["import", "images", "media"], ["commit", "-m", "import"],
      ["schema", "add-field", "gt", "--type", "detections", "--classes", "car"],
    ]
    for step in steps { try expectSuccess(step, in: dir) }
    for index in 0..<4 {
      try expectSuccess(
        [
          "label", "add", "img\(index).png", "--field", "gt", "--class", "car", "--bbox",
          "0.1,0.1,0.2,0.2",
        ], in: dir)
    }
    try expectSuccess(
      ["view", "save", "first-two", "--match", "key in ['img0.png', 'img1.png']"], in: dir)
    try expectSuccess(["commit", "-m", "labels and view"], in: dir)
    try expectSuccess(["push"], in: dir)
    return dir
  }
}

/// Runs `cairn` and expects exit 0.
@discardableResult
func expectSuccess(
  _ arguments: [String], in dir: TemporaryDirectory,
  sourceLocation: SourceLocation = #_sourceLocation
) throws -> CommandResult {
  let result = try CommandRunner.cairn(arguments, in: dir.path)
  #expect(
    result.exitCode == 0, "cairn \(arguments.joined(separator: " ")): \(result)",
    sourceLocation: sourceLocation)
  return result
}

/// `cairn clone`, `remote`, `fetch`, `pull` and `push` against real bare repositories, over
/// `file://`, plain paths and `git://`.
@Suite struct RemoteTests {
  let protectedNames = [
    "refs/frozen/t1", "refs/tags/frozen/t1", "refs/golden/g1", "refs/tags/golden/g1",
  ]

  @Test func cloneBringsBranchesSetsHooksAndACleanWorkingTree() throws {
    let fixture = try RemoteFixture()
    defer { fixture.remove() }
    let a = try fixture.pushDataset()
    try expectSuccess(["freeze", "test", "t1", "--view", "first-two"], in: a)
    try expectSuccess(["freeze", "golden", "g1", "--view", "first-two"], in: a)
    try expectSuccess(["switch", "-c", "exp"], in: a)
    try expectSuccess(
      ["label", "add", "img2.png", "--field", "gt", "--class", "car", "--bbox", "0.5,0.5,0.1,0.1"],
      in: a)
    try expectSuccess(["commit", "-m", "experiment"], in: a)
    let pushed = try envelope(try expectSuccess(["push", "--json"], in: a), "cairn.push/v1")
    #expect(pushed["updated"]?.array?.count == 5, "\(pushed)")
    try expectSuccess(["switch", "main"], in: a)
    let again = try envelope(try expectSuccess(["push", "--json"], in: a), "cairn.push/v1")
    #expect(again["updated"]?.array?.isEmpty == true, "\(again)")

    let result = try cairn("clone", fixture.url, "b", "--json", in: fixture.base.path)
    #expect(result.exitCode == 0, "\(result)")
    let body = try envelope(result, "cairn.clone/v1")
    let b = TemporaryDirectory(existing: fixture.base.appending("b"))
    #expect(body["branches"] == .array([.string("exp"), .string("main")]))
    #expect(body["head"]?["branch"] == .string("main"))
    #expect(body["sets"]?.array?.count == 2)
    #expect(body["remote"] == .string("origin"))
    for name in ["refs/heads/main", "refs/remotes/origin/exp"] + protectedNames {
      let theirs = try revParse(
        name.replacingOccurrences(of: "remotes/origin", with: "heads"), in: fixture.server)
      let ours = try revParse(name, in: b.path)
      #expect(!theirs.isEmpty && ours == theirs, "\(name)")
    }
    #expect(
      try revParse("refs/frozen/t1", in: b.path) == (try revParse("refs/frozen/t1", in: a.path)))
    // The working tree, the stat cache and git agree.
    #expect(try cairn("status", in: b.path).stdout.contains("nothing to commit"))
    #expect(try git("status", "--porcelain", in: b.path).stdout.isEmpty)
    #expect(
      FileManager.default.fileExists(
        atPath: b.appending(FormatV1.labelPath(field: "gt", key: "img3.png"))))
    #expect(FileManager.default.fileExists(atPath: b.appending(".git/cairn/index-tree")))
    for hook in ["pre-commit", "reference-transaction"] {
      #expect(FileManager.default.isExecutableFile(atPath: b.appending(".git/hooks/" + hook)))
    }
    // Protected sets are packed, so `git gc` never deletes a loose file of one.
    let packed = try b.read(".git/packed-refs")
    for name in protectedNames { #expect(packed.contains(name)) }
    let sets = try envelope(
      try cairn("protect", "list", "--json", in: b.path), "cairn.protected/v1")
    #expect(sets["sets"]?.array?.allSatisfy { $0["mirrored"] == .bool(true) } == true)
    try expectFsckClean(b.path)
    try expectFsckClean(fixture.server)
  }

  @Test func pullFastForwardsThenMergesLabelByLabel() throws {
    let fixture = try RemoteFixture()
    defer { fixture.remove() }
    let a = try fixture.pushDataset()
    let b = try fixture.clone("b")
    // A labels and pushes; B fast-forwards.
    try expectSuccess(
      ["label", "add", "img0.png", "--field", "gt", "--class", "car", "--bbox", "0.3,0.3,0.1,0.1"],
      in: a)
    try expectSuccess(["commit", "-m", "a: second box on img0"], in: a)
    try expectSuccess(["push"], in: a)
    let pulled = try envelope(try expectSuccess(["pull", "--json"], in: b), "cairn.pull/v1")
    #expect(pulled["merge"]?["result"] == .string("fast-forward"), "\(pulled)")
    #expect(pulled["merged"] == .string("origin/main"))
    #expect(pulled["fetch"]?["updated"]?.array?.first?["kind"] == .string("fast-forward"))
    #expect(try revParse("HEAD", in: b.path) == (try revParse("HEAD", in: a.path)))
    #expect(try labelCount(b, "img0.png") == 2)
    #expect(try cairn("status", in: b.path).stdout.contains("nothing to commit"))

    // Both label img1 differently; B's pull merges the two label by label.
    try expectSuccess(
      ["label", "add", "img1.png", "--field", "gt", "--class", "car", "--bbox", "0.5,0.5,0.1,0.1"],
      in: a)
    try expectSuccess(["commit", "-m", "a: box on img1"], in: a)
    try expectSuccess(["push"], in: a)
    try expectSuccess(
      ["label", "add", "img1.png", "--field", "gt", "--class", "car", "--bbox", "0.7,0.6,0.1,0.1"],
      in: b)
    try expectSuccess(["commit", "-m", "b: box on img1"], in: b)
    // B's push is refused first: the remote has A's commit.
    let refused = try cairn("push", in: b.path)
    #expect(refused.exitCode == 18, "\(refused)")
    #expect(refused.stderr.contains("cairn pull"))
    let merged = try expectSuccess(["pull"], in: b)
    #expect(merged.stdout.contains("Merged origin/main"), "\(merged)")
    #expect(try labelCount(b, "img1.png") == 3)
    let parents = try git("rev-list", "--parents", "-n", "1", "HEAD", in: b.path).stdout
      .split(separator: " ")
    #expect(parents.count == 3, "\(parents)")
    let graph = try git("log", "--graph", "--oneline", in: b.path).stdout
    #expect(graph.contains("Merge origin/main into main") && graph.contains("|\\"), "\(graph)")
    try expectSuccess(["push"], in: b)
    let back = try envelope(try expectSuccess(["pull", "--json"], in: a), "cairn.pull/v1")
    #expect(back["merge"]?["result"] == .string("fast-forward"))
    #expect(try labelCount(a, "img1.png") == 3)
    #expect(try revParse("HEAD", in: a.path) == (try revParse("main", in: fixture.server)))
    try expectFsckClean(a.path)
    try expectFsckClean(b.path)
  }

  @Test func pushRefusesNonFastForwardAndNeverMovesAProtectedSet() throws {
    let fixture = try RemoteFixture()
    defer { fixture.remove() }
    let a = try fixture.pushDataset()
    let b = try fixture.clone("b")
    // A new frozen set is pushed with its mirror.
    try expectSuccess(["freeze", "test", "t1", "--view", "first-two"], in: a)
    let pushed = try envelope(try expectSuccess(["push", "--json"], in: a), "cairn.push/v1")
    let created = pushed["updated"]?.array?.compactMap { $0["reference"]?.string } ?? []
    #expect(Set(created) == ["refs/frozen/t1", "refs/tags/frozen/t1"], "\(pushed)")
    #expect(
      try revParse("refs/frozen/t1", in: fixture.server)
        == (try revParse("refs/frozen/t1", in: a.path)))
    #expect(
      try revParse("refs/tags/frozen/t1", in: fixture.server)
        == (try revParse("refs/frozen/t1", in: a.path)))

    // B made its own refs/frozen/t1 with plain git, hooks bypassed: pushing it would move the
    // remote's set, so Cairn refuses before sending anything, with or without --force.
    #expect(
      try git("-c", "core.hooksPath=/dev/null", "update-ref", "refs/frozen/t1", "HEAD", in: b.path)
        .exitCode == 0)
    try expectSuccess(["schema", "add-class", "gt", "truck"], in: b)
    let serverBefore = try git("show-ref", in: fixture.server).stdout
    for arguments in [["push"], ["push", "--force"], ["push", "--sets"]] {
      let result = try CommandRunner.cairn(arguments, in: b.path)
      #expect(result.exitCode == 16, "\(arguments): \(result)")
      #expect(result.stderr.contains("refs/frozen/t1"), "\(result.stderr)")
    }
    #expect(try git("show-ref", in: fixture.server).stdout == serverBefore)

    // Non-fast-forward: refused, the remote unchanged; --force overwrites the branch only.
    let c = try fixture.clone("c")
    try expectSuccess(["schema", "add-class", "gt", "bus"], in: a)
    try expectSuccess(["push"], in: a)
    try expectSuccess(["schema", "add-class", "gt", "van"], in: c)
    let main = try revParse("main", in: fixture.server)
    let refused = try cairn("push", "--json", in: c.path)
    #expect(refused.exitCode == 18, "\(refused)")
    #expect(refused.stdout.isEmpty)
    #expect(try revParse("main", in: fixture.server) == main)
    let forced = try envelope(
      try expectSuccess(["push", "--force", "--json"], in: c), "cairn.push/v1")
    #expect(forced["updated"]?.array?.first?["kind"] == .string("forced"), "\(forced)")
    #expect(try revParse("main", in: fixture.server) == (try revParse("main", in: c.path)))
    #expect(
      try revParse("refs/frozen/t1", in: fixture.server)
        == (try revParse("refs/frozen/t1", in: a.path)))
    try expectFsckClean(fixture.server)
  }

  @Test func fetchRefusesToMoveALocalProtectedSet() throws {
    let fixture = try RemoteFixture()
    defer { fixture.remove() }
    let a = try fixture.pushDataset()
    let b = try fixture.clone("b")
    try expectSuccess(["freeze", "golden", "g1", "--view", "first-two"], in: a)
    try expectSuccess(["schema", "add-class", "gt", "truck"], in: a)
    try expectSuccess(["push"], in: a)
    #expect(
      try git("-c", "core.hooksPath=/dev/null", "update-ref", "refs/golden/g1", "HEAD", in: b.path)
        .exitCode == 0)
    let mine = try revParse("refs/golden/g1", in: b.path)
    let tracking = try revParse("refs/remotes/origin/main", in: b.path)
    for arguments in [["fetch"], ["pull"]] {
      let result = try CommandRunner.cairn(arguments, in: b.path)
      #expect(result.exitCode == 16, "\(arguments): \(result)")
      #expect(result.stderr.contains("refs/golden/g1"), "\(result.stderr)")
    }
    #expect(try revParse("refs/golden/g1", in: b.path) == mine)
    #expect(try revParse("refs/tags/golden/g1", in: b.path).isEmpty)
    #expect(try revParse("refs/remotes/origin/main", in: b.path) == tracking)
    // A fresh clone takes the set as the server has it.
    let c = try fixture.clone("c")
    #expect(
      try revParse("refs/golden/g1", in: c.path) == (try revParse("refs/golden/g1", in: a.path)))
    #expect(
      try revParse("refs/tags/golden/g1", in: c.path)
        == (try revParse("refs/golden/g1", in: a.path)))
  }

  @Test func remotesAndBadInput() throws {
    let fixture = try RemoteFixture()
    defer { fixture.remove() }
    let a = try fixture.clone("a")
    let base = fixture.base
    // remote add, list, remove.
    try expectSuccess(["remote", "add", "mirror", "../server"], in: a)
    let listed = try envelope(try expectSuccess(["remote", "--json"], in: a), "cairn.remote/v1")
    let remotes = listed["remotes"]?.array ?? []
    #expect(remotes.map { $0["name"] } == [.string("mirror"), .string("origin")])
    #expect(remotes.first?["url"] == .string(fixture.server))
    let fetched = try envelope(
      try expectSuccess(["fetch", "mirror", "--json"], in: a), "cairn.fetch/v1")
    #expect(fetched["updated"]?.array?.first?["reference"] == .string("refs/remotes/mirror/main"))
    #expect(try cairn("remote", "add", "mirror", fixture.url, in: a.path).exitCode == 11)
    try expectSuccess(["remote", "remove", "mirror"], in: a)
    #expect(try revParse("refs/remotes/mirror/main", in: a.path).isEmpty)
    #expect(try cairn("remote", "remove", "mirror", in: a.path).exitCode == 4)
    // Unknown remotes.
    for arguments in [["fetch", "nowhere"], ["pull", "nowhere"], ["push", "nowhere"]] {
      let result = try CommandRunner.cairn(arguments, in: a.path)
      #expect(result.exitCode == 4, "\(arguments): \(result)")
      #expect(result.stderr.contains("no remote named 'nowhere'"), "\(result.stderr)")
    }
    // An unreachable URL: a clear error naming it, nothing written.
    try expectSuccess(["remote", "add", "gone", "file://" + base.appending("missing")], in: a)
    let refsBefore = try git("show-ref", in: a.path).stdout
    let unreachable = try cairn("fetch", "gone", in: a.path)
    #expect(unreachable.exitCode == 17, "\(unreachable)")
    #expect(unreachable.stderr.contains(base.appending("missing")), "\(unreachable.stderr)")
    #expect(try cairn("push", "gone", in: a.path).exitCode == 17)
    #expect(try git("show-ref", in: a.path).stdout == refsBefore)
    let noClone = try cairn("clone", "file://" + base.appending("missing"), "x", in: base.path)
    #expect(noClone.exitCode == 17, "\(noClone)")
    #expect(noClone.stderr.contains(base.appending("missing")))
    #expect(!FileManager.default.fileExists(atPath: base.appending("x")))
    // Not a Cairn dataset: refused, and the clone removed.
    let plain = base.appending("plain")
    #expect(try git("init", "-q", "-b", "main", plain, in: "/").exitCode == 0)
    try TemporaryDirectory(existing: plain).write("hello\n", to: "README.md")
    #expect(try git("add", "README.md", in: plain).exitCode == 0)
    #expect(try git("commit", "-q", "-m", "plain", in: plain).exitCode == 0)
    let notCairn = try cairn("clone", plain, "y", in: base.path)
    #expect(notCairn.exitCode == 13, "\(notCairn)")
    #expect(!FileManager.default.fileExists(atPath: base.appending("y")))
    // A destination that is not empty.
    let occupied = try cairn("clone", fixture.url, "a", in: base.path)
    #expect(occupied.exitCode == 11, "\(occupied)")
    // The default folder name comes from the URL.
    let sub = TemporaryDirectory(existing: base.appending("sub"))
    try FileManager.default.createDirectory(atPath: sub.path, withIntermediateDirectories: true)
    try expectSuccess(["clone", fixture.url + "/"], in: sub)
    #expect(try cairn("status", in: sub.appending("server")).stdout.contains("nothing to commit"))
  }

  @Test func pushAndCloneOverTheGitProtocol() throws {
    let fixture = try RemoteFixture()
    defer { fixture.remove() }
    guard let daemon = try GitDaemon.start(basePath: fixture.base.path) else { return }
    defer { daemon.stop() }
    let url = "git://127.0.0.1:\(daemon.port)/server"
    let a = try fixture.clone("a", from: url)
    try writeImages(2, into: a, folder: "media")
    try expectSuccess(["import", "images", "media"], in: a)
    try expectSuccess(["commit", "-m", "import over git://"], in: a)
    try expectSuccess(
      ["schema", "add-field", "gt", "--type", "detections", "--classes", "car"], in: a)
    try expectSuccess(
      ["view", "save", "all", "--match", "key in ['img0.png', 'img1.png']"], in: a)
    try expectSuccess(["commit", "-m", "view"], in: a)
    try expectSuccess(["freeze", "test", "t1", "--view", "all"], in: a)
    let pushed = try envelope(try expectSuccess(["push", "--json"], in: a), "cairn.push/v1")
    #expect(pushed["url"] == .string(url))
    #expect(try revParse("main", in: fixture.server) == (try revParse("main", in: a.path)))
    #expect(
      try revParse("refs/frozen/t1", in: fixture.server)
        == (try revParse("refs/frozen/t1", in: a.path)))
    let b = try fixture.clone("b", from: url)
    #expect(
      try revParse("refs/tags/frozen/t1", in: b.path)
        == (try revParse("refs/frozen/t1", in: a.path)))
    #expect(try cairn("status", in: b.path).stdout.contains("nothing to commit"))
    // A protected set that differs is refused before sending; the server is unchanged.
    #expect(
      try git("-c", "core.hooksPath=/dev/null", "update-ref", "-d", "refs/frozen/t1", in: b.path)
        .exitCode == 0)
    #expect(
      try git("-c", "core.hooksPath=/dev/null", "update-ref", "refs/frozen/t1", "HEAD", in: b.path)
        .exitCode == 0)
    #expect(try cairn("push", in: b.path).exitCode == 16)
    #expect(
      try revParse("refs/frozen/t1", in: fixture.server)
        == (try revParse("refs/frozen/t1", in: a.path)))
    // The server's own hooks refuse a plain git push that moves it.
    let forced = try git("push", "--force", url, "HEAD:refs/frozen/t1", in: b.path)
    #expect(forced.exitCode != 0)
    #expect(forced.stderr.contains("protected set"), "\(forced.stderr)")
    try expectFsckClean(fixture.server)
  }

  func labelCount(_ dir: TemporaryDirectory, _ key: String) throws -> Int {
    let file = try JSONParser.parse(try dir.read(FormatV1.labelPath(field: "gt", key: key)))
    return file["labels"]?.array?.count ?? 0
  }
}

/// A `git daemon` serving a folder on loopback, for tests over `git://`.
final class GitDaemon: Sendable {
  let port: Int
  private let process: RunningCommand

  private init(port: Int, process: RunningCommand) {
    self.port = port
    self.process = process
  }

  /// Starts `git daemon` with push enabled on a free loopback port; nil (with the reason
  /// printed) when it cannot start here.
  static func start(basePath: String) throws -> GitDaemon? {
    let execPath = try CommandRunner.git(["--exec-path"], in: "/").stdout
      .trimmingCharacters(in: .whitespacesAndNewlines)
    let binary = execPath + "/git-daemon"
    guard FileManager.default.isExecutableFile(atPath: binary) else {
      print("skipped: no git-daemon at \(binary)")
      return nil
    }
    for _ in 0..<5 {
      let port = Int.random(in: 20_000..<60_000)
      let process = try CommandRunner.start(
        binary,
        [
          "--reuseaddr", "--listen=127.0.0.1", "--port=\(port)", "--export-all",
          "--enable=receive-pack", "--base-path=\(basePath)", basePath,
        ], in: basePath)
      for _ in 0..<50 {
        let probe = try CommandRunner.git(
          ["ls-remote", "git://127.0.0.1:\(port)/server"], in: basePath)
        if probe.exitCode == 0 { return GitDaemon(port: port, process: process) }
        Thread.sleep(forTimeInterval: 0.1)
      }
      process.kill()
      _ = process.wait()
    }
    print("skipped: git daemon did not start on loopback")
    return nil
  }

  func stop() {
    // Let the daemon reap the children that served the last connections first.
    Thread.sleep(forTimeInterval: 0.3)
    process.kill()
    _ = process.wait()
  }
}
