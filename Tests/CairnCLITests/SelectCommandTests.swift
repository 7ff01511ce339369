import CairnCore
import CairnTestSupport
import Foundation
import Testing

/// A pool of 90 day and 10 night images with 2-D embeddings (day near (1, 0), night near
/// (-1, 0)); 10 day and 2 night images are labelled, and a model that finds nothing at night.
@Suite struct SelectCommandTests {
  static func key(_ index: Int) -> String {
    (index < 90 ? "day" : "night") + (index < 10 ? "0" : "") + "\(index).jpg"
  }

  func make() throws -> TemporaryDirectory {
    let dir = try TemporaryDirectory()
    #expect(try cairn("init", dir.path, in: "/").exitCode == 0)
    try dir.write(EvalDataset.schema, to: "schema.json")
    let keys = (0..<100).map(Self.key)
    try writeSamples(keys, into: dir)
    var csv = ""
    for index in 0..<100 {
      // night98 is a near-duplicate of the frozen night99: the same vector.
      let spread = index == 98 ? 99 : index
      let x = index >= 90 ? -1.0 : 1.0
      let y = Double(spread % 10) / 5 - 1
      let z = Double(spread % 3) / 2
      csv += "\(Self.key(index)),\(x),\(y),\(z)\n"
    }
    try dir.write(csv, to: "pixels.csv")
    let box = [0.2, 0.2, 0.4, 0.4]
    let labelled = Array(0..<10) + [90, 91]
    var truth: [String: [JSONValue]] = [:]
    var predictions: [String: [JSONValue]] = [:]
    for index in labelled + [99] {
      truth[Self.key(index)] = [EvalDataset.box("g\(index)", "car", box)]
      predictions[Self.key(index)] =
        index >= 90 ? [] : [EvalDataset.box("p\(index)", "car", box, confidence: 0.9)]
    }
    try EvalDataset.write(truth, field: "ground_truth", into: dir)
    try EvalDataset.write(predictions, field: "predictions", into: dir)
    try dir.write(
      "{\"stages\":[{\"keys\":[\"night99.jpg\"],\"stage\":\"keys\"}],\"version\":1}\n",
      to: "views/test.json")
    let imported = try cairn(
      "embed", "import", dir.path + "/pixels.csv", "--name", "pixels", in: dir.path)
    #expect(imported.exitCode == 0, "\(imported)")
    #expect(try cairn("commit", "-m", "pool", in: dir.path).exitCode == 0)
    #expect(try cairn("freeze", "test", "t1", "--view", "test", in: dir.path).exitCode == 0)
    return dir
  }

  func select(_ name: String, _ extra: String..., in dir: TemporaryDirectory) throws -> JSONValue {
    let result = try CommandRunner.cairn(
      [
        "select", "--budget", "10", "--embeddings", "pixels", "--field", "ground_truth", "--save",
        name, "--json",
      ] + extra, in: dir.path)
    #expect(result.exitCode == 0, "\(result)")
    return try envelope(result, "cairn.select/v1")
  }

  func keys(_ body: JSONValue) -> [String] {
    body["picks"]?.array?.compactMap { $0["key"]?.string } ?? []
  }

  @Test func targetingFindsTheFailingNightSlice() throws {
    let dir = try make()
    #expect(try evalDetections("m1", in: dir).exitCode == 0)
    let cold = try select("cold", in: dir)
    let coldKeys = keys(cold)
    #expect(coldKeys.count == 10)
    #expect(Set(cold["picks"]?.array?.compactMap { $0["source"]?.string } ?? []) == ["coverage"])

    let targeted = try select("b1", "--target", "m1", in: dir)
    let picked = keys(targeted)
    let sources = targeted["picks"]?.array?.compactMap { $0["source"]?.string } ?? []
    // 70 % of 10 would be 7, but only the pool's 6 night samples neighbour the failures
    // (5 neighbours per failure); coverage takes the rest.
    #expect(sources.filter { $0 == "targeted" }.count == 6)
    #expect(sources.filter { $0 == "coverage" }.count == 4)
    let night = picked.filter { $0.hasPrefix("night") }.count
    #expect(night == 6, "night is 7 % of the pool but the model fails there: \(picked)")
    // Never a labelled sample, the frozen one, or its near-duplicate (the same vector).
    #expect(!picked.contains("night99.jpg") && !picked.contains("night98.jpg"))
    #expect(targeted["excluded"]?["near_protected"] == .int(1))
    #expect(!picked.contains { ["day00.jpg", "night90.jpg", "night91.jpg"].contains($0) })
    #expect(targeted["excluded"]?["protected"] == .int(1))
    #expect(targeted["excluded"]?["labelled"] == .int(12))
    // The batch is a pinned view and tags; the record explains each pick.
    let view = try cairn("view", "apply", "b1", in: dir.path)
    #expect(printedKeys(view).sorted() == picked.sorted())
    let tagged = try cairn("view", "apply", "--match", "\"source:targeted\" in tags", in: dir.path)
    #expect(printedKeys(tagged).count == 6)
    let reason = targeted["picks"]?.array?.first?["reason"]
    #expect(
      reason?["near_failure"]?.string?.hasPrefix("night") == true, "\(String(describing: reason))")
    // With fewer picks than neighbours, the split is 30/70.
    let small = try CommandRunner.cairn(
      [
        "select", "--budget", "5", "--embeddings", "pixels", "--field", "ground_truth", "--save",
        "b2", "--target", "m1", "--json",
      ], in: dir.path)
    let smallSources =
      try envelope(small, "cairn.select/v1")["picks"]?.array?.compactMap { $0["source"]?.string }
      ?? []
    #expect(smallSources.filter { $0 == "coverage" }.count == 2, "round(0.3 × 5)")
    #expect(smallSources.filter { $0 == "targeted" }.count == 3)
    #expect(try cairn("commit", "-m", "batches", in: dir.path).exitCode == 0)
    try expectFsckClean(dir.path)
  }

  @Test func aSeedRepeatsABatchAndNamesAreNotReused() throws {
    let dir = try make()
    let first = keys(try select("r1", "--strategy", "random", "--seed", "5", in: dir))
    let second = keys(try select("r2", "--strategy", "random", "--seed", "5", in: dir))
    let other = keys(try select("r3", "--strategy", "random", "--seed", "6", in: dir))
    #expect(first == second)
    #expect(first != other)
    let zcore = keys(try select("z1", "--strategy", "zcore", "--seed", "1", in: dir))
    #expect(zcore == keys(try select("z2", "--strategy", "zcore", "--seed", "1", in: dir)))
    // The default coverage is typical clusters, seeded like the others.
    let typical = try select("t1", "--seed", "2", in: dir)
    #expect(keys(typical).count == 10)
    #expect(
      keys(typical) == keys(try select("t2", "--strategy", "typical", "--seed", "2", in: dir)))
    #expect(typical["parameters"]?["strategy"]?.string == "typical")
    let again = try cairn(
      "select", "--budget", "3", "--embeddings", "pixels", "--field", "ground_truth", "--save",
      "r1", in: dir.path)
    #expect(again.exitCode == 11)
    let unknown = try cairn(
      "select", "--budget", "3", "--embeddings", "nope", "--field", "ground_truth", "--save",
      "x", in: dir.path)
    #expect(unknown.exitCode == 4)
    #expect(!FileManager.default.fileExists(atPath: dir.path + "/views/x.json"))
  }

  @Test func scoresBecomeSampleFieldsThatViewsUse() throws {
    let dir = try make()
    let unique = try cairn("score", "uniqueness", "--embeddings", "pixels", "--json", in: dir.path)
    #expect(unique.exitCode == 0, "\(unique)")
    let scores = try envelope(unique, "cairn.score/v1")["scores"]
    #expect(scores?.object?.count == 100)
    #expect(scores?.object?.values.compactMap(\.number).max() == 1, "normalised by the maximum")
    // night98 and night99 share a vector: the least unique pair of the pool.
    #expect((scores?["night98.jpg"]?.number ?? 1) < (scores?["night92.jpg"]?.number ?? 0))
    let record = try JSONParser.parse(
      try String(
        contentsOfFile: dir.path + "/" + FormatV1.samplePath("day05.jpg"), encoding: .utf8))
    #expect(record["fields"]?["uniqueness"]?.number == scores?["day05.jpg"]?.number)
    let view = try cairn("view", "apply", "--match", "fields.uniqueness >= 1", in: dir.path)
    #expect(printedKeys(view).count == 1, "\(view)")

    let duplicates = try cairn(
      "score", "duplicates", "--embeddings", "pixels", "--threshold", "0.000001", "--json",
      in: dir.path)
    let found = try envelope(duplicates, "cairn.score/v1")["scores"]?.object ?? [:]
    // Every record of this pool has the same media hash (a test shortcut): all duplicate the
    // first sample, which is kept.
    #expect(found.count == 99)
    #expect(found["night98.jpg"] == .string("day00.jpg"))

    let hard = try cairn("score", "hardness", "--field", "predictions", "--json", in: dir.path)
    let hardness = try envelope(hard, "cairn.score/v1")["scores"]?.object ?? [:]
    #expect(hardness.count == 10, "the ten samples with predictions")
    let binary = -(0.9 * log(0.9) + 0.1 * log(0.1))
    #expect(abs((hardness["day05.jpg"]?.number ?? 0) - binary) < 1e-12)
    #expect(try cairn("commit", "-m", "scores", in: dir.path).exitCode == 0)
    #expect(try cairn("score", "zcore", in: dir.path).exitCode == 5, "needs --embeddings")
  }

  @Test func aMapSeparatesTheSlicesAndRingsTheBatch() throws {
    let dir = try make()
    _ = try select("b0", in: dir)
    let drawn = try cairn(
      "map", "--embeddings", "pixels", "--color-by", "labels.ground_truth", "--highlight", "b0",
      "--out", dir.path + "/map.svg", in: dir.path)
    #expect(drawn.exitCode == 0, "\(drawn)")
    let svg = try String(contentsOfFile: dir.path + "/map.svg", encoding: .utf8)
    #expect(svg.components(separatedBy: "r=\"4\"").count - 1 == 100, "one dot per sample")
    #expect(
      svg.components(separatedBy: "r=\"7\" fill=\"none\"").count - 1 == 11,
      "the batch and the legend")
    #expect(svg.contains(">car</text>") && svg.contains(">(none)</text>"))
    let coordinates = try JSONParser.parse(
      try String(contentsOfFile: dir.path + "/runs/map/pixels/coordinates.json", encoding: .utf8))
    let x = { (key: String) in coordinates["points"]?[key]?.array?.first?.number ?? 0 }
    // Day and night lie on opposite sides of the first component.
    #expect((x("day05.jpg") > 0) != (x("night95.jpg") > 0))
    #expect(
      try cairn("map", "--embeddings", "pixels", "--method", "mds", "--out", "x.svg", in: dir.path)
        .exitCode == 64)
    #expect(try cairn("commit", "-m", "map", in: dir.path).exitCode == 0)
  }
}
