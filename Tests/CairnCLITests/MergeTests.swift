import CairnCore
import CairnTestSupport
import Foundation
import Testing

/// Three-way merges of labels between branches, end to end.
@Suite struct MergeTests {
  /// A repository with four images, the field `gt` (car, truck, bus) and two boxes on img0
  /// (ids a and b), committed on `main`, and a branch `other` at that commit.
  func baseRepository() throws -> TemporaryDirectory {
    let dir = try makeRepository(images: 4)
    #expect(
      try cairn(
        "schema", "add-field", "gt", "--type", "detections", "--classes", "car,truck,bus",
        in: dir.path
      ).exitCode == 0)
    for (id, box) in [("a", "0.1,0.1,0.2,0.2"), ("b", "0.5,0.5,0.2,0.2")] {
      #expect(try label("add", "img0.png", "--id", id, "--class", "car", "--bbox", box, in: dir))
    }
    #expect(try cairn("commit", "-m", "base", in: dir.path).exitCode == 0)
    #expect(try cairn("branch", "other", in: dir.path).exitCode == 0)
    return dir
  }

  func label(_ arguments: String..., in dir: TemporaryDirectory) throws -> Bool {
    let result = try CommandRunner.cairn(
      ["label"] + [arguments[0], arguments[1], "--field", "gt"] + arguments.dropFirst(2),
      in: dir.path)
    #expect(result.exitCode == 0, "\(result)")
    return result.exitCode == 0
  }

  func commit(_ message: String, _ dir: TemporaryDirectory) throws {
    let result = try cairn("commit", "-m", message, in: dir.path)
    #expect(result.exitCode == 0, "\(result)")
  }

  func labels(_ dir: TemporaryDirectory, _ key: String) throws -> [String: JSONValue] {
    let file = try JSONParser.parse(try dir.read(FormatV1.labelPath(field: "gt", key: key)))
    return Dictionary(
      (file["labels"]?.array ?? []).compactMap { label in label["id"]?.string.map { ($0, label) } },
      uniquingKeysWith: { a, _ in a })
  }

  func expectMergeCommit(_ dir: TemporaryDirectory) throws {
    let parents = try git("log", "-1", "--format=%P", in: dir.path).stdout
      .split(separator: " ")
    #expect(parents.count == 2, "HEAD is a merge commit")
    let graph = try git("log", "--graph", "--oneline", in: dir.path).stdout
    #expect(graph.contains("|\\"), "\(graph)")
    try expectFsckClean(dir.path)
  }

  @Test func disjointEditsOfOneSampleMergeCleanly() throws {
    let dir = try baseRepository()
    defer { dir.remove() }
    #expect(try label("set", "img0.png", "--id", "a", "--class", "truck", in: dir))
    try commit("ours: a is a truck", dir)
    #expect(try cairn("switch", "other", in: dir.path).exitCode == 0)
    #expect(try label("set", "img0.png", "--id", "b", "--bbox", "0.55,0.5,0.2,0.2", in: dir))
    #expect(
      try label("add", "img0.png", "--id", "c", "--class", "bus", "--bbox", "0,0,0.1,0.1", in: dir))
    try commit("theirs: b moved, c added", dir)
    #expect(try cairn("switch", "main", in: dir.path).exitCode == 0)

    let merged = try envelope(
      try cairn("merge", "other", "--json", in: dir.path), "cairn.merge/v1")
    #expect(merged["result"] == .string("merged"))
    #expect(merged["files_merged"] == .int(1))
    let result = try labels(dir, "img0.png")
    #expect(result["a"]?["label"] == .string("truck"))
    #expect(result["b"]?["bbox"]?.array?.first == .double(0.55))
    #expect(result["c"]?["label"] == .string("bus"))
    #expect(try cairn("status", "--json", in: dir.path).stdout.contains("\"clean\":true"))
    try expectMergeCommit(dir)
  }

  @Test func twoAnnotatorBranchesYieldTheUnionOfTheirWork() throws {
    let dir = try baseRepository()
    defer { dir.remove() }
    // Annotator A labels img1 and img2, annotator B labels img2 and img3 (img2: different boxes).
    #expect(
      try label("add", "img1.png", "--id", "a1", "--class", "car", "--bbox", "0,0,0.3,0.3", in: dir)
    )
    #expect(
      try label("add", "img2.png", "--id", "a2", "--class", "car", "--bbox", "0,0,0.3,0.3", in: dir)
    )
    try commit("annotator A", dir)
    #expect(try cairn("switch", "other", in: dir.path).exitCode == 0)
    #expect(
      try label(
        "add", "img2.png", "--id", "b2", "--class", "bus", "--bbox", "0.5,0.5,0.3,0.3", in: dir))
    #expect(
      try label(
        "add", "img3.png", "--id", "b3", "--class", "truck", "--bbox", "0,0,0.3,0.3", in: dir))
    try commit("annotator B", dir)
    #expect(try cairn("switch", "main", in: dir.path).exitCode == 0)
    #expect(try cairn("merge", "other", in: dir.path).exitCode == 0)
    #expect(Set(try labels(dir, "img1.png").keys) == ["a1"])
    #expect(Set(try labels(dir, "img2.png").keys) == ["a2", "b2"])
    #expect(Set(try labels(dir, "img3.png").keys) == ["b3"])
    try expectMergeCommit(dir)
  }

  @Test func conflictsAreDetectedListedAndResolvable() throws {
    let dir = try baseRepository()
    defer { dir.remove() }
    // Ours: a → truck, b edited, schema gains class van, tag on img1.
    #expect(try label("set", "img0.png", "--id", "a", "--class", "truck", in: dir))
    #expect(try label("set", "img0.png", "--id", "b", "--bbox", "0.6,0.6,0.2,0.2", in: dir))
    #expect(
      try cairn("schema", "add-class", "gt", "van", "--no-commit", in: dir.path).exitCode == 0)
    try commit("ours", dir)
    #expect(try cairn("switch", "other", in: dir.path).exitCode == 0)
    // Theirs: a → bus (edit/edit), b deleted (edit/delete), schema gains class lorry.
    #expect(try label("set", "img0.png", "--id", "a", "--class", "bus", in: dir))
    #expect(try label("rm", "img0.png", "--id", "b", in: dir))
    #expect(
      try cairn("schema", "add-class", "gt", "lorry", "--no-commit", in: dir.path).exitCode == 0)
    try commit("theirs", dir)
    #expect(try cairn("switch", "main", in: dir.path).exitCode == 0)
    let head = try revParse("HEAD", in: dir.path)

    let stopped = try cairn("merge", "other", in: dir.path)
    #expect(stopped.exitCode == 15, "\(stopped)")
    let listed = try envelope(
      try cairn("conflicts", "--json", in: dir.path), "cairn.conflicts/v1")
    let kinds = (listed["conflicts"]?.array ?? []).compactMap { $0["kind"]?.string }.sorted()
    #expect(kinds == ["edit-delete", "label", "schema"], "\(listed)")
    let labelConflict = listed["conflicts"]?.array?.first { $0["kind"] == .string("label") }
    #expect(labelConflict?["item"] == .string("a"))
    #expect(labelConflict?["ours"]?["label"] == .string("truck"))
    #expect(labelConflict?["theirs"]?["label"] == .string("bus"))
    #expect(labelConflict?["base"]?["label"] == .string("car"))
    // The commit is refused while conflicts remain; the branch does not move.
    let refused = try cairn("commit", "-m", "too early", in: dir.path)
    #expect(refused.exitCode == 15)
    #expect(try revParse("HEAD", in: dir.path) == head)
    // git sees the merge in progress too.
    #expect(FileManager.default.fileExists(atPath: dir.appending(".git/MERGE_HEAD")))

    #expect(try cairn("resolve", "--theirs", "a", in: dir.path).exitCode == 0)
    #expect(try labels(dir, "img0.png")["a"]?["label"] == .string("bus"))
    #expect(try cairn("resolve", "--theirs", "b", in: dir.path).exitCode == 0)
    #expect(try labels(dir, "img0.png")["b"] == nil, "theirs deleted b")
    #expect(try cairn("resolve", "--ours", in: dir.path).exitCode == 0)
    let schema = try JSONParser.parse(try dir.read("schema.json"))
    #expect(
      schema["fields"]?["gt"]?["classes"]?.array
        == ["car", "truck", "bus", "van"].map {
          .string($0)
        })
    let done = try cairn("commit", in: dir.path)
    #expect(done.exitCode == 0, "\(done)")
    #expect(!FileManager.default.fileExists(atPath: dir.appending(".git/MERGE_HEAD")))
    #expect(try cairn("conflicts", in: dir.path).exitCode == 4)
    try expectMergeCommit(dir)
  }

  @Test func sampleAndFileConflictsAndAbort() throws {
    let dir = try baseRepository()
    defer { dir.remove() }
    // A view changed differently, and a sample field set differently on both sides.
    #expect(
      try cairn("view", "save", "v", "--match", "key == 'img0.png'", in: dir.path).exitCode == 0)
    #expect(
      try cairn(
        "schema", "set-attribute", "--sample", "camera", "--type", "string", "--no-commit",
        in: dir.path
      ).exitCode == 0)
    try commit("view and sample field", dir)
    #expect(try cairn("branch", "-d", "other", in: dir.path).exitCode == 0)
    #expect(try cairn("branch", "other", in: dir.path).exitCode == 0)
    let path = FormatV1.samplePath("img1.png")
    func setCamera(_ value: String) throws {
      var record = try SampleRecord(json: try JSONParser.parse(try dir.read(path)))
      record.fields["camera"] = .string(value)
      try dir.write(record.encoded, to: path)
    }
    try setCamera("front")
    #expect(
      try cairn("view", "save", "v", "--match", "key == 'img1.png'", "--force", in: dir.path)
        .exitCode == 0)
    try commit("ours", dir)
    #expect(try cairn("switch", "other", in: dir.path).exitCode == 0)
    try setCamera("rear")
    #expect(
      try cairn("view", "save", "v", "--match", "key == 'img2.png'", "--force", in: dir.path)
        .exitCode == 0)
    try commit("theirs", dir)
    #expect(try cairn("switch", "main", in: dir.path).exitCode == 0)
    let head = try revParse("HEAD", in: dir.path)

    #expect(try cairn("merge", "other", in: dir.path).exitCode == 15)
    let listed = try envelope(try cairn("conflicts", "--json", in: dir.path), "cairn.conflicts/v1")
    let kinds = (listed["conflicts"]?.array ?? []).compactMap { $0["kind"]?.string }.sorted()
    #expect(kinds == ["file", "sample"], "\(listed)")
    #expect(
      listed["conflicts"]?.array?.first { $0["kind"] == .string("sample") }?["item"]
        == .string("fields.camera"))

    // Abort puts everything back.
    #expect(try cairn("merge", "--abort", in: dir.path).exitCode == 0)
    #expect(try cairn("status", "--json", in: dir.path).stdout.contains("\"clean\":true"))
    #expect(try revParse("HEAD", in: dir.path) == head)
    #expect(!FileManager.default.fileExists(atPath: dir.appending(".git/MERGE_HEAD")))

    // Merge again and take theirs for both.
    #expect(try cairn("merge", "other", in: dir.path).exitCode == 15)
    #expect(try cairn("resolve", "--theirs", in: dir.path).exitCode == 0)
    #expect(try dir.read(path).contains("\"camera\":\"rear\""))
    #expect(try dir.read("views/v.json").contains("img2.png"))
    #expect(try cairn("commit", in: dir.path).exitCode == 0)
    try expectMergeCommit(dir)
  }

  @Test func aMergeThatBreaksTheSchemaIsRefusedAndFastForwardWorks() throws {
    let dir = try baseRepository()
    defer { dir.remove() }
    // Ours removes class bus; theirs labels a bus: each side is valid, the union is not.
    #expect(try cairn("schema", "remove-class", "gt", "bus", in: dir.path).exitCode == 0)
    #expect(try cairn("switch", "other", in: dir.path).exitCode == 0)
    #expect(
      try label("add", "img1.png", "--id", "x", "--class", "bus", "--bbox", "0,0,0.1,0.1", in: dir))
    try commit("a bus", dir)
    #expect(try cairn("switch", "main", in: dir.path).exitCode == 0)
    let head = try revParse("HEAD", in: dir.path)
    let refused = try cairn("merge", "other", in: dir.path)
    #expect(refused.exitCode == 6, "\(refused)")
    #expect(refused.stderr.contains("class 'bus' is not in the schema's classes"))
    #expect(try revParse("HEAD", in: dir.path) == head)
    #expect(try cairn("merge", "--abort", in: dir.path).exitCode == 0)
    #expect(try cairn("status", "--json", in: dir.path).stdout.contains("\"clean\":true"))

    // A branch that is ahead fast-forwards.
    #expect(try cairn("switch", "-c", "ahead", in: dir.path).exitCode == 0)
    #expect(
      try label("add", "img2.png", "--id", "y", "--class", "car", "--bbox", "0,0,0.1,0.1", in: dir))
    try commit("ahead", dir)
    let ahead = try revParse("HEAD", in: dir.path)
    #expect(try cairn("switch", "main", in: dir.path).exitCode == 0)
    let forward = try envelope(
      try cairn("merge", "ahead", "--json", in: dir.path), "cairn.merge/v1")
    #expect(forward["result"] == .string("fast-forward"))
    #expect(try revParse("HEAD", in: dir.path) == ahead)
    #expect(try labels(dir, "img2.png")["y"] != nil)
    #expect(try cairn("merge", "ahead", in: dir.path).stdout.contains("Already up to date"))
    try expectFsckClean(dir.path)
  }
}
