import CairnTestSupport
import Evaluation
import Foundation
import Testing

/// The text files of a folder, sorted by name (the image order and the tie order).
private func sortedFiles(_ folder: String, suffix: String) throws -> [String] {
  try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(suffix) }
    .sorted()
}

/// The whitespace-separated fields of each non-empty line.
private func fields(_ path: String) throws -> [[Substring]] {
  try String(contentsOfFile: path, encoding: .utf8).split(whereSeparator: \.isNewline)
    .map { $0.split(whereSeparator: \.isWhitespace) }.filter { !$0.isEmpty }
}

/// The text between `<tag>` and `</tag>` in each occurrence.
private func elements(_ tag: String, in text: Substring) -> [Substring] {
  var found: [Substring] = []
  var rest = text
  while let open = rest.range(of: "<\(tag)>"),
    let close = rest.range(of: "</\(tag)>", range: open.upperBound..<rest.endIndex)
  {
    found.append(rest[open.upperBound..<close.lowerBound])
    rest = rest[close.upperBound...]
  }
  return found
}

@Suite struct VOCFixtureTests {
  /// Padilla's toy example: 12 VOC images (2 without ground truth), class 'cat'.
  private func toyProblem() throws -> DetectionProblem? {
    guard let root = fixture("padilla_toy_voc12") else { return nil }
    let images = try sortedFiles(root + "/images", suffix: ".jpg").map { String($0.dropLast(4)) }
    try #require(images.count == 12)
    var groundTruth: [EvalBox] = []
    var predictions: [EvalBox] = []
    for (index, image) in images.enumerated() {
      let xml = root + "/gts_vocpascal_format/\(image).xml"
      if FileManager.default.fileExists(atPath: xml) {
        let text = try String(contentsOfFile: xml, encoding: .utf8)
        for object in elements("object", in: text[...]) {
          try #require(elements("name", in: object).first == "cat")
          let corner = try ["xmin", "ymin", "xmax", "ymax"].map {
            try #require(elements($0, in: object).first.flatMap { Double($0) })
          }
          let difficult = elements("difficult", in: object).first == "1"
          groundTruth.append(
            EvalBox(
              image: Int32(index), category: 0, x: corner[0], y: corner[1],
              width: corner[2] - corner[0], height: corner[3] - corner[1], crowd: difficult))
        }
      }
      let detections = root + "/dets_classname_abs_xyx2y2/\(image).txt"
      if FileManager.default.fileExists(atPath: detections) {
        for line in try fields(detections) {
          try #require(line.count == 6 && line[0] == "cat")
          let value = try line.dropFirst().map { try #require(Double($0)) }
          predictions.append(
            EvalBox(
              image: Int32(index), category: 0, x: value[1], y: value[2],
              width: value[3] - value[1], height: value[4] - value[2], score: value[0]))
        }
      }
    }
    #expect(groundTruth.count == 12 && predictions.count == 12)
    return DetectionProblem(
      imageCount: images.count, categories: ["cat"], groundTruth: groundTruth,
      predictions: predictions)
  }

  @Test(arguments: [false, true])
  func toyExampleMatchesThePublishedAP(pixelInclusive: Bool) throws {
    guard let problem = try toyProblem() else { return }
    // (IoU, 11-point, all-point), published to 0.01 %.
    for (iou, eleven, all) in [(0.5, 0.8864, 0.8958), (0.75, 0.4924, 0.5097)] {
      let result = VOCEvaluator.evaluate(problem, iou: iou, pixelInclusive: pixelInclusive)
      let cat = try #require(result.first)
      #expect(cat.groundTruthCount == 12 && cat.predictionCount == 12)
      #expect(abs((cat.elevenPointAP ?? -1) - eleven) <= 5e-5, "11-point at \(iou)")
      #expect(abs((cat.allPointAP ?? -1) - all) <= 5e-5, "all-point at \(iou)")
    }
  }

  /// Padilla's 7-image 'person' example, boxes as `x y w h` in pixels.
  private func sampleProblem() throws -> DetectionProblem? {
    guard let root = fixture("padilla_odm_sample7") else { return nil }
    let names = try sortedFiles(root + "/groundtruths", suffix: ".txt")
    try #require(names.count == 7)
    var groundTruth: [EvalBox] = []
    var predictions: [EvalBox] = []
    for (index, name) in names.enumerated() {
      for line in try fields(root + "/groundtruths/" + name) {
        try #require(line.count == 5 && line[0] == "person")
        let value = try line.dropFirst().map { try #require(Double($0)) }
        groundTruth.append(
          EvalBox(
            image: Int32(index), category: 0, x: value[0], y: value[1], width: value[2],
            height: value[3]))
      }
      for line in try fields(root + "/detections/" + name) {
        try #require(line.count == 6 && line[0] == "person")
        let value = try line.dropFirst().map { try #require(Double($0)) }
        predictions.append(
          EvalBox(
            image: Int32(index), category: 0, x: value[1], y: value[2], width: value[3],
            height: value[4], score: value[0]))
      }
    }
    #expect(groundTruth.count == 15 && predictions.count == 24)
    return DetectionProblem(
      imageCount: names.count, categories: ["person"], groundTruth: groundTruth,
      predictions: predictions)
  }

  @Test func sevenImageExampleMatchesEXPECTED() throws {
    guard let problem = try sampleProblem(), let path = fixture("padilla_odm_sample7/EXPECTED.txt")
    else { return }
    let rows = try fields(path).filter { !$0[0].hasPrefix("#") }
    try #require(rows.count == 4)
    for row in rows {
      let iou = try #require(Double(row[0]))
      let all = try #require(Double(row[1]))
      let eleven = try #require(Double(row[2]))
      let person = try #require(
        VOCEvaluator.evaluate(problem, iou: iou, pixelInclusive: true).first)
      #expect(abs((person.allPointAP ?? -1) - all) <= 1e-9, "all-point at \(iou)")
      #expect(abs((person.elevenPointAP ?? -1) - eleven) <= 1e-9, "11-point at \(iou)")
    }
    // Without the +1 convention (values re-derived in EXPECTED.txt's notes, 6 d.p.).
    let plain = { (iou: Double) in
      VOCEvaluator.evaluate(problem, iou: iou, pixelInclusive: false).first?.allPointAP ?? -1
    }
    #expect(abs(plain(0.3) - 0.225397) <= 5e-7)
    #expect(abs(plain(0.1) - 0.280133) <= 5e-7)
  }
}
