import CairnCore
import CairnTestSupport
import Foundation
import Testing

/// A small repository for the app's tests: six 320×240 PNGs, a `ground_truth` field with the
/// classes car and pedestrian (and a bool attribute `occluded`), a `predictions` field without
/// a class list, a `weather` classification field (day, night) without labels, and text built
/// to break HTML (a tag on `img2.png`, a predicted class on
/// `img1.png`).
enum AppFixture {
  static let hostileTag = "<img src=x onerror=\"window.__xss=1\">'tag"
  static let hostileClass = "<script>window.__xss=2</script>\"quoted'"

  static func make() throws -> TemporaryDirectory {
    let dir = try TemporaryDirectory("cairn-app")
    try run(["init", dir.path], in: "/")
    for index in 0..<6 {
      var canvas = Canvas(width: 320, height: 240, background: (30, 40, UInt8(60 + index * 20)))
      canvas.fillRect(x: 40 + index * 10, y: 60, w: 80, h: 60, color: (220, 60, 60))
      canvas.fillCircle(cx: 230, cy: 150, r: 40, color: (60, 200, 90))
      try dir.write(canvas.png(), to: "media/img\(index).png")
    }
    try run(["import", "images", "media"], in: dir.path)
    let schema = Schema(
      fields: [
        "ground_truth": FieldDefinition(
          type: .detections, classes: ["car", "pedestrian"],
          attributes: ["occluded": AttributeDefinition(kind: .bool, defaultValue: .bool(false))]),
        "predictions": FieldDefinition(type: .detections),
        "weather": FieldDefinition(type: .classification, classes: ["day", "night"]),
      ], sampleFields: [:])
    try dir.write(schema.encoded, to: "schema.json")
    try writeLabels(
      dir, field: "ground_truth", key: "img1.png",
      [detection("car", [0.125, 0.25, 0.25, 0.25])])
    try writeLabels(
      dir, field: "predictions", key: "img1.png",
      [
        detection("car", [0.13, 0.26, 0.24, 0.25], confidence: 0.9),
        detection(hostileClass, [0.6, 0.45, 0.25, 0.3], confidence: 0.8),
      ])
    try run(["tags", "add", hostileTag, "--key", "img2.png"], in: dir.path)
    try run(["commit", "-m", "Six samples"], in: dir.path)
    return dir
  }

  /// The samples of the map's `car` cluster (`m00.png` … `m19.png`).
  static let carCluster = (0..<20).map { String(format: "m%02d.png", $0) }

  /// Adds 60 small samples in three clusters of an embedding set `clusters` (cars, pedestrians,
  /// unlabelled with the six fixture images) and its PCA map `runs/map/clusters`.
  static func addClusteredMap(_ dir: TemporaryDirectory) throws {
    var rows: [String] = []
    for index in 0..<60 {
      let key = String(format: "m%02d.png", index)
      let cluster = index / 20
      var canvas = Canvas(
        width: 32, height: 24,
        background: (UInt8(40 + cluster * 80), 60, UInt8(200 - cluster * 60)))
      canvas.fillRect(x: 4, y: 4, w: 12, h: 10, color: (230, 230, 230))
      try dir.write(canvas.png(), to: "more/" + key)
      let centre: [Double] = [[6, 0, 0, 0], [-6, 0, 0, 0], [0, 7, 0, 0]][cluster]
      let jitter = (0..<4).map { sin(Double(index * 7 + $0 * 13)) * 0.8 }
      rows.append(([key] + zip(centre, jitter).map { String($0 + $1) }).joined(separator: ","))
    }
    for index in 0..<6 {
      rows.append("img\(index).png,\(0.3 * Double(index)),7,0.5,0")
    }
    try run(["import", "images", "more"], in: dir.path)
    for index in 0..<40 {
      try writeLabels(
        dir, field: "ground_truth", key: String(format: "m%02d.png", index),
        [detection(index < 20 ? "car" : "pedestrian", [0.1, 0.1, 0.4, 0.4])])
    }
    try dir.write(Array((rows.joined(separator: "\n") + "\n").utf8), to: "vectors.csv")
    try run(["embed", "import", "vectors.csv", "--name", "clusters"], in: dir.path)
    try run(["map", "--embeddings", "clusters", "--out", "map.svg"], in: dir.path)
  }

  static func detection(_ label: String, _ box: [Double], confidence: Double? = nil) -> JSONValue {
    var members: [String: JSONValue] = [
      "id": .string(LabelID.make()), "type": .string("detection"), "label": .string(label),
      "bbox": .array(box.map { .double($0) }),
    ]
    if let confidence { members["confidence"] = .double(confidence) }
    return .object(members)
  }

  static func writeLabels(
    _ dir: TemporaryDirectory, field: String, key: String, _ labels: [JSONValue]
  ) throws {
    let file = LabelFile(field: field, sample: key, labels: labels)
    try dir.write(file.encoded, to: FormatV1.labelPath(field: field, key: key))
  }

  @discardableResult
  static func run(_ arguments: [String], in directory: String) throws -> CommandResult {
    let result = try CommandRunner.cairn(arguments, in: directory)
    #expect(result.exitCode == 0, "cairn \(arguments.joined(separator: " ")): \(result)")
    return result
  }
}
