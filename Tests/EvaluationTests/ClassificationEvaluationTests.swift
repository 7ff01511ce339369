import Testing

@testable import Evaluation

private func sample(_ truth: String?, _ predictions: (String, Double?)...) -> ClassificationSample {
  ClassificationSample(
    truth: truth, predictions: predictions.map { ClassPrediction(label: $0.0, confidence: $0.1) })
}

private func close(_ a: Double?, _ b: Double) -> Bool {
  guard let a else { return false }
  return abs(a - b) < 1e-12
}

@Suite struct ClassificationEvaluationTests {
  /// Eight samples; the top prediction after the arrow.
  static let samples = [
    sample("cat", ("cat", 0.9)),  // cat → cat
    sample("cat", ("dog", 0.6), ("cat", 0.4)),  // cat → dog; cat second
    sample("dog", ("dog", 0.8)),  // dog → dog
    sample("dog"),  // dog → (none)
    sample("bird", ("cat", 0.7), ("bird", 0.7)),  // bird → cat (tie: first); bird second
    sample(nil, ("dog", 0.9)),  // skipped
    sample("cat", ("dog", 0.3), ("cat", 0.55)),  // cat → cat (higher confidence second)
    sample("dog", ("cat", 0.9)),  // dog → cat
  ]

  @Test func accuracyAndConfusion() {
    let report = ClassificationEvaluator.evaluate(Self.samples, topK: [1, 2, 3, 0])
    #expect(report.evaluatedCount == 7 && report.skippedCount == 1)
    #expect(report.correctCount == 3)
    #expect(close(report.accuracy, 3.0 / 7))
    // Rows bird, cat, dog; columns bird, cat, dog, (none).
    #expect(report.confusion.classes == ["bird", "cat", "dog"])
    #expect(report.confusion.columns == ["bird", "cat", "dog", "(none)"])
    #expect(report.confusion.counts == [[0, 1, 0, 0], [0, 2, 1, 0], [0, 1, 1, 1]])
    #expect(report.confusion.count(truth: "dog", predicted: "(none)") == 1)
    #expect(report.confusion.count(truth: "bird", predicted: "cat") == 1)
    #expect(report.confusion.count(truth: "cow", predicted: "cat") == 0)
    // Top 2: every sample but dog → (none) and dog → [cat] has its class among the first two.
    #expect(
      report.topK == [
        TopKAccuracy(k: 1, accuracy: 3.0 / 7), TopKAccuracy(k: 2, accuracy: 5.0 / 7),
        TopKAccuracy(k: 3, accuracy: 5.0 / 7), TopKAccuracy(k: 0, accuracy: 0),
      ])
  }

  @Test func perClassMetricsAndAverages() {
    let report = ClassificationEvaluator.evaluate(Self.samples)
    #expect(report.classes.map(\.name) == ["bird", "cat", "dog"])
    #expect(report.classes.map(\.support) == [1, 3, 3])
    #expect(report.classes.map(\.predicted) == [0, 4, 2])
    #expect(report.classes.map(\.correct) == [0, 2, 1])
    // bird: never predicted, never right: 0, 0, 0.
    // cat: P 2/4, R 2/3, F1 2·(1/2)(2/3)/(1/2 + 2/3) = 4/7.
    // dog: P 1/2, R 1/3, F1 2·(1/2)(1/3)/(1/2 + 1/3) = 2/5.
    let expected: [(Double, Double, Double)] = [
      (0, 0, 0), (0.5, 2.0 / 3, 4.0 / 7), (0.5, 1.0 / 3, 0.4),
    ]
    for (metrics, values) in zip(report.classes, expected) {
      #expect(close(metrics.precision, values.0), "\(metrics.name)")
      #expect(close(metrics.recall, values.1), "\(metrics.name)")
      #expect(close(metrics.f1, values.2), "\(metrics.name)")
    }
    // Macro: P (0 + 1/2 + 1/2)/3 = 1/3, R (0 + 2/3 + 1/3)/3 = 1/3, F1 (4/7 + 2/5)/3 = 34/105.
    #expect(close(report.macro.precision, 1.0 / 3))
    #expect(close(report.macro.recall, 1.0 / 3))
    #expect(close(report.macro.f1, 34.0 / 105))
    // Weighted by support 1, 3, 3: P (3/2 + 3/2)/7 = 3/7, R (2 + 1)/7 = 3/7,
    // F1 (12/7 + 6/5)/7 = 102/245.
    #expect(close(report.weighted.precision, 3.0 / 7))
    #expect(close(report.weighted.recall, 3.0 / 7))
    #expect(close(report.weighted.f1, 102.0 / 245))
  }

  @Test func topKNeedsEveryConfidence() {
    // Without a confidence a prediction ranks after those with one: "cat" (0.2) is the top.
    let samples = [
      sample("cat", ("dog", nil), ("cat", 0.2)),
      sample("dog", ("dog", nil)),
    ]
    let report = ClassificationEvaluator.evaluate(samples, topK: [1, 2])
    #expect(report.topK == nil)
    #expect(report.correctCount == 2 && close(report.accuracy, 1))
    #expect(report.confusion.counts == [[1, 0, 0], [0, 1, 0]])
  }

  @Test func repeatedLabelsCountOnceInTheRanking() {
    #expect(
      ClassificationEvaluator.ranked([
        ClassPrediction(label: "a", confidence: 0.1), ClassPrediction(label: "b", confidence: 0.9),
        ClassPrediction(label: "b", confidence: 0.5), ClassPrediction(label: "c", confidence: 0.3),
      ]) == ["b", "c", "a"])
  }

  @Test func noGroundTruthGivesNoAccuracy() {
    let report = ClassificationEvaluator.evaluate([sample(nil, ("cat", 0.5))], topK: [1])
    #expect(report.accuracy == nil && report.topK == nil)
    #expect(report.evaluatedCount == 0 && report.skippedCount == 1)
    #expect(report.classes.isEmpty && report.confusion.columns == ["(none)"])
    #expect(report.macro == AveragedMetrics(precision: 0, recall: 0, f1: 0))
  }
}
