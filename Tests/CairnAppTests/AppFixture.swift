import CairnCore
import CairnTestSupport
import Foundation
import Testing

/// A small repository for the app's tests: six 320×240 PNGs, a `ground_truth` field with the
/// classes car and pedestrian (and a bool attribute `occluded`), a `predictions` field without
/// a class list, and text built to break HTML (a tag on `img2.png`, a predicted class on
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
