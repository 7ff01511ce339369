import CairnCore
import CairnTestSupport
import Foundation
import Testing

/// Bad input is refused with a message naming the file and rule, a documented exit code, and
/// nothing written.
@Suite struct BadInputTests {
  /// Everything a refused command must leave as it was.
  struct State: Equatable {
    var head: String
    var packs: Int
    var status: String
    var files: [String]
  }

  func state(_ dir: TemporaryDirectory) throws -> State {
    let files = (FileManager.default.enumerator(atPath: dir.path)?.allObjects as? [String] ?? [])
      .filter { !$0.hasPrefix(".git") }.sorted()
    return State(
      head: try revParse("HEAD", in: dir.path), packs: packCount(dir),
      status: try cairn("status", "--json", in: dir.path).stdout, files: files)
  }

  @Test func outsideARepository() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let result = try cairn("status", in: dir.path)
    #expect(result.exitCode == 3)
    #expect(result.stderr.contains("not a Cairn repository"))
  }

  @Test func missingDirectory() throws {
    let dir = try makeRepository(images: 2)
    defer { dir.remove() }
    let before = try state(dir)
    let result = try cairn("import", "images", "no/such/folder", in: dir.path)
    #expect(result.exitCode == 4)
    #expect(result.stderr.contains("no/such/folder"))
    #expect(try state(dir) == before)
  }

  @Test func truncatedAndUnreadableImagesRefuseTheWholeImport() throws {
    let dir = try makeRepository(images: 2)
    defer { dir.remove() }
    try writeImages(3, into: dir, folder: "batch2")
    let good = try Data(contentsOf: URL(fileURLWithPath: dir.appending("batch2/img0.png")))
    try dir.write(Array(good.prefix(good.count / 2)), to: "batch2/cut.png")
    try dir.write(Array("not a jpeg".utf8), to: "batch2/fake.jpg")
    let before = try state(dir)
    let result = try cairn("import", "images", "batch2", in: dir.path)
    #expect(result.exitCode == 5, "\(result)")
    #expect(result.stderr.contains("batch2/cut.png: truncated PNG"), "\(result.stderr)")
    #expect(result.stderr.contains("batch2/fake.jpg"))
    #expect(result.stderr.contains("nothing was written"))
    #expect(try state(dir) == before)
    // An unreadable file is refused the same way.
    try FileManager.default.removeItem(atPath: dir.appending("batch2/cut.png"))
    try FileManager.default.removeItem(atPath: dir.appending("batch2/fake.jpg"))
    try FileManager.default.createDirectory(
      atPath: dir.appending("batch2/dir.png"), withIntermediateDirectories: true)
    chmod(dir.appending("batch2/img1.png"), 0)
    defer { chmod(dir.appending("batch2/img1.png"), 0o644) }
    if getuid() != 0 {
      let unreadable = try cairn("import", "images", "batch2", in: dir.path)
      #expect(unreadable.exitCode == 5)
      #expect(unreadable.stderr.contains("img1.png"))
    }
  }

  @Test func brokenSampleJSONRefusesTheCommit() throws {
    let dir = try makeRepository(images: 3)
    defer { dir.remove() }
    let path = FormatV1.samplePath("img1.png")
    try dir.write("{\"key\": \"img1.png\", \n  \"media\": {", to: path)
    let labelPath = FormatV1.labelPath(field: "gt", key: "ghost.png")
    try dir.write(
      LabelFile(field: "gt", sample: "ghost.png", labels: []).encoded, to: labelPath)
    let before = try state(dir)
    let result = try cairn("commit", "-m", "broken", in: dir.path)
    #expect(result.exitCode == 6, "\(result)")
    #expect(result.stderr.contains("\(path): broken JSON at line 2"), "\(result.stderr)")
    #expect(
      result.stderr.contains("\(labelPath): labels for sample 'ghost.png', which does not exist"))
    #expect(result.stderr.contains("nothing was written"))
    #expect(try state(dir) == before)
    try expectFsckClean(dir.path)
  }

  @Test func nonCanonicalJSONIsRefusedUnlessNormalised() throws {
    let dir = try makeRepository(images: 2)
    defer { dir.remove() }
    let path = FormatV1.samplePath("img0.png")
    let record = try SampleRecord(json: try JSONParser.parse(Array(try dir.read(path).utf8)))
    var tagged = record
    tagged.tags = ["reviewed"]
    let pretty =
      "{\n  \"tags\": [\"reviewed\"],\n  \"key\": \"img0.png\",\n  \"fields\": {},\n  \"media\": "
      + String(decoding: CanonicalJSON.encode(record.media.json).dropLast(), as: UTF8.self)
      + "\n}\n"
    try dir.write(pretty, to: path)
    let refused = try cairn("commit", "-m", "pretty", in: dir.path)
    #expect(refused.exitCode == 6)
    #expect(refused.stderr.contains("not in canonical JSON form"))
    let normalised = try cairn("commit", "-m", "pretty", "--normalize", in: dir.path)
    #expect(normalised.exitCode == 0, "\(normalised)")
    #expect(Array(try dir.read(path).utf8) == tagged.encoded)
    #expect(try cairn("status", "--json", in: dir.path).stdout.contains("\"clean\":true"))
  }

  @Test func normalizingAFileBackToHeadRewritesItAndTheIndex() throws {
    let dir = try makeRepository(images: 1)
    defer { dir.remove() }
    let path = FormatV1.samplePath("img0.png")
    let canonical = try dir.read(path)
    try FileManager.default.removeItem(atPath: dir.appending(".git/index"))
    try dir.write(canonical.replacingOccurrences(of: ",", with: ", "), to: path)
    let result = try cairn("commit", "-m", "nothing", "--normalize", in: dir.path)
    #expect(result.exitCode == 10, "\(result)")
    #expect(try dir.read(path) == canonical)
    #expect(try git("status", "--porcelain", in: dir.path).stdout.isEmpty)
  }

  @Test func pathsThatEscapeTheRepository() throws {
    let dir = try makeRepository(images: 2)
    defer { dir.remove() }
    try writeImages(1, into: dir, folder: "more")
    let before = try state(dir)
    let prefix = try cairn("import", "images", "more", "--prefix", "../up", in: dir.path)
    #expect(prefix.exitCode == 5)
    #expect(prefix.stderr.contains("escapes"))
    #expect(try state(dir) == before)

    let show = try cairn("show", "HEAD:../../etc/passwd", in: dir.path)
    #expect(show.exitCode == 5)

    let path = FormatV1.samplePath("img0.png")
    var record = try SampleRecord(json: try JSONParser.parse(Array(try dir.read(path).utf8)))
    record.media.uri = "../../etc/passwd"
    try dir.write(record.encoded, to: path)
    let commit = try cairn("commit", "-m", "escape", in: dir.path)
    #expect(commit.exitCode == 6)
    #expect(
      commit.stderr.contains("\(path): media uri '../../etc/passwd' escapes the repository"),
      "\(commit.stderr)")

    // A file outside the format's layout is refused too.
    try dir.write("x", to: "samples/oops.json")
    let stray = try cairn("commit", "-m", "stray", in: dir.path)
    #expect(stray.stderr.contains("samples/oops.json: sample files live at"))
  }

  @Test func commitWhileAnotherProcessHoldsTheLock() throws {
    let dir = try makeRepository(images: 2)
    defer { dir.remove() }
    try writeImages(4, into: dir, folder: "media")
    #expect(try cairn("import", "images", "media", in: dir.path).exitCode == 0)
    try dir.write("", to: ".git/index.lock")
    let head = try revParse("HEAD", in: dir.path)
    let packs = packCount(dir)
    let result = try cairn("commit", "-m", "blocked", in: dir.path)
    #expect(result.exitCode == 7)
    #expect(result.stderr.contains(".git/index.lock"))
    #expect(try revParse("HEAD", in: dir.path) == head)
    #expect(packCount(dir) == packs)
    // The other process's lock is left alone.
    #expect(FileManager.default.fileExists(atPath: dir.appending(".git/index.lock")))
    #expect(try cairn("import", "images", "media", in: dir.path).exitCode == 7)
    try FileManager.default.removeItem(atPath: dir.appending(".git/index.lock"))
    #expect(try cairn("commit", "-m", "now", in: dir.path).exitCode == 0)
  }

  @Test func concurrentCommitsNeverLoseWork() throws {
    let dir = try makeRepository(images: 2)
    defer { dir.remove() }
    try writeImages(300, into: dir, folder: "media")
    #expect(try cairn("import", "images", "media", in: dir.path).exitCode == 0)
    let start = try revParse("HEAD", in: dir.path)
    let results = try (0..<4).map { index in
      try CommandRunner.startCairn(["commit", "-m", "racer \(index)"], in: dir.path)
    }.map { $0.wait() }
    let winners = results.filter { $0.exitCode == 0 }
    let losers = results.filter { $0.exitCode != 0 }
    #expect(winners.count >= 1)
    // Losers fail with the lock, race or nothing-to-commit codes, never anything else.
    #expect(losers.allSatisfy { [7, 8, 10].contains($0.exitCode) }, "\(losers)")
    let history = try git("rev-list", "\(start)..HEAD", in: dir.path).stdout.split(separator: "\n")
    #expect(history.count == winners.count)
    try expectFsckClean(dir.path)
  }
}
