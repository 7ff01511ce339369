internal import GitStore

/// A stored evaluation: `runs/eval/<key>/run.json` and `runs/eval/<key>/samples.json`.
///
/// `run.json` holds what was evaluated (kind, commit, frozen set or view, fields, parameters),
/// the summary metrics, the per-class results and the confusion matrix; `samples.json` the
/// outcome of every sample and object, which `cairn eval failures` mines. Both are canonical
/// JSON, documented in `Docs/evaluation.md`.
package struct EvaluationRun: Sendable {
  /// The run's key: its folder name under `runs/eval/`.
  package var key: String
  /// `run.json`.
  package var record: JSONValue
  /// `samples.json`: `{"samples": {<key>: {…}}}`.
  package var samples: JSONValue

  package init(key: String, record: JSONValue, samples: JSONValue) {
    self.key = key
    self.record = record
    self.samples = samples
  }

  /// `detections`, `classifications` or `cuboids`.
  package var kind: String { record["kind"]?.string ?? "?" }
  /// The commit the predictions were read from.
  package var commit: String { record["commit"]?.string ?? "" }
  /// Summary metrics by name (absent metrics, pycocotools' -1, are null).
  package var metrics: [(name: String, value: Double?)] {
    guard let members = record["metrics"]?.object else { return [] }
    let order = record["metric_order"]?.array?.compactMap(\.string) ?? members.keys.sorted()
    return order.map { ($0, members[$0]?.number) }
  }
  /// The per-class rows of `run.json`.
  package var classes: [JSONValue] { record["classes"]?.array ?? [] }

  /// The folder of run `key`, relative to the repository root.
  package static func folder(_ key: String) -> String { "runs/eval/" + key }

  /// Why `key` cannot name a run, or nil.
  package static func keyProblem(_ key: String) -> String? {
    if key.isEmpty { return "it is empty" }
    if key.hasPrefix(".") { return "it starts with '.'" }
    let allowed = key.utf8.allSatisfy { byte in
      (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
        || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
    }
    return allowed ? nil : "use letters, digits, '-', '_' and '.' only"
  }

  /// A metric value for JSON: nil becomes null.
  package static func number(_ value: Double?) -> JSONValue {
    guard let value, value.isFinite else { return .null }
    return .double(value)
  }
}

/// One kind of error `cairn eval failures` mines.
package enum FailureKind: Sendable, Equatable {
  /// Ground truth no prediction matched.
  case falseNegatives
  /// Predictions that matched no ground truth (or, for classifications, wrong predictions).
  case falsePositives
  /// Ground truth of class `truth` predicted as `predicted`; either may be `background` (or
  /// `(none)`).
  case confusion(truth: String, predicted: String)
}

/// What `cairn eval failures` found.
package struct EvaluationFailures: Sendable {
  /// Samples with at least one such error, in the run's sample order.
  package var keys: [String]
  /// The objects behind them: sample key and label id.
  package var objects: [(key: String, id: String)]
  /// The field the objects' ids belong to.
  package var field: String
}

extension EvaluationRun {
  /// The samples and objects behind one kind of error.
  ///
  /// In `samples.json`, each sample lists `matches` (`[truth id, truth class, prediction id,
  /// predicted class, IoU]`), `false_negatives` and `false_positives` (`[id, class]`).
  /// False negatives are ground-truth objects (the truth field); false positives and
  /// confusions between two classes are predictions (the predictions field); a confusion with
  /// `background` is a false negative (`A:background`) or a false positive (`background:B`).
  package func failures(_ kind: FailureKind) -> EvaluationFailures {
    let truthField = record["fields"]?["truth"]?.string ?? ""
    let predictionField = record["fields"]?["predictions"]?.string ?? ""
    var kind = kind
    // `background` (detections) and `(none)` (a classification's missing prediction) name
    // the same column of the confusion matrix.
    if case .confusion(let truth, let predicted) = kind {
      let nothing: Set<String> = ["background", "(none)"]
      if nothing.contains(predicted) { kind = .confusion(truth: truth, predicted: "") }
      if nothing.contains(truth) { kind = .confusion(truth: "", predicted: predicted) }
    }
    var keys: [String] = []
    var objects: [(key: String, id: String)] = []
    var field = predictionField
    let entries = samples["samples"]?.object ?? [:]
    for key in entries.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
      guard let entry = entries[key] else { continue }
      var found: [String] = []
      func pairs(_ member: String) -> [(id: String, label: String)] {
        (entry[member]?.array ?? []).compactMap { item in
          guard let pair = item.array, pair.count >= 2, let id = pair[0].string,
            let label = pair[1].string
          else { return nil }
          return (id, label)
        }
      }
      // A match across classes (a run without --classwise) is a false negative of the true
      // class and a false positive of the predicted one.
      let crossClass: [(truth: String, prediction: String)] = (entry["matches"]?.array ?? [])
        .compactMap { match in
          guard let items = match.array, items.count >= 4, items[1] != items[3],
            let truth = items[0].string, let prediction = items[2].string
          else { return nil }
          return (truth, prediction)
        }
      switch kind {
      case .falseNegatives:
        field = truthField
        found = pairs("false_negatives").map(\.id) + crossClass.map(\.truth)
      case .falsePositives:
        found = pairs("false_positives").map(\.id) + crossClass.map(\.prediction)
      case .confusion(let truth, let predicted) where predicted.isEmpty:
        field = truthField
        found = pairs("false_negatives").filter { $0.label == truth }.map(\.id)
      case .confusion(let truth, let predicted) where truth.isEmpty:
        found = pairs("false_positives").filter { $0.label == predicted }.map(\.id)
      case .confusion(let truth, let predicted):
        for match in entry["matches"]?.array ?? [] {
          guard let items = match.array, items.count >= 4, items[1].string == truth,
            items[3].string == predicted, let id = items[2].string
          else { continue }
          found.append(id)
        }
      }
      if !found.isEmpty {
        keys.append(key)
        objects += found.map { (key, $0) }
      }
    }
    return EvaluationFailures(keys: keys, objects: objects, field: field)
  }
}

extension EvaluationRun {
  /// The metrics that count (stored and shown as integers).
  package static let countMetrics: Set<String> = [
    "tp", "fp", "fn", "correct", "evaluated", "skipped",
  ]

  /// The members every kind of `run.json` shares.
  static func header(
    key: String, kind: String, data: EvaluationData, truth: String, predictions: String,
    parameters: [String: JSONValue], metrics: [(name: String, value: Double?)]
  ) -> [String: JSONValue] {
    var metricMembers: [String: JSONValue] = [:]
    for metric in metrics {
      metricMembers[metric.name] =
        countMetrics.contains(metric.name)
        ? .int(Int64(metric.value ?? 0)) : number(metric.value)
    }
    var record: [String: JSONValue] = [
      "version": .int(1),
      "key": .string(key),
      "kind": .string(kind),
      "commit": .string(data.commit.hex),
      "fields": .object(["truth": .string(truth), "predictions": .string(predictions)]),
      "parameters": .object(parameters),
      "samples": .int(Int64(data.samples.count)),
      "metrics": .object(metricMembers),
      "metric_order": .array(metrics.map { .string($0.name) }),
    ]
    if let frozen = data.frozen {
      record["frozen"] = .object([
        "name": .string(frozen.name), "commit": .string(frozen.commit.hex),
      ])
    }
    if let view = data.view { record["view"] = .string(view) }
    return record
  }

  /// A square confusion matrix of `labels` from counts flattened by rows.
  static func confusion(labels: [String], counts: [Int]) -> JSONValue {
    .object([
      "labels": .array(labels.map { .string($0) }),
      "matrix": .array(
        labels.indices.map { row in
          .array(labels.indices.map { column in .int(Int64(counts[row * labels.count + column])) })
        }),
    ])
  }
}
