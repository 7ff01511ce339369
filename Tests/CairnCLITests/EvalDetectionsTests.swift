import CairnCore
import CairnTestSupport
import Foundation
import Testing

/// Writes records of `keys`, 100 × 100 JPEG images, into the working tree.
func writeSamples(_ keys: [String], into dir: TemporaryDirectory) throws {
  for key in keys {
    let record = SampleRecord(
      key: key,
      media: MediaRecord(
        uri: "media/\(key)", sha256: String(repeating: "a", count: 64), size: 10,
        kind: "image", format: "jpeg", width: 100, height: 100))
    try dir.write(record.encoded, to: FormatV1.samplePath(key))
  }
}

/// Runs `cairn eval detections` of `predictions` against `ground_truth` as run `key`.
@discardableResult
func evalDetections(_ key: String, _ extra: String..., in dir: TemporaryDirectory) throws
  -> CommandResult
{
  try CommandRunner.cairn(
    ["eval", "detections", "--gt", "ground_truth", "--pred", "predictions", "--key", key]
      + extra, in: dir.path)
}

/// A hand-made detection dataset with known outcomes at IoU 0.5.
///
/// Images are 100 × 100. `a`: a car found (TP). `b`: a pedestrian missed (FN). `c`: a car
/// predicted on an empty image (FP). `d`: a truck predicted as a car, on the truck's box —
/// classwise a FN of truck and a FP of car; across classes a truck → car confusion.
enum EvalDataset {
  static let schema =
    "{\"fields\":{\"ground_truth\":{\"classes\":[\"car\",\"pedestrian\",\"truck\"],\"type\":\"detections\"},"
    + "\"predictions\":{\"classes\":[\"car\",\"pedestrian\",\"truck\"],\"type\":\"detections\"}},\"version\":1}\n"

  static func box(_ id: String, _ label: String, _ bbox: [Double], confidence: Double? = nil)
    -> JSONValue
  {
    var members: [String: JSONValue] = [
      "id": .string(id), "type": .string("detection"), "label": .string(label),
      "bbox": .array(bbox.map { .double($0) }),
    ]
    if let confidence { members["confidence"] = .double(confidence) }
    return .object(members)
  }

  static let truth: [String: [JSONValue]] = [
    "a.jpg": [box("ga", "car", [0.1, 0.1, 0.4, 0.4])],
    "b.jpg": [box("gb", "pedestrian", [0.5, 0.5, 0.2, 0.4])],
    "c.jpg": [],
    "d.jpg": [box("gd", "truck", [0.2, 0.2, 0.6, 0.5])],
  ]

  static let predictions: [String: [JSONValue]] = [
    "a.jpg": [box("pa", "car", [0.12, 0.1, 0.4, 0.38], confidence: 0.9)],
    "b.jpg": [],
    "c.jpg": [box("pc", "car", [0.6, 0.6, 0.2, 0.2], confidence: 0.8)],
    "d.jpg": [box("pd", "car", [0.2, 0.2, 0.6, 0.5], confidence: 0.7)],
  ]

  static func write(
    _ labels: [String: [JSONValue]], field: String, into dir: TemporaryDirectory
  ) throws {
    for (key, values) in labels {
      try dir.write(
        LabelFile(field: field, sample: key, labels: values).encoded,
        to: FormatV1.labelPath(field: field, key: key))
    }
  }

  /// The repository, committed.
  static func make() throws -> TemporaryDirectory {
    let dir = try TemporaryDirectory()
    #expect(try cairn("init", dir.path, in: "/").exitCode == 0)
    try dir.write(schema, to: "schema.json")
    try writeSamples(Array(truth.keys), into: dir)
    try write(truth, field: "ground_truth", into: dir)
    try write(predictions, field: "predictions", into: dir)
    let committed = try cairn("commit", "-m", "data", in: dir.path)
    #expect(committed.exitCode == 0, "\(committed)")
    return dir
  }
}

@Suite struct EvalDetectionsTests {
  /// The class row `name` of a run's JSON.
  func classRow(_ body: JSONValue, _ name: String) -> JSONValue? {
    body["classes"]?.array?.first { $0["name"]?.string == name }
  }

  @Test func countsMatchesAndConfusionOfAHandMadeDataset() throws {
    let dir = try EvalDataset.make()
    let result = try evalDetections("r1", "--json", "--report", dir.path + "/r1.html", in: dir)
    #expect(result.exitCode == 0, "\(result)")
    let body = try envelope(result, "cairn.eval/v1")
    #expect(body["summary"]?["tp"]?.number == 1)
    #expect(body["summary"]?["fp"]?.number == 2)
    #expect(body["summary"]?["fn"]?.number == 2)
    #expect(classRow(body, "car")?["tp"]?.int == 1)
    #expect(classRow(body, "car")?["fp"]?.int == 2)
    #expect(classRow(body, "truck")?["fn"]?.int == 1)
    #expect(classRow(body, "pedestrian")?["fn"]?.int == 1)
    // COCO: car AP is over 1 ground truth; truck and pedestrian have no true positive.
    #expect(classRow(body, "truck")?["ap"]?.number == 0)
    // Confusion rows car, pedestrian, truck, background; classwise the truck is background.
    let matrix = body["confusion"]?["matrix"]?.array?.map { $0.array?.compactMap(\.int) ?? [] }
    #expect(matrix?[0] == [1, 0, 0, 0])
    #expect(matrix?[2] == [0, 0, 0, 1])
    #expect(matrix?[3] == [2, 0, 0, 0])
    #expect(body["commit"]?.string == (try revParse("HEAD", in: dir.path)))
    #expect(FileManager.default.fileExists(atPath: dir.path + "/runs/eval/r1/run.json"))
    #expect(FileManager.default.fileExists(atPath: dir.path + "/runs/eval/r1/samples.json"))
    let html = try String(contentsOfFile: dir.path + "/r1.html", encoding: .utf8)
    #expect(html.contains("<svg") && html.contains("Evaluation r1"))
    #expect(
      try evalDetections("v", "--method", "voc", "--report", "x.html", in: dir).exitCode == 64)

    // Failures: the samples and the objects.
    let negatives = try cairn("eval", "failures", "r1", "--fn", in: dir.path)
    #expect(printedKeys(negatives) == ["b.jpg", "d.jpg"], "\(negatives)")
    let positives = try cairn("eval", "failures", "r1", "--fp", "--objects", in: dir.path)
    #expect(printedKeys(positives) == ["c.jpg\tpc", "d.jpg\tpd"], "\(positives)")
    let missedTrucks = try cairn(
      "eval", "failures", "r1", "--confusion", "truck:background", in: dir.path)
    #expect(printedKeys(missedTrucks) == ["d.jpg"])

    // Across classes the truck is matched by the car: a confusion, still a FP and a FN.
    let across = try evalDetections("r2", "--no-classwise", "--json", in: dir)
    #expect(across.exitCode == 0, "\(across)")
    let acrossBody = try envelope(across, "cairn.eval/v1")
    let acrossMatrix = acrossBody["confusion"]?["matrix"]?.array?.map {
      $0.array?.compactMap(\.int) ?? []
    }
    #expect(acrossMatrix?[2] == [1, 0, 0, 0])
    #expect(acrossBody["summary"]?["fp"]?.number == 2)
    let confused = try cairn("eval", "failures", "r2", "--confusion", "truck:car", in: dir.path)
    #expect(printedKeys(confused) == ["d.jpg"], "\(confused)")
  }

  @Test func theRunStoresAPrecisionRecallCurvePerClass() throws {
    let dir = try EvalDataset.make()
    #expect(try evalDetections("r1", in: dir).exitCode == 0)
    let record = try JSONParser.parse(Array(try dir.read("runs/eval/r1/run.json").utf8))
    #expect(record["curves"]?["iou"]?.number == 0.5)
    let curves = record["curves"]?["classes"]?.array ?? []
    let names = curves.compactMap { $0["name"]?.string }
    #expect(names == ["car", "pedestrian", "truck"])
    // Cars by confidence: pa (0.9) matches, pc (0.8) and pd (0.7, on the truck) do not.
    let car = (curves.first?["points"]?.array ?? []).map { $0.array?.compactMap(\.number) ?? [] }
    #expect(car == [[1, 1, 0.9], [1, 0.5, 0.8], [1, 0.3333, 0.7]])
    #expect(curves.first?["truth"]?.int == 1)
    let pedestrian = curves.dropFirst().first?["points"]?.array
    #expect(pedestrian == [])
  }

  @Test func runsAreCommittedListedShownAndCompared() throws {
    let dir = try EvalDataset.make()
    #expect(try evalDetections("it1", in: dir).exitCode == 0)
    let again = try evalDetections("it1", in: dir)
    #expect(again.exitCode == 11, "an existing run is not replaced without --force")
    let first = try cairn("commit", "-m", "eval it1", in: dir.path)
    #expect(first.exitCode == 0, "\(first)")
    let evaluated = try revParse("HEAD~1", in: dir.path)

    // The next iteration finds the pedestrian.
    try EvalDataset.write(
      [
        "b.jpg": [EvalDataset.box("pb", "pedestrian", [0.5, 0.5, 0.2, 0.4], confidence: 0.5)]
      ], field: "predictions", into: dir)
    #expect(try cairn("commit", "-m", "iteration 2", in: dir.path).exitCode == 0)
    #expect(try evalDetections("it2", in: dir).exitCode == 0)
    #expect(try cairn("commit", "-m", "eval it2", in: dir.path).exitCode == 0)
    try expectFsckClean(dir.path)

    let listed = try cairn("eval", "list", "--json", in: dir.path)
    let runs = try envelope(listed, "cairn.eval.list/v1").array ?? []
    #expect(runs.compactMap { $0["key"]?.string } == ["it1", "it2"])
    #expect(runs.first?["commit"]?.string == evaluated)

    // From an older revision only the first run exists.
    let old = try cairn("eval", "list", "--rev", "HEAD~2", "--json", in: dir.path)
    #expect((try envelope(old, "cairn.eval.list/v1").array ?? []).count == 1)
    let shown = try cairn("eval", "show", "it1", "--rev", "HEAD", in: dir.path)
    #expect(shown.exitCode == 0)
    #expect(shown.stdout.contains("run it1: detections at \(evaluated.prefix(12))"))
    #expect(
      shown.stdout.contains(
        " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = "))

    let compared = try cairn("eval", "compare", "it1", "it2", "--json", in: dir.path)
    #expect(compared.exitCode == 0, "\(compared)")
    let comparison = try envelope(compared, "cairn.eval.compare/v1")
    #expect(comparison["metrics"]?["tp"]?["delta"]?.number == 1)
    #expect(comparison["metrics"]?["fn"]?["delta"]?.number == -1)
    #expect(comparison["classes"]?["pedestrian"]?["first"]?.number == 0)
    // pycocotools' precision is tp / (tp + fp + eps): a perfect class is 1 - 2.2e-16.
    #expect(abs((comparison["classes"]?["pedestrian"]?["second"]?.number ?? 0) - 1) < 1e-9)
    #expect(try cairn("eval", "show", "nope", in: dir.path).exitCode == 4)
  }

  @Test func failuresBecomeAViewAndTags() throws {
    let dir = try EvalDataset.make()
    #expect(try evalDetections("r", in: dir).exitCode == 0)
    let saved = try cairn(
      "eval", "failures", "r", "--fn", "--objects", "--save-view", "missed", "--tag", "missed",
      in: dir.path)
    #expect(saved.exitCode == 0, "\(saved)")
    let view = try cairn("view", "apply", "missed", in: dir.path)
    #expect(printedKeys(view) == ["b.jpg", "d.jpg"], "\(view)")
    // The view keeps only the missed objects of the ground truth.
    let labels = try String(
      contentsOfFile: dir.path + "/" + FormatV1.labelPath(field: "ground_truth", key: "d.jpg"),
      encoding: .utf8)
    #expect(labels.contains("\"tags\":[\"missed\"]"), "\(labels)")
    let other = try String(
      contentsOfFile: dir.path + "/" + FormatV1.labelPath(field: "ground_truth", key: "a.jpg"),
      encoding: .utf8)
    #expect(!other.contains("missed"))
    #expect(try cairn("commit", "-m", "failures", in: dir.path).exitCode == 0)
  }

  @Test func aFrozenTestSetIsEvaluatedAgainstItsFrozenGroundTruth() throws {
    let dir = try EvalDataset.make()
    try dir.write(
      "{\"stages\":[{\"keys\":[\"a.jpg\",\"b.jpg\"],\"stage\":\"keys\"}],\"version\":1}\n",
      to: "views/test.json")
    #expect(try cairn("commit", "-m", "test view", in: dir.path).exitCode == 0)
    let frozen = try cairn("freeze", "test", "t1", "--view", "test", in: dir.path)
    #expect(frozen.exitCode == 0, "\(frozen)")
    // On the branch, someone relabels the missed pedestrian away.
    try EvalDataset.write(["b.jpg": []], field: "ground_truth", into: dir)
    #expect(try cairn("commit", "-m", "drop b", in: dir.path).exitCode == 0)

    let result = try evalDetections("t", "--frozen", "t1", "--json", in: dir)
    #expect(result.exitCode == 0, "\(result)")
    let body = try envelope(result, "cairn.eval/v1")
    #expect(body["samples"]?.int == 2)
    #expect(body["summary"]?["fn"]?.number == 1, "the frozen pedestrian still counts")
    #expect(body["frozen"]?["name"]?.string == "t1")
    let unknown = try evalDetections("u", "--frozen", "nope", in: dir)
    #expect(unknown.exitCode == 4)
    let wrongField = try cairn(
      "eval", "detections", "--gt", "ground_truth", "--pred", "nope", "--key", "u", in: dir.path)
    #expect(wrongField.exitCode == 4)
    #expect(!FileManager.default.fileExists(atPath: dir.path + "/runs/eval/u"))
  }

  @Test func theCOCOFixtureInARepositoryGivesPycocotoolsNumbers() throws {
    guard let folder = Fixtures.path("coco_val2014_100_eval") else {
      if Fixtures.isCI { Issue.record("the fixtures are required under CI") }
      return
    }
    let dir = try TemporaryDirectory()
    #expect(try cairn("init", dir.path, in: "/").exitCode == 0)
    let truth = folder + "/instances_val2014_100.json"
    #expect(
      try cairn(
        "import", "coco", truth, "--field", "ground_truth", "--allow-missing-media", in: dir.path
      ).exitCode == 0)
    #expect(
      try cairn(
        "import", "coco", folder + "/instances_val2014_fakebbox100_results.json", "--images",
        truth, "--field", "predictions", "--allow-missing-media", in: dir.path
      ).exitCode == 0)
    #expect(try cairn("commit", "-m", "coco", in: dir.path).exitCode == 0)
    let result = try evalDetections("coco", "--json", in: dir)
    #expect(result.exitCode == 0, "\(result.stderr)")
    let summary = try envelope(result, "cairn.eval/v1")["summary"]
    let expected = try String(contentsOfFile: folder + "/EXPECTED.txt", encoding: .utf8)
      .split(separator: "\n").first { $0.hasPrefix("bbox ") }?.split(separator: " ").dropFirst()
      .compactMap { Double($0) }
    let names = [
      "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl",
    ]
    #expect(expected?.count == 12)
    for (name, value) in zip(names, expected ?? []) {
      let got = summary?[name]?.number ?? -1
      #expect(abs(got - value) < 1e-9, "\(name): \(got) vs \(value)")
    }
  }

  @Test func crowdBoxesAreNeitherMatchedNorMissed() throws {
    let dir = try EvalDataset.make()
    // A crowd of cars over image c: the false car there is now ignored, not a false positive.
    try EvalDataset.write(
      [
        "c.jpg": [
          .object([
            "id": .string("crowd"), "type": .string("detection"), "label": .string("car"),
            "bbox": .array([.double(0.5), .double(0.5), .double(0.5), .double(0.5)]),
            "crowd": .bool(true),
          ])
        ]
      ], field: "ground_truth", into: dir)
    #expect(try cairn("commit", "-m", "crowd", in: dir.path).exitCode == 0)
    let result = try evalDetections("crowd", "--json", in: dir)
    #expect(result.exitCode == 0, "\(result)")
    let body = try envelope(result, "cairn.eval/v1")
    #expect(body["summary"]?["fp"] == .int(1), "only the car on the truck is false")
    #expect(body["summary"]?["fn"] == .int(2))
    let samples = try JSONParser.parse(
      try String(contentsOfFile: dir.path + "/runs/eval/crowd/samples.json", encoding: .utf8))
    let c = samples["samples"]?["c.jpg"]
    #expect(c?["matches"]?.array?.isEmpty == true)
    #expect(c?["false_negatives"]?.array?.isEmpty == true)
    #expect(c?["ignored"]?.array?.first?.array?.first?.string == "pc")
    let negatives = try cairn("eval", "failures", "crowd", "--fn", "--objects", in: dir.path)
    #expect(printedKeys(negatives) == ["b.jpg\tgb", "d.jpg\tgd"], "\(negatives)")
    let positives = try cairn("eval", "failures", "crowd", "--fp", in: dir.path)
    #expect(printedKeys(positives) == ["d.jpg"], "\(positives)")
  }

  @Test func refusalsWriteNothing() throws {
    let dir = try EvalDataset.make()
    try dir.write(
      "{\"stages\":[{\"keys\":[\"zzz\"],\"stage\":\"keys\"}],\"version\":1}\n",
      to: "views/none.json")
    #expect(try cairn("commit", "-m", "empty view", in: dir.path).exitCode == 0)
    let empty = try evalDetections("e", "--view", "none", in: dir)
    #expect(empty.exitCode == 5, "\(empty)")
    #expect(empty.stderr.contains("view 'none' selects no sample"))
    let inclusive = try evalDetections("e", "--pixel-inclusive", in: dir)
    #expect(inclusive.exitCode == 64, "--pixel-inclusive is for VOC only")
    #expect(!FileManager.default.fileExists(atPath: dir.path + "/runs"))

    #expect(try evalDetections("coco", in: dir).exitCode == 0)
    #expect(try evalDetections("voc", "--method", "voc", in: dir).exitCode == 0)
    let mixed = try cairn("eval", "compare", "coco", "voc", in: dir.path)
    #expect(mixed.exitCode == 5, "COCO and VOC AP are different measures")
    let repeated = try evalDetections("coco", "--view", "none", in: dir)
    #expect(repeated.exitCode == 11, "an existing key is refused before any work")
  }

  @Test func summaryLinesRoundAsPycocotools() throws {
    let dir = try EvalDataset.make()
    #expect(try evalDetections("r", in: dir).exitCode == 0)
    // Python's "{:0.3f}".format(0.0125) is 0.013 (the double is just above 0.0125), and a
    // count is shown as an integer.
    let path = dir.path + "/runs/eval/r/run.json"
    var record = try JSONParser.parse(try String(contentsOfFile: path, encoding: .utf8))
    if case .object(var members) = record, case .object(var metrics)? = members["metrics"] {
      metrics["AP"] = .double(0.0125)
      metrics["AP50"] = .double(0.0005)
      metrics["AP75"] = .double(1e20)
      members["metrics"] = .object(metrics)
      record = .object(members)
    }
    try dir.write(
      String(decoding: CanonicalJSON.encode(record), as: UTF8.self), to: "runs/eval/r/run.json")
    let shown = try cairn("eval", "show", "r", in: dir.path)
    #expect(shown.exitCode == 0, "\(shown)")
    #expect(shown.stdout.contains("area=   all | maxDets=100 ] = 0.013\n"), "\(shown.stdout)")
    #expect(shown.stdout.contains("IoU=0.50      | area=   all | maxDets=100 ] = 0.001\n"))
    #expect(shown.stdout.contains("\ntp         1\n"), "\(shown.stdout)")
    #expect(try cairn("eval", "list", in: dir.path).exitCode == 0)
  }
}
