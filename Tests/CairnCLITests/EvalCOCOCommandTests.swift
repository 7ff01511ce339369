import CairnCore
import CairnTestSupport
import Foundation
import Testing

@Suite struct EvalCOCOCommandTests {
  static let folder = "coco_val2014_100_eval"
  static let groundTruth = "instances_val2014_100.json"
  static let results = "instances_val2014_fakebbox100_results.json"

  /// The fixture folder, or nil (a recorded failure under CI) when the fixtures are absent.
  static func fixture() -> String? {
    guard let path = Fixtures.path(folder) else {
      if Fixtures.isCI { Issue.record("fixtures absent under CI: \(folder)") }
      return nil
    }
    return path
  }

  /// The twelve numbers of the bbox line of EXPECTED.txt.
  static func expected(in folder: String) throws -> [Double] {
    let text = try String(contentsOfFile: folder + "/EXPECTED.txt", encoding: .utf8)
    let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("bbox ") })
    return line.split(separator: " ").dropFirst().compactMap { Double($0) }
  }

  @Test func jsonMatchesPycocotools() throws {
    guard let folder = Self.fixture() else { return }
    let result = try cairn("eval", "coco", Self.groundTruth, Self.results, "--json", in: folder)
    #expect(result.exitCode == 0, "\(result)")
    let body = try envelope(result, "cairn.eval-coco/v1")
    let expected = try Self.expected(in: folder)
    #expect(expected.count == 12)
    for (name, value) in zip(COCOStatNames.all, expected) {
      guard case .double(let measured) = body["summary"]?[name] else {
        Issue.record("no \(name) in \(result.stdout)")
        continue
      }
      #expect(abs(measured - value) <= 1e-9, "\(name): \(measured) against \(value)")
    }
    #expect(body["images"] == .int(100))
    #expect(body["dropped"]?["results_unknown_image"] == .int(0))
    guard case .array(let classes) = body["classes"] else {
      Issue.record("no classes")
      return
    }
    #expect(classes.count == 80)
  }

  @Test func textStartsWithPycocotoolsSummary() throws {
    guard let folder = Self.fixture() else { return }
    let result = try cairn("eval", "coco", Self.groundTruth, Self.results, in: folder)
    #expect(result.exitCode == 0, "\(result)")
    let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(
      lines.first
        == " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.505")
    #expect(
      lines.dropFirst(6).first
        == " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.387")
    #expect(
      lines.dropFirst(11).first
        == " Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = 0.564")
    #expect(result.stdout.contains("category"))
  }

  @Test func reportIsWritten() throws {
    guard let folder = Self.fixture() else { return }
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let report = directory.appending("report.html")
    let result = try cairn(
      "eval", "coco", folder + "/" + Self.groundTruth, folder + "/" + Self.results,
      "--report", report, "--iou", "0.5", in: directory.path)
    #expect(result.exitCode == 0, "\(result)")
    let html = try String(contentsOfFile: report, encoding: .utf8)
    #expect(html.contains("<svg"))
    #expect(html.contains("<polyline"))
    #expect(!html.contains("http://") || !html.contains("src=\"http"))
    #expect(result.stdout.contains("Matching at IoU 0.5"))
    #expect(result.stderr.contains("wrote"))
  }

  @Test func iouAddsMatchingToJSON() throws {
    guard let folder = Self.fixture() else { return }
    let result = try cairn(
      "eval", "coco", Self.groundTruth, Self.results, "--json", "--iou", "0.75", in: folder)
    #expect(result.exitCode == 0, "\(result)")
    let body = try envelope(result, "cairn.eval-coco/v1")
    #expect(body["matching"]?["iou"] == .double(0.75))
    guard case .array(let rows) = body["matching"]?["confusion"] else {
      Issue.record("no confusion matrix")
      return
    }
    #expect(rows.count == 81)
  }

  /// A small ground truth: images 1 and 2, categories 1 and 3.
  static let smallTruth = """
    {"images":[{"id":1},{"id":2}],"categories":[{"id":1,"name":"a"},{"id":3,"name":"<b>"}],
    "annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[0,0,10,10],"area":100},
    {"id":2,"image_id":2,"category_id":3,"bbox":[5,5,20,20],"area":400}]}
    """

  @Test func malformedGroundTruthExitsFive() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    try directory.write("[]", to: "res.json")
    try directory.write(String(Self.smallTruth.dropLast(20)), to: "truncated.json")
    try directory.write(
      Self.smallTruth.replacingOccurrences(of: "[5,5,20,20]", with: "\"5,5,20,20\""),
      to: "badbox.json")
    let truncated = try cairn("eval", "coco", "truncated.json", "res.json", in: directory.path)
    #expect(truncated.exitCode == 5, "\(truncated)")
    #expect(truncated.stderr.contains("truncated.json: line 3"), "\(truncated.stderr)")
    let badBox = try cairn("eval", "coco", "badbox.json", "res.json", in: directory.path)
    #expect(badBox.exitCode == 5, "\(badBox)")
    #expect(badBox.stderr.contains("badbox.json: line 3"), "\(badBox.stderr)")
    #expect(badBox.stderr.contains("bbox"), "\(badBox.stderr)")
  }

  @Test func missingFileExitsFour() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    try directory.write(Self.smallTruth, to: "gt.json")
    let result = try cairn("eval", "coco", "gt.json", "absent.json", in: directory.path)
    #expect(result.exitCode == 4, "\(result)")
    #expect(result.stderr.contains("absent.json"))
  }

  @Test func unknownImagesAreDroppedWithAWarning() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    try directory.write(Self.smallTruth, to: "gt.json")
    try directory.write(
      """
      [{"image_id":1,"category_id":1,"bbox":[0,0,10,10],"score":0.9},
      {"image_id":7,"category_id":1,"bbox":[0,0,10,10],"score":0.8},
      {"image_id":2,"category_id":3,"bbox":[5,5,20,20],"score":0.7}]
      """, to: "res.json")
    let result = try cairn("eval", "coco", "gt.json", "res.json", "--json", in: directory.path)
    #expect(result.exitCode == 0, "\(result)")
    #expect(result.stderr.contains("dropped 1 of 3 results"), "\(result.stderr)")
    let body = try envelope(result, "cairn.eval-coco/v1")
    #expect(body["dropped"]?["results_unknown_image"] == .int(1))
    // pycocotools gives 0.9999999999999998 here: its precision curve is interpolated in floats.
    guard case .double(let ap) = body["summary"]?["AP"] else {
      Issue.record("no AP in \(result.stdout)")
      return
    }
    #expect(abs(ap - 1) <= 1e-9)
  }

  @Test func emptyResultsGiveZero() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    try directory.write(Self.smallTruth, to: "gt.json")
    try directory.write("[]", to: "res.json")
    let result = try cairn("eval", "coco", "gt.json", "res.json", "--json", in: directory.path)
    #expect(result.exitCode == 0, "\(result)")
    let body = try envelope(result, "cairn.eval-coco/v1")
    #expect(body["summary"]?["AP"] == .double(0))
  }
}

/// The summary keys, in pycocotools' order.
enum COCOStatNames {
  static let all = [
    "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl",
  ]
}
