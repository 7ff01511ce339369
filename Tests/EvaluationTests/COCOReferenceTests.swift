import CairnTestSupport
import Evaluation
import Foundation
import Testing

/// The tests' seeded generator.
typealias SeededGenerator = TestRandom

/// A random COCO dataset built to hit the reference's corner cases: empty images, crowd boxes,
/// score ties, areas on both sides of (and exactly at) 32² and 96², a GT `area` unlike w×h,
/// images with more than 100 detections, a category without ground truth, detections of a
/// category the ground truth does not list, and boxes of zero width.
struct RandomCOCODataset {
  var groundTruthJSON = ""
  var resultsJSON = ""

  init(seed: UInt64) {
    var random = SeededGenerator(seed: seed)
    let imageIds = Array((0..<60).map { 1000 + $0 * 7 }).shuffled(using: &random)
    let categoryIds = [11, 3, 42, 7, 20]  // 42 gets no ground truth
    let categoriesWithGT = [11, 3, 7, 20]
    var annotations: [String] = []
    var results: [String] = []
    var annotationId = 1

    func coordinate(_ range: ClosedRange<Int>) -> Double {
      Double(Int.random(in: range, using: &random)) / 100
    }
    func side() -> Double {
      switch Int.random(in: 0..<4, using: &random) {
      case 0: return coordinate(500...3_500)
      case 1: return coordinate(2_800...3_600)
      case 2: return coordinate(8_500...10_500)
      default: return coordinate(9_000...30_000)
      }
    }
    func score() -> Double {
      Int.random(in: 0..<3, using: &random) == 0
        ? Double(Int.random(in: 0...1_000, using: &random)) / 1_000
        : Double(Int.random(in: 0...20, using: &random)) / 20
    }
    func result(_ image: Int, _ category: Int, _ box: [Double], _ score: Double) -> String {
      "{\"image_id\": \(image), \"category_id\": \(category), \"bbox\": [\(box[0]), \(box[1]), "
        + "\(box[2]), \(box[3])], \"score\": \(score)}"
    }

    for (position, image) in imageIds.enumerated() {
      let empty = position % 6 == 0
      let gtCount = empty ? 0 : Int.random(in: 1...7, using: &random)
      var boxes: [(category: Int, box: [Double])] = []
      for _ in 0..<gtCount {
        var category = categoriesWithGT.randomElement(using: &random) ?? 3
        let width = side()
        let height = Int.random(in: 0..<3, using: &random) == 0 ? width : side()
        var box = [coordinate(0...40_000), coordinate(0...40_000), width, height]
        // Duplicates make equal IoUs, where the later box wins.
        if let last = boxes.last, Int.random(in: 0..<5, using: &random) == 0 {
          (category, box) = (last.category, last.box)
        }
        var area = width * height
        switch Int.random(in: 0..<10, using: &random) {
        case 0: area = 1_024
        case 1: area = 9_216
        case 2: area = (area * 0.7 * 100).rounded() / 100
        default: break
        }
        let crowd = Int.random(in: 0..<8, using: &random) == 0 ? 1 : 0
        annotations.append(
          "{\"id\": \(annotationId), \"image_id\": \(image), \"category_id\": \(category), "
            + "\"bbox\": [\(box[0]), \(box[1]), \(box[2]), \(box[3])], \"area\": \(area), "
            + "\"iscrowd\": \(crowd), \"segmentation\": []}")
        annotationId += 1
        boxes.append((category, box))
      }
      // Detections near the ground truth, some of another category, some duplicated.
      for (category, box) in boxes {
        for _ in 0..<Int.random(in: 0...3, using: &random) {
          let jitter = { (value: Double, scale: Double) -> Double in
            ((value + scale * Double(Int.random(in: -25...25, using: &random)) / 100) * 100)
              .rounded() / 100
          }
          let detected = [
            jitter(box[0], box[2]), jitter(box[1], box[3]), max(0, jitter(box[2], box[2])),
            max(0, jitter(box[3], box[3])),
          ]
          let detectedCategory =
            Int.random(in: 0..<6, using: &random) == 0
            ? (categoryIds.randomElement(using: &random) ?? 3) : category
          results.append(result(image, detectedCategory, detected, score()))
        }
      }
      // Random detections, many in a few images, including categories 42 and 99 and boxes of
      // zero width.
      let extra =
        position % 20 == 5
        ? Int.random(in: 110...160, using: &random)
        : Int.random(
          in: 0...4, using: &random)
      for _ in 0..<extra {
        let category = (categoryIds + [99]).randomElement(using: &random) ?? 3
        let width = Int.random(in: 0..<30, using: &random) == 0 ? 0 : side()
        let box = [coordinate(0...40_000), coordinate(0...40_000), width, side()]
        results.append(result(image, category, box, score()))
      }
    }
    let images = imageIds.map { "{\"id\": \($0), \"width\": 640, \"height\": 480}" }
    let categories = categoryIds.map { "{\"id\": \($0), \"name\": \"class\($0)\"}" }
    groundTruthJSON =
      "{\"images\": [\(images.joined(separator: ", "))], \"annotations\": ["
      + annotations.joined(separator: ",\n") + "], \"categories\": ["
      + categories.joined(separator: ", ") + "]}"
    resultsJSON = "[" + results.joined(separator: ",\n") + "]"
  }
}

@Suite struct COCOReferenceTests {
  @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
  func randomDatasetsMatchPycocotools(seed: UInt64) throws {
    guard PycocotoolsReference.isAvailable() else { return }
    let dataset = RandomCOCODataset(seed: seed)
    let directory = try TemporaryDirectory("cairn-coco-reference")
    defer { directory.remove() }
    try directory.write(dataset.groundTruthJSON, to: "gt.json")
    try directory.write(dataset.resultsJSON, to: "results.json")
    let files = try COCOFiles(
      groundTruth: Data(dataset.groundTruthJSON.utf8), results: Data(dataset.resultsJSON.utf8))
    let reference = try PycocotoolsReference(
      groundTruthPath: directory.appending("gt.json"),
      resultsPath: directory.appending("results.json"), in: directory)
    let result = COCOEvaluator.evaluate(files.problem)
    reference.expectAgreement(with: result)
    // The category without ground truth has no AP, as pycocotools' -1.
    let noTruth = try #require(result.categories.first { $0.name == "class42" })
    #expect(noTruth.ap == nil && noTruth.ar100 == nil && noTruth.groundTruthCount == 0)
    #expect(noTruth.predictionCount > 0)
  }
}
