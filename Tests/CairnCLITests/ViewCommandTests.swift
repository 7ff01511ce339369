import CairnCore
import CairnTestSupport
import Foundation
import Testing

@Suite struct ViewCommandTests {
  /// Rewrites sample `index` with another weather, in the working tree.
  func setWeather(_ index: Int, _ weather: String, in dir: TemporaryDirectory) throws {
    var record = LabelledDataset.record(index)
    record.fields["weather"] = .string(weather)
    try dir.write(record.encoded, to: FormatV1.samplePath(LabelledDataset.key(index)))
  }

  @Test func applyAtAnOlderRevisionUsesTheViewAndDataOfThatRevision() throws {
    let dir = try LabelledDataset.make()
    defer { dir.remove() }
    let saved = try cairn(
      "view", "save", "rainy", "--match", "fields.weather=='rain'", "--description", "Rainy",
      in: dir.path)
    #expect(saved.exitCode == 0, "\(saved)")
    // The stored expression is in normal form.
    #expect(
      try dir.read("views/rainy.json").contains("\"where\":\"fields.weather == \\\"rain\\\"\""))
    #expect(try cairn("commit", "-m", "rainy view", in: dir.path).exitCode == 0)
    #expect(try git("tag", "v1", in: dir.path).exitCode == 0)
    let atV1 = ["s00.jpg", "s03.jpg", "s06.jpg", "s09.jpg"]
    #expect(printedKeys(try cairn("view", "apply", "rainy", in: dir.path)) == atV1)

    try setWeather(1, "rain", in: dir)
    #expect(try cairn("commit", "-m", "s01 is rainy", in: dir.path).exitCode == 0)
    let now = ["s00.jpg", "s01.jpg", "s03.jpg", "s06.jpg", "s09.jpg"]
    #expect(printedKeys(try cairn("view", "apply", "rainy", in: dir.path)) == now)
    #expect(printedKeys(try cairn("view", "apply", "rainy", "--rev", "v1", in: dir.path)) == atV1)

    // Redefined in the working tree: --rev still reads the view as stored at that revision.
    #expect(
      try cairn(
        "view", "save", "rainy", "--force", "--match", "fields.weather == 'fog'", in: dir.path
      ).exitCode == 0)
    #expect(
      printedKeys(try cairn("view", "apply", "rainy", in: dir.path)) == [
        "s02.jpg", "s05.jpg", "s08.jpg", "s11.jpg",
      ])
    #expect(printedKeys(try cairn("view", "apply", "rainy", "--rev", "v1", in: dir.path)) == atV1)
    #expect(printedKeys(try cairn("view", "apply", "rainy", "--rev", "HEAD", in: dir.path)) == now)
    let json = try envelope(
      try cairn("view", "apply", "rainy", "--rev", "v1", "--count", "--json", in: dir.path),
      "cairn.view-apply/v1")
    #expect(json["count"] == .int(4))
    #expect(json["total"] == .int(12))
    #expect(json["commit"] == .string(try revParse("v1^{commit}", in: dir.path)))
    #expect(json["samples"] == nil)
    try expectFsckClean(dir.path)
  }

  @Test func labelFiltersSelectSamplesAndTrimTheirLabels() throws {
    let dir = try LabelledDataset.make()
    defer { dir.remove() }
    let filter = "ground_truth: label == \"car\" and confidence > 0.5"
    let apply = try cairn("view", "apply", "--filter", filter, in: dir.path)
    #expect(apply.exitCode == 0, "\(apply)")
    #expect(printedKeys(apply) == ["s02.jpg", "s06.jpg", "s10.jpg"])

    let json = try envelope(
      try cairn("view", "apply", "--filter", filter, "--json", in: dir.path), "cairn.view-apply/v1")
    #expect(json["commit"] == .null)
    let samples = try #require(json["samples"]?.array)
    #expect(samples.compactMap { $0["key"]?.string } == ["s02.jpg", "s06.jpg", "s10.jpg"])
    for sample in samples {
      let labels = try #require(sample["labels"]?["ground_truth"]?.array)
      #expect(labels.count == 1)
      #expect(labels.first?["label"] == .string("car"))
      #expect(labels.first?["confidence"] == .double(0.9))
      #expect(sample["sample"]?["fields"]?["weather"] != nil)
    }
    // The same at HEAD, read from the commit's blobs.
    let committed = try envelope(
      try cairn("view", "apply", "--filter", filter, "--rev", "HEAD", "--json", in: dir.path),
      "cairn.view-apply/v1")
    #expect(committed["commit"] == .string(try revParse("HEAD", in: dir.path)))
    #expect(committed["samples"] == json["samples"])

    func keys(_ arguments: String...) throws -> [String] {
      let result = try CommandRunner.cairn(["view", "apply"] + arguments, in: dir.path)
      #expect(result.exitCode == 0, "\(result)")
      return printedKeys(result)
    }
    #expect(try keys("--exists", "labels.ground_truth", "--count") == ["9"])
    #expect(try keys("--missing", "labels.ground_truth") == ["s00.jpg", "s04.jpg", "s08.jpg"])
    #expect(
      try keys(
        "--filter", "ground_truth: attributes.occluded == true", "--match",
        "fields.weather != 'rain'") == ["s01.jpg", "s05.jpg", "s07.jpg", "s11.jpg"])
    #expect(
      try keys("--sort", "media.width", "--desc", "--skip", "1", "--limit", "3") == [
        "s10.jpg", "s09.jpg", "s08.jpg",
      ])
    #expect(
      try keys("--sort", "fields.weather", "--limit", "4") == [
        "s02.jpg", "s05.jpg", "s08.jpg", "s11.jpg",
      ])
    #expect(
      try keys(
        "--match", "count(labels.ground_truth) == 2 and fields.score >= 0.9 or key in ['s00.jpg']")
        == ["s00.jpg", "s09.jpg", "s10.jpg", "s11.jpg"])
    #expect(
      try keys("--key", "s05.jpg", "--key", "s01.jpg", "--key", "zz.jpg") == ["s01.jpg", "s05.jpg"])

    // A random draw is deterministic for a seed: the 4 keys of smallest rank, in key order.
    let all = (0..<12).map(LabelledDataset.key)
    let expected = all.sorted {
      ViewStage.takeRank(seed: 3, key: $0) < ViewStage.takeRank(seed: 3, key: $1)
    }.prefix(4).sorted()
    #expect(try keys("--take", "4", "--seed", "3") == Array(expected))
    #expect(try keys("--take", "4", "--seed", "3") == Array(expected))
  }

  @Test func pinnedViewKeepsItsKeysWhenTheDataChanges() throws {
    let dir = try LabelledDataset.make()
    defer { dir.remove() }
    let pinnedAt = try revParse("HEAD", in: dir.path)
    let saved = try cairn(
      "view", "save", "sunny", "--match", "fields.weather == 'sunny'", "--pin", "--json",
      in: dir.path)
    #expect(saved.exitCode == 0, "\(saved)")
    let view = try envelope(saved, "cairn.view/v1")["view"]
    let sunny = ["s01.jpg", "s04.jpg", "s07.jpg", "s10.jpg"]
    #expect(view?["pinned"]?["commit"] == .string(pinnedAt))
    #expect(view?["pinned"]?["keys"] == .array(sunny.map { .string($0) }))
    #expect(try cairn("commit", "-m", "pin sunny", in: dir.path).exitCode == 0)

    try setWeather(1, "rain", in: dir)
    try setWeather(0, "sunny", in: dir)
    #expect(try cairn("commit", "-m", "weather changes", in: dir.path).exitCode == 0)
    #expect(printedKeys(try cairn("view", "apply", "sunny", in: dir.path)) == sunny)
    #expect(
      printedKeys(try cairn("view", "apply", "--match", "fields.weather == 'sunny'", in: dir.path))
        == ["s00.jpg", "s04.jpg", "s07.jpg", "s10.jpg"])
    // Query options run on the pinned samples.
    #expect(
      printedKeys(
        try cairn("view", "apply", "sunny", "--sort", "key", "--desc", "--limit", "2", in: dir.path)
      )
        == ["s10.jpg", "s07.jpg"])

    // A pinned sample that is deleted is reported, not silently dropped.
    try FileManager.default.removeItem(atPath: dir.appending(FormatV1.samplePath("s04.jpg")))
    #expect(try cairn("commit", "-m", "drop s04", in: dir.path).exitCode == 0)
    let after = try cairn("view", "apply", "sunny", in: dir.path)
    #expect(printedKeys(after) == ["s01.jpg", "s07.jpg", "s10.jpg"])
    #expect(after.stderr.contains("pinned sample 's04.jpg' is not in the data"))
    let json = try envelope(
      try cairn("view", "apply", "sunny", "--json", in: dir.path), "cairn.view-apply/v1")
    #expect(json["missing"] == .array([.string("s04.jpg")]))
    #expect(
      try cairn("view", "apply", "sunny", "--rev", "HEAD~1", in: dir.path).stdout.split(
        separator: "\n"
      ).count == 4)
    try expectFsckClean(dir.path)
  }

  @Test func listShowAndRemove() throws {
    let dir = try LabelledDataset.make()
    defer { dir.remove() }
    #expect(
      try cairn("view", "save", "rainy", "--match", "fields.weather == 'rain'", in: dir.path)
        .exitCode == 0)
    #expect(
      try cairn(
        "view", "save", "top", "--filter", "ground_truth: label == 'car'", "--sort",
        "fields.score", "--desc", "--limit", "2", "--pin", "--description", "best two",
        in: dir.path
      ).exitCode == 0)
    #expect(try cairn("commit", "-m", "views", in: dir.path).exitCode == 0)

    let list = try envelope(try cairn("view", "list", "--json", in: dir.path), "cairn.views/v1")
    let views = try #require(list["views"]?.array)
    #expect(views.compactMap { $0["name"]?.string } == ["rainy", "top"])
    #expect(views[0]["pinned"] == .bool(false))
    #expect(views[0]["stages"] == .int(1))
    #expect(views[1]["pinned"] == .bool(true))
    #expect(views[1]["keys"] == .int(2))
    #expect(views[1]["description"] == .string("best two"))

    let shown = try envelope(
      try cairn("view", "show", "top", "--json", in: dir.path), "cairn.view/v1")
    #expect(shown["path"] == .string("views/top.json"))
    let stages = try #require(shown["view"]?["stages"]?.array)
    #expect(stages.compactMap { $0["stage"]?.string } == ["filter_labels", "sort", "limit"])
    #expect(stages[0]["where"] == .string("label == \"car\""))
    let text = try cairn("view", "show", "top", in: dir.path)
    #expect(text.stdout.contains("pinned: 2 samples"))
    #expect(text.stdout.contains("--sort fields.score --desc"))

    let removed = try cairn("view", "rm", "rainy", "--json", in: dir.path)
    #expect(try envelope(removed, "cairn.view-rm/v1")["path"] == .string("views/rainy.json"))
    #expect(!FileManager.default.fileExists(atPath: dir.appending("views/rainy.json")))
    let status = try envelope(try cairn("status", "--json", in: dir.path), "cairn.status/v1")
    #expect(
      status["changes"]
        == .array([
          .object(["change": .string("deleted"), "path": .string("views/rainy.json")])
        ]))
    #expect(try cairn("commit", "-m", "drop rainy", in: dir.path).exitCode == 0)
    #expect(try cairn("view", "list", in: dir.path).stdout.split(separator: "\n").count == 1)
    #expect(try cairn("view", "list", "--rev", "HEAD~1", in: dir.path).stdout.contains("rainy"))
    #expect(
      try cairn("view", "apply", "rainy", "--rev", "HEAD~1", "--count", in: dir.path).stdout
        == "4\n")
    try expectFsckClean(dir.path)
  }

  @Test func groupSlicesAndTagsCanBeMatched() throws {
    let dir = try LabelledDataset.make(count: 4)
    defer { dir.remove() }
    // Records with a group, as format §7.3 allows; read from the working tree.
    for (index, slice) in [(0, "left"), (1, "right")] {
      var members = LabelledDataset.record(index, tags: ["night"]).json.object ?? [:]
      members["group"] = .object(["id": .string("scene-1"), "slice": .string(slice)])
      try dir.write(
        CanonicalJSON.encode(.object(members)),
        to: FormatV1.samplePath(LabelledDataset.key(index)))
    }
    let left = try cairn("view", "apply", "--match", "group.slice == 'left'", in: dir.path)
    #expect(printedKeys(left) == ["s00.jpg"], "\(left)")
    #expect(
      printedKeys(
        try cairn(
          "view", "apply", "--match", "group.id == 'scene-1' and 'night' in tags", in: dir.path))
        == ["s00.jpg", "s01.jpg"])
    #expect(
      printedKeys(try cairn("view", "apply", "--missing", "group", in: dir.path)) == [
        "s02.jpg", "s03.jpg",
      ])
  }
}

@Suite struct ViewBadInputTests {
  func snapshot(_ dir: TemporaryDirectory) throws -> [String] {
    let files = (FileManager.default.enumerator(atPath: dir.path)?.allObjects as? [String] ?? [])
      .filter { !$0.hasPrefix(".git") }.sorted()
    return [try revParse("HEAD", in: dir.path), try cairn("status", "--json", in: dir.path).stdout]
      + files
  }

  @Test func malformedQueriesNameTheOptionColumnAndProblem() throws {
    let dir = try LabelledDataset.make(count: 3)
    defer { dir.remove() }
    let before = try snapshot(dir)
    let result = try cairn("view", "save", "x", "--match", "fields.weather ==", in: dir.path)
    #expect(result.exitCode == 5, "\(result)")
    #expect(
      result.stderr.contains(
        "invalid --match expression at column 18: expected a value after '==', found the end of the expression"
      ), "\(result.stderr)")
    #expect(
      result.stderr.contains("  fields.weather ==\n" + String(repeating: " ", count: 19) + "^"))
    let filter = try cairn(
      "view", "apply", "--filter", "ground_truth: label = 'car'", in: dir.path)
    #expect(filter.exitCode == 5)
    #expect(filter.stderr.contains("column 8: use '==' to compare, not '='"), "\(filter.stderr)")
    let unknown = try cairn("view", "apply", "--match", "weather == 'rain'", in: dir.path)
    #expect(unknown.exitCode == 5)
    #expect(unknown.stderr.contains("column 1: unknown name 'weather'"), "\(unknown.stderr)")
    #expect(try cairn("view", "save", "a b", "--limit", "1", in: dir.path).exitCode == 5)
    #expect(try cairn("view", "apply", "--desc", in: dir.path).exitCode == 64)
    #expect(try cairn("view", "apply", "--limit", "-1", in: dir.path).exitCode == 64)
    #expect(try snapshot(dir) == before)
  }

  @Test func unknownViewsAndRevisionsAreNotFound() throws {
    let dir = try LabelledDataset.make(count: 3)
    defer { dir.remove() }
    let before = try snapshot(dir)
    let missing = try cairn("view", "apply", "nope", in: dir.path)
    #expect(missing.exitCode == 4)
    #expect(missing.stderr.contains("no view 'nope' in the working tree (views/nope.json)"))
    #expect(try cairn("view", "show", "nope", "--rev", "HEAD", in: dir.path).exitCode == 4)
    #expect(try cairn("view", "rm", "nope", in: dir.path).exitCode == 4)
    #expect(try cairn("view", "apply", "--rev", "no-such-rev", in: dir.path).exitCode == 4)
    #expect(try snapshot(dir) == before)
    #expect(try cairn("view", "save", "v", "--limit", "1", in: dir.path).exitCode == 0)
    let again = try cairn("view", "save", "v", "--limit", "2", in: dir.path)
    #expect(again.exitCode == 11)
    #expect(try dir.read("views/v.json").contains("\"count\":1"))
  }

  @Test func brokenViewFilesAreRefusedByCommitAndApply() throws {
    let dir = try LabelledDataset.make(count: 3)
    defer { dir.remove() }
    let head = try revParse("HEAD", in: dir.path)
    try dir.write(
      "{\"stages\":[{\"stage\":\"match\",\"where\":\"key ==\"}],\"version\":1}\n",
      to: "views/bad.json")
    try dir.write("{\"stages\":[{\"stage\":\"top\"}],\"version\":1}\n", to: "views/odd.json")
    let commit = try cairn("commit", "-m", "bad views", in: dir.path)
    #expect(commit.exitCode == 6)
    #expect(
      commit.stderr.contains(
        "views/bad.json: stages[0].where: column 7: expected a value after '=='"),
      "\(commit.stderr)")
    #expect(commit.stderr.contains("views/odd.json: stages[0]: unknown stage \"top\""))
    #expect(try revParse("HEAD", in: dir.path) == head)
    let apply = try cairn("view", "apply", "bad", in: dir.path)
    #expect(apply.exitCode == 5)
    #expect(apply.stderr.contains("views/bad.json: stages[0].where: column 7"))
    let list = try cairn("view", "list", in: dir.path)
    #expect(list.stdout.contains("bad  INVALID: views/bad.json: stages[0].where"), "\(list.stdout)")
  }
}
