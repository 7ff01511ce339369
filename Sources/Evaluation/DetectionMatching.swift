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
  ///
  /// In each image (and category, when `classwise`), predictions in descending score (ties in
  /// input order) each take the still-free ground-truth box of highest IoU at or above the
  /// threshold (`min(iou, 1 - 1e-10)`), ties going to the later box; boxes are visited non-crowd
  /// first and, once a non-crowd box is held, the search stops at the first crowd box. A crowd
  /// box stays free for later predictions, a prediction matched to it is ignored, and a crowd
  /// box matched by nothing is not a false negative. There is no cap on predictions per image.
  /// Boxes whose image or category index is out of range take no part.
  ///
  /// On the crowd boxes this follows pycocotools where FiftyOne differs slightly: FiftyOne stops
  /// at the second crowd box once a crowd box is held, pycocotools keeps the crowd box of
  /// highest IoU.
  package static func match(_ problem: DetectionProblem, iou: Double, classwise: Bool)
    -> DetectionMatches
  {
    var matcher = GreedyMatcher(problem: problem, threshold: min(iou, 1 - 1e-10))
    let categoryCount = problem.categories.count
    let imageCount = max(problem.imageCount, 0)
    let groundTruth = BoxBuckets(
      problem.groundTruth, imageCount: imageCount, categoryCount: categoryCount,
      byCategory: classwise)
    let predictions = BoxBuckets(
      problem.predictions, imageCount: imageCount, categoryCount: categoryCount,
      byCategory: classwise)
    for category in 0..<(classwise ? categoryCount : 1) {
      for image in 0..<imageCount {
        matcher.matchBucket(
          image: image,
          groundTruth: groundTruth.source[groundTruth.range(category: category, image: image)],
          predictions: predictions.source[predictions.range(category: category, image: image)])
      }
    }
    return matcher.matches
  }
}

/// The state of ``DetectionMatcher/match(_:iou:classwise:)``.
private struct GreedyMatcher {
  let problem: DetectionProblem
  let threshold: Double
  let background: Int
  var matches: DetectionMatches
  private var predictionOrder: [Int] = []
  private var groundTruthOrder: [Int] = []

  init(problem: DetectionProblem, threshold: Double) {
    self.problem = problem
    self.threshold = threshold
    let categoryCount = problem.categories.count
    background = categoryCount
    matches = DetectionMatches(
      groundTruthMatch: [Int32](repeating: -1, count: problem.groundTruth.count),
      predictionMatch: [Int32](repeating: -1, count: problem.predictions.count),
      predictionIoU: [Double](repeating: 0, count: problem.predictions.count),
      predictionIgnored: [Bool](repeating: false, count: problem.predictions.count),
      categories: problem.categories.map {
        ClassCounts(name: $0, truePositives: 0, falsePositives: 0, falseNegatives: 0)
      },
      images: [ImageCounts](repeating: ImageCounts(), count: max(problem.imageCount, 0)),
      confusion: [Int](repeating: 0, count: (categoryCount + 1) * (categoryCount + 1)))
  }

  /// Matches the boxes of one bucket, given by their problem indices in problem order.
  mutating func matchBucket(
    image: Int, groundTruth: ArraySlice<Int32>, predictions: ArraySlice<Int32>
  ) {
    if groundTruth.isEmpty && predictions.isEmpty { return }
    let truth = problem.groundTruth
    let predicted = problem.predictions
    predictionOrder.removeAll(keepingCapacity: true)
    for index in predictions { predictionOrder.append(Int(index)) }
    predictionOrder.sort { left, right in
      let leftScore = predicted[left].score
      let rightScore = predicted[right].score
      return leftScore > rightScore || (leftScore == rightScore && left < right)
    }
    groundTruthOrder.removeAll(keepingCapacity: true)
    for index in groundTruth where !truth[Int(index)].crowd { groundTruthOrder.append(Int(index)) }
    for index in groundTruth where truth[Int(index)].crowd { groundTruthOrder.append(Int(index)) }

    for prediction in predictionOrder {
      let box = predicted[prediction]
      var best = threshold
      var matched = -1
      for gt in groundTruthOrder {
        let candidate = truth[gt]
        if matches.groundTruthMatch[gt] >= 0 && !candidate.crowd { continue }
        if matched > -1 && !truth[matched].crowd && candidate.crowd { break }
        let overlap = boxIoU(box, candidate)
        if overlap < best { continue }
        best = overlap
        matched = gt
      }
      record(prediction: prediction, matched: matched, overlap: best, image: image)
    }

    for gt in groundTruthOrder where matches.groundTruthMatch[gt] < 0 && !truth[gt].crowd {
      let category = Int(truth[gt].category)
      matches.categories[category].falseNegatives += 1
      matches.images[image].falseNegatives += 1
      matches.confusion[category * (background + 1) + background] += 1
    }
  }

  private mutating func record(prediction: Int, matched: Int, overlap: Double, image: Int) {
    let predictedCategory = Int(problem.predictions[prediction].category)
    let width = background + 1
    guard matched >= 0 else {
      matches.categories[predictedCategory].falsePositives += 1
      matches.images[image].falsePositives += 1
      matches.confusion[background * width + predictedCategory] += 1
      return
    }
    let gt = problem.groundTruth[matched]
    matches.predictionMatch[prediction] = Int32(truncatingIfNeeded: matched)
    matches.predictionIoU[prediction] = overlap
    if matches.groundTruthMatch[matched] < 0 {
      matches.groundTruthMatch[matched] = Int32(truncatingIfNeeded: prediction)
    }
    if gt.crowd {
      matches.predictionIgnored[prediction] = true
      return
    }
    let trueCategory = Int(gt.category)
    if trueCategory == predictedCategory {
      matches.categories[trueCategory].truePositives += 1
      matches.images[image].truePositives += 1
    } else {
      matches.categories[predictedCategory].falsePositives += 1
      matches.categories[trueCategory].falseNegatives += 1
      matches.images[image].falsePositives += 1
      matches.images[image].falseNegatives += 1
    }
    matches.confusion[trueCategory * width + predictedCategory] += 1
  }
}
