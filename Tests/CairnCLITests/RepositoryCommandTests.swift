import CairnCore
import CairnTestSupport
import Foundation
import Testing

@Suite struct RepositoryCommandTests {
  @Test func initCreatesAGitRepositoryOnMain() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let result = try cairn("init", "data", "--json", in: dir.path)
    #expect(result.exitCode == 0, "\(result)")
    let body = try envelope(result, "cairn.init/v1")
    #expect(body["format_version"] == .int(1))
    let repo = dir.appending("data")
    #expect(try git("branch", "--show-current", in: repo).stdout == "main\n")
    #expect(try git("log", "--oneline", in: repo).stdout.contains("Initialise Cairn dataset"))
    #expect(try git("show", "HEAD:cairn.json", in: repo).stdout.contains("\"version\":1"))
    #expect(try git("status", "--porcelain", in: repo).stdout.isEmpty)
    try expectFsckClean(repo)
    // A second init into the same place is refused.
    #expect(try cairn("init", "data", in: dir.path).exitCode == 11)
  }

  @Test func bareRepositoryCanBeClonedAndPushedTo() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try cairn("init", "--bare", "server.git", in: dir.path).exitCode == 0)
    try expectFsckClean(dir.appending("server.git"))
    let clone = try git("clone", "-q", "server.git", "work", in: dir.path)
    #expect(clone.exitCode == 0, "\(clone)")
    let work = dir.appending("work")
    #expect(FileManager.default.fileExists(atPath: work + "/cairn.json"))
    // Cairn works in the clone: its status is clean, and a commit can be pushed back.
    #expect(try cairn("status", "--json", in: work).stdout.contains("\"clean\":true"))
    try writeImages(2, into: dir, folder: "work/media")
    #expect(try cairn("import", "images", "media", in: work).exitCode == 0)
    #expect(try cairn("commit", "-m", "two images", in: work).exitCode == 0)
    let push = try git("push", "-q", "origin", "main", in: work)
    #expect(push.exitCode == 0, "\(push)")
    try expectFsckClean(dir.appending("server.git"))
    #expect(
      try git("--git-dir", "server.git", "log", "--oneline", in: dir.path).stdout.contains(
        "two images"))
    // Commands that need a working tree refuse a bare repository with their own code.
    #expect(try cairn("status", in: dir.appending("server.git")).exitCode == 12)
  }

  @Test func importCommitShowAndReimport() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try cairn("init", dir.path, in: "/").exitCode == 0)
    try writeImages(6, into: dir, folder: "media/cam")
    let imported = try cairn("import", "images", "media", "--json", in: dir.path)
    #expect(imported.exitCode == 0, "\(imported)")
    #expect(try envelope(imported, "cairn.import/v1")["added"]?.array?.count == 6)

    let status = try envelope(try cairn("status", "--json", in: dir.path), "cairn.status/v1")
    #expect(status["changes"]?.array?.count == 6)
    #expect(status["changes"]?.array?.allSatisfy { $0["change"] == .string("added") } == true)

    let commit = try cairn("commit", "-m", "six images", "--json", in: dir.path)
    #expect(commit.exitCode == 0, "\(commit)")
    #expect(try envelope(commit, "cairn.commit/v1")["added"] == .int(6))

    // Clean afterwards, for cairn (without re-reading any file) and for git.
    let clean = try envelope(try cairn("status", "--json", in: dir.path), "cairn.status/v1")
    #expect(clean["clean"] == .bool(true))
    #expect(clean["files_read"] == .int(0))
    #expect(try git("status", "--porcelain", in: dir.path).stdout.isEmpty)

    // The sample records what the file holds.
    let shown = try envelope(
      try cairn("show", "HEAD:cam/img3.png", "--json", in: dir.path), "cairn.sample/v1")
    let media = try #require(shown["sample"]?["media"])
    #expect(media["width"] == .int(32))
    #expect(media["height"] == .int(24))
    #expect(media["uri"] == .string("media/cam/img3.png"))
    let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.appending("media/cam/img3.png")))
    #expect(media["size"] == .int(Int64(bytes.count)))
    let sha = try CommandRunner.run(
      "/usr/bin/sha256sum", [dir.appending("media/cam/img3.png")], in: dir.path)
    #expect(media["sha256"]?.string.map { sha.stdout.hasPrefix($0) } == true)

    // Re-importing the same folder changes nothing.
    let again = try cairn("import", "images", "media", "--json", in: dir.path)
    #expect(try envelope(again, "cairn.import/v1")["unchanged"] == .int(6))
    #expect(
      try envelope(try cairn("status", "--json", in: dir.path), "cairn.status/v1")["clean"]
        == .bool(true))
    #expect(try cairn("commit", "-m", "again", in: dir.path).exitCode == 10)
    try expectFsckClean(dir.path)
  }

  @Test func realFixturesImportWithTheirDimensions() throws {
    guard let kitti = Fixtures.path("kitti_object_3frames_public/training") else {
      if Fixtures.isCI { Issue.record("fixtures folder missing under CI") }
      return
    }
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try cairn("init", dir.path, in: "/").exitCode == 0)
    let result = try cairn("import", "images", kitti, "--prefix", "kitti", "--json", in: dir.path)
    #expect(result.exitCode == 0, "\(result)")
    let added = try envelope(result, "cairn.import/v1")["added"]?.array?.compactMap(\.string) ?? []
    #expect(added.contains("kitti/image_2/000000.png"))
    #expect(added.contains("kitti/velodyne/000000.bin"))
    #expect(try cairn("commit", "-m", "kitti", in: dir.path).exitCode == 0)
    let image = try envelope(
      try cairn("show", "HEAD:kitti/image_2/000000.png", "--json", in: dir.path), "cairn.sample/v1")
    #expect(image["sample"]?["media"]?["width"] == .int(1224))
    #expect(image["sample"]?["media"]?["height"] == .int(370))
    #expect(image["sample"]?["media"]?["uri"]?.string?.hasPrefix("file:///") == true)
    let cloud = try envelope(
      try cairn("show", "HEAD:kitti/velodyne/000000.bin", "--json", in: dir.path), "cairn.sample/v1"
    )
    #expect(cloud["sample"]?["media"]?["kind"] == .string("point_cloud"))
    #expect(cloud["sample"]?["media"]?["points"] == .int(115_384))
    try expectFsckClean(dir.path)
  }

  @Test func labelEditsShowInStatusLogAndShow() throws {
    let dir = try makeRepository(images: 4)
    defer { dir.remove() }
    let key = "img1.png"
    let file = LabelFile(
      field: "ground_truth", sample: key,
      labels: [
        .object([
          "id": .string("l1"), "type": .string("detection"), "label": .string("car"),
          "bbox": .array([.double(0.1), .double(0.2), .double(0.3), .double(0.4)]),
        ])
      ])
    try dir.write(file.encoded, to: FormatV1.labelPath(field: "ground_truth", key: key))
    try declareGroundTruth(in: dir)
    let status = try cairn("status", in: dir.path)
    #expect(
      status.stdout.contains("labels/ground_truth: 1 added, 0 modified, 0 deleted"), "\(status)")
    #expect(try cairn("commit", "-m", "label img1", in: dir.path).exitCode == 0)

    let history = try envelope(try cairn("log", "--json", "--", key, in: dir.path), "cairn.log/v1")
    #expect(
      history["commits"]?.array?.compactMap { $0["message"]?.string } == [
        "label img1\n", "import\n",
      ])
    let other = try envelope(
      try cairn("log", "--json", "--", "img2.png", in: dir.path), "cairn.log/v1")
    #expect(other["commits"]?.array?.count == 1)
    let text = try cairn("log", "--oneline", in: dir.path)
    #expect(text.stdout.split(separator: "\n").count == 3)

    let shown = try envelope(try cairn("show", "HEAD", "--json", in: dir.path), "cairn.show/v1")
    #expect(
      shown["changes"]?.array?.first?["path"]
        == .string(FormatV1.labelPath(field: "ground_truth", key: key)))
    let sample = try envelope(
      try cairn("show", "HEAD:\(key)", "--json", in: dir.path), "cairn.sample/v1")
    #expect(sample["labels"]?["ground_truth"]?["labels"]?.array?.first?["label"] == .string("car"))
    // The sample as it was one commit earlier has no labels.
    let before = try envelope(
      try cairn("show", "HEAD~1:\(key)", "--json", in: dir.path), "cairn.sample/v1")
    #expect(before["labels"] == .object([:]))
    try expectFsckClean(dir.path)
  }

  @Test func branchesSwitchAndCheckout() throws {
    let dir = try makeRepository(images: 3)
    defer { dir.remove() }
    let samplePath = FormatV1.samplePath("img0.png")
    let original = try dir.read(samplePath)
    #expect(try cairn("switch", "-c", "relabel", in: dir.path).exitCode == 0)
    var record = try SampleRecord(json: try JSONParser.parse(original))
    record.tags = ["night"]
    try dir.write(record.encoded, to: samplePath)
    #expect(try cairn("commit", "-m", "tag night", in: dir.path).exitCode == 0)
    let relabel = try revParse("relabel", in: dir.path)

    let branches = try envelope(try cairn("branch", "--json", in: dir.path), "cairn.branches/v1")
    #expect(branches["branches"]?.array?.compactMap { $0["name"]?.string } == ["main", "relabel"])
    #expect(branches["branches"]?.array?.last?["current"] == .bool(true))

    #expect(try cairn("switch", "main", in: dir.path).exitCode == 0)
    #expect(try dir.read(samplePath) == original)
    #expect(try git("status", "--porcelain", in: dir.path).stdout.isEmpty)
    #expect(try git("branch", "--show-current", in: dir.path).stdout == "main\n")

    let detached = try cairn("checkout", relabel, "--json", in: dir.path)
    #expect(detached.exitCode == 0, "\(detached)")
    #expect(try envelope(detached, "cairn.checkout/v1")["head"]?["detached"] == .bool(true))
    #expect(try dir.read(samplePath).contains("night"))

    // Uncommitted changes block a switch unless forced.
    try dir.write("{}\n", to: samplePath)
    let blocked = try cairn("switch", "main", in: dir.path)
    #expect(blocked.exitCode == 9)
    #expect(blocked.stderr.contains(samplePath))
    #expect(try dir.read(samplePath) == "{}\n")
    #expect(try cairn("switch", "--force", "main", in: dir.path).exitCode == 0)
    #expect(try dir.read(samplePath) == original)

    #expect(try cairn("branch", "exp", "HEAD", in: dir.path).exitCode == 0)
    #expect(try cairn("branch", "exp", in: dir.path).exitCode == 11)
    #expect(try cairn("branch", "-d", "main", in: dir.path).exitCode == 5)
    #expect(try cairn("branch", "-d", "exp", in: dir.path).exitCode == 0)
    #expect(try cairn("switch", "nope", in: dir.path).exitCode == 4)
    #expect(try cairn("checkout", "nope", in: dir.path).exitCode == 4)
    try expectFsckClean(dir.path)
  }

  @Test func demoRunsEndToEnd() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let result = try cairn("demo", "demo", in: dir.path)
    #expect(result.exitCode == 0, "\(result)")
    #expect(result.stdout.contains("Batch 1: an annotator labels batch-v0"))
    let repo = dir.appending("demo")
    // init, reviewed labels, the two frozen sets, embeddings, batch 1, training split,
    // batch 2, then model v1's predictions, its evaluation, batch v1, model v2's predictions
    // and its evaluation.
    #expect(
      try git("log", "--oneline", "--all", in: repo).stdout.split(separator: "\n").count == 13)
    // The demo uses a schema, tags and a saved view, and exports the view with a manifest.
    let schema = try JSONParser.parse(
      try String(contentsOfFile: repo + "/schema.json", encoding: .utf8))
    #expect(schema["fields"]?["ground_truth"]?["type"] == .string("detections"))
    let view = try envelope(
      try cairn("view", "apply", "training", "--count", "--json", in: repo), "cairn.view-apply/v1")
    #expect(view["count"] == .int(12), "batch-v0: two thirds of the unlabelled pool")
    // A golden set and a test set were frozen before the first batch, and golden QA shows
    // batch 2 fixed batch 1's errors.
    let sets = try envelope(try cairn("protect", "list", "--json", in: repo), "cairn.protected/v1")
    #expect(
      sets["sets"]?.array?.compactMap { $0["name"]?.string }.sorted() == ["golden-v1", "test-v1"])
    #expect(result.stdout.contains("Golden QA after batch 1"))
    // The drift report between the batches shows the restored box and the tightened one.
    #expect(result.stdout.contains("Label drift between the two batches"))
    #expect(result.stdout.contains("(new) → "), "the missed box comes back in batch 2")
    #expect(result.stdout.contains("(tighter)"), "the loose box is tightened in batch 2")
    let history = try envelope(
      try cairn("qa", "golden", "golden-v1", "--history", "--json", in: repo), "cairn.qa-golden/v1")
    let recalls = (history["history"]?.array ?? []).compactMap { $0["overall"]?["recall"]?.number }
    #expect(recalls.first == 1, "after batch 2")
    #expect(recalls.contains { $0 < 1 }, "batch 1 missed a golden box")
    #expect(try cairn("check", "leakage", in: repo).exitCode == 0)
    let tags = try cairn("tags", "list", in: repo)
    #expect(tags.stdout.contains("train"), "\(tags)")
    let manifest = try JSONParser.parse(
      try String(contentsOfFile: repo + "/exports/training-yolo/cairn-export.json", encoding: .utf8)
    )
    #expect(manifest["view"] == .string("training"))
    #expect(manifest["samples"] == .int(12))
    // The export was made from the commit of the training split (batch 2 came later).
    let split = try git(
      "log", "--format=%H", "--grep=^Training split and view$", "main", in: repo
    ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(manifest["commit"]?.string == split)
    // Two model iterations were evaluated on the frozen test set and compared; the first
    // one's misses became a view.
    let runs = try envelope(try cairn("eval", "list", "--json", in: repo), "cairn.eval.list/v1")
    #expect(runs.array?.compactMap { $0["key"]?.string } == ["model-v1", "model-v2"])
    #expect(runs.array?.first?["frozen"]?["name"]?.string == "test-v1")
    let missed = try cairn("view", "apply", "missed-by-model-v1", "--count", in: repo)
    #expect(Int(missed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 > 0)
    let failures = try cairn("eval", "failures", "model-v1", "--fn", in: repo)
    #expect(failures.stdout == (try cairn("view", "apply", "missed-by-model-v1", in: repo)).stdout)
    let compared = try envelope(
      try cairn("eval", "compare", "model-v1", "model-v2", "--json", in: repo),
      "cairn.eval.compare/v1")
    #expect((compared["metrics"]?["AP"]?["delta"]?.number ?? 0) > 0, "model v2 is better")
    #expect(result.stdout.contains("Evaluate model v1 on the frozen test set"))
    // Batch v0 by coverage, batch v1 by 30/70 after the first evaluation; no protected sample.
    let v0 = try JSONParser.parse(
      try String(contentsOfFile: repo + "/runs/select/batch-v0/run.json", encoding: .utf8))
    let v0Sources = Set(v0["picks"]?.array?.compactMap { $0["source"]?.string } ?? [])
    #expect(v0Sources == ["coverage"])
    let v1 = try JSONParser.parse(
      try String(contentsOfFile: repo + "/runs/select/batch-v1/run.json", encoding: .utf8))
    let v1Sources = v1["picks"]?.array?.compactMap { $0["source"]?.string } ?? []
    #expect(v1Sources.filter { $0 == "targeted" }.count == 4)
    #expect(v1Sources.filter { $0 == "coverage" }.count == 2)
    let picked = (v0["picks"]?.array ?? []) + (v1["picks"]?.array ?? [])
    let protectedKeys = ["0001.png", "0002.png", "0003.png", "0004.png", "0005.png", "0006.png"]
    #expect(!picked.contains { protectedKeys.contains($0["key"]?.string ?? "") })
    let tagged = try cairn("view", "apply", "--match", "\"batch:batch-v1\" in tags", in: repo)
    #expect(printedKeys(tagged).count == 6, "\(tagged)")
    #expect(FileManager.default.fileExists(atPath: repo + "/exports/training-yolo/data.yaml"))
    #expect(try git("status", "--porcelain", in: repo).stdout.isEmpty)
    #expect(try cairn("status", "--json", in: repo).stdout.contains("\"clean\":true"))
    try expectFsckClean(repo)
    // A second demo into the same non-empty folder is refused.
    #expect(try cairn("demo", "demo", in: dir.path).exitCode == 11)
  }
}
