/// One box of a cuboid evaluation: ground truth or a prediction.
package struct CuboidDetection: Sendable, Equatable {
  /// The sample (frame) the box belongs to; boxes match only within one sample.
  package var sample: Int
  /// The class name; boxes match only within one class (compared exactly).
  package var className: String
  package var box: OrientedBox
  /// The prediction's confidence; ignored for ground truth.
  package var score: Double

  package init(sample: Int, className: String, box: OrientedBox, score: Double = 1) {
    self.sample = sample
    self.className = className
    self.box = box
    self.score = score
  }
}

/// The IoU a prediction needs to match a ground-truth box, per class.
///
/// KITTI's benchmark asks 0.7 for cars and 0.5 for pedestrians and cyclists; any other class
/// gets ``fallback``. Class names are looked up ignoring case.
package struct CuboidThresholds: Sendable, Equatable {
  /// KITTI's thresholds, by lower-cased class name.
  package static let kitti: [String: Double] = ["car": 0.7, "pedestrian": 0.5, "cyclist": 0.5]

  /// Thresholds by lower-cased class name.
  package private(set) var byClass: [String: Double]
  /// The threshold of a class not in ``byClass``.
  package var fallback: Double

  /// KITTI's thresholds, with `overrides` replacing or adding classes.
  ///
  /// - Parameters:
  ///   - overrides: Thresholds by class name (any case); they win over KITTI's.
  ///   - fallback: The threshold of every other class.
  package init(overrides: [String: Double] = [:], fallback: Double = 0.5) {
    var byClass = Self.kitti
    for (name, threshold) in overrides { byClass[name.lowercased()] = threshold }
    self.byClass = byClass
    self.fallback = fallback
  }

  /// The threshold of a class.
  ///
  /// - Parameter className: The class name, in any case.
  /// - Returns: Its threshold, or ``fallback``.
  package func threshold(for className: String) -> Double {
    byClass[className.lowercased()] ?? fallback
  }
}

/// Matching counts and average precision of one class under one kind of IoU.
package struct CuboidAveragePrecision: Sendable, Equatable {
  package var truePositives: Int
  package var falsePositives: Int
  /// Ground-truth boxes left unmatched.
  package var falseNegatives: Int
  /// AP over the 40 recall levels 1/40 … 1 (KITTI's current protocol); nil without ground
  /// truth.
  package var ap40: Double?
  /// AP over the 11 recall levels 0, 0.1 … 1 (KITTI's original protocol); nil without ground
  /// truth.
  package var ap11: Double?

  package init(
    truePositives: Int, falsePositives: Int, falseNegatives: Int, ap40: Double?, ap11: Double?
  ) {
    self.truePositives = truePositives
    self.falsePositives = falsePositives
    self.falseNegatives = falseNegatives
    self.ap40 = ap40
    self.ap11 = ap11
  }
}

/// The evaluation of one class: its threshold, counts, and results in bird's-eye view and 3D.
package struct CuboidClassResult: Sendable, Equatable {
  package var name: String
  /// The IoU a match needed.
  package var threshold: Double
  package var groundTruthCount: Int
  package var predictionCount: Int
  /// Matched by bird's-eye-view IoU.
  package var birdsEye: CuboidAveragePrecision
  /// Matched by 3D IoU.
  package var threeD: CuboidAveragePrecision
}

/// KITTI-style evaluation of 3D boxes: per class, greedy matching by score and average
/// precision over 40 and 11 recall points, in bird's-eye view and in 3D.
///
/// No difficulty levels; every box counts. KITTI splits ground truth into easy, moderate and
/// hard by 2D box height, occlusion and truncation, and ignores `DontCare` regions and
/// neighbouring classes (vans for cars); none of that is done here — leave `DontCare` boxes out
/// of the input. Precision is taken after each prediction in score order rather than at KITTI's
/// sampled score thresholds, so results can differ slightly from KITTI's devkit.
package enum CuboidEvaluator {
  /// Evaluates predictions against ground truth, class by class.
  ///
  /// Per class, predictions are taken by score, highest first (equal scores keep their input
  /// order). Each is matched to the still unmatched ground-truth box of its sample and class
  /// with the highest IoU (the first one on a tie), if that IoU reaches the class's threshold:
  /// a true positive; otherwise it is a false positive. Ground truth left unmatched are false
  /// negatives. The matching runs twice, once with bird's-eye-view IoU and once with 3D IoU.
  ///
  /// Average precision is the mean, over the recall levels, of the interpolated precision: the
  /// highest precision reached at a recall at least the level (0 when that recall is never
  /// reached).
  ///
  /// - Parameters:
  ///   - groundTruth: The ground-truth boxes.
  ///   - predictions: The predicted boxes, with scores.
  ///   - thresholds: The IoU thresholds per class.
  /// - Returns: One result per class found in either list, sorted by class name.
  /// - Throws: `CuboidProblem` when the boxes do not all share one up axis, or a score is not
  ///   finite.
  package static func evaluate(
    groundTruth: [CuboidDetection], predictions: [CuboidDetection],
    thresholds: CuboidThresholds = CuboidThresholds()
  ) throws(CuboidProblem) -> [CuboidClassResult] {
    if let first = groundTruth.first ?? predictions.first {
      let mixed = (groundTruth + predictions).first { $0.box.up != first.box.up }
      if let mixed {
        throw CuboidProblem(
          "a \(mixed.className) box of sample \(mixed.sample) turns about \(mixed.box.up), "
            + "another box about \(first.box.up); every box must share one up axis")
      }
    }
    if let bad = predictions.first(where: { !$0.score.isFinite }) {
      throw CuboidProblem(
        "a \(bad.className) prediction of sample \(bad.sample) has the score \(bad.score)")
    }
    let names = Set(groundTruth.map(\.className)).union(predictions.map(\.className)).sorted()
    return names.map { name in
      let truth = groundTruth.filter { $0.className == name }
      let ranked = rank(predictions.filter { $0.className == name })
      let threshold = thresholds.threshold(for: name)
      return CuboidClassResult(
        name: name, threshold: threshold, groundTruthCount: truth.count,
        predictionCount: ranked.count,
        birdsEye: match(ranked, truth, threshold: threshold, iou: OrientedBox.birdsEyeIoU),
        threeD: match(ranked, truth, threshold: threshold, iou: OrientedBox.iou3D))
    }
  }

  /// The predictions by score, highest first, equal scores in input order.
  private static func rank(_ predictions: [CuboidDetection]) -> [CuboidDetection] {
    rankedIndices(predictions).map { predictions[$0] }
  }

  /// The indices of `predictions` by score, highest first, equal scores in input order.
  private static func rankedIndices(_ predictions: [CuboidDetection]) -> [Int] {
    predictions.indices.sorted { a, b in
      predictions[a].score != predictions[b].score
        ? predictions[a].score > predictions[b].score : a < b
    }
  }

  /// Greedy matching of ranked predictions to the ground truth of one class: per prediction,
  /// the index in `truth` it took and the IoU, or nil.
  private static func assign(
    _ ranked: [CuboidDetection], _ truth: [CuboidDetection], threshold: Double,
    iou: (OrientedBox, OrientedBox) -> Double
  ) -> [(truth: Int, iou: Double)?] {
    var truthBySample: [Int: [Int]] = [:]
    for (index, box) in truth.enumerated() { truthBySample[box.sample, default: []].append(index) }
    var taken = [Bool](repeating: false, count: truth.count)
    var assigned: [(truth: Int, iou: Double)?] = []
    assigned.reserveCapacity(ranked.count)
    for prediction in ranked {
      var best: (index: Int, iou: Double)?
      for index in truthBySample[prediction.sample] ?? [] where !taken[index] {
        let value = iou(prediction.box, truth[index].box)
        if value > (best?.iou ?? -1) { best = (index, value) }
      }
      if let best, best.iou >= threshold {
        taken[best.index] = true
        assigned.append((best.index, best.iou))
      } else {
        assigned.append(nil)
      }
    }
    return assigned
  }

  /// Greedy matching of ranked predictions to the ground truth of one class, and its AP.
  private static func match(
    _ ranked: [CuboidDetection], _ truth: [CuboidDetection], threshold: Double,
    iou: (OrientedBox, OrientedBox) -> Double
  ) -> CuboidAveragePrecision {
    let hits = assign(ranked, truth, threshold: threshold, iou: iou).map { $0 != nil }
    let truePositives = hits.count(where: { $0 })
    return CuboidAveragePrecision(
      truePositives: truePositives, falsePositives: hits.count - truePositives,
      falseNegatives: truth.count - truePositives,
      ap40: averagePrecision(hits: hits, groundTruthCount: truth.count, levels: recall40),
      ap11: averagePrecision(hits: hits, groundTruthCount: truth.count, levels: recall11))
  }

  /// The 3D matches ``evaluate(groundTruth:predictions:thresholds:)`` counts, per object.
  ///
  /// - Parameters:
  ///   - groundTruth: The ground-truth boxes.
  ///   - predictions: The predicted boxes, with scores.
  ///   - thresholds: The IoU thresholds per class.
  /// - Returns: Per prediction, in input order, the index in `groundTruth` it matched by 3D
  ///   IoU and that IoU, or nil.
  package static func matches3D(
    groundTruth: [CuboidDetection], predictions: [CuboidDetection],
    thresholds: CuboidThresholds = CuboidThresholds()
  ) -> [(truth: Int, iou: Double)?] {
    var result = [(truth: Int, iou: Double)?](repeating: nil, count: predictions.count)
    let names = Set(groundTruth.map(\.className)).union(predictions.map(\.className))
    for name in names {
      let truthIndices = groundTruth.indices.filter { groundTruth[$0].className == name }
      let own = predictions.indices.filter { predictions[$0].className == name }
      let order = rankedIndices(own.map { predictions[$0] }).map { own[$0] }
      let assigned = assign(
        order.map { predictions[$0] }, truthIndices.map { groundTruth[$0] },
        threshold: thresholds.threshold(for: name), iou: OrientedBox.iou3D)
      for (position, prediction) in order.enumerated() {
        if let match = assigned[position] {
          result[prediction] = (truthIndices[match.truth], match.iou)
        }
      }
    }
    return result
  }

  /// KITTI's 40 recall levels, 1/40 … 40/40 (recall 0 is left out).
  static let recall40 = (1...40).map { Double($0) / 40 }
  /// The 11 recall levels of PASCAL VOC 2007 and KITTI's original protocol, 0, 0.1 … 1.
  static let recall11 = (0...10).map { Double($0) / 10 }

  /// The interpolated average precision of a ranked list of hits and misses.
  ///
  /// Recall levels and recalls are both computed as quotients of integers, so a recall equal
  /// to a level as a fraction (3/10 and 0.3) compares equal.
  ///
  /// - Parameters:
  ///   - hits: Per prediction, by rank: whether it is a true positive.
  ///   - groundTruthCount: The number of ground-truth boxes.
  ///   - levels: The recall levels, each in 0…1.
  /// - Returns: The mean interpolated precision over `levels`; nil without ground truth.
  static func averagePrecision(hits: [Bool], groundTruthCount: Int, levels: [Double])
    -> Double?
  {
    guard groundTruthCount > 0, !levels.isEmpty else { return nil }
    var recall: [Double] = []
    var precision: [Double] = []
    var found = 0
    for (rank, hit) in hits.enumerated() {
      if hit { found += 1 }
      recall.append(Double(found) / Double(groundTruthCount))
      precision.append(Double(found) / Double(rank + 1))
    }
    // The best precision at this rank or any later one (recall never decreases with rank).
    var bestFromHere = precision
    for rank in bestFromHere.indices.reversed().dropFirst() {
      bestFromHere[rank] = max(bestFromHere[rank], bestFromHere[rank + 1])
    }
    var total = 0.0
    for level in levels {
      if let rank = recall.firstIndex(where: { $0 >= level }) { total += bestFromHere[rank] }
    }
    return total / Double(levels.count)
  }
}
