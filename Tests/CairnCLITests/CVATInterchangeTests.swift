import CairnCore
import CairnTestSupport
import Foundation
import Testing

@Suite struct CVATInterchangeTests {
  /// Per image name: its size and, per box, label, occluded and the four coordinates as
  /// written.
  static func images(_ path: String) throws -> [String: [[String]]] {
    var result: [String: [[String]]] = [:]
    for image in try xmlFile(path).children("image") {
      let name = image[attribute: "name"] ?? ""
      result[name] =
        [[image[attribute: "width"] ?? "", image[attribute: "height"] ?? ""]]
        + image.children("box").map { box in
          ["label", "occluded", "xtl", "ytl", "xbr", "ybr"].map { box[attribute: $0] ?? "" }
        }
    }
    return result
  }

  static func labelNames(_ path: String) throws -> [String] {
    try xmlFile(path).child("meta")?.child("task")?.child("labels")?.children("label").compactMap {
      $0.childText("name")
    } ?? []
  }

  @Test func cvatBoxesComeBackAsWrittenAndEditsChangeOnlyTheirFiles() throws {
    guard let fixture = Fixtures.path("padilla_voc100_multiformat") else {
      #expect(!Fixtures.isCI, "fixtures are required under CI")
      return
    }
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try cairn("init", in: dir.path).exitCode == 0)
    let source = fixture + "/gts/cvat_format/annotations.xml"
    let imported = try cairn(
      "import", "cvat", source, "--field", "gt", "--media-dir", fixture + "/images", "--commit",
      "-m", "cvat", in: dir.path)
    #expect(imported.exitCode == 0, "\(imported)")
    let out = dir.appending("export")
    let exported = try cairn("export", "cvat", "--out", out, "--field", "gt", in: dir.path)
    #expect(exported.exitCode == 0, "\(exported)")
    let written = out + "/annotations.xml"
    let original = try Self.images(source)
    #expect(original.count == 100)
    #expect(try Self.images(written) == original, "every box comes back as CVAT wrote it")
    #expect(try Self.labelNames(written) == (try Self.labelNames(source)))
    #expect(try xmlFile(written).childText("version") == "1.1")

    // Move three boxes of three images, then import the export again.
    var text = try String(contentsOfFile: written, encoding: .utf8)
    for name in ["2007_000129.jpg", "2007_000346.jpg", "2007_001311.jpg"] {
      let image = try #require(text.range(of: "name=\"\(name)\""))
      let xtl = try #require(text.range(of: "xtl=\"", range: image.upperBound..<text.endIndex))
      let end = try #require(text.range(of: "\"", range: xtl.upperBound..<text.endIndex))
      let value = try #require(Double(text[xtl.upperBound..<end.lowerBound]))
      text.replaceSubrange(xtl.upperBound..<end.lowerBound, with: String(format: "%.2f", value + 5))
    }
    try text.write(toFile: written, atomically: true, encoding: .utf8)
    let before = try labelsByID(dir.path, field: "gt")
    let again = try envelope(
      try cairn("import", "cvat", written, "--field", "gt", "--json", in: dir.path),
      "cairn.import-labels/v1")
    #expect(again["labels_matched"] == .int(273), "every label keeps its id")
    let changed = try changedPaths(dir.path)
    #expect(changed.count == 3, "\(changed)")
    let after = try labelsByID(dir.path, field: "gt")
    #expect(Set(after.keys) == Set(before.keys))
    #expect(after.keys.filter { after[$0] != before[$0] }.count == 3)
  }

  /// A CVAT for images file with `body` as its images, and a label `car` with attributes.
  static func annotations(_ body: String) -> String {
    """
    <?xml version="1.0" encoding="utf-8"?>
    <annotations>
      <version>1.1</version>
      <!-- a task with two labels -->
      <meta><task><labels>
        <label><name>car</name><attributes>
          <attribute><name>parked</name><input_type>checkbox</input_type>\
    <default_value>false</default_value><values>false
    true</values></attribute>
          <attribute><name>color</name><input_type>select</input_type>\
    <default_value>red</default_value><values>red
    blue</values></attribute>
          <attribute><name>doors</name><input_type>number</input_type>\
    <default_value>4</default_value><values>2
    5
    1</values></attribute>
        </attributes></label>
        <label><name>road &amp; lane</name><attributes></attributes></label>
      </labels></task></meta>
    \(body)
    </annotations>
    """
  }

  @Test func boxesKeepTypedAttributesAndOtherShapesAreCounted() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let repo = dir.appending("repo")
    #expect(try cairn("init", repo, in: "/").exitCode == 0)
    try writeImages(2, into: dir, folder: "cvat/images")
    try dir.write(
      Self.annotations(
        """
          <image id="0" name="img0.png" width="32" height="24">
            <box label="car" occluded="1" xtl="1.5" ytl="2" xbr="11.25" ybr="12" z_order="0">
              <attribute name="parked">true</attribute>
              <attribute name="color">blue</attribute>
              <attribute name="doors">3</attribute>
            </box>
            <polygon label="road &amp; lane" occluded="0" points="1,1;5,1;5,5" z_order="0"/>
            <tag label="car"/>
          </image>
          <image id="1" name="img1.png" width="32" height="24"/>
        """), to: "cvat/annotations.xml")
    let result = try cairn(
      "import", "cvat", dir.appending("cvat/annotations.xml"), "--field", "gt", "--json",
      in: repo)
    #expect(result.exitCode == 0, "\(result)")
    let body = try envelope(result, "cairn.import-labels/v1")
    #expect(body["samples_added"] == .int(2))
    #expect(body["labels"] == .int(1))
    #expect(result.stderr.contains("warning: 1 polygon, 1 tag shape(s) were not imported"))
    let schema = try JSONParser.parse(
      try String(contentsOfFile: repo + "/schema.json", encoding: .utf8))
    let field = try #require(schema["fields"]?["gt"])
    #expect(field["classes"] == .array([.string("car"), .string("road & lane")]))
    #expect(field["class_attributes"]?["car"]?["doors"]?["type"] == .string("int"))
    #expect(field["class_attributes"]?["car"]?["color"]?["values"]?.array?.count == 2)
    let label = try #require(try labelsByID(repo, field: "gt").values.first)
    #expect(
      label["attributes"]
        == .object([
          "color": .string("blue"), "doors": .int(3), "occluded": .bool(true),
          "parked": .bool(true),
        ]))
    #expect(
      try pixelBoxesPerImage(repo, field: "gt")["img0.png"] == [
        PixelBox("car", [1.5, 2, 11.25, 12])
      ])
    #expect(try cairn("commit", "-m", "cvat", in: repo).exitCode == 0)

    let out = dir.appending("export")
    #expect(try cairn("export", "cvat", "--out", out, "--field", "gt", in: repo).exitCode == 0)
    let exported = try String(contentsOfFile: out + "/annotations.xml", encoding: .utf8)
    #expect(exported.contains("<name>road &amp; lane</name>"))
    #expect(exported.contains("<attribute name=\"parked\">true</attribute>"))
    #expect(exported.contains("occluded=\"1\" source=\"manual\" xtl=\"1.50\" ytl=\"2.00\""))
    let again = try envelope(
      try cairn("import", "cvat", out + "/annotations.xml", "--field", "gt", "--json", in: repo),
      "cairn.import-labels/v1")
    #expect(again["labels_matched"] == .int(1))
    #expect(try changedPaths(repo).isEmpty)
  }

  @Test func badCVATInputIsRefusedAndNothingIsWritten() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let repo = dir.appending("repo")
    #expect(try cairn("init", repo, in: "/").exitCode == 0)
    try writeImages(1, into: dir, folder: "images")
    let schema = try String(contentsOfFile: repo + "/schema.json", encoding: .utf8)
    let cases: [(body: String, code: Int32, message: String)] = [
      (
        "<image id=\"0\" name=\"img0.png\" width=\"32\" height=\"24\">\n<box label=\"car\" "
          + "xtl=\"1\" ytl=\"2\" xbr=\"3\" ybr=\"4\">\n</image>", 5,
        "annotations.xml: line 19: broken XML: end tag </image> does not match <box> opened on line 18"
      ),
      (
        "<image id=\"0\" name=\"../images/img0.png\" width=\"32\" height=\"24\"/>", 5,
        "escapes the media directory"
      ),
      (
        "<image id=\"0\" name=\"img0.png\" width=\"32\" height=\"24\">\n<box label=\"car\" "
          + "xtl=\"10\" ytl=\"2\" xbr=\"3\" ybr=\"4\"/></image>", 5,
        "line 18: box 1 of 'img0.png': negative box"
      ),
      (
        "<image id=\"0\" name=\"gone.png\" width=\"32\" height=\"24\"/>", 5,
        "gone.png' is missing on disk"
      ),
      ("<track id=\"0\" label=\"car\"/>", 5, "<track> belongs to CVAT for video"),
      (
        "<image id=\"0\" name=\"img0.png\" width=\"32\" height=\"24\">\n<box label=\"car\" "
          + "xtl=\"1\" ytl=\"2\" xbr=\"3\" ybr=\"4\"><attribute name=\"doors\">many</attribute>"
          + "</box></image>", 5, "attribute 'doors' = 'many' is not a valid int"
      ),
    ]
    for (index, item) in cases.enumerated() {
      let file = dir.appending("case\(index)/annotations.xml")
      try dir.write(Self.annotations(item.body), to: "case\(index)/annotations.xml")
      let result = try cairn(
        "import", "cvat", file, "--field", "gt", "--media-dir", dir.appending("images"), in: repo)
      #expect(result.exitCode == item.code, "case \(index): \(result)")
      #expect(result.stderr.contains(item.message), "case \(index): \(result.stderr)")
      try expectUnchanged(repo, schema: schema)
    }
  }
}
