import CairnCore
import CairnTestSupport
import Foundation
import Testing

@Suite struct COCOInterchangeTests {
  static let val2014 = "coco_val2014_100_eval/instances_val2014_100.json"
  static let padilla = "padilla_voc100_multiformat"

  /// The annotations of a COCO file by id, with their category names and image file names.
  struct Annotation: Equatable {
    var bbox: [Double]
    var category: String
    var area: Double
    var iscrowd: Int64
    var file: String
    var score: Double?
  }

  static func annotations(_ path: String) throws -> [Int64: Annotation] {
    let document = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    var categories: [Int64: String] = [:]
    for category in document["categories"]?.array ?? [] {
      if let id = category["id"]?.int, let name = category["name"]?.string {
        categories[id] = name
      }
    }
    var files: [Int64: String] = [:]
    for image in document["images"]?.array ?? [] {
      if let id = image["id"]?.int, let name = image["file_name"]?.string { files[id] = name }
    }
    var result: [Int64: Annotation] = [:]
    for annotation in document["annotations"]?.array ?? [] {
      guard let id = annotation["id"]?.int else { continue }
      result[id] = Annotation(
        bbox: annotation["bbox"]?.array?.compactMap(\.number) ?? [],
        category: annotation["category_id"]?.int.flatMap { categories[$0] } ?? "?",
        area: annotation["area"]?.number ?? -1, iscrowd: annotation["iscrowd"]?.int ?? -1,
        file: annotation["image_id"]?.int.flatMap { files[$0] } ?? "?",
        score: annotation["score"]?.number)
    }
    return result
  }

  /// Every label of `field` in the working tree, by id, with the key of its sample.
  static func labels(_ dir: TemporaryDirectory, field: String) throws -> [String: JSONValue] {
    var result: [String: JSONValue] = [:]
    let folder = dir.appending("labels/" + field)
    guard let walker = FileManager.default.enumerator(atPath: folder) else { return [:] }
    for case let path as String in walker where path.hasSuffix(".json") {
      let file = try JSONParser.parse(try dir.read("labels/\(field)/" + path))
      for label in file["labels"]?.array ?? [] {
        guard var members = label.object, let id = members["id"]?.string else { continue }
        members["sample"] = file["sample"]
        result[id] = .object(members)
      }
    }
    return result
  }

  @Test func val2014ImportsWithCrowdsAndExportsEveryAnnotationUnchanged() throws {
    guard let fixture = Fixtures.path(Self.val2014) else {
      #expect(!Fixtures.isCI, "fixtures are required under CI")
      return
    }
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try cairn("init", in: dir.path).exitCode == 0)
    let imported = try envelope(
      try cairn(
        "import", "coco", fixture, "--field", "gt", "--allow-missing-media", "--json",
        in: dir.path), "cairn.import-labels/v1")
    #expect(imported["samples_added"] == .int(100))
    #expect(imported["labels"] == .int(839))
    #expect(imported["missing_media"] == .int(100))
    #expect(imported["classes_added"]?.array?.count == 80)
    let labels = try Self.labels(dir, field: "gt")
    #expect(labels.count == 839)
    let crowds = labels.values.filter { $0["crowd"] == .bool(true) }
    #expect(crowds.count == 9)
    #expect(crowds.allSatisfy { $0["rle"]?["counts"]?.array != nil })
    #expect(labels.values.filter { $0["polygons"] != nil }.count == 830)
    let committed = try cairn("commit", "-m", "val2014 100", in: dir.path)
    #expect(committed.exitCode == 0, "\(committed)")

    let out = dir.appending("export")
    let exported = try cairn("export", "coco", "--out", out, "--field", "gt", in: dir.path)
    #expect(exported.exitCode == 0, "\(exported)")
    let original = try Self.annotations(fixture)
    let written = try Self.annotations(out + "/annotations.json")
    #expect(original.count == 839)
    #expect(Set(written.keys) == Set(original.keys), "annotation ids come back")
    let changed = original.keys.filter { original[$0] != written[$0] }.sorted()
    #expect(
      changed.isEmpty,
      "\(changed.prefix(3).map { "\($0): \(original[$0]!) → \(String(describing: written[$0]))" })"
    )
    let manifest = try JSONParser.parse(
      try String(contentsOfFile: out + "/cairn-export.json", encoding: .utf8))
    #expect(manifest["format"] == .string("coco"))
    #expect(manifest["commit"]?.string == (try revParse("HEAD", in: dir.path)))
    #expect(manifest["labels"] == .int(839))
    try expectFsckClean(dir.path)
  }

  @Test func padillaCOCOVariantsImportToTheSameBoxes() throws {
    guard let root = Fixtures.path(Self.padilla) else {
      #expect(!Fixtures.isCI, "fixtures are required under CI")
      return
    }
    var boxes: [Set<String>] = []
    for file in ["coco_format_v1/instances_default.json", "coco_format_v2/instances_v2.json"] {
      let dir = try TemporaryDirectory()
      defer { dir.remove() }
      #expect(try cairn("init", in: dir.path).exitCode == 0)
      let imported = try envelope(
        try cairn(
          "import", "coco", root + "/gts/" + file, "--field", "gt", "--media-dir",
          root + "/images", "--json", in: dir.path), "cairn.import-labels/v1")
      #expect(imported["samples_added"] == .int(100), "\(file)")
      #expect(imported["missing_media"] == .int(0), "\(file)")
      let labels = try Self.labels(dir, field: "gt").values
      #expect(labels.count == 273, "\(file)")
      #expect(Set(labels.compactMap { $0["label"]?.string }).count == 20, "\(file)")
      boxes.append(
        Set(
          labels.map {
            "\($0["sample"]?.string ?? "") \($0["label"]?.string ?? "") \($0["bbox"]?.brief ?? "")"
          }))
    }
    #expect(boxes.count == 2 && boxes[0].count == 273 && boxes[0] == boxes[1])
  }

  @Test func reimportOfAnEditedExportShowsExactlyTheEdits() throws {
    guard let root = Fixtures.path(Self.padilla) else {
      #expect(!Fixtures.isCI, "fixtures are required under CI")
      return
    }
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try cairn("init", in: dir.path).exitCode == 0)
    let images = root + "/images"
    let first = try cairn(
      "import", "coco", root + "/gts/coco_format_v1/instances_default.json", "--field", "gt",
      "--media-dir", images, in: dir.path)
    #expect(first.exitCode == 0, "\(first)")
    #expect(try cairn("commit", "-m", "voc100", in: dir.path).exitCode == 0)
    let before = try Self.labels(dir, field: "gt")
    let out = dir.appending("export")
    #expect(try cairn("export", "coco", "--out", out, "--field", "gt", in: dir.path).exitCode == 0)

    // Move the first box of three images by a pixel, in the exported file.
    let path = out + "/annotations.json"
    var document = try #require(
      JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path)))).object)
    var annotations = try #require(document["annotations"]?.array)
    var editedImages: Set<Int64> = []
    for index in annotations.indices {
      guard var annotation = annotations[index].object, let image = annotation["image_id"]?.int,
        editedImages.count < 3, editedImages.insert(image).inserted,
        var box = annotation["bbox"]?.array?.compactMap(\.number)
      else { continue }
      box[0] += 1
      annotation["bbox"] = .array(box.map { .double($0) })
      annotations[index] = .object(annotation)
    }
    #expect(editedImages.count == 3)
    document["annotations"] = .array(annotations)
    try Data(CanonicalJSON.encode(.object(document))).write(to: URL(fileURLWithPath: path))

    let again = try envelope(
      try cairn(
        "import", "coco", path, "--field", "gt", "--media-dir", images, "--json", in: dir.path),
      "cairn.import-labels/v1")
    #expect(again["labels_matched"] == .int(273), "every label keeps its id")
    #expect(again["samples_updated"] == .int(0))
    let status = try envelope(try cairn("status", "--json", in: dir.path), "cairn.status/v1")
    let changed = status["changes"]?.array?.compactMap { $0["path"]?.string } ?? []
    #expect(changed.count == 3, "\(changed)")
    #expect(changed.allSatisfy { $0.hasPrefix("labels/gt/") })
    let after = try Self.labels(dir, field: "gt")
    #expect(Set(after.keys) == Set(before.keys))
    #expect(after.keys.filter { after[$0] != before[$0] }.count == 3)
    #expect(try cairn("commit", "-m", "three boxes", in: dir.path).exitCode == 0)
  }

  /// A bad COCO file: what to write and what the error must say.
  struct BadInput: Sendable, CustomStringConvertible {
    var name: String
    var json: String
    var message: String
    var description: String { name }
  }

  static let good =
    #"{"images":[{"id":1,"file_name":"img0.png","width":32,"height":24},"#
    + #"{"id":2,"file_name":"img1.png","width":32,"height":24}],"#
    + #""categories":[{"id":3,"name":"car"}],"annotations":["#
    + #"{"id":10,"image_id":1,"category_id":3,"bbox":[1,2,3,4],"area":12,"iscrowd":0}"#

  static let badInputs: [BadInput] = [
    BadInput(
      name: "broken JSON", json: good + ",\n{\"id\":11,,}]}",
      message: "ann.json: broken JSON at line 2, column 10"),
    BadInput(
      name: "unknown category",
      json: good + #",{"id":11,"image_id":2,"category_id":7,"bbox":[1,2,3,4]}]}"#,
      message: "ann.json: annotation 11: category_id 7 is not in the categories"),
    BadInput(
      name: "unknown image",
      json: good + #",{"id":11,"image_id":9,"category_id":3,"bbox":[1,2,3,4]}]}"#,
      message: "ann.json: annotation 11: image_id 9 is not in the images"),
    BadInput(
      name: "negative box",
      json: good + #",{"id":11,"image_id":2,"category_id":3,"bbox":[1,2,-3,4]}]}"#,
      message: "ann.json: annotation 11: bbox [1.0, 2.0, -3.0, 4.0] has a negative width"),
    BadInput(
      name: "escaping file name",
      json: good.replacingOccurrences(of: "\"img1.png\"", with: "\"../img1.png\"") + "]}",
      message: "ann.json: image 2: file name '../img1.png' escapes the media directory"),
    BadInput(
      name: "absolute file name",
      json: good.replacingOccurrences(of: "\"img1.png\"", with: "\"/etc/img1.png\"") + "]}",
      message: "ann.json: image 2: file name '/etc/img1.png' is an absolute path"),
    BadInput(
      name: "missing image",
      json: good.replacingOccurrences(of: "\"img1.png\"", with: "\"img7.png\"") + "]}",
      message: "ann.json: image 2: image '"),
  ]

  @Test(arguments: badInputs)
  func badInputIsRefusedNamingFileAndRecord(_ input: BadInput) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let repo = dir.appending("repo")
    #expect(try cairn("init", repo, in: "/").exitCode == 0)
    try writeImages(2, into: dir, folder: "data")
    try dir.write(input.json, to: "data/ann.json")
    let schema = try String(contentsOfFile: repo + "/schema.json", encoding: .utf8)
    let refused = try cairn("import", "coco", "../data/ann.json", "--field", "gt", in: repo)
    #expect(refused.exitCode == 5, "\(refused)")
    #expect(refused.stderr.contains(input.message), "\(refused.stderr)")
    #expect(try String(contentsOfFile: repo + "/schema.json", encoding: .utf8) == schema)
    #expect(!FileManager.default.fileExists(atPath: repo + "/samples"))
    #expect(!FileManager.default.fileExists(atPath: repo + "/labels"))
    let status = try envelope(try cairn("status", "--json", in: repo), "cairn.status/v1")
    #expect(status["clean"] == .bool(true))
    if input.name == "missing image" {
      #expect(refused.stderr.contains("is missing on disk"))
      let allowed = try cairn(
        "import", "coco", "../data/ann.json", "--field", "gt", "--allow-missing-media", in: repo)
      #expect(allowed.exitCode == 0, "\(allowed)")
      #expect(allowed.stdout.contains("1 image(s) recorded as missing"))
    }
  }

  @Test func resultsFileWithImagesGivesConfidences() throws {
    guard let gt = Fixtures.path(Self.val2014) else {
      #expect(!Fixtures.isCI, "fixtures are required under CI")
      return
    }
    let results = Self.parent(gt) + "/instances_val2014_fakebbox100_results.json"
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try cairn("init", in: dir.path).exitCode == 0)
    let alone = try cairn(
      "import", "coco", results, "--field", "predictions", "--allow-missing-media", in: dir.path)
    #expect(alone.exitCode == 5)
    #expect(alone.stderr.contains("is a COCO results file (a JSON array); pass --images"))
    let imported = try envelope(
      try cairn(
        "import", "coco", results, "--images", gt, "--field", "predictions",
        "--allow-missing-media", "--json", in: dir.path), "cairn.import-labels/v1")
    #expect(imported["labels"] == .int(734))
    #expect(imported["samples_added"] == .int(100))
    let labels = try Self.labels(dir, field: "predictions")
    #expect(labels.count == 734)
    #expect(labels.values.allSatisfy { $0["confidence"]?.number != nil })
    #expect(labels.values.allSatisfy { $0["source_id"] == nil })
    // The first result of the file: image 42, category 18 (dog), score 0.236.
    let first = labels.values.filter {
      $0["sample"] == .string("COCO_val2014_000000000042.jpg") && $0["confidence"] == .double(0.236)
    }
    #expect(first.count == 1)
    #expect(first.first?["label"] == .string("dog"))
    #expect(try cairn("commit", "-m", "predictions", in: dir.path).exitCode == 0)

    // Exported back, every result keeps its box, class and score.
    let out = dir.appending("export")
    #expect(
      try cairn("export", "coco", "--out", out, "--field", "predictions", in: dir.path).exitCode
        == 0)
    let written = try Self.annotations(out + "/annotations.json").values
    let document = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: results))))
    let gtDocument = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: gt))))
    var categories: [Int64: String] = [:]
    var files: [Int64: String] = [:]
    for category in gtDocument["categories"]?.array ?? [] {
      categories[category["id"]?.int ?? 0] = category["name"]?.string
    }
    for image in gtDocument["images"]?.array ?? [] {
      files[image["id"]?.int ?? 0] = image["file_name"]?.string
    }
    func signature(_ file: String, _ category: String, _ box: [Double], _ score: Double?) -> String
    {
      "\(file) \(category) \(box) \(score ?? -1)"
    }
    let expected = (document.array ?? []).map {
      signature(
        files[$0["image_id"]?.int ?? 0] ?? "?", categories[$0["category_id"]?.int ?? 0] ?? "?",
        $0["bbox"]?.array?.compactMap(\.number) ?? [], $0["score"]?.number)
    }
    let actual = written.map { signature($0.file, $0.category, $0.bbox, $0.score) }
    #expect(expected.sorted() == actual.sorted())
  }

  /// The folder of a path.
  static func parent(_ path: String) -> String {
    URL(fileURLWithPath: path).deletingLastPathComponent().path
  }
}
