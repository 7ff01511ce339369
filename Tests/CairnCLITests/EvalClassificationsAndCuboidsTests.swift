import CairnCore
import CairnTestSupport
import Foundation
import Testing

@Suite struct EvalClassificationsAndCuboidsTests {
  func classification(_ id: String, _ label: String, _ confidence: Double? = nil) -> JSONValue {
    var members: [String: JSONValue] = [
      "id": .string(id), "type": .string("classification"), "label": .string(label),
    ]
    if let confidence { members["confidence"] = .double(confidence) }
    return .object(members)
  }

  @Test func classificationAccuracyConfusionTopKAndFailures() throws {
    let dir = try TemporaryDirectory()
    #expect(try cairn("init", dir.path, in: "/").exitCode == 0)
    try dir.write(
      "{\"fields\":{\"scene\":{\"classes\":[\"day\",\"dusk\",\"night\"],\"type\":\"classification\"},"
        + "\"scene_pred\":{\"classes\":[\"day\",\"dusk\",\"night\"],\"type\":\"classifications\"}},"
        + "\"version\":1}\n", to: "schema.json")
    let keys = ["s1", "s2", "s3", "s4", "s5", "s6"]
    try writeSamples(keys, into: dir)
    let truth: [String: String] = [
      "s1": "day", "s2": "day", "s3": "night", "s4": "dusk", "s5": "night",
    ]
    let predictions: [String: [(String, Double)]] = [
      "s1": [("day", 0.9), ("night", 0.1)], "s2": [("night", 0.6), ("day", 0.4)],
      "s3": [("night", 0.8)], "s4": [], "s5": [("dusk", 0.7), ("night", 0.2)],
      "s6": [("day", 0.5)],
    ]
    for (key, label) in truth {
      try dir.write(
        LabelFile(field: "scene", sample: key, labels: [classification("t\(key)", label)])
          .encoded, to: FormatV1.labelPath(field: "scene", key: key))
    }
    for (key, labels) in predictions {
      let values = labels.enumerated().map { classification("p\(key)-\($0)", $1.0, $1.1) }
      try dir.write(
        LabelFile(field: "scene_pred", sample: key, labels: values).encoded,
        to: FormatV1.labelPath(field: "scene_pred", key: key))
    }
    let committed = try cairn("commit", "-m", "scenes", in: dir.path)
    #expect(committed.exitCode == 0, "\(committed)")

    let result = try cairn(
      "eval", "classifications", "--gt", "scene", "--pred", "scene_pred", "--key", "c1",
      "--top-k", "2", "--json", in: dir.path)
    #expect(result.exitCode == 0, "\(result)")
    let body = try envelope(result, "cairn.eval/v1")
    #expect(body["kind"]?.string == "classifications")
    #expect(body["summary"]?["accuracy"]?.number == 0.4)
    #expect(body["summary"]?["top2"]?.number == 0.8)
    #expect(body["summary"]?["evaluated"]?.number == 5)
    #expect(body["summary"]?["skipped"]?.number == 1)
    let day = body["classes"]?.array?.first { $0["name"]?.string == "day" }
    #expect(day?["precision"]?.number == 1)
    #expect(day?["recall"]?.number == 0.5)
    #expect(body["confusion"]?["rows"]?.array?.compactMap(\.string) == ["day", "dusk", "night"])
    #expect(
      body["confusion"]?["labels"]?.array?.compactMap(\.string)
        == ["day", "dusk", "night", "(none)"])
    let matrix = body["confusion"]?["matrix"]?.array?.map { $0.array?.compactMap(\.int) ?? [] }
    #expect(matrix == [[1, 0, 1, 0], [0, 0, 0, 1], [0, 1, 1, 0]])

    let confused = try cairn(
      "eval", "failures", "c1", "--confusion", "day:night", "--objects", in: dir.path)
    #expect(printedKeys(confused) == ["s2\tps2-0"], "\(confused)")
    let wrong = try cairn("eval", "failures", "c1", "--fn", in: dir.path)
    #expect(printedKeys(wrong) == ["s2", "s4", "s5"], "\(wrong)")
    let text = try cairn("eval", "show", "c1", in: dir.path)
    #expect(text.stdout.contains("accuracy   0.4000"), "\(text.stdout)")
    #expect(try cairn("commit", "-m", "eval c1", in: dir.path).exitCode == 0)

    // A detections evaluation of a classification field is refused, and writes nothing.
    let refused = try cairn(
      "eval", "detections", "--gt", "scene", "--pred", "scene_pred", "--key", "bad", in: dir.path)
    #expect(refused.exitCode == 5, "\(refused)")
    #expect(refused.stderr.contains("field 'scene' holds classification labels"))
    #expect(try git("status", "--porcelain", in: dir.path).stdout.isEmpty)
  }

  func cuboid(
    _ id: String, _ label: String, center: [Double], dimensions: [Double], yaw: Double,
    confidence: Double? = nil
  ) -> JSONValue {
    var members: [String: JSONValue] = [
      "id": .string(id), "type": .string("cuboid"), "label": .string(label),
      "center": .array(center.map { .double($0) }),
      "dimensions": .array(dimensions.map { .double($0) }),
      "rotation": .array([.double(0), .double(yaw), .double(0)]), "frame": .string("left"),
    ]
    if let confidence { members["confidence"] = .double(confidence) }
    return .object(members)
  }

  @Test func cuboidAPFollowsTheClassThresholds() throws {
    let dir = try TemporaryDirectory()
    #expect(try cairn("init", dir.path, in: "/").exitCode == 0)
    try dir.write(
      "{\"fields\":{\"boxes\":{\"classes\":[\"Car\",\"Pedestrian\"],\"type\":\"cuboids\"},"
        + "\"boxes_pred\":{\"classes\":[\"Car\",\"Pedestrian\"],\"type\":\"cuboids\"}},"
        + "\"version\":1}\n", to: "schema.json")
    try writeSamples(["k1"], into: dir)
    // KITTI camera frame: the heading of yaw ry is (cos ry, 0, -sin ry); dimensions [l, h, w].
    let yaw = 0.3
    let car = cuboid("g1", "Car", center: [2, 1, 10], dimensions: [4, 1.5, 1.8], yaw: yaw)
    let walker = cuboid(
      "g2", "Pedestrian", center: [-3, 1, 8], dimensions: [0.8, 1.7, 0.6], yaw: 1)
    // The predicted car is shifted 1 m along its heading: 3D IoU (4 - 1) / (4 + 1) = 0.6.
    let shifted = cuboid(
      "p1", "Car", center: [2 + cos(yaw), 1, 10 - sin(yaw)], dimensions: [4, 1.5, 1.8], yaw: yaw,
      confidence: 0.9)
    let found = cuboid(
      "p2", "Pedestrian", center: [-3, 1, 8], dimensions: [0.8, 1.7, 0.6], yaw: 1,
      confidence: 0.8)
    try dir.write(
      LabelFile(field: "boxes", sample: "k1", labels: [car, walker]).encoded,
      to: FormatV1.labelPath(field: "boxes", key: "k1"))
    try dir.write(
      LabelFile(field: "boxes_pred", sample: "k1", labels: [shifted, found]).encoded,
      to: FormatV1.labelPath(field: "boxes_pred", key: "k1"))
    let committed = try cairn("commit", "-m", "cuboids", in: dir.path)
    #expect(committed.exitCode == 0, "\(committed)")

    let strict = try cairn(
      "eval", "cuboids", "--gt", "boxes", "--pred", "boxes_pred", "--key", "k", "--json",
      in: dir.path)
    #expect(strict.exitCode == 0, "\(strict)")
    let body = try envelope(strict, "cairn.eval/v1")
    func row(_ body: JSONValue, _ name: String) -> JSONValue? {
      body["classes"]?.array?.first { $0["name"]?.string == name }
    }
    // Car needs 0.7: the shifted box is a miss and a false alarm.
    #expect(row(body, "Car")?["threshold"]?.number == 0.7)
    #expect(row(body, "Car")?["ap_3d_r40"]?.number == 0)
    #expect(row(body, "Pedestrian")?["ap_3d_r40"]?.number == 1)
    #expect(body["summary"]?["mAP_3d_R40"]?.number == 0.5)
    #expect(body["summary"]?["fn"]?.number == 1)
    let missed = try cairn("eval", "failures", "k", "--fn", "--objects", in: dir.path)
    #expect(printedKeys(missed) == ["k1\tg1"], "\(missed)")

    let loose = try cairn(
      "eval", "cuboids", "--gt", "boxes", "--pred", "boxes_pred", "--key", "k2",
      "--threshold", "Car=0.5", "--json", in: dir.path)
    let looseBody = try envelope(loose, "cairn.eval/v1")
    #expect(row(looseBody, "Car")?["ap_3d_r40"]?.number == 1)
    #expect(looseBody["summary"]?["tp"]?.number == 2)
    let samples = try JSONParser.parse(
      try String(contentsOfFile: dir.path + "/runs/eval/k2/samples.json", encoding: .utf8))
    let iou = samples["samples"]?["k1"]?["matches"]?.array?.compactMap {
      $0.array?[2].string == "p1" ? $0.array?[4].number : nil
    }.first
    #expect(abs((iou ?? 0) - 0.6) < 1e-9, "3D IoU of the shifted car")
    #expect(try cairn("commit", "-m", "runs", in: dir.path).exitCode == 0)
    let compared = try cairn("eval", "compare", "k", "k2", "--json", in: dir.path)
    let deltas = try envelope(compared, "cairn.eval.compare/v1")
    #expect(deltas["classes"]?["Car"]?["delta"]?.number == 1)

    // A prediction in another frame is refused, naming both frames.
    guard case .object(var members) = found else { return }
    members["frame"] = .string("pcd")
    try dir.write(
      LabelFile(field: "boxes_pred", sample: "k1", labels: [shifted, .object(members)]).encoded,
      to: FormatV1.labelPath(field: "boxes_pred", key: "k1"))
    #expect(try cairn("commit", "-m", "other frame", in: dir.path).exitCode == 0)
    let mixed = try cairn(
      "eval", "cuboids", "--gt", "boxes", "--pred", "boxes_pred", "--key", "k3", in: dir.path)
    #expect(mixed.exitCode == 5, "\(mixed)")
    #expect(mixed.stderr.contains("is in frame 'pcd'"), "\(mixed.stderr)")
  }
}
