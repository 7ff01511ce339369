import CairnCore
import CairnTestSupport
import Foundation
import Testing

@Suite struct LabelStudioInterchangeTests {
  /// A `rectanglelabels` result.
  static func box(
    _ id: String, _ label: String, _ box: [Double], score: Double? = nil, rotation: Double = 0
  ) -> String {
    var text =
      "{\"id\": \"\(id)\", \"type\": \"rectanglelabels\", \"from_name\": \"label\", "
      + "\"to_name\": \"image\", \"original_width\": 32, \"original_height\": 24, "
      + "\"value\": {\"x\": \(box[0]), \"y\": \(box[1]), \"width\": \(box[2]), "
      + "\"height\": \(box[3]), \"rotation\": \(rotation), \"rectanglelabels\": [\"\(label)\"]}"
    if let score { text += ", \"score\": \(score)" }
    return text + "}"
  }

  /// A Label Studio export of three tasks, as Label Studio writes image references.
  static let export = """
    [
      {"id": 1, "data": {"image": "/data/local-files/?d=img0.png"},
       "annotations": [
         {"id": 10, "was_cancelled": true, "result": [\(box("zz", "car", [1, 1, 1, 1]))]},
         {"id": 11, "result": [
           \(box("a1", "car", [12.5, 25, 50, 33.333333333333336])),
           {"id": "p1", "type": "polygonlabels", "from_name": "poly", "to_name": "image",
            "value": {"points": [[1, 1], [5, 1], [5, 5]], "polygonlabels": ["car"]}}]}],
       "predictions": [{"score": 0.5, "result": [\(box("q1", "car", [10, 20, 30, 40]))]}]},
      {"id": 2, "data": {"image": "/data/upload/3/0a1b2c3d-img1.png"},
       "annotations": [{"id": 12, "result": [
         \(box("b1", "bus", [0, 0, 100, 100])), \(box("b2", "car", [3.125, 4.1666666667, 6.25, 12.5]))
       ]}],
       "predictions": [{"score": 0.8, "result": [\(box("r1", "bus", [1, 2, 3, 4], score: 0.9))]}]},
      {"id": 3, "data": {"image": "https://example.com/img2.png?X-Token=abc"}, "annotations": []}
    ]
    """

  /// Per `data.image`: each result as id, class and the four percentages.
  static func results(_ path: String, section: String = "annotations") throws -> [String: [String]]
  {
    let tasks = try JSONParser.parse(try String(contentsOfFile: path, encoding: .utf8))
    var found: [String: [String]] = [:]
    for task in tasks.array ?? [] {
      let results = (task[section]?.array?.last?["result"]?.array ?? []).filter {
        $0["type"] == .string("rectanglelabels")
      }
      found[task["data"]?["image"]?.string ?? ""] = results.map { result in
        let value = result["value"]
        let numbers = ["x", "y", "width", "height"].map {
          String(((value?[$0]?.number ?? -1) * 1e8).rounded() / 1e8)
        }
        let label = value?["rectanglelabels"]?.array?.first?.string ?? ""
        let score = result["score"]?.number.map { String($0) } ?? ""
        return ([result["id"]?.string ?? "", label] + numbers + [score]).joined(separator: " ")
      }
    }
    return found
  }

  @Test func tasksComeBackWithTheirResultIdsAndBoxes() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let repo = dir.appending("repo")
    #expect(try cairn("init", repo, in: "/").exitCode == 0)
    try writeImages(3, into: dir, folder: "media")
    try dir.write(Self.export, to: "export.json")
    let result = try cairn(
      "import", "labelstudio", dir.appending("export.json"), "--field", "gt", "--media-dir",
      dir.appending("media"), "--json", in: repo)
    #expect(result.exitCode == 0, "\(result)")
    let body = try envelope(result, "cairn.import-labels/v1")
    #expect(body["samples_added"] == .int(3))
    #expect(body["labels"] == .int(3))
    #expect(result.stderr.contains("1 polygonlabels result(s) were not imported"))
    #expect(!result.stderr.contains("several"), "a cancelled annotation does not count")
    let labels = try labelsByID(repo, field: "gt").values
    #expect(Set(labels.compactMap { $0["source_id"]?.string }) == ["a1", "b1", "b2"])
    #expect(
      try pixelBoxesPerImage(repo, field: "gt")["img0.png"]
        == [PixelBox("car", [4, 6, 20, 14])])
    #expect(try cairn("commit", "-m", "label studio", in: repo).exitCode == 0)

    let out = dir.appending("export")
    #expect(
      try cairn("export", "labelstudio", "--out", out, "--field", "gt", in: repo).exitCode == 0)
    let written = try Self.results(out + "/tasks.json")
    let original = try Self.results(dir.appending("export.json"))
    #expect(written["/data/local-files/?d=img0.png"] == original["/data/local-files/?d=img0.png"])
    #expect(
      written["/data/local-files/?d=img1.png"] == original["/data/upload/3/0a1b2c3d-img1.png"])
    #expect(written["/data/local-files/?d=img2.png"] == [])

    // The export re-imports onto the same labels; an edited box changes only its file.
    let again = try envelope(
      try cairn(
        "import", "labelstudio", out + "/tasks.json", "--field", "gt", "--media-dir",
        dir.appending("media"), "--json", in: repo), "cairn.import-labels/v1")
    #expect(again["labels_matched"] == .int(3))
    #expect(try changedPaths(repo).isEmpty)
    var text = try String(contentsOfFile: out + "/tasks.json", encoding: .utf8)
    text = text.replacingOccurrences(of: "\"x\":12.5", with: "\"x\":60")
    try text.write(toFile: out + "/tasks.json", atomically: true, encoding: .utf8)
    #expect(
      try cairn(
        "import", "labelstudio", out + "/tasks.json", "--field", "gt", "--media-dir",
        dir.appending("media"), in: repo
      ).exitCode == 0)
    #expect(try changedPaths(repo).count == 1)
    #expect(
      Set(try labelsByID(repo, field: "gt").keys) == Set(labels.compactMap { $0["id"]?.string }))
  }

  @Test func predictionsCarryScoresAndCairnIdsSurviveARoundTrip() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let repo = dir.appending("repo")
    #expect(try cairn("init", repo, in: "/").exitCode == 0)
    try writeImages(3, into: dir, folder: "media")
    try dir.write(Self.export, to: "export.json")
    let media = dir.appending("media")
    #expect(
      try cairn(
        "import", "labelstudio", dir.appending("export.json"), "--predictions", "--field",
        "pred", "--media-dir", media, in: repo
      ).exitCode == 0)
    let predictions = try labelsByID(repo, field: "pred").values
    #expect(
      Set(predictions.compactMap { $0["confidence"]?.number }) == [0.5, 0.9],
      "a result's score, else its prediction's")
    #expect(try cairn("commit", "-m", "predictions", in: repo).exitCode == 0)
    let out = dir.appending("export")
    #expect(
      try cairn(
        "export", "labelstudio", "--out", out, "--field", "pred", "--predictions", in: repo
      ).exitCode == 0)
    let written = try Self.results(out + "/tasks.json", section: "predictions")
    #expect(written["/data/local-files/?d=img1.png"] == ["r1 bus 1.0 2.0 3.0 4.0 0.9"])

    // Labels made in Cairn have no source id: the export writes their Cairn ids, and
    // importing it again leaves them as they were.
    #expect(
      try cairn(
        "label", "add", "img2.png", "--field", "pred", "--class", "car", "--bbox",
        "0.1,0.2,0.3,0.4", "--confidence", "0.7", in: repo
      ).exitCode == 0)
    #expect(try cairn("commit", "-m", "by hand", in: repo).exitCode == 0)
    let out2 = dir.appending("export2")
    #expect(
      try cairn(
        "export", "labelstudio", "--out", out2, "--field", "pred", "--predictions", in: repo
      ).exitCode == 0)
    let again = try envelope(
      try cairn(
        "import", "labelstudio", out2 + "/tasks.json", "--predictions", "--field", "pred",
        "--media-dir", media, "--json", in: repo), "cairn.import-labels/v1")
    #expect(again["labels_matched"] == .int(3))
    #expect(try changedPaths(repo).isEmpty)
  }

  @Test func badLabelStudioInputIsRefusedAndNothingIsWritten() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let repo = dir.appending("repo")
    #expect(try cairn("init", repo, in: "/").exitCode == 0)
    try writeImages(1, into: dir, folder: "media")
    let schema = try String(contentsOfFile: repo + "/schema.json", encoding: .utf8)
    let task = { (image: String, results: String) in
      "[{\"id\": 7, \"data\": {\"image\": \"\(image)\"}, \"annotations\": [{\"result\": [\(results)]}]}]"
    }
    let cases: [(text: String, code: Int32, message: String)] = [
      ("[{\"id\": 7,\n \"data\": {\"image\": }}]", 5, "export.json: broken JSON at line 2"),
      (
        task("/data/local-files/?d=img0.png", Self.box("a", "car", [1, 1, 5, 5], rotation: 30)),
        5, "task 7, result 'a': the box is rotated by 30.0°"
      ),
      (
        task("/data/local-files/?d=img0.png", Self.box("a", "car", [1, 1, -5, 5])), 5,
        "negative box"
      ),
      (task("/data/local-files/?d=../media/img0.png", ""), 5, "escapes the media directory"),
      (task("/data/local-files/?d=gone.png", ""), 5, "gone.png' is missing on disk"),
    ]
    for (index, item) in cases.enumerated() {
      try dir.write(item.text, to: "case\(index)/export.json")
      let result = try cairn(
        "import", "labelstudio", dir.appending("case\(index)/export.json"), "--field", "gt",
        "--media-dir", dir.appending("media"), in: repo)
      #expect(result.exitCode == item.code, "case \(index): \(result)")
      #expect(result.stderr.contains(item.message), "case \(index): \(result.stderr)")
      try expectUnchanged(repo, schema: schema)
    }
  }
}
