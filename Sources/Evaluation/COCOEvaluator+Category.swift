/// The dimensions of pycocotools' T×R×K×A×M arrays and their flattened indices.
struct COCOShape: Sendable {
  let thresholds: Int
  let recallPoints: Int
  let categories: Int
  let areas: Int
  let caps: Int

  init(parameters: COCOParameters, categoryCount: Int) {
    thresholds = parameters.iouThresholds.count
    recallPoints = parameters.recallThresholds.count
    categories = categoryCount
    areas = parameters.areaRanges.count
    caps = parameters.maxDetections.count
  }

  var precisionCount: Int { thresholds * recallPoints * categories * areas * caps }
  var recallCount: Int { thresholds * categories * areas * caps }

  func precisionIndex(threshold: Int, recallPoint: Int, category: Int, area: Int, cap: Int) -> Int {
    (((threshold * recallPoints + recallPoint) * categories + category) * areas + area) * caps
      + cap
  }

  func recallIndex(threshold: Int, category: Int, area: Int, cap: Int) -> Int {
    ((threshold * categories + category) * areas + area) * caps + cap
  }
}

/// Where the per-category workers write their part of the precision and recall arrays.
struct COCOOutput: Sendable {
  let precision: SharedBuffer<Double>
  let recall: SharedBuffer<Double>
}

/// The outcome of one detection at one area range and IoU threshold.
enum DetectionOutcome {
  static let falsePositive: UInt8 = 0
  static let truePositive: UInt8 = 1
  static let ignored: UInt8 = 2
}

/// pycocotools' `evaluateImg` and `accumulate` for one category.
///
/// Detections kept after the per-image cap get a slot, in image order and then score order
/// within the image; each slot records the score, its rank in the image and one outcome per
/// area range and threshold.
struct COCOCategoryWorker {
  let category: Int
  let shape: COCOShape
  let parameters: COCOParameters
  let imageCount: Int
  /// The cap used when matching: pycocotools matches with `maxDets[-1]`.
  let matchCap: Int
  let thresholds: [Double]

  var slotScores: [Double] = []
  var slotRanks: [Int32] = []
  /// `outcomes[(slot * areas + area) * thresholds + threshold]`.
  var outcomes: [UInt8] = []
  /// Ground-truth boxes that are not ignored, per area range (pycocotools' `npig`).
  var notIgnored: [Int]

  private var detectionOrder: [Int] = []
  private var ious: [Double] = []
  private var groundTruthOrder: [Int] = []
  private var groundTruthIgnored: [Bool] = []
  private var groundTruthTaken: [Bool] = []

  init(category: Int, shape: COCOShape, parameters: COCOParameters, imageCount: Int) {
    self.category = category
    self.shape = shape
    self.parameters = parameters
    self.imageCount = imageCount
    matchCap = max(parameters.maxDetections.last ?? 0, 0)
    thresholds = parameters.iouThresholds.map { min($0, 1 - 1e-10) }
    notIgnored = [Int](repeating: 0, count: shape.areas)
  }

  /// Matches every image of the category (pycocotools' `computeIoU` and `evaluateImg`).
  mutating func evaluateImages(groundTruth: BoxBuckets, predictions: BoxBuckets) {
    groundTruth.boxes.withUnsafeBufferPointer { gtBoxes in
      predictions.boxes.withUnsafeBufferPointer { dtBoxes in
        for image in 0..<imageCount {
          let gtRange = groundTruth.range(category: category, image: image)
          let dtRange = predictions.range(category: category, image: image)
          if gtRange.isEmpty && dtRange.isEmpty { continue }
          evaluateImage(
            groundTruth: UnsafeBufferPointer(rebasing: gtBoxes[gtRange]),
            predictions: UnsafeBufferPointer(rebasing: dtBoxes[dtRange]))
        }
      }
    }
  }

  private mutating func evaluateImage(
    groundTruth: UnsafeBufferPointer<EvalBox>, predictions: UnsafeBufferPointer<EvalBox>
  ) {
    let gtCount = groundTruth.count
    // Descending score, ties in input order: a stable sort.
    detectionOrder.removeAll(keepingCapacity: true)
    detectionOrder.append(contentsOf: predictions.indices)
    if detectionOrder.count > 1 {
      detectionOrder.sort { left, right in
        let leftScore = predictions[left].score
        let rightScore = predictions[right].score
        return leftScore > rightScore || (leftScore == rightScore && left < right)
      }
    }
    let dtCount = min(detectionOrder.count, matchCap)

    ious.removeAll(keepingCapacity: true)
    for rank in 0..<dtCount {
      let detection = predictions[detectionOrder[rank]]
      for gt in 0..<gtCount { ious.append(boxIoU(detection, groundTruth[gt])) }
    }

    let firstSlot = slotScores.count
    for rank in 0..<dtCount {
      slotScores.append(predictions[detectionOrder[rank]].score)
      slotRanks.append(Int32(truncatingIfNeeded: rank))
    }
    let areaCount = shape.areas
    let thresholdCount = shape.thresholds
    outcomes.append(
      contentsOf: repeatElement(
        DetectionOutcome.falsePositive, count: dtCount * areaCount * thresholdCount))

    for area in 0..<areaCount {
      let (low, high) = parameters.areaRanges[area]
      groundTruthIgnored.removeAll(keepingCapacity: true)
      groundTruthOrder.removeAll(keepingCapacity: true)
      for gt in 0..<gtCount {
        let box = groundTruth[gt]
        let ignored = box.crowd || box.area < low || box.area > high
        groundTruthIgnored.append(ignored)
        if !ignored { groundTruthOrder.append(gt) }
      }
      notIgnored[area] += groundTruthOrder.count
      for gt in 0..<gtCount where groundTruthIgnored[gt] { groundTruthOrder.append(gt) }

      for threshold in 0..<thresholdCount {
        groundTruthTaken.removeAll(keepingCapacity: true)
        groundTruthTaken.append(contentsOf: repeatElement(false, count: gtCount))
        for rank in 0..<dtCount {
          let matched = greedyMatch(
            rank: rank, gtCount: gtCount, groundTruth: groundTruth,
            threshold: thresholds[threshold])
          let outcome: UInt8
          if matched >= 0 {
            groundTruthTaken[matched] = true
            outcome =
              groundTruthIgnored[matched]
              ? DetectionOutcome.ignored : DetectionOutcome.truePositive
          } else {
            let detection = predictions[detectionOrder[rank]]
            let area = detection.width * detection.height
            outcome =
              area < low || area > high ? DetectionOutcome.ignored : DetectionOutcome.falsePositive
          }
          outcomes[((firstSlot + rank) * areaCount + area) * thresholdCount + threshold] = outcome
        }
      }
    }
  }

  /// The ground-truth box detection `rank` takes at one threshold, or -1.
  ///
  /// Boxes are visited non-ignored first; a taken box is skipped unless crowd; once a
  /// non-ignored box is held the search stops at the first ignored one; an equal IoU goes to
  /// the later box.
  @inline(__always)
  private func greedyMatch(
    rank: Int, gtCount: Int, groundTruth: UnsafeBufferPointer<EvalBox>, threshold: Double
  ) -> Int {
    var best = threshold
    var matched = -1
    let row = rank * gtCount
    for position in 0..<gtCount {
      let gt = groundTruthOrder[position]
      if groundTruthTaken[gt] && !groundTruth[gt].crowd { continue }
      if matched > -1 && !groundTruthIgnored[matched] && groundTruthIgnored[gt] { break }
      let overlap = ious[row + gt]
      if overlap < best { continue }
      best = overlap
      matched = gt
    }
    return matched
  }

  /// pycocotools' `accumulate` for this category, written into `output`.
  func accumulate(into output: COCOOutput) {
    let slotCount = slotScores.count
    // One stable sort by descending score serves every area range and cap: slots are already
    // in (image, rank) order, which is the order of pycocotools' concatenation.
    var order = [Int32](unsafeUninitializedCapacity: slotCount) { buffer, count in
      for slot in 0..<slotCount { buffer[slot] = Int32(truncatingIfNeeded: slot) }
      count = slotCount
    }
    slotScores.withUnsafeBufferPointer { scores in
      order.sort { left, right in
        let leftScore = scores[Int(left)]
        let rightScore = scores[Int(right)]
        return leftScore > rightScore || (leftScore == rightScore && left < right)
      }
    }
    // The outcomes and ranks in score order, so that the passes below read memory in order.
    let slotStride = shape.areas * shape.thresholds
    var sortedOutcomes = [UInt8](repeating: 0, count: slotCount * slotStride)
    var sortedRanks = [Int32](repeating: 0, count: slotCount)
    for (position, slot) in order.enumerated() {
      let slot = Int(slot)
      sortedRanks[position] = slotRanks[slot]
      for offset in 0..<slotStride {
        sortedOutcomes[position * slotStride + offset] = outcomes[slot * slotStride + offset]
      }
    }
    let machineEpsilon = 2.220446049250313e-16
    let recallThresholds = parameters.recallThresholds
    let areaCount = shape.areas
    let thresholdCount = shape.thresholds
    // One curve per threshold, built in a single pass over the detections.
    var recallCurves = [Double](repeating: 0, count: slotCount * thresholdCount)
    var precisionCurves = [Double](repeating: 0, count: slotCount * thresholdCount)
    var truePositives = [Int](repeating: 0, count: thresholdCount)
    var falsePositives = [Int](repeating: 0, count: thresholdCount)
    var counts = [Int](repeating: 0, count: thresholdCount)

    for (cap, capValue) in parameters.maxDetections.enumerated() {
      for area in 0..<areaCount where notIgnored[area] > 0 {
        let positives = Double(notIgnored[area])
        for threshold in 0..<thresholdCount {
          truePositives[threshold] = 0
          falsePositives[threshold] = 0
          counts[threshold] = 0
        }
        for position in 0..<slotCount where Int(sortedRanks[position]) < capValue {
          let base = position * slotStride + area * thresholdCount
          for threshold in 0..<thresholdCount {
            let outcome = sortedOutcomes[base + threshold]
            // Ignored detections repeat the previous point of the curve, which changes
            // neither the interpolated precision nor the final recall.
            if outcome == DetectionOutcome.ignored { continue }
            if outcome == DetectionOutcome.truePositive {
              truePositives[threshold] += 1
            } else {
              falsePositives[threshold] += 1
            }
            let tp = Double(truePositives[threshold])
            let point = threshold * slotCount + counts[threshold]
            recallCurves[point] = tp / positives
            precisionCurves[point] =
              tp / (Double(falsePositives[threshold] + truePositives[threshold]) + machineEpsilon)
            counts[threshold] += 1
          }
        }
        for threshold in 0..<thresholdCount {
          let first = threshold * slotCount
          let count = counts[threshold]
          output.recall[
            shape.recallIndex(threshold: threshold, category: category, area: area, cap: cap)] =
            count > 0 ? recallCurves[first + count - 1] : 0
          if count > 1 {
            for index in stride(from: first + count - 1, to: first, by: -1)
            where precisionCurves[index] > precisionCurves[index - 1] {
              precisionCurves[index - 1] = precisionCurves[index]
            }
          }
          var reachedEnd = false
          for (point, level) in recallThresholds.enumerated() {
            var value = 0.0
            if !reachedEnd {
              let position = lowerBound(recallCurves, first..<(first + count), level)
              if position < first + count {
                value = precisionCurves[position]
              } else {
                reachedEnd = true
              }
            }
            output.precision[
              shape.precisionIndex(
                threshold: threshold, recallPoint: point, category: category, area: area,
                cap: cap)] = value
          }
        }
      }
    }
  }
}

/// numpy's `searchsorted(values[range], level, side="left")`, as an index into `values`.
private func lowerBound(_ values: [Double], _ range: Range<Int>, _ level: Double) -> Int {
  var low = range.lowerBound
  var high = range.upperBound
  while low < high {
    let middle = (low + high) / 2
    if values[middle] < level { low = middle + 1 } else { high = middle }
  }
  return low
}

/// maskUtils' `bbIou`: intersection over union, over the detection's own area for a crowd box.
///
/// - Parameters:
///   - detection: The predicted box.
///   - groundTruth: The ground-truth box.
/// - Returns: The overlap, 0 when the boxes do not intersect.
@inline(__always)
func boxIoU(_ detection: EvalBox, _ groundTruth: EvalBox) -> Double {
  let width =
    min(detection.x + detection.width, groundTruth.x + groundTruth.width)
    - max(detection.x, groundTruth.x)
  if width <= 0 { return 0 }
  let height =
    min(detection.y + detection.height, groundTruth.y + groundTruth.height)
    - max(detection.y, groundTruth.y)
  if height <= 0 { return 0 }
  let intersection = width * height
  let detectionArea = detection.width * detection.height
  let union =
    groundTruth.crowd
    ? detectionArea : detectionArea + groundTruth.width * groundTruth.height - intersection
  return intersection / union
}
