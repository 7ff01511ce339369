import CairnCore
import CairnTestSupport
import Evaluation
import Foundation
import Testing

@Suite struct COCOEvaluationFilesTests {
  /// Parses two documents given as text.
  static func parse(_ groundTruth: String, _ results: String = "[]") throws(CairnError)
    -> COCOEvaluationFiles
  {
    try COCOEvaluationFiles.parse(
      groundTruth: Array(groundTruth.utf8), file: "gt.json", results: Array(results.utf8),
      file: "res.json")
  }

  /// A ground-truth file with the given annotations (JSON objects, comma-separated).
  static func groundTruth(_ annotations: String, images: String = #"[{"id":1},{"id":2}]"#)
    -> String
  {
    #"{"info":{"x":[1,{"y":"}"}]},"images":\#(images),"#
      + #""categories":[{"id":7,"name":"cat"},{"id":3,"name":"dog"}],"annotations":["#
      + annotations + "]}"
  }

  @Test func numbersAreCorrectlyRounded() throws {
    let texts = [
      "0.1", "123.456", "1e-5", "2.5E+3", "0.30000000000000004", "1234567890.123456789012",
      "-0.0", "9007199254740993", "9007199254740993.5", "2.2250738585072014e-308",
      "1.7976931348623157e308", "0.000001", "473.07", "18234.62355", "4.9e-324",
      "123456789012345678901234", "1e22", "1e23", "8.589973e9", "0.1e-22", "12345678901234567e3",
    ]
    for text in texts {
      let files = try Self.parse(
        Self.groundTruth(
          #"{"id":1,"image_id":1,"category_id":7,"bbox":[\#(text),0,1,1],"area":\#(text)}"#))
      let expected = try #require(Double(text))
      #expect(files.problem.groundTruth[0].x.bitPattern == expected.bitPattern, "\(text)")
      #expect(files.problem.groundTruth[0].area.bitPattern == expected.bitPattern, "\(text)")
    }
  }

  @Test func randomDecimalsMatchStrtod() throws {
    var generator = SystemRandomNumberGenerator()
    var texts: [String] = []
    for _ in 0..<5_000 {
      let whole = UInt64.random(in: 0..<100_000, using: &generator)
      let digits = Int.random(in: 0...20, using: &generator)
      var fraction = ""
      for _ in 0..<digits { fraction += String(Int.random(in: 0...9, using: &generator)) }
      var text = String(whole) + (digits > 0 ? "." + fraction : "")
      if Bool.random(using: &generator) {
        text += "e" + String(Int.random(in: -30...30, using: &generator))
      }
      texts.append(text)
    }
    let annotations = texts.enumerated().map { index, text in
      #"{"id":\#(index),"image_id":1,"category_id":3,"bbox":[1,2,3,\#(text)],"area":1}"#
    }
    let files = try Self.parse(Self.groundTruth(annotations.joined(separator: ",")))
    for (box, text) in zip(files.problem.groundTruth, texts) {
      let expected = strtod(text, nil)
      #expect(box.height.bitPattern == expected.bitPattern, "\(text)")
    }
  }

  @Test func segmentationIsSkippedAndCrowdRead() throws {
    let files = try Self.parse(
      Self.groundTruth(
        #"{"segmentation":[[1.5,2,3.25,4,5,6e2]],"id":10,"image_id":2,"category_id":7,"#
          + #""bbox":[1,2,3,4],"area":9.5,"iscrowd":0},"#
          + #"{"id":11,"image_id":1,"category_id":3,"iscrowd":1,"#
          + #""segmentation":{"counts":"a]b\"[{}]","size":[480,640]},"bbox":[0,0,0,0],"area":7},"#
          + #"{"id":12,"image_id":1,"category_id":3,"iscrowd":true,"#
          + #""segmentation":{"counts":[0,5,10,true,null],"size":[4,4]},"bbox":[1,1,2,2],"area":4}"#
      ))
    let boxes = files.problem.groundTruth
    #expect(boxes.count == 3)
    #expect(files.annotationIDs == [10, 11, 12])
    #expect(boxes.map(\.crowd) == [false, true, true])
    #expect(boxes.map(\.area) == [9.5, 7, 4])
    #expect(boxes[1].width == 0 && boxes[1].height == 0)
  }

  @Test func idsAreSortedAndMapped() throws {
    let files = try Self.parse(
      Self.groundTruth(
        #"{"id":5,"image_id":30,"category_id":7,"bbox":[0,0,2,2],"area":4},"#
          + #"{"id":6,"image_id":10,"category_id":3,"bbox":[0,0,2,2],"area":4},"#
          + #"{"id":7,"image_id":99,"category_id":3,"bbox":[0,0,2,2],"area":4},"#
          + #"{"id":8,"image_id":10,"category_id":4,"bbox":[0,0,2,2],"area":4}"#,
        images: #"[{"id":30,"file_name":"c.jpg"},{"id":10},{"id":20},{"id":10}]"#),
      #"[{"image_id":30,"category_id":3,"bbox":[1,1,3,5],"score":0.5,"segmentation":[[1,2]]},"#
        + #"{"image_id":31,"category_id":3,"bbox":[1,1,3,5],"score":0.9},"#
        + #"{"image_id":10,"category_id":1,"bbox":[1,1,3,5],"score":0.9},"#
        + #"{"score":0.25,"bbox":[2,2,4,0.5],"category_id":7,"image_id":10.0}]"#)
    #expect(files.imageIDs == [10, 20, 30])
    #expect(files.categoryIDs == [3, 7])
    #expect(files.problem.categories == ["dog", "cat"])
    #expect(files.problem.imageCount == 3)
    #expect(files.annotationIDs == [5, 6])
    #expect(files.droppedAnnotations == 2)
    #expect(files.problem.groundTruth.map(\.image) == [2, 0])
    #expect(files.problem.groundTruth.map(\.category) == [1, 0])
    let predictions = files.problem.predictions
    #expect(predictions.map(\.image) == [2, 0])
    #expect(predictions.map(\.category) == [0, 1])
    #expect(predictions.map(\.area) == [15, 2])
    #expect(predictions.map(\.score) == [0.5, 0.25])
    #expect(files.resultIndices == [0, 3])
    #expect(files.resultCount == 4)
    #expect(files.droppedResultsUnknownImage == 1)
    #expect(files.droppedResultsUnknownCategory == 1)
  }

  @Test func emptyResultsAreValid() throws {
    let files = try Self.parse(Self.groundTruth(""), " [ ] \n")
    #expect(files.problem.predictions.isEmpty)
    #expect(files.resultCount == 0)
  }

  @Test(arguments: [
    (#"{"images":[{"id":1}],"categories":[],"annotations":[{"id":1,"#, "line 1", "expected"),
    (
      #"{"images":[{"id":1}],"categories":[{"id":1}],"annotations":[{"id":1,"image_id":1,"#
        + "\n" + #""category_id":1,"bbox":"wide","area":3}]}"#,
      "line 2, column 24 in annotations[0]", "bbox"
    ),
    (
      #"{"images":[{"id":1}],"categories":[{"id":1}],"annotations":[{"id":1}]}"#,
      "in annotations[0]", "without"
    ),
    (#"[{"image_id":1}]"#, "line 1, column 1", "array"),
    (#"{"images":[{"id":"x"}],"categories":[]}"#, "images[0]", "integer image"),
    (
      #"{"images":[{"id":1}],"categories":[],"annotations":[{"segmentation":[[1,2]}]}"#,
      "column 75 in annotations[0]", "']'"
    ),
  ])
  func malformedGroundTruthIsRefused(text: String, location: String, what: String) {
    do {
      _ = try Self.parse(text)
      Issue.record("parsed \(text)")
    } catch {
      #expect(error.code == .invalidInput)
      #expect(error.message.hasPrefix("gt.json: line "), "\(error.message)")
      #expect(error.message.contains(location), "\(error.message)")
      #expect(error.message.contains(what), "\(error.message)")
    }
  }

  @Test func malformedResultsNameTheirFile() {
    do {
      _ = try Self.parse(
        Self.groundTruth(""), #"[{"image_id":1,"category_id":7,"bbox":[1,2,3],"score":1}]"#)
      Issue.record("parsed")
    } catch {
      #expect(error.code == .invalidInput)
      #expect(error.message.hasPrefix("res.json: line 1, column 45 in detection [0]"))
    }
  }

  @Test func filesAreLoadedFromDisk() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    try directory.write(
      Self.groundTruth(#"{"id":1,"image_id":2,"category_id":3,"bbox":[1,2,3,4],"area":5}"#),
      to: "gt.json")
    try directory.write(
      #"[{"image_id":2,"category_id":3,"bbox":[1,2,3,4],"score":1}]"#, to: "r.json")
    try directory.write("", to: "empty.json")
    let files = try COCOEvaluationFiles.load(
      groundTruth: directory.appending("gt.json"), results: directory.appending("r.json"))
    #expect(files.problem.groundTruth.count == 1)
    #expect(files.problem.predictions.count == 1)
    // An empty file is not mapped but read; it is no JSON document.
    do {
      _ = try COCOEvaluationFiles.load(
        groundTruth: directory.appending("gt.json"), results: directory.appending("empty.json"))
      Issue.record("loaded an empty results file")
    } catch {
      #expect(error.code == .invalidInput)
      #expect(error.message.contains("empty.json: line 1, column 1"), "\(error.message)")
    }
  }

  @Test func missingFileIsNotFound() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    try directory.write("[]", to: "res.json")
    do {
      _ = try COCOEvaluationFiles.load(
        groundTruth: directory.path + "/absent.json", results: directory.path + "/res.json")
      Issue.record("loaded")
    } catch {
      #expect(error.code == .notFound)
      #expect(error.message.contains("absent.json"))
    }
  }
}
