/// A predicted class, with the model's confidence when it gave one.
package struct ClassPrediction: Sendable, Equatable {
  package var label: String
  /// The confidence, or score, of the prediction; nil when the prediction has none.
  package var confidence: Double?

  package init(label: String, confidence: Double? = nil) {
    self.label = label
    self.confidence = confidence
  }
}

/// One sample of a classification evaluation: its true class and what was predicted.
package struct ClassificationSample: Sendable, Equatable {
  /// The ground-truth class; nil for a sample without ground truth, which is skipped.
  package var truth: String?
  /// What was predicted, empty when nothing was.
  ///
  /// One prediction for a single-label field; several for a multi-label field, whose
  /// confidences rank them.
  package var predictions: [ClassPrediction]

  package init(truth: String?, predictions: [ClassPrediction]) {
    self.truth = truth
    self.predictions = predictions
  }
}

/// Precision, recall and F1 of one class, with its support.
package struct ClassMetrics: Sendable, Equatable {
  package var name: String
  /// Correct predictions over predictions of the class; 0 when it was never predicted.
  package var precision: Double
  /// Correct predictions over samples of the class; 0 when it has no samples.
  package var recall: Double
  /// The harmonic mean of precision and recall; 0 when both are 0.
  package var f1: Double
  /// The number of samples whose ground truth is the class.
  package var support: Int
  /// The number of samples whose top prediction is the class.
  package var predicted: Int
  /// The number of samples of the class predicted as the class.
  package var correct: Int
}

/// Precision, recall and F1 averaged over classes.
package struct AveragedMetrics: Sendable, Equatable {
  package var precision: Double
  package var recall: Double
  package var f1: Double
}

/// Counts of samples by true class (rows) and predicted class (columns).
package struct ConfusionMatrix: Sendable, Equatable {
  /// The column of samples with ground truth but no prediction.
  package static let noPrediction = "(none)"

  /// The classes, sorted by name: the rows, and the columns but the last.
  package var classes: [String]
  /// `counts[row][column]`: samples of true class `classes[row]` predicted as
  /// `columns[column]`.
  package var counts: [[Int]]

  /// The column labels: ``classes`` followed by ``noPrediction``.
  package var columns: [String] { classes + [Self.noPrediction] }

  /// The number of samples of one true class predicted as another.
  ///
  /// - Parameters:
  ///   - truth: The true class.
  ///   - predicted: The predicted class, or ``noPrediction``.
  /// - Returns: The count; 0 for a class not in the matrix.
  package func count(truth: String, predicted: String) -> Int {
    guard let row = classes.firstIndex(of: truth) else { return 0 }
    let column =
      predicted == Self.noPrediction ? classes.count : classes.firstIndex(of: predicted)
    guard let column else { return 0 }
    return counts[row][column]
  }
}

/// The share of samples whose true class is among the `k` best-ranked predicted classes.
package struct TopKAccuracy: Sendable, Equatable {
  package var k: Int
  package var accuracy: Double
}

/// Accuracy, per-class metrics, averages, confusion matrix and top-k accuracy of a
/// classification field.
package struct ClassificationReport: Sendable, Equatable {
  /// Samples with ground truth, all evaluated.
  package var evaluatedCount: Int
  /// Samples without ground truth, left out.
  package var skippedCount: Int
  /// Evaluated samples whose top prediction is their true class.
  package var correctCount: Int
  /// `correctCount / evaluatedCount`; nil when no sample has ground truth.
  package var accuracy: Double?
  /// One entry per class, sorted by name.
  package var classes: [ClassMetrics]
  /// The unweighted mean over ``classes``.
  package var macro: AveragedMetrics
  /// The mean over ``classes`` weighted by support.
  package var weighted: AveragedMetrics
  package var confusion: ConfusionMatrix
  /// Top-k accuracy for each `k` asked, in the order asked; nil when some prediction of an
  /// evaluated sample has no confidence (the ranking would be arbitrary) or no sample was
  /// evaluated.
  package var topK: [TopKAccuracy]?
}

/// Evaluation of classification labels against ground truth.
package enum ClassificationEvaluator {
  /// Evaluates the top prediction of each sample against its ground truth.
  ///
  /// The top prediction is the one of highest confidence; equal confidences keep their order,
  /// and a prediction without confidence ranks below any with one (so without confidences the
  /// first prediction is the top one). A sample with ground truth and no prediction counts as
  /// wrong, in the confusion matrix's ``ConfusionMatrix/noPrediction`` column.
  ///
  /// The classes are the true classes and top predictions of the evaluated samples, sorted by
  /// name; ``ConfusionMatrix/noPrediction`` is not one of them. Per-class metrics and their
  /// averages equal scikit-learn's
  /// `classification_report(y_true, y_pred, labels=classes, zero_division=0)`: a missing
  /// prediction lowers its true class's recall but adds no class of its own.
  ///
  /// - Parameters:
  ///   - samples: The samples, in any order.
  ///   - topK: The `k` values of top-k accuracy; a sample counts when its true class is among
  ///     its `k` best-ranked distinct predicted classes.
  /// - Returns: The report.
  package static func evaluate(_ samples: [ClassificationSample], topK: [Int] = [])
    -> ClassificationReport
  {
    var pairs: [(truth: String, ranked: [String])] = []
    var allConfident = true
    for sample in samples {
      guard let truth = sample.truth else { continue }
      if sample.predictions.contains(where: { !($0.confidence?.isFinite ?? false) }) {
        allConfident = false
      }
      pairs.append((truth, ranked(sample.predictions)))
    }
    var names = Set(pairs.map(\.truth))
    for pair in pairs { if let top = pair.ranked.first { names.insert(top) } }
    let classes = names.sorted()
    let column = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })

    var counts = [[Int]](
      repeating: [Int](repeating: 0, count: classes.count + 1), count: classes.count)
    for pair in pairs {
      guard let row = column[pair.truth] else { continue }
      let predicted = pair.ranked.first.flatMap { column[$0] } ?? classes.count
      counts[row][predicted] += 1
    }

    var metrics: [ClassMetrics] = []
    for (index, name) in classes.enumerated() {
      let correct = counts[index][index]
      let support = counts[index].reduce(0, +)
      let predicted = counts.reduce(0) { $0 + $1[index] }
      let precision = ratio(correct, predicted)
      let recall = ratio(correct, support)
      let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
      metrics.append(
        ClassMetrics(
          name: name, precision: precision, recall: recall, f1: f1, support: support,
          predicted: predicted, correct: correct))
    }

    let correctCount = metrics.reduce(0) { $0 + $1.correct }
    var topKResults: [TopKAccuracy]?
    if allConfident, !pairs.isEmpty {
      topKResults = topK.map { k in
        let hits = pairs.count(where: { $0.ranked.prefix(max(k, 0)).contains($0.truth) })
        return TopKAccuracy(k: k, accuracy: Double(hits) / Double(pairs.count))
      }
    }
    return ClassificationReport(
      evaluatedCount: pairs.count, skippedCount: samples.count - pairs.count,
      correctCount: correctCount,
      accuracy: pairs.isEmpty ? nil : Double(correctCount) / Double(pairs.count),
      classes: metrics, macro: average(metrics, weighted: false),
      weighted: average(metrics, weighted: true),
      confusion: ConfusionMatrix(classes: classes, counts: counts), topK: topKResults)
  }

  /// The distinct predicted classes, best first.
  ///
  /// By confidence, highest first, a missing confidence last, equal confidences in input order;
  /// a class predicted twice keeps its better place. A confidence that is not a number counts
  /// as missing.
  ///
  /// - Parameter predictions: The predictions of one sample.
  /// - Returns: Class names, without repetition.
  static func ranked(_ predictions: [ClassPrediction]) -> [String] {
    var seen: Set<String> = []
    return rankedIndices(predictions).map { predictions[$0].label }.filter {
      seen.insert($0).inserted
    }
  }

  /// The index of the top prediction (the one ``evaluate(_:topK:)`` scores), or nil when
  /// there is none.
  ///
  /// - Parameter predictions: The predictions of one sample.
  /// - Returns: An index into `predictions`.
  package static func topIndex(_ predictions: [ClassPrediction]) -> Int? {
    rankedIndices(predictions).first
  }

  /// The indices of `predictions`, best first (see ``ranked(_:)``).
  private static func rankedIndices(_ predictions: [ClassPrediction]) -> [Int] {
    let confidence = predictions.map { $0.confidence.flatMap { $0.isNaN ? nil : $0 } }
    return predictions.indices.sorted { a, b in
      switch (confidence[a], confidence[b]) {
      case (let x?, let y?) where x != y: return x > y
      case (.some, nil): return true
      case (nil, .some): return false
      default: return a < b
      }
    }
  }

  private static func ratio(_ numerator: Int, _ denominator: Int) -> Double {
    denominator == 0 ? 0 : Double(numerator) / Double(denominator)
  }

  /// The unweighted or support-weighted mean of the classes' metrics; zeros without classes
  /// (or, weighted, without support).
  private static func average(_ metrics: [ClassMetrics], weighted: Bool) -> AveragedMetrics {
    let weights = metrics.map { weighted ? Double($0.support) : 1 }
    let total = weights.reduce(0, +)
    guard total > 0 else { return AveragedMetrics(precision: 0, recall: 0, f1: 0) }
    func mean(_ value: (ClassMetrics) -> Double) -> Double {
      zip(metrics, weights).reduce(0) { $0 + value($1.0) * $1.1 } / total
    }
    return AveragedMetrics(
      precision: mean(\.precision), recall: mean(\.recall), f1: mean(\.f1))
  }
}
