import CairnCore
import CairnTestSupport
import Foundation
import Testing

@Suite struct YOLOInterchangeTests {
  /// The label lines of every file under `folder/labels`, by path relative to it.
  static func labelLines(_ folder: String) throws -> [String: [String]] {
    var result: [String: [String]] = [:]
    let base = URL(fileURLWithPath: folder)
    guard let walker = FileManager.default.enumerator(atPath: folder) else { return [:] }
    for case let path as String in walker where path.hasSuffix(".txt") {
      guard let range = path.range(of: "labels/") else { continue }
      let text = try String(contentsOf: base.appendingPathComponent(path), encoding: .utf8)
      let key = String(path[range.upperBound...])
      result[key] = text.split(separator: "\n").map(String.init)
    }
    return result
  }

  @Test func coco8ImportsAndExportsTheSameLabelLines() throws {
    guard let fixture = Fixtures.path("coco8_yolo") else {
      #expect(!Fixtures.isCI, "fixtures are required under CI")
      return
    }
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try cairn("init", in: dir.path).exitCode == 0)
    let imported = try envelope(
      try cairn("import", "yolo", fixture + "/coco8.yaml", "--field", "gt", "--json", in: dir.path),
      "cairn.import-labels/v1")
    #expect(imported["samples_added"] == .int(8))
    #expect(imported["labels"] == .int(30))
    #expect(imported["field_created"] == .bool(true))
    #expect(try cairn("commit", "-m", "coco8", in: dir.path).exitCode == 0)
    let schema = try JSONParser.parse(try dir.read("schema.json"))
    #expect(schema["fields"]?["gt"]?["classes"]?.array?.count == 80)
    #expect(schema["fields"]?["gt"]?["classes"]?.array?.first == .string("person"))

    let out = dir.appending("export")
    let exported = try cairn("export", "yolo", "--out", out, "--field", "gt", in: dir.path)
    #expect(exported.exitCode == 0, "\(exported)")
    let original = try Self.labelLines(fixture)
    let written = try Self.labelLines(out + "/images")
    #expect(original.count == 8)
    #expect(written == original, "every label line comes back byte for byte")
    let manifest = try JSONParser.parse(
      try String(contentsOfFile: out + "/cairn-export.json", encoding: .utf8))
    #expect(manifest["commit"]?.string == (try revParse("HEAD", in: dir.path)))
    #expect(manifest["labels"] == .int(30))
    #expect(manifest["classes"]?.array?.count == 80)
    let yaml = try String(contentsOfFile: out + "/data.yaml", encoding: .utf8)
    #expect(yaml.contains("  0: person\n") && yaml.contains("  79: toothbrush\n"))
    try expectFsckClean(dir.path)
  }

  @Test func reimportOfAnEditedExportShowsExactlyTheEdits() throws {
    guard let fixture = Fixtures.path("coco8_yolo") else {
      #expect(!Fixtures.isCI, "fixtures are required under CI")
      return
    }
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try cairn("init", in: dir.path).exitCode == 0)
    #expect(try cairn("import", "yolo", fixture, "--field", "gt", in: dir.path).exitCode == 0)
    #expect(try cairn("commit", "-m", "coco8", in: dir.path).exitCode == 0)
    let out = dir.appending("export")
    #expect(try cairn("export", "yolo", "--out", out, "--field", "gt", in: dir.path).exitCode == 0)
    // Move three boxes slightly, in three files.
    let edits = [
      "train/000000000009.txt", "val/000000000042.txt", "val/000000000061.txt",
    ]
    for file in edits {
      let path = out + "/images/labels/" + file
      var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        .map(String.init)
      var fields = lines[0].split(separator: " ").map(String.init)
      fields[1] = String(Double(fields[1])! + 0.01)
      lines[0] = fields.joined(separator: " ")
      try (lines.joined(separator: "\n") + "\n").write(
        toFile: path, atomically: true, encoding: .utf8)
    }
    let before = try Self.labelsByID(dir)
    let again = try envelope(
      try cairn(
        "import", "yolo", out, "--field", "gt", "--media-dir", out + "/images", "--json",
        in: dir.path), "cairn.import-labels/v1")
    #expect(again["labels_matched"] == .int(30), "every label keeps its id")
    let status = try envelope(try cairn("status", "--json", in: dir.path), "cairn.status/v1")
    let changed = status["changes"]?.array?.compactMap { $0["path"]?.string } ?? []
    #expect(changed.count == 3, "\(changed)")
    #expect(changed.allSatisfy { $0.hasPrefix("labels/gt/") })
    let after = try Self.labelsByID(dir)
    #expect(Set(after.keys) == Set(before.keys))
    let edited = after.keys.filter { after[$0] != before[$0] }
    #expect(edited.count == 3)
  }

  /// Every label of field `gt` in the working tree, by id.
  static func labelsByID(_ dir: TemporaryDirectory) throws -> [String: JSONValue] {
    var result: [String: JSONValue] = [:]
    guard let walker = FileManager.default.enumerator(atPath: dir.appending("labels/gt")) else {
      return [:]
    }
    for case let path as String in walker where path.hasSuffix(".json") {
      let file = try JSONParser.parse(try dir.read("labels/gt/" + path))
      for label in file["labels"]?.array ?? [] {
        if let id = label["id"]?.string { result[id] = label }
      }
    }
    return result
  }

  @Test func badLabelLinesAreRefusedNamingFileAndLine() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try cairn("init", dir.appending("repo"), in: "/").exitCode == 0)
    try writeImages(2, into: dir, folder: "data/images")
    try dir.write("names: [car, bus]\n", to: "data/data.yaml")
    try dir.write("0 0.5 0.5 0.2 0.2\n", to: "data/labels/img0.txt")
    try dir.write("0 0.5 0.5 0.2\n7 0.5 0.5 0.1 0.1\n", to: "data/labels/img1.txt")
    let repo = dir.appending("repo")
    let before = try String(contentsOfFile: repo + "/schema.json", encoding: .utf8)
    let refused = try cairn("import", "yolo", dir.appending("data"), "--field", "gt", in: repo)
    #expect(refused.exitCode == 5, "\(refused)")
    #expect(refused.stderr.contains("img1.txt: line 1: expected 'class x_center y_center"))
    #expect(refused.stderr.contains("img1.txt: line 2: class index 7 is not in the 2 names"))
    #expect(try String(contentsOfFile: repo + "/schema.json", encoding: .utf8) == before)
    #expect(!FileManager.default.fileExists(atPath: repo + "/samples"))
    // Classes the schema does not list are refused unless --add-classes.
    try dir.write("1 0.5 0.5 0.2 0.2\n", to: "data/labels/img1.txt")
    #expect(
      try cairn(
        "schema", "add-field", "gt", "--type", "detections", "--classes", "car", in: repo
      ).exitCode == 0)
    let unknown = try cairn("import", "yolo", dir.appending("data"), "--field", "gt", in: repo)
    #expect(unknown.exitCode == 6)
    #expect(unknown.stderr.contains("1 class(es) not in the schema of 'gt': bus"))
    let mapped = try cairn(
      "import", "yolo", dir.appending("data"), "--field", "gt", "--map", "bus=car", in: repo)
    #expect(mapped.exitCode == 0, "\(mapped)")
    let added = try cairn(
      "import", "yolo", dir.appending("data"), "--field", "gt", "--add-classes", in: repo)
    #expect(added.exitCode == 0)
    #expect(try String(contentsOfFile: repo + "/schema.json", encoding: .utf8).contains("\"bus\""))
  }

  @Test func exportOfASavedViewHoldsItsSamplesAndNamesItInTheManifest() throws {
    guard let fixture = Fixtures.path("coco8_yolo") else {
      #expect(!Fixtures.isCI, "fixtures are required under CI")
      return
    }
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try cairn("init", in: dir.path).exitCode == 0)
    #expect(try cairn("import", "yolo", fixture, "--field", "gt", in: dir.path).exitCode == 0)
    let saved = try cairn(
      "view", "save", "val", "--match",
      "key in ['images/val/000000000036.jpg', "
        + "'images/val/000000000042.jpg']", in: dir.path)
    #expect(saved.exitCode == 0, "\(saved)")
    #expect(try cairn("commit", "-m", "coco8 and a view", in: dir.path).exitCode == 0)
    let out = dir.appending("export")
    let exported = try envelope(
      try cairn(
        "export", "yolo", "--out", out, "--field", "gt", "--view", "val", "--json", in: dir.path),
      "cairn.export/v1")
    #expect(exported["view"] == .string("val"))
    #expect(exported["samples"] == .int(2))
    let written = try Self.labelLines(out + "/images")
    #expect(Set(written.keys) == ["val/000000000036.txt", "val/000000000042.txt"])
  }

  @Test func darknetLayoutReadsObjDataNamesAndImageLists() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let repo = dir.appending("repo")
    #expect(try cairn("init", repo, in: "/").exitCode == 0)
    // As CVAT's YOLO 1.1 export writes it: paths under data/, labels without images.
    try dir.write(
      "classes = 2\ntrain = data/train.txt\nnames = data/obj.names\nbackup = backup/\n",
      to: "darknet/obj.data")
    try dir.write("car\nbus\n", to: "darknet/obj.names")
    try dir.write(
      "data/obj_train_data/img0.png\ndata/obj_train_data/img1.png\n", to: "darknet/train.txt")
    try dir.write("1 0.5 0.5 0.25 0.5\n", to: "darknet/obj_train_data/img0.txt")
    try dir.write("", to: "darknet/obj_train_data/img1.txt")
    try writeImages(2, into: dir, folder: "media")
    let result = try envelope(
      try cairn(
        "import", "yolo", dir.appending("darknet"), "--field", "gt", "--media-dir",
        dir.appending("media"), "--json", in: repo), "cairn.import-labels/v1")
    #expect(result["samples_added"] == .int(2))
    #expect(result["labels"] == .int(1))
    #expect(
      try pixelBoxesPerImage(repo, field: "gt")["img0.png"] == [PixelBox("bus", [12, 6, 20, 18])])
    let schema = try String(contentsOfFile: repo + "/schema.json", encoding: .utf8)
    #expect(schema.contains("\"classes\":[\"car\",\"bus\"]"))

    // With the images beside their labels, keys are paths inside the dataset.
    try writeImages(2, into: dir, folder: "darknet/obj_train_data")
    let beside = try envelope(
      try cairn(
        "import", "yolo", dir.appending("darknet/obj.data"), "--field", "gt2", "--json",
        in: repo), "cairn.import-labels/v1")
    #expect(beside["samples_added"] == .int(2))
    #expect(
      try pixelBoxesPerImage(repo, field: "gt2").keys.sorted() == [
        "obj_train_data/img0.png", "obj_train_data/img1.png",
      ])

    // obj.data's class count must match the names.
    try dir.write(
      "classes = 3\ntrain = data/train.txt\nnames = data/obj.names\n", to: "darknet/obj.data")
    let mismatch = try cairn("import", "yolo", dir.appending("darknet"), "--field", "gt3", in: repo)
    #expect(mismatch.exitCode == 5, "\(mismatch)")
    #expect(
      mismatch.stderr.contains("obj.data: line 1: classes = 3, but the names file has 2 names"))
  }
}
