import CairnCore
import CairnTestSupport
import Foundation
import Testing

@Suite struct VOCInterchangeTests {
  /// Per object of a VOC file: name, the four bndbox numbers, pose, truncated, difficult.
  static func objects(_ path: String) throws -> (filename: String, objects: [[String]]) {
    let document = try xmlFile(path)
    let objects = document.children("object").map { object -> [String] in
      let box = object.child("bndbox")
      return [object.childText("name") ?? ""]
        + ["xmin", "ymin", "xmax", "ymax"].map {
          box?.childText($0).flatMap(Double.init).map { String($0) } ?? "?"
        }
        + ["pose", "truncated", "difficult"].map { object.childText($0) ?? "" }
    }
    return (document.childText("filename") ?? "", objects)
  }

  @Test func vocFilesComeBackWithTheSameBoxesNamesAndFlags() throws {
    guard let fixture = Fixtures.path("padilla_voc100_multiformat") else {
      #expect(!Fixtures.isCI, "fixtures are required under CI")
      return
    }
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try cairn("init", in: dir.path).exitCode == 0)
    let source = fixture + "/gts/pascalvoc_format"
    let imported = try cairn(
      "import", "voc", source, "--field", "gt", "--media-dir", fixture + "/images",
      "--commit", "-m", "voc", in: dir.path)
    #expect(imported.exitCode == 0, "\(imported)")
    #expect(imported.stdout.contains("declared attribute(s): difficult, occluded, pose, truncated"))
    let out = dir.appending("export")
    let exported = try cairn("export", "voc", "--out", out, "--field", "gt", in: dir.path)
    #expect(exported.exitCode == 0, "\(exported)")
    let originals = try FileManager.default.contentsOfDirectory(atPath: source).sorted()
    #expect(originals.count == 100)
    for name in originals {
      let original = try Self.objects(source + "/" + name)
      let written = try Self.objects(out + "/Annotations/" + name)
      #expect(written.filename == original.filename, "\(name)")
      #expect(written.objects == original.objects, "\(name)")
    }
    let ids = try String(contentsOfFile: out + "/ImageSets/Main/default.txt", encoding: .utf8)
    #expect(ids.split(separator: "\n").count == 100)
    #expect(
      FileManager.default.fileExists(atPath: out + "/JPEGImages/2007_000027.jpg"),
      "the images are linked")
    let manifest = try JSONParser.parse(
      try String(contentsOfFile: out + "/cairn-export.json", encoding: .utf8))
    #expect(manifest["format"] == .string("voc"))
    #expect(manifest["labels"] == .int(273))

    // The export is itself a VOC dataset: importing it again changes nothing.
    let again = try envelope(
      try cairn("import", "voc", out, "--field", "gt", "--json", in: dir.path),
      "cairn.import-labels/v1")
    #expect(again["labels_matched"] == .int(273))
    #expect(try changedPaths(dir.path).isEmpty)
  }

  @Test func reimportOfThreeEditedFilesChangesExactlyThoseLabelFiles() throws {
    guard let fixture = Fixtures.path("padilla_voc100_multiformat") else {
      #expect(!Fixtures.isCI, "fixtures are required under CI")
      return
    }
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try cairn("init", in: dir.path).exitCode == 0)
    #expect(
      try cairn(
        "import", "voc", fixture + "/gts/pascalvoc_format", "--field", "gt", "--media-dir",
        fixture + "/images", "--commit", "-m", "voc", in: dir.path
      ).exitCode == 0)
    let out = dir.appending("export")
    #expect(try cairn("export", "voc", "--out", out, "--field", "gt", in: dir.path).exitCode == 0)
    let before = try labelsByID(dir.path, field: "gt")
    // Move the first box of three files by 4 pixels.
    for stem in ["2007_000129", "2007_000346", "2007_001311"] {
      let path = out + "/Annotations/" + stem + ".xml"
      var text = try String(contentsOfFile: path, encoding: .utf8)
      let open = try #require(text.range(of: "<xmin>"))
      let close = try #require(text.range(of: "</xmin>"))
      let value = try #require(Double(text[open.upperBound..<close.lowerBound]))
      text.replaceSubrange(open.upperBound..<close.lowerBound, with: String(Int(value) + 4))
      try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
    let again = try envelope(
      try cairn("import", "voc", out, "--field", "gt", "--json", in: dir.path),
      "cairn.import-labels/v1")
    #expect(again["labels_matched"] == .int(273), "every label keeps its id")
    #expect(again["label_files_written"] == .int(3))
    let changed = try changedPaths(dir.path)
    #expect(changed.count == 3, "\(changed)")
    #expect(changed.allSatisfy { $0.hasPrefix("labels/gt/") })
    #expect(changed.contains { $0.hasSuffix("2007_000129.jpg.json") })
    let after = try labelsByID(dir.path, field: "gt")
    #expect(Set(after.keys) == Set(before.keys))
    #expect(after.keys.filter { after[$0] != before[$0] }.count == 3)
    #expect(try cairn("commit", "-m", "edited", in: dir.path).exitCode == 0)
  }

  @Test func imageSetsSelectTheImagesOfAVOCdevkitFolder() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try cairn("init", dir.appending("repo"), in: "/").exitCode == 0)
    try writeImages(3, into: dir, folder: "voc/JPEGImages")
    for index in 0..<3 {
      try dir.write(
        Self.xml(file: "img\(index).png", objects: [("car", [1, 2, 11, 12])]),
        to: "voc/Annotations/img\(index).xml")
    }
    try dir.write("img0\nimg2\n", to: "voc/ImageSets/Main/train.txt")
    try dir.write(
      "# label:color_rgb:parts:actions\nbackground:0,0,0::\nbus:::\ncar:::\n",
      to: "voc/labelmap.txt")
    let repo = dir.appending("repo")
    let result = try envelope(
      try cairn(
        "import", "voc", dir.appending("voc"), "--set", "train", "--field", "gt",
        "--json", in: repo), "cairn.import-labels/v1")
    #expect(result["samples_added"] == .int(2))
    #expect(result["classes_added"] == .array([.string("bus"), .string("car")]))
    let boxes = try pixelBoxesPerImage(repo, field: "gt")
    #expect(boxes["img2.png"] == [PixelBox("car", [1, 2, 11, 12])])
    let missing = try cairn(
      "import", "voc", dir.appending("voc"), "--set", "val", "--field", "gt", in: repo)
    #expect(missing.exitCode == 4, "\(missing)")
  }

  /// A small VOC file.
  static func xml(
    file: String, size: (Int, Int)? = (32, 24), objects: [(String, [Double])],
    extra: String = ""
  ) -> String {
    var text = "<?xml version=\"1.0\"?>\n<annotation>\n  <filename>\(file)</filename>\n"
    if let size {
      text += "  <size><width>\(size.0)</width><height>\(size.1)</height></size>\n"
    }
    for (name, box) in objects {
      text += "  <object>\n    <name>\(name)</name>\n    <difficult>0</difficult>\(extra)\n"
      text += "    <bndbox><xmin>\(box[0])</xmin><ymin>\(box[1])</ymin>"
      text += "<xmax>\(box[2])</xmax><ymax>\(box[3])</ymax></bndbox>\n  </object>\n"
    }
    return text + "</annotation>\n"
  }

  @Test func badVOCInputIsRefusedAndNothingIsWritten() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let repo = dir.appending("repo")
    #expect(try cairn("init", repo, in: "/").exitCode == 0)
    try writeImages(2, into: dir, folder: "media")
    let schema = try String(contentsOfFile: repo + "/schema.json", encoding: .utf8)
    let importVOC = { (folder: String) throws -> CommandResult in
      try cairn(
        "import", "voc", dir.appending(folder), "--field", "gt", "--media-dir",
        dir.appending("media"), in: repo)
    }

    // Broken XML: the file and line are named.
    try dir.write(
      Self.xml(file: "img0.png", objects: [("car", [1, 2, 11, 12])]), to: "broken/a.xml")
    try dir.write(
      "<annotation>\n  <filename>img1.png</filename>\n  <object>\n    <name>car</name>\n"
        + "    <bndbox><xmin>1</ymin></bndbox>\n  </object>\n</annotation>\n",
      to: "broken/b.xml")
    let broken = try importVOC("broken")
    #expect(broken.exitCode == 5, "\(broken)")
    #expect(
      broken.stderr.contains(
        "b.xml: line 5: broken XML: end tag </ymin> does not match <xmin> opened on line 5"),
      "\(broken.stderr)")
    try expectUnchanged(repo, schema: schema)

    // A file name that leaves the media directory.
    try dir.write(
      Self.xml(file: "../media/img0.png", objects: [("car", [1, 2, 11, 12])]), to: "escape/a.xml")
    let escape = try importVOC("escape")
    #expect(escape.exitCode == 5, "\(escape)")
    #expect(escape.stderr.contains("escapes the media directory"))
    try expectUnchanged(repo, schema: schema)

    // A box whose xmax is left of its xmin.
    try dir.write(
      Self.xml(file: "img0.png", objects: [("car", [1, 2, 11, 12]), ("car", [9, 2, 3, 12])]),
      to: "negative/a.xml")
    let negative = try importVOC("negative")
    #expect(negative.exitCode == 5, "\(negative)")
    #expect(negative.stderr.contains("a.xml: line 10: object 2: negative box: xmax 3 < xmin 9"))
    try expectUnchanged(repo, schema: schema)

    // A flag that is not 0 or 1.
    try dir.write(
      Self.xml(
        file: "img0.png", objects: [("car", [1, 2, 11, 12])], extra: "<truncated>2</truncated>"),
      to: "flag/a.xml")
    let flag = try importVOC("flag")
    #expect(flag.exitCode == 5, "\(flag)")
    #expect(flag.stderr.contains("<truncated> must be 0 or 1, not '2'"))

    // An image that is not on disk.
    try dir.write(
      Self.xml(file: "nothere.png", objects: [("car", [1, 2, 11, 12])]), to: "missing/a.xml")
    let missing = try importVOC("missing")
    #expect(missing.exitCode == 5, "\(missing)")
    #expect(missing.stderr.contains("nothere.png' is missing on disk"))
    try expectUnchanged(repo, schema: schema)

    // A class the declared field does not list: refused unless --add-classes.
    #expect(
      try cairn(
        "schema", "add-field", "gt", "--type", "detections", "--classes", "car", in: repo
      ).exitCode == 0)
    let declared = try String(contentsOfFile: repo + "/schema.json", encoding: .utf8)
    try dir.write(
      Self.xml(file: "img0.png", objects: [("car", [1, 2, 11, 12]), ("bus", [3, 3, 9, 9])]),
      to: "unknown/a.xml")
    let unknown = try importVOC("unknown")
    #expect(unknown.exitCode == 6, "\(unknown)")
    #expect(unknown.stderr.contains("1 class(es) not in the schema of 'gt': bus"))
    try expectUnchanged(repo, schema: declared)
    let added = try cairn(
      "import", "voc", dir.appending("unknown"), "--field", "gt", "--media-dir",
      dir.appending("media"), "--add-classes", in: repo)
    #expect(added.exitCode == 0, "\(added)")
    #expect(added.stdout.contains("added class(es): bus"))
    #expect(added.stdout.contains("declared attribute(s): difficult, occluded, pose, truncated"))
    #expect(try cairn("commit", "-m", "voc", in: repo).exitCode == 0)
  }
}
