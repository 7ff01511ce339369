import CairnCore
import CairnTestSupport
import Foundation
import Testing

/// A box as an interchange test compares it: class and pixel corners, rounded to 0.01 px.
struct PixelBox: Hashable, Comparable, CustomStringConvertible {
  var label: String
  var corners: [Double]

  init(_ label: String, _ corners: [Double]) {
    self.label = label
    self.corners = corners.map { ($0 * 100).rounded() / 100 }
  }

  static func < (a: PixelBox, b: PixelBox) -> Bool {
    a.label != b.label ? a.label < b.label : a.corners.lexicographicallyPrecedes(b.corners)
  }

  var description: String { "\(label) \(corners)" }
}

/// Every box of label field `field` in the working tree at `root`, by sample key, sorted:
/// the relative `bbox` of each label turned back into pixels with the image size of the
/// sample record.
func pixelBoxesPerImage(_ root: String, field: String) throws -> [String: [PixelBox]] {
  var result: [String: [PixelBox]] = [:]
  let folder = root + "/labels/" + field
  guard let walker = FileManager.default.enumerator(atPath: folder) else { return [:] }
  for case let path as String in walker where path.hasSuffix(".json") {
    let file = try JSONParser.parse(
      try String(contentsOfFile: folder + "/" + path, encoding: .utf8))
    let sample = try JSONParser.parse(
      try String(contentsOfFile: root + "/samples/" + path, encoding: .utf8))
    let width = try #require(sample["media"]?["width"]?.number)
    let height = try #require(sample["media"]?["height"]?.number)
    var boxes: [PixelBox] = []
    for label in file["labels"]?.array ?? [] {
      let numbers = label["bbox"]?.array?.compactMap { $0.number } ?? []
      let box = try #require(numbers.count == 4 ? numbers : nil)
      boxes.append(
        PixelBox(
          label["label"]?.string ?? "",
          [
            box[0] * width, box[1] * height, (box[0] + box[2]) * width,
            (box[1] + box[3]) * height,
          ]))
    }
    result[try #require(file["sample"]?.string)] = boxes.sorted()
  }
  return result
}

/// Every label of field `field` in the working tree at `root`, by id.
func labelsByID(_ root: String, field: String) throws -> [String: JSONValue] {
  var result: [String: JSONValue] = [:]
  let folder = root + "/labels/" + field
  guard let walker = FileManager.default.enumerator(atPath: folder) else { return [:] }
  for case let path as String in walker where path.hasSuffix(".json") {
    let file = try JSONParser.parse(
      try String(contentsOfFile: folder + "/" + path, encoding: .utf8))
    for label in file["labels"]?.array ?? [] {
      if let id = label["id"]?.string { result[id] = label }
    }
  }
  return result
}

/// The paths `cairn status` reports as changed.
func changedPaths(_ root: String) throws -> [String] {
  let status = try envelope(try cairn("status", "--json", in: root), "cairn.status/v1")
  return status["changes"]?.array?.compactMap { $0["path"]?.string } ?? []
}

/// Parses an XML file with Cairn's reader.
func xmlFile(_ path: String) throws -> CairnCore.XMLElement {
  try XMLReader.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
}

/// Checks that a refused import left the repository as it was: the same `schema.json` and
/// nothing for `cairn status` to show.
func expectUnchanged(
  _ repo: String, schema: String, sourceLocation: SourceLocation = #_sourceLocation
) throws {
  #expect(
    try String(contentsOfFile: repo + "/schema.json", encoding: .utf8) == schema,
    "schema.json changed", sourceLocation: sourceLocation)
  #expect(
    try changedPaths(repo).isEmpty, "the working tree changed", sourceLocation: sourceLocation)
}
