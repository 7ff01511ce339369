import CairnCore
import CairnTestSupport
import Foundation
import Testing

/// The same 273 PASCAL VOC boxes, written by CVAT in several formats, must import to the same
/// classes and pixel boxes whatever the format.
@Suite struct MultiformatFixtureTests {
  static let fixture = "padilla_voc100_multiformat"

  /// Each ground-truth format of the fixture, with the field it goes into.
  ///
  /// The import arguments are the format, then the path inside the fixture. A new format joins the comparison with one line
  /// here (COCO: `("coco_v1", ["coco", "gts/coco_format_v1/instances_default.json"])`).
  static let groundTruths: [(field: String, arguments: [String])] = [
    ("voc", ["voc", "gts/pascalvoc_format"]),
    ("imagenet", ["voc", "gts/imagenet_format"]),
    ("cvat", ["cvat", "gts/cvat_format/annotations.xml"]),
    ("yolo", ["yolo", "gts/yolo_format"]),
    ("coco_v1", ["coco", "gts/coco_format_v1/instances_default.json"]),
    ("coco_v2", ["coco", "gts/coco_format_v2/instances_v2.json"]),
  ]

  @Test func everyFormatImportsTheSameBoxesPerImage() throws {
    guard let fixture = Fixtures.path(Self.fixture) else {
      #expect(!Fixtures.isCI, "fixtures are required under CI")
      return
    }
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try cairn("init", in: dir.path).exitCode == 0)
    var boxes: [String: [String: [PixelBox]]] = [:]
    for (field, arguments) in Self.groundTruths {
      let result = try CommandRunner.cairn(
        [
          "import", arguments[0], fixture + "/" + arguments[1], "--field", field, "--media-dir",
          fixture + "/images", "--json",
        ], in: dir.path)
      let imported = try envelope(result, "cairn.import-labels/v1")
      #expect(imported["labels"] == .int(273), "\(field): \(result)")
      #expect(imported["label_files_written"] == .int(100), "\(field)")
      boxes[field] = try pixelBoxesPerImage(dir.path, field: field)
    }
    #expect(try cairn("commit", "-m", "all formats", in: dir.path).exitCode == 0)
    let names = try String(contentsOfFile: fixture + "/voc.names", encoding: .utf8)
      .split(separator: "\n").map(String.init)
    let schema = try JSONParser.parse(try dir.read("schema.json"))
    let reference = try #require(boxes["voc"])
    #expect(reference.count == 100)
    #expect(reference.values.reduce(0) { $0 + $1.count } == 273)
    #expect(Set(reference.values.flatMap { $0.map(\.label) }) == Set(names))
    for (field, _) in Self.groundTruths {
      let classes = schema["fields"]?[field]?["classes"]?.array?.compactMap(\.string) ?? []
      #expect(Set(classes) == Set(names) && classes.count == 20, "\(field): \(classes)")
      let found = try #require(boxes[field])
      let differing = reference.keys.sorted().filter { found[$0] != reference[$0] }
      let example = differing.first.map { "\(found[$0] ?? []) vs \(reference[$0] ?? [])" } ?? ""
      #expect(
        Set(found.keys) == Set(reference.keys) && differing.isEmpty,
        "\(field) differs from voc on \(differing.prefix(3)): \(example)")
    }
    // VOC's object flags come in as attributes, declared on the field.
    let voc = schema["fields"]?["voc"]?["attributes"]?.object ?? [:]
    #expect(Set(voc.keys) == ["difficult", "occluded", "pose", "truncated"])
    let flagged = try labelsByID(dir.path, field: "voc").values.filter {
      $0["attributes"]?["difficult"] == .bool(true)
    }
    #expect(!flagged.isEmpty)
    try expectFsckClean(dir.path)
  }
}
