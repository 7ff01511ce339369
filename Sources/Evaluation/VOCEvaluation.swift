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
  ///
  /// Follows the PASCAL VOC devkit as rewritten by Padilla et al. (`review_object_detection_metrics`):
  /// a match needs IoU ≥ `iou` (the devkit itself uses >); the best box already taken makes a
  /// false positive, without looking at the second best; a best box that is crowd ("difficult")
  /// at IoU ≥ `iou` makes the prediction ignored, and crowd boxes do not count as ground truth.
  /// All-point AP is VOC2010's area under the precision envelope; 11-point AP is VOC2007's mean
  /// of the best precision at recall ≥ each of numpy's `linspace(0, 1, 11)`.
  package static func evaluate(_ problem: DetectionProblem, iou: Double, pixelInclusive: Bool)
    -> [VOCClassResult]
  {
    let categoryCount = problem.categories.count
    let imageCount = max(problem.imageCount, 0)
    let groundTruth = BoxBuckets(
      problem.groundTruth, imageCount: imageCount, categoryCount: categoryCount, byCategory: true)
    let predictions = BoxBuckets(
      problem.predictions, imageCount: imageCount, categoryCount: categoryCount, byCategory: false)
    // Predictions by category, in problem order (a stable counting sort on the category).
    var byCategory = [[Int]](repeating: [], count: categoryCount)
    for position in predictions.boxes.indices {
      let category = Int(predictions.boxes[position].category)
      if category < categoryCount { byCategory[category].append(Int(predictions.source[position])) }
    }
    var taken = [Bool](repeating: false, count: groundTruth.boxes.count)
    return problem.categories.indices.map { category in
      var order = byCategory[category]
      order.sort { left, right in
        let leftScore = problem.predictions[left].score
        let rightScore = problem.predictions[right].score
        return leftScore > rightScore || (leftScore == rightScore && left < right)
      }
      let gtSpan =
        groundTruth.offsets[
          category * imageCount]..<groundTruth.offsets[(category + 1) * imageCount]
      let positives = gtSpan.count { !groundTruth.boxes[$0].crowd }
      var truePositives = 0
      var falsePositives = 0
      var precision: [Double] = []
      var recall: [Double] = []
      for prediction in order {
        let box = problem.predictions[prediction]
        var bestOverlap = Double.leastNormalMagnitude
        var best = -1
        for gt in groundTruth.range(category: category, image: Int(box.image)) {
          let overlap = vocIoU(box, groundTruth.boxes[gt], pixelInclusive: pixelInclusive)
          if overlap > bestOverlap {
            bestOverlap = overlap
            best = gt
          }
        }
        if best >= 0 && bestOverlap >= iou {
          if groundTruth.boxes[best].crowd {
            // Ignored: the curve repeats its previous point.
          } else if !taken[best] {
            taken[best] = true
            truePositives += 1
          } else {
            falsePositives += 1
          }
        } else {
          falsePositives += 1
        }
        let detections = truePositives + falsePositives
        precision.append(detections == 0 ? 0 : Double(truePositives) / Double(detections))
        recall.append(positives == 0 ? 0 : Double(truePositives) / Double(positives))
      }
      return VOCClassResult(
        name: problem.categories[category], groundTruthCount: positives,
        predictionCount: order.count, truePositives: truePositives,
        falsePositives: falsePositives,
        allPointAP: positives == 0 ? nil : allPointAP(precision: precision, recall: recall),
        elevenPointAP: positives == 0 ? nil : elevenPointAP(precision: precision, recall: recall),
        precision: precision, recall: recall)
    }
  }

  /// VOC2010's all-point AP: the area under the precision envelope.
  ///
  /// - Parameters:
  ///   - precision: Precision after each prediction.
  ///   - recall: Recall after each prediction (non-decreasing).
  /// - Returns: The sum of Δrecall × envelope precision over the points where recall changes.
  static func allPointAP(precision: [Double], recall: [Double]) -> Double {
    let levels = [0] + recall + [1]
    var envelope = [0] + precision + [0]
    for index in stride(from: envelope.count - 1, to: 0, by: -1) {
      envelope[index - 1] = max(envelope[index - 1], envelope[index])
    }
    var area = 0.0
    for index in 1..<levels.count where levels[index] != levels[index - 1] {
      area += (levels[index] - levels[index - 1]) * envelope[index]
    }
    return area
  }

  /// VOC2007's 11-point AP at numpy's `linspace(0, 1, 11)`.
  ///
  /// - Parameters:
  ///   - precision: Precision after each prediction.
  ///   - recall: Recall after each prediction.
  /// - Returns: The mean, over the levels, of the best precision at recall ≥ the level (0 if none).
  static func elevenPointAP(precision: [Double], recall: [Double]) -> Double {
    var sum = 0.0
    // From recall 1 down to 0, the order of the reference's sum.
    for level in linspace(0, 1, count: 11).reversed() {
      var best = 0.0
      for index in recall.indices where recall[index] >= level {
        best = max(best, precision[index])
      }
      sum += best
    }
    return sum / 11
  }
}

/// The IoU of two boxes, optionally with the devkit's pixel-inclusive widths.
///
/// With `pixelInclusive`, a box `[x, y, w, h]` spans `x ... x + w` inclusive, so its width is
/// `w + 1`, and the intersection `min(x2, x2') - max(x1, x1') + 1`.
/// - Parameters:
///   - first: One box.
///   - second: The other box.
///   - pixelInclusive: Add 1 to each width and height.
/// - Returns: Intersection over union, 0 when the boxes do not meet.
func vocIoU(_ first: EvalBox, _ second: EvalBox, pixelInclusive: Bool) -> Double {
  let extra = pixelInclusive ? 1.0 : 0.0
  let left = max(first.x, second.x)
  let right = min(first.x + first.width, second.x + second.width)
  let top = max(first.y, second.y)
  let bottom = min(first.y + first.height, second.y + second.height)
  let width = right - left + extra
  let height = bottom - top + extra
  if pixelInclusive ? (right < left || bottom < top) : (width <= 0 || height <= 0) { return 0 }
  let intersection = width * height
  let union =
    (first.width + extra) * (first.height + extra) + (second.width + extra)
    * (second.height + extra) - intersection
  return intersection / union
}
