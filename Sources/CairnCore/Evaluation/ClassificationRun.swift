package import Evaluation
internal import GitStore

/// Everything `cairn eval classifications` computed, before it is stored.
package struct ClassificationEvaluation: Sendable {
  package var data: EvaluationData
  package var report: ClassificationReport
  package var truth: String
  package var predictions: String
  package var topK: [Int]

  /// Evaluates the top prediction of every sample against its (single) ground-truth class.
  ///
  /// - Throws: `CairnError` `.invalidInput` naming a sample whose ground truth holds several
  ///   classifications.
  package init(_ data: EvaluationData, truth: String, predictions: String, topK: [Int])
    throws(CairnError)
  {
    self.data = data
    self.truth = truth
    self.predictions = predictions
    self.topK = topK
    var samples: [ClassificationSample] = []
    for sample in data.samples {
      if sample.truth.count > 1 {
        throw CairnError(
          .invalidInput,
          "sample \(sample.key) has \(sample.truth.count) classifications in field '\(truth)'; "
            + "a classification evaluation needs one true class per sample")
      }
      samples.append(Self.sample(sample))
    }
    report = ClassificationEvaluator.evaluate(samples, topK: topK)
  }

  private static func sample(_ sample: EvaluationSample) -> ClassificationSample {
    ClassificationSample(
      truth: sample.truth.first?["label"]?.string,
      predictions: sample.predictions.compactMap { label in
        label["label"]?.string.map {
          ClassPrediction(label: $0, confidence: label["confidence"]?.number)
        }
      })
  }

  /// The summary metrics, in the order they are shown.
  package var metrics: [(name: String, value: Double?)] {
    var metrics: [(String, Double?)] = [
      ("accuracy", report.accuracy),
      ("macro_precision", report.macro.precision), ("macro_recall", report.macro.recall),
      ("macro_f1", report.macro.f1), ("weighted_precision", report.weighted.precision),
      ("weighted_recall", report.weighted.recall), ("weighted_f1", report.weighted.f1),
    ]
    for entry in report.topK ?? [] { metrics.append(("top\(entry.k)", entry.accuracy)) }
    metrics.append(("correct", Double(report.correctCount)))
    metrics.append(("evaluated", Double(report.evaluatedCount)))
    metrics.append(("skipped", Double(report.skippedCount)))
    return metrics
  }

  /// The run to store under `runs/eval/<key>/`.
  ///
  /// - Parameter key: The run's key.
  /// - Returns: `run.json` and `samples.json`.
  package func run(key: String) -> EvaluationRun {
    let classes: [JSONValue] = report.classes.map { row in
      .object([
        "name": .string(row.name), "precision": .double(row.precision),
        "recall": .double(row.recall), "f1": .double(row.f1), "support": .int(Int64(row.support)),
        "predictions": .int(Int64(row.predicted)), "tp": .int(Int64(row.correct)),
      ])
    }
    var record = EvaluationRun.header(
      key: key, kind: "classifications", data: data, truth: truth, predictions: predictions,
      parameters: ["top_k": .array(topK.map { .int(Int64($0)) })], metrics: metrics)
    record["classes"] = .array(classes)
    record["confusion"] = .object([
      "rows": .array(report.confusion.classes.map { .string($0) }),
      "labels": .array(report.confusion.columns.map { .string($0) }),
      "matrix": .array(report.confusion.counts.map { .array($0.map { .int(Int64($0)) }) }),
    ])
    return EvaluationRun(key: key, record: .object(record), samples: samplesRecord())
  }

  /// `samples.json`: the top prediction of each sample against its true class.
  private func samplesRecord() -> JSONValue {
    var samples: [String: JSONValue] = [:]
    for sample in data.samples {
      guard let truthLabel = sample.truth.first, let trueClass = truthLabel["label"]?.string
      else { continue }
      let truthID = JSONValue.string(truthLabel["id"]?.string ?? "")
      let top = ClassificationEvaluator.topIndex(Self.sample(sample).predictions).map {
        sample.predictions.filter { $0["label"]?.string != nil }[$0]
      }
      var entry: [String: JSONValue] = [
        "matches": .array([]), "false_negatives": .array([]), "false_positives": .array([]),
      ]
      if let top, let predicted = top["label"]?.string {
        let correct = predicted == trueClass
        entry["matches"] = .array([
          .array([
            truthID, .string(trueClass), .string(top["id"]?.string ?? ""), .string(predicted),
            EvaluationRun.number(top["confidence"]?.number),
          ])
        ])
        entry["tp"] = .int(correct ? 1 : 0)
        entry["fp"] = .int(correct ? 0 : 1)
        entry["fn"] = .int(correct ? 0 : 1)
      } else {
        entry["false_negatives"] = .array([.array([truthID, .string(trueClass)])])
        entry["tp"] = .int(0)
        entry["fp"] = .int(0)
        entry["fn"] = .int(1)
      }
      samples[sample.key] = .object(entry)
    }
    return .object(["samples": .object(samples)])
  }
}
