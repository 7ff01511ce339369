#if canImport(Glibc)
import Glibc
#endif

/// The uncertainty of one classification: three standard measures of how unsure a model is.
package struct ClassificationHardness: Sendable, Equatable {
  /// The entropy (natural logarithm) of the class probabilities: FiftyOne's hardness.
  package var entropy: Double
  /// The top probability minus the second (small: unsure between two classes).
  package var margin: Double
  /// 1 − the top probability.
  package var leastConfidence: Double

  /// The three measures.
  ///
  /// - Parameters:
  ///   - entropy: The entropy in nats.
  ///   - margin: Top-1 minus top-2 probability.
  ///   - leastConfidence: 1 − top-1 probability.
  package init(entropy: Double, margin: Double, leastConfidence: Double) {
    self.entropy = entropy
    self.margin = margin
    self.leastConfidence = leastConfidence
  }
}

/// The uncertainty of a set of detections known only by their confidences.
package struct DetectionHardness: Sendable, Equatable {
  /// The mean over objects of the binary entropy of each confidence (0 without objects).
  package var meanEntropy: Double
  /// The largest binary entropy of any object (0 without objects).
  package var maxEntropy: Double

  /// The two aggregates.
  ///
  /// - Parameters:
  ///   - meanEntropy: The mean binary entropy.
  ///   - maxEntropy: The largest binary entropy.
  package init(meanEntropy: Double, maxEntropy: Double) {
    self.meanEntropy = meanEntropy
    self.maxEntropy = maxEntropy
  }
}

/// Hardness (uncertainty) of a model's predictions, as fiftyone-brain's `compute_hardness`
/// and its usual companions.
package enum Hardness {
  /// The softmax of `logits`, computed after subtracting the largest logit so that large
  /// logits do not overflow.
  ///
  /// - Parameter logits: Class scores.
  /// - Returns: Probabilities summing to 1 (empty for empty input).
  package static func softmax(_ logits: [Double]) -> [Double] {
    guard let largest = logits.max() else { return [] }
    let exponentials = logits.map { exp($0 - largest) }
    let total = exponentials.reduce(0, +)
    return exponentials.map { $0 / total }
  }

  /// The entropy of a distribution in nats, as `scipy.stats.entropy`: the values are first
  /// scaled to sum to 1, and 0 · log 0 counts as 0.
  ///
  /// - Parameter probabilities: Non-negative weights.
  /// - Returns: The entropy (0 for empty or all-zero input).
  package static func entropy(_ probabilities: [Double]) -> Double {
    let total = probabilities.reduce(0, +)
    guard total > 0 else { return 0 }
    var entropy = 0.0
    for value in probabilities where value > 0 {
      let probability = value / total
      entropy -= probability * log(probability)
    }
    return entropy
  }

  /// The hardness of one sample from its logits: FiftyOne's `entropy(softmax(logits))`, with
  /// margin and least confidence of the same probabilities.
  ///
  /// - Parameter logits: The model's class scores for the sample.
  /// - Returns: The three measures.
  package static func scores(logits: [Double]) -> ClassificationHardness {
    scores(probabilities: softmax(logits))
  }

  /// The hardness of one sample from class probabilities (scaled to sum to 1 first).
  ///
  /// With a single class the margin is the top probability (the second is taken as 0).
  ///
  /// - Parameter probabilities: The model's class probabilities for the sample.
  /// - Returns: The three measures.
  package static func scores(probabilities: [Double]) -> ClassificationHardness {
    let total = probabilities.reduce(0, +)
    let scaled = total > 0 ? probabilities.map { $0 / total } : probabilities
    var first = 0.0
    var second = 0.0
    for value in scaled {
      if value > first {
        second = first
        first = value
      } else if value > second {
        second = value
      }
    }
    return ClassificationHardness(
      entropy: entropy(scaled), margin: first - second, leastConfidence: 1 - first)
  }

  /// The hardness of a sample's detections from their confidences alone.
  ///
  /// A detector reports one confidence per object, not a distribution over classes, so each
  /// object's uncertainty is the binary entropy −p log p − (1−p) log(1−p) of its confidence
  /// p (clamped to [0, 1]): largest, log 2, at p = 0.5. The sample's hardness is the mean over
  /// its objects (how unsure the image is overall) and the maximum (its single most doubtful
  /// object); both are 0 for an image without detections.
  ///
  /// - Parameter confidences: The confidence of each detected object.
  /// - Returns: The mean and maximum binary entropy.
  package static func detections(confidences: [Double]) -> DetectionHardness {
    guard !confidences.isEmpty else { return DetectionHardness(meanEntropy: 0, maxEntropy: 0) }
    var total = 0.0
    var largest = 0.0
    for confidence in confidences {
      let entropy = binaryEntropy(confidence)
      total += entropy
      largest = max(largest, entropy)
    }
    return DetectionHardness(
      meanEntropy: total / Double(confidences.count), maxEntropy: largest)
  }

  /// −p log p − (1−p) log(1−p) in nats, with p clamped to [0, 1].
  ///
  /// - Parameter probability: p.
  /// - Returns: The entropy of a coin landing heads with probability p.
  package static func binaryEntropy(_ probability: Double) -> Double {
    let p = min(1, max(0, probability))
    var entropy = 0.0
    if p > 0 { entropy -= p * log(p) }
    if p < 1 { entropy -= (1 - p) * log(1 - p) }
    return entropy
  }
}
