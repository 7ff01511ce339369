/// Counts of one category at one IoU threshold.
package struct ClassCounts: Sendable, Equatable {
  package var name: String
  package var truePositives: Int
  package var falsePositives: Int
  package var falseNegatives: Int
  /// TP / (TP + FP); nil when there is no prediction of the class.
  package var precision: Double? {
    truePositives + falsePositives == 0
      ? nil : Double(truePositives) / Double(truePositives + falsePositives)
  }
  /// TP / (TP + FN); nil when there is no ground truth of the class.
  package var recall: Double? {
    truePositives + falseNegatives == 0
      ? nil : Double(truePositives) / Double(truePositives + falseNegatives)
  }
  /// The harmonic mean of precision and recall; nil when either is, 0 when both are 0.
  package var f1: Double? {
    guard let precision, let recall else { return nil }
    return precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
  }

  package init(name: String, truePositives: Int, falsePositives: Int, falseNegatives: Int) {
    self.name = name
    self.truePositives = truePositives
    self.falsePositives = falsePositives
    self.falseNegatives = falseNegatives
  }
}

/// TP, FP and FN of one image at one IoU threshold.
package struct ImageCounts: Sendable, Equatable {
  package var truePositives: Int
  package var falsePositives: Int
  package var falseNegatives: Int

  package init(truePositives: Int = 0, falsePositives: Int = 0, falseNegatives: Int = 0) {
    self.truePositives = truePositives
    self.falsePositives = falsePositives
    self.falseNegatives = falseNegatives
  }
}

/// The matches of every object at one IoU threshold, and what follows from them.
package struct DetectionMatches: Sendable {
  /// For each ground-truth box, in problem order: the index of the prediction it matched, or -1.
  package var groundTruthMatch: [Int32]
  /// For each prediction, in problem order: the index of the ground-truth box it matched, or -1.
  package var predictionMatch: [Int32]
  /// For each prediction: the IoU with its match (intersection over the prediction's area for a
  /// crowd box), 0 when unmatched.
  package var predictionIoU: [Double]
  /// For each prediction: matched to a crowd box, so neither a true nor a false positive.
  package var predictionIgnored: [Bool]
  /// Per category, in ``DetectionProblem/categories`` order.
  package var categories: [ClassCounts]
  /// Per image, by image index.
  package var images: [ImageCounts]
  /// The confusion matrix, `(K + 1) × (K + 1)` counts flattened by rows.
  ///
  /// Row = ground-truth category, column = predicted category, the
  /// last row and column background: a prediction matched to nothing counts in the background
  /// row, a ground-truth box matched by nothing in the background column.
  package var confusion: [Int]
}

/// Matching at one IoU threshold, COCO-style (pycocotools' greedy rule with crowd boxes), as
/// FiftyOne's `evaluate_detections(method="coco", iou=…)` does per sample.
package enum DetectionMatcher {
  /// Matches predictions to ground truth in each image.
  ///
  /// - Parameters:
  ///   - problem: The boxes.
  ///   - iou: The threshold; a match needs IoU ≥ `iou`.
  ///   - classwise: Match only within a category; when false a prediction may match a
  ///     ground-truth box of another category, which counts as a false positive of the
  ///     predicted category, a false negative of the true one and a confusion between them.
  /// - Returns: The matches of every box and the counts they give.
  package static func match(_ problem: DetectionProblem, iou: Double, classwise: Bool)
    -> DetectionMatches
  {
    fatalError("DetectionMatcher.match is being written")
  }
}
