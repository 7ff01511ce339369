import CairnCore
import CairnTestSupport
import Foundation
import Testing

@Suite struct GoldenAndLeakageTests {
  func label(
    _ dir: TemporaryDirectory, _ arguments: [String],
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let result = try CommandRunner.cairn(["label"] + arguments + ["--field", "gt"], in: dir.path)
    #expect(result.exitCode == 0, "\(result)", sourceLocation: sourceLocation)
  }

  /// img0: car A, truck B; img1: car C — frozen as golden set g1; then an annotator's batch
  /// with three known errors: A drawn loose, B missed, C called a truck.
  func goldenRepository() throws -> TemporaryDirectory {
    let dir = try makeRepository(images: 4)
    #expect(
      try cairn(
        "schema", "add-field", "gt", "--type", "detections", "--classes", "car,truck",
        in: dir.path
      ).exitCode == 0)
    try label(dir, ["add", "img0.png", "--id", "A", "--class", "car", "--bbox", "0.1,0.1,0.2,0.2"])
    try label(
      dir, ["add", "img0.png", "--id", "B", "--class", "truck", "--bbox", "0.5,0.5,0.2,0.2"])
    try label(dir, ["add", "img1.png", "--id", "C", "--class", "car", "--bbox", "0.2,0.2,0.4,0.4"])
    #expect(
      try cairn("view", "save", "qa", "--match", "key in ['img0.png', 'img1.png']", in: dir.path)
        .exitCode == 0)
    #expect(try cairn("commit", "-m", "golden labels", in: dir.path).exitCode == 0)
    #expect(try cairn("freeze", "golden", "g1", "--view", "qa", in: dir.path).exitCode == 0)
    try label(dir, ["set", "img0.png", "--id", "A", "--bbox", "0.1,0.1,0.22,0.22"])
    try label(dir, ["rm", "img0.png", "--id", "B"])
    try label(dir, ["set", "img1.png", "--id", "C", "--class", "truck"])
    #expect(try cairn("commit", "-m", "annotator batch", in: dir.path).exitCode == 0)
    return dir
  }

  @Test func goldenQAMatchesHandComputedNumbers() throws {
    let dir = try goldenRepository()
    defer { dir.remove() }
    let report = try envelope(
      try cairn("qa", "golden", "g1", "--json", in: dir.path), "cairn.qa-golden/v1")
    #expect(report["samples"] == .int(2))
    let car = try #require(report["classes"]?["car"])
    #expect(car["matched"] == .int(1))
    #expect(car["false_negatives"] == .int(1), "C was called a truck")
    #expect(car["false_positives"] == .int(0))
    #expect(car["precision"] == .double(1))
    #expect(car["recall"] == .double(0.5))
    // A: golden 0.2 × 0.2 inside the annotated 0.22 × 0.22: IoU 0.04 / 0.0484, area ratio 1.21.
    let iou = try #require(car["mean_iou"]?.number)
    #expect(abs(iou - 0.04 / 0.0484) < 1e-9)
    let area = try #require(car["mean_area_ratio"]?.number)
    #expect(abs(area - 1.21) < 1e-9)
    let truck = try #require(report["classes"]?["truck"])
    #expect(truck["matched"] == .int(0))
    #expect(truck["false_negatives"] == .int(1), "B was missed")
    #expect(truck["false_positives"] == .int(1), "C as a truck")
    #expect(truck["precision"] == .double(0))
    #expect(report["confusions"] == .object(["car": .object(["truck": .int(1)])]))
    #expect(
      report["missing"]
        == .array([
          .object(["id": .string("B"), "key": .string("img0.png"), "label": .string("truck")])
        ]))
    #expect(report["extra"] == .array([]))
    let overall = try #require(report["overall"])
    #expect(overall["precision"] == .double(0.5))
    #expect(abs((overall["recall"]?.number ?? 0) - 1.0 / 3) < 1e-12)

    // At the frozen commit itself the annotation agrees perfectly.
    let perfect = try envelope(
      try cairn("qa", "golden", "g1", "--rev", "HEAD~1", "--json", in: dir.path),
      "cairn.qa-golden/v1")
    #expect(perfect["overall"]?["precision"] == .double(1))
    #expect(perfect["overall"]?["recall"] == .double(1))
    #expect(abs((perfect["overall"]?["mean_iou"]?.number ?? 0) - 1) < 1e-12)

    // The history shows both commits, newest first.
    let history = try envelope(
      try cairn("qa", "golden", "g1", "--history", "--json", in: dir.path), "cairn.qa-golden/v1")
    let rows = history["history"]?.array ?? []
    #expect(rows.count == 2)
    #expect(rows.first?["summary"] == .string("annotator batch"))
    #expect(rows.last?["overall"]?["recall"] == .double(1))
    let text = try cairn("qa", "golden", "g1", in: dir.path)
    #expect(text.stdout.contains("confusion: car labelled truck 1 time(s)"))
    #expect(text.stdout.contains("missing: img0.png truck (golden label B)"))
  }

  @Test func leaksByKeyAndByContentAreFoundAndBlockTheExport() throws {
    let dir = try makeRepository(images: 4)
    defer { dir.remove() }
    #expect(
      try cairn(
        "schema", "add-field", "gt", "--type", "detections", "--classes", "car", in: dir.path
      )
      .exitCode == 0)
    for index in 0..<4 {
      try label(dir, ["add", "img\(index).png", "--class", "car", "--bbox", "0.1,0.1,0.2,0.2"])
    }
    #expect(
      try cairn("view", "save", "test", "--match", "key == 'img0.png'", in: dir.path).exitCode == 0)
    #expect(
      try cairn("view", "save", "training", "--match", "key != 'img0.png'", in: dir.path).exitCode
        == 0)
    #expect(try cairn("commit", "-m", "views", in: dir.path).exitCode == 0)
    #expect(try cairn("freeze", "test", "t1", "--view", "test", in: dir.path).exitCode == 0)
    #expect(try cairn("check", "leakage", in: dir.path).exitCode == 0)

    // The same image under another name enters the training data.
    try FileManager.default.copyItem(
      atPath: dir.appending("media/img0.png"), toPath: dir.appending("media/copy-of-0.png"))
    #expect(try cairn("import", "images", "media", in: dir.path).exitCode == 0)
    #expect(try cairn("commit", "-m", "a renamed copy", in: dir.path).exitCode == 0)
    let content = try envelope(
      try cairn("check", "leakage", "--json", in: dir.path), "cairn.leakage/v1")
    #expect(
      content["leaks"]
        == .array([
          .object([
            "kind": .string("content"), "set": .string("t1"), "test_key": .string("img0.png"),
            "training_key": .string("copy-of-0.png"),
          ])
        ]))
    #expect(try cairn("check", "leakage", in: dir.path).exitCode == 6)
    let refused = try cairn(
      "export", "yolo", "--out", dir.appending("out1"), "--field", "gt", "--view", "training",
      in: dir.path)
    #expect(refused.exitCode == 6, "\(refused)")
    #expect(
      refused.stderr.contains("copy-of-0.png: has the same media as 'img0.png' of test set t1"))
    #expect(!FileManager.default.fileExists(atPath: dir.appending("out1")))

    // The test sample itself in the training view: a key leak.
    #expect(
      try cairn(
        "view", "save", "training", "--match", "key != 'copy-of-0.png'", "--force", in: dir.path
      )
      .exitCode == 0)
    #expect(try cairn("commit", "-m", "training with the test sample", in: dir.path).exitCode == 0)
    let key = try envelope(
      try cairn("check", "leakage", "--json", in: dir.path), "cairn.leakage/v1")
    #expect(key["leaks"]?.array?.first?["kind"] == .string("key"))
    #expect(
      try cairn(
        "export", "yolo", "--out", dir.appending("out2"), "--field", "gt", "--view", "training",
        in: dir.path
      ).exitCode == 6)
    #expect(
      try cairn(
        "export", "yolo", "--out", dir.appending("out3"), "--field", "gt", "--view", "training",
        "--allow-leakage", in: dir.path
      ).exitCode == 0)
    // Exporting the test set alone (for evaluation) is not a leak.
    #expect(
      try cairn(
        "export", "yolo", "--out", dir.appending("out4"), "--field", "gt", "--view", "test",
        in: dir.path
      ).exitCode == 0)
  }
}
