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
  package static func evaluate(
    _ problem: DetectionProblem, parameters: COCOParameters = .standard
  ) -> COCOResult {
    fatalError("COCOEvaluator.evaluate is being written")
  }
}
