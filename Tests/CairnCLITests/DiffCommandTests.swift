import CairnCore
import CairnTestSupport
import Foundation
import Testing

/// A history with known label edits, for `diff`, `drift` and `blame`.
///
/// - `base` (HEAD~2): field `gt` (detections: car, truck, pedestrian; `occluded` attribute).
///   s00: car `a` [0.1, 0.2, 0.3, 0.4], pedestrian `b` (occluded false), pedestrian `g`;
///   s01: car `c` [0.2, 0.2, 0.2, 0.2], car `f` [0, 0, 0.3, 0.4]; s02: car `d`; s03: no labels.
/// - `edits` (HEAD~1): `a` car → truck; `b` occluded → true; `c` moved right by 0.1 (IoU 1/3);
///   `f` narrowed to width 0.2 (IoU 2/3, area ratio 2/3); `d` deleted; pedestrian `e` added
///   to s03 (a new label file); view `pick` (s00, s03) saved.
/// - `cairn schema rename-class gt car vehicle` (HEAD): `c` and `f` become vehicles.
enum EditedHistory {
  static let schema =
    "{\"fields\":{\"gt\":{\"attributes\":{\"occluded\":{\"default\":false,\"type\":\"bool\"}},"
    + "\"classes\":[\"car\",\"truck\",\"pedestrian\"],\"type\":\"detections\"}},"
    + "\"sample_fields\":{\"score\":{\"type\":\"float\"},\"weather\":{\"type\":\"string\"}},"
    + "\"version\":1}\n"

  static func box(_ id: String, _ label: String, _ bbox: [Double], occluded: Bool? = nil)
    -> JSONValue
  {
    var members: [String: JSONValue] = [
      "id": .string(id), "type": .string("detection"), "label": .string(label),
      "bbox": .array(bbox.map { .double($0) }),
    ]
    if let occluded { members["attributes"] = .object(["occluded": .bool(occluded)]) }
    return .object(members)
  }

  static func writeLabels(_ index: Int, _ labels: [JSONValue], in dir: TemporaryDirectory) throws {
    let key = LabelledDataset.key(index)
    try dir.write(
      LabelFile(field: "gt", sample: key, labels: labels).encoded,
      to: FormatV1.labelPath(field: "gt", key: key))
  }

  static func commit(_ message: String, in dir: TemporaryDirectory) throws {
    let result = try cairn("commit", "-m", message, in: dir.path)
    #expect(result.exitCode == 0, "\(result)")
  }

  static func make() throws -> TemporaryDirectory {
    let dir = try TemporaryDirectory()
    #expect(try cairn("init", dir.path, in: "/").exitCode == 0)
    try dir.write(schema, to: "schema.json")
    for index in 0..<4 {
      try dir.write(
        LabelledDataset.record(index).encoded, to: FormatV1.samplePath(LabelledDataset.key(index)))
    }
    try writeLabels(
      0,
      [
        box("a", "car", [0.1, 0.2, 0.3, 0.4]),
        box("b", "pedestrian", [0.5, 0.5, 0.1, 0.2], occluded: false),
        box("g", "pedestrian", [0.7, 0.1, 0.1, 0.1]),
      ], in: dir)
    try writeLabels(
      1, [box("c", "car", [0.2, 0.2, 0.2, 0.2]), box("f", "car", [0.0, 0.0, 0.3, 0.4])], in: dir)
    try writeLabels(2, [box("d", "car", [0.0, 0.0, 0.5, 0.5])], in: dir)
    try commit("base", in: dir)

    try writeLabels(
      0,
      [
        box("a", "truck", [0.1, 0.2, 0.3, 0.4]),
        box("b", "pedestrian", [0.5, 0.5, 0.1, 0.2], occluded: true),
        box("g", "pedestrian", [0.7, 0.1, 0.1, 0.1]),
      ], in: dir)
    try writeLabels(
      1, [box("c", "car", [0.3, 0.2, 0.2, 0.2]), box("f", "car", [0.0, 0.0, 0.2, 0.4])], in: dir)
    try writeLabels(2, [], in: dir)
    try writeLabels(3, [box("e", "pedestrian", [0.6, 0.6, 0.2, 0.2])], in: dir)
    let saved = try cairn(
      "view", "save", "pick", "--key", "s00.jpg", "--key", "s03.jpg", in: dir.path)
    #expect(saved.exitCode == 0, "\(saved)")
    try commit("edits", in: dir)

    let renamed = try cairn("schema", "rename-class", "gt", "car", "vehicle", in: dir.path)
    #expect(renamed.exitCode == 0, "\(renamed)")
    return dir
  }
}

/// The text lines of a command's stdout.
private func lines(_ result: CommandResult) -> [String] {
  result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
}

/// A line's words, whatever the padding between them.
private func words(_ line: some StringProtocol) -> [String] {
  String(line).split(separator: " ").map(String.init)
}

@Suite struct DiffCommandTests {
  @Test func textNamesEveryKindOfEdit() throws {
    let dir = try EditedHistory.make()
    defer { dir.remove() }
    let result = try cairn("diff", "HEAD~2", "HEAD~1", in: dir.path)
    #expect(result.exitCode == 0, "\(result)")
    #expect(
      lines(result) == [
        "views",
        "  + pick",
        "sample s00.jpg",
        "  gt",
        "    ~ a truck: class car → truck",
        "    ~ b pedestrian: occluded: false → true",
        "sample s01.jpg",
        "  gt",
        "    ~ c car: bbox IoU 0.333, area ×1.000",
        "    ~ f car: bbox IoU 0.667, area ×0.667",
        "sample s02.jpg",
        "  gt",
        "    - d car",
        "sample s03.jpg",
        "  gt (file added)",
        "    + e pedestrian: bbox [0.6, 0.6, 0.2, 0.2]",
      ], "\(result)")
    // A range says the same; colour only when asked.
    let range = try cairn("diff", "HEAD~2..HEAD~1", in: dir.path)
    #expect(range.stdout == result.stdout)
    #expect(!result.stdout.contains("\u{1B}["))
    let coloured = try cairn("diff", "HEAD~2", "HEAD~1", "--color", "always", in: dir.path)
    #expect(coloured.stdout.contains("\u{1B}[33m    ~ a truck: class car → truck\u{1B}[0m"))
    #expect(coloured.stdout.contains("\u{1B}[31m    - d car\u{1B}[0m"))
  }

  @Test func renameClassShowsInSchemaAndLabels() throws {
    let dir = try EditedHistory.make()
    defer { dir.remove() }
    let result = try cairn("diff", "HEAD~1", "HEAD", in: dir.path)
    #expect(
      lines(result) == [
        "schema.json",
        "  ~ field gt: class car renamed to vehicle",
        "sample s01.jpg",
        "  gt",
        "    ~ c vehicle: class car → vehicle",
        "    ~ f vehicle: class car → vehicle",
      ], "\(result)")
  }

  @Test func jsonCarriesTheMeasuredChanges() throws {
    let dir = try EditedHistory.make()
    defer { dir.remove() }
    let result = try cairn("diff", "HEAD~2", "HEAD~1", "--json", in: dir.path)
    #expect(result.exitCode == 0, "\(result)")
    #expect(result.stdout.hasSuffix("}}\n") && result.stdout.split(separator: "\n").count == 1)
    let body = try envelope(result, "cairn.diff/v1")
    #expect(body["to"]?["revision"] == .string("HEAD~1"))
    #expect(body["from"]?["working_tree"] == .bool(false))
    #expect(
      body["views"] == .array([.object(["name": .string("pick"), "change": .string("added")])]))
    let samples = try #require(body["samples"]?.array)
    #expect(samples.map { $0["key"]?.string } == ["s00.jpg", "s01.jpg", "s02.jpg", "s03.jpg"])
    let moved = try #require(samples[1]["fields"]?.array?.first?["labels"]?.array?.first)
    #expect(
      moved
        == .object([
          "id": .string("c"), "change": .string("modified"), "class": .string("car"),
          "changes": .object([
            "geometry": .object([
              "kind": .string("bbox"), "iou": .double(0.333333), "area_ratio": .double(1.0),
              "old": .array([.double(0.2), .double(0.2), .double(0.2), .double(0.2)]),
              "new": .array([.double(0.3), .double(0.2), .double(0.2), .double(0.2)]),
            ])
          ]),
        ]))
    let attribute = try #require(samples[0]["fields"]?.array?.first?["labels"]?.array?[1])
    #expect(
      attribute["changes"]
        == .object([
          "attributes": .object(["occluded": .object(["old": .bool(false), "new": .bool(true)])])
        ]))
    let removed = try #require(samples[2]["fields"]?.array?.first?["labels"]?.array?.first)
    #expect(removed["change"] == .string("removed"))
    #expect(removed["old"]?["label"] == .string("car"))
    let added = try #require(samples[3]["fields"]?.array?.first)
    #expect(added["file"] == .string("added"))
    #expect(added["labels"]?.array?.first?["new"]?["id"] == .string("e"))
    #expect(
      body["stat"]?["labels"]
        == .object(["added": .int(1), "removed": .int(1), "modified": .int(4)]))
    #expect(
      body["stat"]?["fields"]?["gt"]?["car"]
        == .object(["added": .int(0), "removed": .int(1), "modified": .int(2)]))

    let stat = try envelope(
      try cairn("diff", "HEAD~2", "HEAD~1", "--stat", "--json", in: dir.path), "cairn.diff/v1")
    #expect(stat["samples"] == nil)
    #expect(stat["stat"] == body["stat"])
  }

  @Test func statCountsPerFieldAndClass() throws {
    let dir = try EditedHistory.make()
    defer { dir.remove() }
    let result = try cairn("diff", "HEAD~2", "HEAD~1", "--stat", in: dir.path)
    #expect(
      lines(result) == [
        " gt/car        | 0 added, 1 removed, 2 modified",
        " gt/pedestrian | 1 added, 0 removed, 1 modified",
        " gt/truck      | 0 added, 0 removed, 1 modified",
        " 4 samples changed (0 added, 0 removed, 4 modified); labels: 1 added, 1 removed, 4 modified",
        " 1 view(s) changed",
      ], "\(result)")
  }

  /// A sample whose record changed and whose labels did not is a modified sample in the
  /// counts too, against the working tree and between commits.
  @Test func statCountsSamplesWhoseOnlyChangeIsTheirRecord() throws {
    let dir = try EditedHistory.make()
    defer { dir.remove() }
    try dir.write(
      LabelledDataset.record(2, tags: ["night"]).encoded, to: FormatV1.samplePath("s02.jpg"))
    let expected = [
      " 1 sample changed (0 added, 0 removed, 1 modified); labels: 0 added, 0 removed, 0 modified"
    ]
    let working = try cairn("diff", "--stat", in: dir.path)
    #expect(lines(working) == expected, "\(working)")
    #expect(try cairn("commit", "-m", "tag", in: dir.path).exitCode == 0)
    let committed = try cairn("diff", "HEAD~1", "HEAD", "--stat", in: dir.path)
    #expect(lines(committed) == expected, "\(committed)")
    let json = try envelope(
      try cairn("diff", "HEAD~1", "HEAD", "--stat", "--json", in: dir.path), "cairn.diff/v1")
    #expect(json["stat"]?["samples"]?["modified"] == .int(1))
    // A field's diff leaves record changes out, with or without --stat.
    let field = try cairn("diff", "HEAD~1", "HEAD", "--field", "gt", "--stat", in: dir.path)
    #expect(lines(field).last?.hasPrefix(" 0 samples changed") == true, "\(field)")
    #expect(try cairn("diff", "HEAD~1", "HEAD", "--field", "gt", in: dir.path).stdout.isEmpty)
  }

  @Test func keysAndViewsLimitTheSamples() throws {
    let dir = try EditedHistory.make()
    defer { dir.remove() }
    let keyed = try cairn("diff", "HEAD~2", "HEAD~1", "--", "s01.jpg", in: dir.path)
    #expect(
      lines(keyed) == [
        "sample s01.jpg", "  gt", "    ~ c car: bbox IoU 0.333, area ×1.000",
        "    ~ f car: bbox IoU 0.667, area ×0.667",
      ], "\(keyed)")
    // The view is in HEAD~1 only; it selects s00 and s03.
    let viewed = try cairn("diff", "HEAD~2", "HEAD~1", "--view", "pick", "--stat", in: dir.path)
    #expect(
      lines(viewed) == [
        " gt/pedestrian | 1 added, 0 removed, 1 modified",
        " gt/truck      | 0 added, 0 removed, 1 modified",
        " 2 samples changed (0 added, 0 removed, 2 modified); labels: 1 added, 0 removed, 2 modified",
      ], "\(viewed)")
    let field = try cairn(
      "diff", "HEAD~2", "HEAD~1", "--field", "gt", "--", "s02.jpg", in: dir.path)
    #expect(lines(field) == ["sample s02.jpg", "  gt", "    - d car"], "\(field)")
  }

  @Test func againstTheWorkingTree() throws {
    let dir = try EditedHistory.make()
    defer { dir.remove() }
    #expect(try cairn("diff", in: dir.path).stdout.isEmpty)
    try EditedHistory.writeLabels(
      0,
      [
        EditedHistory.box("a", "truck", [0.1, 0.2, 0.3, 0.4]),
        EditedHistory.box("b", "pedestrian", [0.5, 0.5, 0.1, 0.2], occluded: true),
        .object([
          "id": .string("g"), "type": .string("detection"), "label": .string("pedestrian"),
          "bbox": .array([.double(0.7), .double(0.1), .double(0.1), .double(0.1)]),
          "tags": .array([.string("reviewed")]),
        ]),
      ], in: dir)
    try dir.write(
      LabelledDataset.record(2, tags: ["night"]).encoded, to: FormatV1.samplePath("s02.jpg"))
    let result = try cairn("diff", in: dir.path)
    #expect(
      lines(result) == [
        "sample s00.jpg", "  gt", "    ~ g pedestrian: tags +reviewed", "sample s02.jpg",
        "  ~ tags: +night",
      ], "\(result)")
    // One revision: that revision against the working tree, through HEAD.
    let older = try cairn("diff", "HEAD~1", in: dir.path)
    #expect(
      lines(older) == [
        "schema.json",
        "  ~ field gt: class car renamed to vehicle",
        "sample s00.jpg", "  gt", "    ~ g pedestrian: tags +reviewed",
        "sample s01.jpg", "  gt", "    ~ c vehicle: class car → vehicle",
        "    ~ f vehicle: class car → vehicle",
        "sample s02.jpg", "  ~ tags: +night",
      ], "\(older)")
    let json = try envelope(try cairn("diff", "--json", in: dir.path), "cairn.diff/v1")
    #expect(
      json["to"] == .object(["commit": .null, "revision": .null, "working_tree": .bool(true)]))
    #expect(
      json["samples"]?.array?[1]["record"]
        == .object([
          "change": .string("modified"),
          "changes": .array([
            .object([
              "path": .string("tags"), "old": .array([]), "new": .array([.string("night")]),
            ])
          ]),
        ]))
  }

  @Test func keysWithEscapesAndAddedSamples() throws {
    let dir = try EditedHistory.make()
    defer { dir.remove() }
    let key = "cam 1/x.jpg"
    var record = LabelledDataset.record(5)
    record.key = key
    try dir.write(record.encoded, to: FormatV1.samplePath(key))
    try dir.write(
      LabelFile(
        field: "gt", sample: key,
        labels: [EditedHistory.box("n", "truck", [0.25, 0.5, 0.125, 0.0625])]
      ).encoded, to: FormatV1.labelPath(field: "gt", key: key))
    let result = try cairn("diff", "--", key, in: dir.path)
    #expect(
      lines(result) == [
        "sample cam 1/x.jpg (added)", "  gt (file added)",
        "    + n truck: bbox [0.25, 0.5, 0.125, 0.0625]",
      ], "\(result)")
    let stat = try cairn("diff", "--stat", in: dir.path)
    #expect(
      lines(stat).last
        == " 1 sample changed (1 added, 0 removed, 0 modified); labels: 1 added, 0 removed, 0 modified"
    )
    #expect(try cairn("commit", "-m", "one more", in: dir.path).exitCode == 0)
    let committed = try cairn("diff", "HEAD~1", "HEAD", "--stat", in: dir.path)
    #expect(lines(committed) == lines(stat), "\(committed)")
  }

  @Test func htmlReportIsSelfContained() throws {
    let dir = try EditedHistory.make()
    defer { dir.remove() }
    let result = try cairn("diff", "HEAD~2", "HEAD~1", "--html", "report.html", in: dir.path)
    #expect(result.exitCode == 0, "\(result)")
    #expect(result.stdout.isEmpty)
    let html = try dir.read("report.html")
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    #expect(html.contains("<style>") && html.hasSuffix("</html>\n"))
    #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("href="))
    #expect(html.contains("sample <code>s01.jpg</code>"))
    #expect(
      html.contains("<td class=\"id\">c</td><td>car</td><td>bbox IoU 0.333, area ×1.000</td>"))
    #expect(html.contains("<section id=\"summary\">"))
    #expect(!FileManager.default.fileExists(atPath: dir.appending(".git/cairn/tmp/report.html")))
  }

  @Test func badInputWritesNothing() throws {
    let dir = try EditedHistory.make()
    defer { dir.remove() }
    let html = ["--html", "bad.html"]
    let cases: [([String], Int32, String)] = [
      (["diff", "nope", "HEAD"] + html, 4, "unknown revision 'nope'"),
      (["diff", "HEAD~2...HEAD"] + html, 5, "malformed range"),
      (["diff", "..HEAD"] + html, 5, "both ends"),
      (["diff", "HEAD~1..HEAD", "HEAD"] + html, 5, "not both"),
      (["diff", "HEAD~2", "HEAD", "--view", "missing"] + html, 4, "no view 'missing'"),
      (["diff", "HEAD~2", "HEAD"] + html + ["--", "s99.jpg"], 4, "no sample 's99.jpg'"),
      (["diff", "HEAD~2", "HEAD"] + html + ["--", "/bad"], 5, "invalid sample key"),
      (["diff", "HEAD~2", "HEAD", "--field", "nothing"] + html, 4, "no label field 'nothing'"),
      (["drift", "HEAD"] + html, 5, "not a range"),
      (["drift", "HEAD..nope"] + html, 4, "unknown revision"),
      (["blame", "s99.jpg"], 4, "no sample 's99.jpg'"),
      (["blame", "s00.jpg", "--field", "nothing"], 4, "no label field 'nothing'"),
    ]
    for (arguments, code, message) in cases {
      let result = try CommandRunner.cairn(arguments, in: dir.path)
      #expect(result.exitCode == code, "\(arguments): \(result)")
      #expect(result.stderr.contains(message), "\(arguments): \(result)")
      #expect(result.stdout.isEmpty)
      #expect(!FileManager.default.fileExists(atPath: dir.appending("bad.html")))
    }
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter {
      $0.contains("cairn-tmp")
    }
    #expect(leftovers.isEmpty)
    let both = try cairn("diff", "--view", "pick", "--", "s00.jpg", in: dir.path)
    #expect(both.exitCode == 64)
  }
}

@Suite struct DriftCommandTests {
  @Test func transitionMatrixCountsAndGeometry() throws {
    let dir = try EditedHistory.make()
    defer { dir.remove() }
    let result = try cairn("drift", "HEAD~2..HEAD~1", "--json", in: dir.path)
    #expect(result.exitCode == 0, "\(result)")
    let body = try envelope(result, "cairn.drift/v1")
    let field = try #require(body["fields"]?.array?.first)
    #expect(field["field"] == .string("gt"))
    var matrix: [String: Int64] = [:]
    for cell in field["transitions"]?.array ?? [] {
      matrix[(cell["from"]?.string ?? "") + " → " + (cell["to"]?.string ?? "")] = cell["count"]?.int
    }
    #expect(
      matrix == [
        "(new) → pedestrian": 1, "car → truck": 1, "car → car": 2, "car → (removed)": 1,
        "pedestrian → pedestrian": 1,
      ])
    let net = Dictionary(
      uniqueKeysWithValues: (field["classes"]?.array ?? []).map {
        ($0["class"]?.string ?? "", $0["net"]?.int ?? 0)
      })
    #expect(net == ["car": -2, "pedestrian": 1, "truck": 1])
    // c moved right by 0.1: intersection 0.1 × 0.2, union 2 × 0.04 − 0.02, IoU 1/3, area ×1;
    // f narrowed from 0.3 to 0.2: IoU 0.08 / 0.12 = 2/3, area ×2/3.
    let geometry = try #require(field["geometry"]?.array?.first)
    #expect(geometry["class"] == .string("car"))
    #expect(geometry["boxes"] == .int(2))
    let meanIoU = try #require(geometry["mean_iou"]?.number)
    #expect(abs(meanIoU - (1.0 / 3 + 2.0 / 3) / 2) < 1e-5)
    let meanArea = try #require(geometry["mean_area_ratio"]?.number)
    #expect(abs(meanArea - (1 + 2.0 / 3) / 2) < 1e-5)
    #expect(field["introduced"] == .array([]))

    let text = lines(try cairn("drift", "HEAD~2", "HEAD~1", in: dir.path)).map(words)
    #expect(text.contains(["car", "→", "truck", "1"]), "\(text)")
    #expect(
      text.contains([
        "car", "-2", "(0", "added,", "1", "removed,", "0", "reclassified", "in,", "1", "out)",
      ]))
    #expect(
      text.contains(words("car 2 boxes: mean IoU 0.500, mean area ratio 0.833")), "\(text)")
  }

  @Test func renameIntroducesAndAbandonsPerCommit() throws {
    let dir = try EditedHistory.make()
    defer { dir.remove() }
    let result = try cairn("drift", "HEAD~2..HEAD", "--per-commit", "--json", in: dir.path)
    let body = try envelope(result, "cairn.drift/v1")
    let total = try #require(body["fields"]?.array?.first)
    #expect(total["introduced"] == .array([.string("vehicle")]))
    #expect(total["abandoned"] == .array([.string("car")]))
    let commits = try #require(body["commits"]?.array)
    #expect(
      commits.map { $0["commit"]?["summary"]?.string } == [
        "edits", "Rename class car to vehicle in gt",
      ])
    let rename = try #require(commits[1]["fields"]?.array?.first)
    #expect(
      rename["transitions"]
        == .array([.object(["from": .string("car"), "to": .string("vehicle"), "count": .int(2)])]))
    // Across the range, c and f went from car to vehicle in one step.
    #expect(
      total["transitions"]?.array?.contains(
        .object(["from": .string("car"), "to": .string("vehicle"), "count": .int(2)])) == true)
    let notAncestor = try cairn("drift", "HEAD..HEAD~2", "--per-commit", in: dir.path)
    #expect(notAncestor.exitCode == 5, "\(notAncestor)")
  }

  @Test func htmlHasChartsAndNoNetwork() throws {
    let dir = try EditedHistory.make()
    defer { dir.remove() }
    let result = try cairn("drift", "HEAD~2..HEAD", "--html", "drift.html", in: dir.path)
    #expect(result.exitCode == 0, "\(result)")
    let html = try dir.read("drift.html")
    #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<style>"))
    #expect(html.contains("<svg class=\"bars\"") && html.contains("<svg class=\"matrix\""))
    #expect(html.contains("<title>car → vehicle: 2</title>"))
    #expect(!html.contains("<script") && !html.contains("href=") && !html.contains("src="))
  }
}

@Suite struct BlameCommandTests {
  @Test func eachLabelPointsAtItsLastChange() throws {
    let dir = try EditedHistory.make()
    defer { dir.remove() }
    let head = try revParse("HEAD", in: dir.path)
    let edits = try revParse("HEAD~1", in: dir.path)
    let base = try revParse("HEAD~2", in: dir.path)
    let result = try cairn("blame", "s00.jpg", "--json", in: dir.path)
    #expect(result.exitCode == 0, "\(result)")
    let body = try envelope(result, "cairn.blame/v1")
    #expect(body["commit"] == .string(head))
    #expect(body["record"]?["commit"]?["id"] == .string(base))
    let labels = try #require(body["labels"]?.array)
    #expect(labels.map { $0["id"]?.string } == ["a", "b", "g"])
    #expect(labels.map { $0["commit"]?["id"]?.string } == [edits, edits, base])
    #expect(labels[0]["class"] == .string("truck"))
    #expect(labels[0]["commit"]?["summary"] == .string("edits"))

    let renamed = try envelope(
      try cairn("blame", "s01.jpg", "--json", in: dir.path), "cairn.blame/v1")
    #expect(renamed["labels"]?.array?.map { $0["commit"]?["id"]?.string } == [head, head])
    let before = try envelope(
      try cairn("blame", "s01.jpg", "HEAD~1", "--field", "gt", "--json", in: dir.path),
      "cairn.blame/v1")
    #expect(before["labels"]?.array?.map { $0["commit"]?["id"]?.string } == [edits, edits])

    let rows = lines(try cairn("blame", "s00.jpg", in: dir.path)).map {
      Array(words($0).dropFirst())
    }
    let day = String(words(lines(try cairn("blame", "s00.jpg", in: dir.path))[0])[1])
    #expect(day.count == 10)
    #expect(
      rows == [
        [day, "Cairn", "Test", "record", "base"], [day, "Cairn", "Test", "gt/a", "truck", "edits"],
        [day, "Cairn", "Test", "gt/b", "pedestrian", "edits"],
        [day, "Cairn", "Test", "gt/g", "pedestrian", "base"],
      ])
    let ids = lines(try cairn("blame", "s00.jpg", in: dir.path)).map { String($0.prefix(7)) }
    #expect(ids == [base, edits, edits, base].map { String($0.prefix(7)) })
    // The sample's history is still one command away.
    let log = try cairn("log", "--oneline", "--", "s00.jpg", in: dir.path)
    #expect(
      lines(log).map { String($0.prefix(7)) } == [String(edits.prefix(7)), String(base.prefix(7))])
  }
}
