import CairnCore
import CairnTestSupport
import Foundation
import Testing

/// A small labelled dataset written straight into a working tree, for view, tag and sparse
/// checkout tests.
///
/// Sample `s<i>.jpg` (i = 0…count-1) has `fields.weather` = rain, sunny or fog by `i % 3`,
/// `fields.score` = i / 10, `media.width` = 100 + 10 i. Samples with `i % 4 != 0` have
/// `ground_truth` labels: a car (confidence 0.9 when i is even, else 0.3) and a pedestrian
/// (confidence 0.6, `occluded` when i is odd).
enum LabelledDataset {
  static let schema =
    "{\"fields\":{\"ground_truth\":{\"attributes\":{\"occluded\":{\"default\":false,\"type\":\"bool\"}},"
    + "\"classes\":[\"car\",\"pedestrian\"],\"type\":\"detections\"}},"
    + "\"sample_fields\":{\"score\":{\"type\":\"float\"},\"weather\":{\"type\":\"string\"}},\"version\":1}\n"

  static func key(_ index: Int) -> String { index < 10 ? "s0\(index).jpg" : "s\(index).jpg" }

  static func weather(_ index: Int) -> String { ["rain", "sunny", "fog"][index % 3] }

  static func record(_ index: Int, tags: [String] = []) -> SampleRecord {
    let sha = String(repeating: String(index % 10), count: 64)
    return SampleRecord(
      key: key(index),
      media: MediaRecord(
        uri: "media/\(key(index))", sha256: sha, size: 1000, kind: "image", format: "jpeg",
        width: Int64(100 + 10 * index), height: 80),
      tags: tags,
      fields: ["weather": .string(weather(index)), "score": .double(Double(index) / 10)])
  }

  static func labels(_ index: Int) -> LabelFile? {
    guard index % 4 != 0 else { return nil }
    let car: JSONValue = .object([
      "id": .string("car\(index)"), "type": .string("detection"), "label": .string("car"),
      "bbox": .array([.double(0.1), .double(0.2), .double(0.3), .double(0.4)]),
      "confidence": .double(index % 2 == 0 ? 0.9 : 0.3),
    ])
    let pedestrian: JSONValue = .object([
      "id": .string("ped\(index)"), "type": .string("detection"), "label": .string("pedestrian"),
      "bbox": .array([.double(0.5), .double(0.5), .double(0.1), .double(0.2)]),
      "confidence": .double(0.6), "attributes": .object(["occluded": .bool(index % 2 == 1)]),
    ])
    return LabelFile(field: "ground_truth", sample: key(index), labels: [car, pedestrian])
  }

  /// Writes sample `index` and its labels into the working tree.
  static func write(_ index: Int, into dir: TemporaryDirectory) throws {
    try dir.write(record(index).encoded, to: FormatV1.samplePath(key(index)))
    if let file = labels(index) {
      try dir.write(file.encoded, to: FormatV1.labelPath(field: "ground_truth", key: key(index)))
    }
  }

  /// A repository holding `count` samples in one commit after the initial one.
  static func make(count: Int = 12) throws -> TemporaryDirectory {
    let dir = try TemporaryDirectory()
    let initialised = try cairn("init", dir.path, in: "/")
    #expect(initialised.exitCode == 0, "\(initialised)")
    try dir.write(schema, to: "schema.json")
    for index in 0..<count { try write(index, into: dir) }
    let committed = try cairn("commit", "-m", "\(count) samples", in: dir.path)
    #expect(committed.exitCode == 0, "\(committed)")
    return dir
  }
}

/// The keys a command printed, one per line.
func printedKeys(_ result: CommandResult) -> [String] {
  result.stdout.split(separator: "\n").map(String.init)
}
