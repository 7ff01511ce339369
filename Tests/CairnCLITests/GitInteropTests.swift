import CairnCore
import CairnTestSupport
import Foundation
import Testing

/// Cairn and plain git working on the same repository.
@Suite struct GitInteropTests {
  @Test func revisionExpressionsAndDashC() throws {
    let dir = try makeRepository(images: 2)
    defer { dir.remove() }
    try writeImages(3, into: dir, folder: "media")
    #expect(try cairn("import", "images", "media", in: dir.path).exitCode == 0)
    #expect(try cairn("commit", "-m", "more", in: dir.path).exitCode == 0)
    let parent = try revParse("HEAD~1", in: dir.path)

    // `-C` before or after the subcommand; relative paths then resolve in that folder.
    let parentDir = URL(fileURLWithPath: dir.path).deletingLastPathComponent().path
    let name = URL(fileURLWithPath: dir.path).lastPathComponent
    #expect(try cairn("-C", name, "status", in: parentDir).stdout.contains("nothing to commit"))
    #expect(try cairn("import", "images", "-C", name, "media", in: parentDir).exitCode == 0)

    let back = try cairn("checkout", "HEAD~1", "--json", in: dir.path)
    #expect(back.exitCode == 0, "\(back)")
    #expect(try revParse("HEAD", in: dir.path) == parent)
    #expect(try envelope(back, "cairn.checkout/v1")["files_removed"] == .int(1))
    #expect(try git("status", "--porcelain", in: dir.path).stdout.isEmpty)
    #expect(try cairn("checkout", "main", in: dir.path).exitCode == 0)
    // `checkout HEAD` keeps HEAD on its branch, as git does.
    #expect(try cairn("checkout", "HEAD", in: dir.path).exitCode == 0)
    #expect(try git("branch", "--show-current", in: dir.path).stdout == "main\n")
  }

  @Test func filesCommittedWithGitOutsideCairnRootsAreKept() throws {
    let dir = try makeRepository(images: 2)
    defer { dir.remove() }
    try dir.write("# notes\n", to: "README.md")
    #expect(try git("add", "README.md", in: dir.path).exitCode == 0)
    #expect(try git("commit", "-q", "-m", "readme", in: dir.path).exitCode == 0)
    #expect(try cairn("status", "--json", in: dir.path).stdout.contains("\"clean\":true"))
    try writeImages(3, into: dir, folder: "media")
    #expect(try cairn("import", "images", "media", in: dir.path).exitCode == 0)
    #expect(try cairn("commit", "-m", "more", in: dir.path).exitCode == 0)
    #expect(try git("show", "HEAD:README.md", in: dir.path).stdout == "# notes\n")
    #expect(try git("status", "--porcelain", in: dir.path).stdout.isEmpty)
  }

  @Test func aPlainGitRepositoryIsNotADataset() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try git("init", "-q", dir.path, in: "/").exitCode == 0)
    let result = try cairn("status", in: dir.path)
    #expect(result.exitCode == 13)
    #expect(result.stderr.contains("not a Cairn dataset"))
  }

  @Test func manifestAndKeyRules() throws {
    let dir = try makeRepository(images: 1)
    defer { dir.remove() }
    try dir.write(
      "{\"format\":\"cairn\",\"sharding\":{\"fanout\":256,\"hash\":\"sha256\",\"levels\":2},\"version\":1}\n",
      to: "cairn.json")
    let manifest = try cairn("commit", "-m", "fanout", in: dir.path)
    #expect(manifest.exitCode == 6)
    #expect(manifest.stderr.contains("cairn.json: \"sharding\" must be"))
    #expect(try cairn("checkout", "--force", "main", in: dir.path).exitCode == 0)

    try FileManager.default.removeItem(atPath: dir.appending("schema.json"))
    #expect(
      try cairn("commit", "-m", "no schema", in: dir.path).stderr.contains(
        "schema cannot be deleted"))
    #expect(try cairn("checkout", "--force", "main", in: dir.path).exitCode == 0)

    let long = String(repeating: "\u{E9}", count: 60)
    try writeImages(1, into: dir, folder: "media/\(long)")
    let result = try cairn("import", "images", "media", in: dir.path)
    #expect(result.exitCode == 5)
    #expect(result.stderr.contains("longer than 255 bytes"))
  }
}

@Suite struct TreeShapeTests {
  @Test func filesStagedWithGitAreStillValidated() throws {
    let dir = try makeRepository(images: 1)
    defer { dir.remove() }
    try dir.write("{ \"stages\" : [],  \"version\": 1 }\n", to: "views/bad.json")
    #expect(try git("add", "views/bad.json", in: dir.path).exitCode == 0)
    let result = try cairn("commit", "-m", "staged", in: dir.path)
    #expect(result.exitCode == 6, "\(result)")
    #expect(result.stderr.contains("views/bad.json: not in canonical JSON form"))
  }

  @Test func aFileCanReplaceAFolder() throws {
    let dir = try makeRepository(images: 1)
    defer { dir.remove() }
    try dir.write("1", to: "runs/e/part/0.bin")
    #expect(try cairn("commit", "-m", "folder", in: dir.path).exitCode == 0)
    let folderCommit = try revParse("HEAD", in: dir.path)
    try FileManager.default.removeItem(atPath: dir.appending("runs/e/part"))
    try dir.write("2", to: "runs/e/part")
    #expect(try cairn("commit", "-m", "file", in: dir.path).exitCode == 0)
    #expect(
      try git("ls-tree", "-r", "--name-only", "HEAD", "runs", in: dir.path).stdout
        == "runs/e/part\n")
    #expect(try git("status", "--porcelain", in: dir.path).stdout.isEmpty)
    // And back: checkout turns the file into a folder again, and the reverse.
    #expect(try cairn("checkout", folderCommit, in: dir.path).exitCode == 0)
    #expect(try dir.read("runs/e/part/0.bin") == "1")
    #expect(try cairn("checkout", "main", in: dir.path).exitCode == 0)
    #expect(try dir.read("runs/e/part") == "2")
  }

  @Test func checkoutTurnsAFolderIntoAFileBesideASibling() throws {
    let dir = try makeRepository(images: 1)
    defer { dir.remove() }
    try dir.write("{}\n", to: "runs/r/out/a.json")
    try dir.write("{}\n", to: "runs/r/out.json")
    #expect(try cairn("commit", "-m", "A", in: dir.path).exitCode == 0)
    let first = try revParse("HEAD", in: dir.path)
    try FileManager.default.removeItem(atPath: dir.appending("runs/r/out"))
    try dir.write("{}\n", to: "runs/r/out")
    #expect(try cairn("commit", "-m", "B", in: dir.path).exitCode == 0)
    #expect(try cairn("checkout", first, in: dir.path).exitCode == 0)
    let result = try cairn("checkout", "main", in: dir.path)
    #expect(result.exitCode == 0, "\(result)")
    #expect(try dir.read("runs/r/out") == "{}\n")
    #expect(try git("status", "--porcelain", in: dir.path).stdout.isEmpty)
  }
}
