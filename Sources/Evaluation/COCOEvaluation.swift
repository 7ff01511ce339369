import Dispatch

/// The parameters of a COCO evaluation (pycocotools `Params` for `iouType="bbox"`).
package struct COCOParameters: Sendable {
  /// 0.50:0.05:0.95, computed as numpy's `linspace` does.
  package var iouThresholds: [Double]
  /// 0:0.01:1, computed as numpy's `linspace` does.
  package var recallThresholds: [Double]
  /// 1, 10, 100; the last is the per-image cap used for matching.
  package var maxDetections: [Int]
  /// all, small, medium, large: `[lo, hi]` of the area, both inclusive.
  package var areaRanges: [(lo: Double, hi: Double)]
  package var areaNames: [String]

  package static let standard = COCOParameters()

  package init() {
    iouThresholds = linspace(0.5, 0.95, count: 10)
    recallThresholds = linspace(0, 1, count: 101)
    maxDetections = [1, 10, 100]
    areaRanges = [(0, 1e10), (0, 32 * 32), (32 * 32, 96 * 96), (96 * 96, 1e10)]
    areaNames = ["all", "small", "medium", "large"]
  }
}

/// numpy's `linspace(start, stop, count)` bit for bit: `i * step + start`, the last value `stop`.
package func linspace(_ start: Double, _ stop: Double, count: Int) -> [Double] {
  guard count > 1 else { return count == 1 ? [start] : [] }
  let step = (stop - start) / Double(count - 1)
  var values = (0..<count).map { Double($0) * step + start }
  values[count - 1] = stop
  return values
}

/// One category's results in a COCO evaluation.
package struct COCOCategoryResult: Sendable, Equatable {
  package var name: String
  /// Mean precision over IoU 0.50:0.95 and the recall points (area all, 100 detections); nil
  /// when the category has no ground truth (pycocotools' -1).
  package var ap: Double?
  package var ap50: Double?
  package var ap75: Double?
  /// Mean recall over IoU thresholds (area all, 100 detections); nil without ground truth.
  package var ar100: Double?
  /// Ground-truth boxes that are not crowd.
  package var groundTruthCount: Int
  package var predictionCount: Int
}

/// The result of ``COCOEvaluator/evaluate(_:parameters:)``.
package struct COCOResult: Sendable {
  /// The twelve numbers of pycocotools' `COCOeval.stats`, in its order: AP, AP50, AP75, APs, APm,
  /// APl, AR1, AR10, AR100, ARs, ARm, ARl; -1 where pycocotools prints -1.
  package var stats: [Double]
  package var categories: [COCOCategoryResult]
  /// pycocotools' `eval['precision']`, T×R×K×A×M, flattened with the last index fastest;
  /// -1 where undefined.
  package var precision: [Double]
  /// pycocotools' `eval['recall']`, T×K×A×M, flattened the same way.
  package var recall: [Double]
  package var parameters: COCOParameters

  /// The names of ``stats`` in order, as the JSON summary keys.
  package static let statNames = [
    "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl",
  ]
}

/// pycocotools' `COCOeval` for boxes (`evaluate`, `accumulate`, `summarize`).
package enum COCOEvaluator {
  /// Evaluates `problem` exactly as pycocotools does.
  ///
  /// Categories without ground truth give -1 entries, skipped by the means (as pycocotools).
  ///
  /// Follows pycocotools' `evaluate`, `accumulate` and `summarize` step by step, including its
  /// tie orders (stable sorts by descending score), its per-image cap of `maxDetections.last`
  /// detections, and numpy's summation order in the means. Predictions or ground truth whose image
  /// or category index is out of range are left out. Categories are evaluated in parallel.
  ///
  /// One difference remains: pycocotools reads a detection matched to a ground-truth box whose
  /// annotation id is 0 as unmatched; problems carry no ids, so such a match counts as a match.
  /// - Parameters:
  ///   - problem: The boxes, images in the reference's order (sorted image ids).
  ///   - parameters: Thresholds, recall points, detection caps and area ranges.
  /// - Returns: The twelve summary numbers, per-category results and the full arrays.
  /// - Complexity: O(n + images × categories) for grouping, then per image and category
  ///   O(D × G × thresholds × area ranges), and one sort of each category's detections.
  package static func evaluate(
    _ problem: DetectionProblem, parameters: COCOParameters = .standard
  ) -> COCOResult {
    let categoryCount = problem.categories.count
    let imageCount = max(problem.imageCount, 0)
    let groundTruth = BoxBuckets(
      problem.groundTruth, imageCount: imageCount, categoryCount: categoryCount,
      byCategory: true)
    let predictions = BoxBuckets(
      problem.predictions, imageCount: imageCount, categoryCount: categoryCount,
      byCategory: true)
    let shape = COCOShape(parameters: parameters, categoryCount: categoryCount)
    var precision = [Double](repeating: -1, count: shape.precisionCount)
    var recall = [Double](repeating: -1, count: shape.recallCount)
    precision.withUnsafeMutableBufferPointer { precisionBuffer in
      recall.withUnsafeMutableBufferPointer { recallBuffer in
        let output = COCOOutput(
          precision: SharedBuffer(base: precisionBuffer), recall: SharedBuffer(base: recallBuffer))
        DispatchQueue.concurrentPerform(iterations: categoryCount) { category in
          var worker = COCOCategoryWorker(
            category: category, shape: shape, parameters: parameters, imageCount: imageCount)
          worker.evaluateImages(groundTruth: groundTruth, predictions: predictions)
          worker.accumulate(into: output)
        }
      }
    }
    let summary = COCOSummary(
      shape: shape, parameters: parameters, precision: precision, recall: recall)
    var categories: [COCOCategoryResult] = []
    categories.reserveCapacity(categoryCount)
    for category in 0..<categoryCount {
      // Keys are category * imageCount + image, so a category's buckets are contiguous.
      let gtRange =
        groundTruth.offsets[
          category * imageCount]..<groundTruth.offsets[(category + 1) * imageCount]
      let groundTruthCount = gtRange.count { !groundTruth.boxes[$0].crowd }
      let predictionCount =
        predictions.offsets[(category + 1) * imageCount]
        - predictions.offsets[category * imageCount]
      categories.append(
        COCOCategoryResult(
          name: problem.categories[category],
          ap: summary.categoryMean(category, precisionAt: nil),
          ap50: summary.categoryMean(category, precisionAt: 0.5),
          ap75: summary.categoryMean(category, precisionAt: 0.75),
          ar100: summary.categoryRecall(category),
          groundTruthCount: groundTruthCount, predictionCount: predictionCount))
    }
    return COCOResult(
      stats: summary.stats(), categories: categories, precision: precision, recall: recall,
      parameters: parameters)
  }
}
