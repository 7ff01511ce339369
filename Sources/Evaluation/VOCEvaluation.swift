/// One category's PASCAL VOC average precision at one IoU threshold.
package struct VOCClassResult: Sendable, Equatable {
  package var name: String
  /// Ground-truth boxes that are not crowd ("difficult" in VOC's words).
  package var groundTruthCount: Int
  package var predictionCount: Int
  package var truePositives: Int
  package var falsePositives: Int
  /// All-point interpolation (VOC2010 and later); nil without ground truth.
  package var allPointAP: Double?
  /// 11-point interpolation (VOC2007) at numpy's `linspace(0, 1, 11)`; nil without ground truth.
  package var elevenPointAP: Double?
  /// Precision and recall after each prediction, in score order.
  package var precision: [Double]
  package var recall: [Double]
}

/// PASCAL VOC average precision.
///
/// Per category, predictions in descending score (ties in input order) each take the ground-truth box of its image with the highest IoU; at IoU ≥ the
/// threshold and not yet taken it is a true positive, else a false positive. A prediction whose
/// best box is a crowd box is ignored.
package enum VOCEvaluator {
  /// Evaluates every category of `problem`.
  ///
  /// - Parameters:
  ///   - problem: The boxes.
  ///   - iou: The threshold; a match needs IoU ≥ `iou`.
  ///   - pixelInclusive: Measure widths and heights as `x2 - x1 + 1` (the VOC devkit's pixel
  ///     convention); boxes are still given as `[x, y, width, height]`, so this adds 1 to
  ///     each width and height in the IoU.
  /// - Returns: One result per category, in ``DetectionProblem/categories`` order.
  package static func evaluate(_ problem: DetectionProblem, iou: Double, pixelInclusive: Bool)
    -> [VOCClassResult]
  {
    fatalError("VOCEvaluator.evaluate is being written")
  }
}
