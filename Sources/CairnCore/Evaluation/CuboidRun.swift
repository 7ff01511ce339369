package import Evaluation

/// Everything `cairn eval cuboids` computed, before it is stored.
package struct CuboidEvaluation: Sendable {
  package var data: EvaluationData
  package var truth: String
  package var predictions: String
  package var up: UpAxis
  package var thresholds: CuboidThresholds
  package var results: [CuboidClassResult]
  /// Per prediction (in ``predictionBoxes`` order), its 3D match.
  private var matches: [(truth: Int, iou: Double)?]
  private var truthBoxes: [(sample: Int, id: String, detection: CuboidDetection)]
  private var predictionBoxes: [(sample: Int, id: String, detection: CuboidDetection)]

  /// Reads every cuboid of both fields and evaluates them class by class.
  ///
  /// - Throws: `CairnError` `.invalidInput` naming the sample and label of a cuboid that is
  ///   malformed or not upright about `up`.
  package init(
    _ data: EvaluationData, truth: String, predictions: String, up: UpAxis,
    thresholds: CuboidThresholds
  ) throws(CairnError) {
    self.data = data
    self.truth = truth
    self.predictions = predictions
    self.up = up
    self.thresholds = thresholds
    truthBoxes = []
    predictionBoxes = []
    // Boxes compare only in one frame: the first one read sets it.
    var frame: (name: String, place: String)?
    for (index, sample) in data.samples.enumerated() {
      for (side, (field, labels)) in [(truth, sample.truth), (predictions, sample.predictions)]
        .enumerated()
      {
        for label in labels {
          let box = try Self.box(label, sample: index, key: sample.key, field: field, up: up)
          let place = "sample \(sample.key), field '\(field)', label \(box.id)"
          let name = box.frame
          if let frame, frame.name != name {
            throw CairnError(
              .invalidInput,
              "\(place) is in frame '\(name)' but \(frame.place) is in frame '\(frame.name)'; "
                + "cuboids are compared in one frame")
          }
          frame = frame ?? (name, place)
          if side == 0 {
            truthBoxes.append((box.sample, box.id, box.detection))
          } else {
            predictionBoxes.append((box.sample, box.id, box.detection))
          }
        }
      }
    }
    let truthDetections = truthBoxes.map(\.detection)
    let predicted = predictionBoxes.map(\.detection)
    do {
      results = try CuboidEvaluator.evaluate(
        groundTruth: truthDetections, predictions: predicted, thresholds: thresholds)
    } catch {
      throw CairnError(.invalidInput, "cannot evaluate the cuboids: \(error.message)")
    }
    matches = CuboidEvaluator.matches3D(
      groundTruth: truthDetections, predictions: predicted, thresholds: thresholds)
  }

  private static func box(
    _ label: JSONValue, sample: Int, key: String, field: String, up: UpAxis
  ) throws(CairnError) -> (sample: Int, id: String, frame: String, detection: CuboidDetection) {
    let id = label["id"]?.string ?? "?"
    let place = "sample \(key), field '\(field)', label \(id)"
    let cuboid: Cuboid
    do {
      cuboid = try Cuboid(label: label)
    } catch {
      throw CairnError(.invalidInput, "\(place): \(error.reason)")
    }
    let box: OrientedBox
    do {
      box = try OrientedBox(
        center: cuboid.center, dimensions: cuboid.dimensions, rotation: cuboid.rotation, up: up)
    } catch {
      throw CairnError(.invalidInput, "\(place): \(error.message)")
    }
    return (
      sample, id, cuboid.frame,
      CuboidDetection(
        sample: sample, className: cuboid.label, box: box,
        score: label["confidence"]?.number ?? 1)
    )
  }

  /// The mean over classes with ground truth of one AP.
  private func mean(_ value: (CuboidClassResult) -> Double?) -> Double? {
    let values = results.compactMap(value)
    return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
  }

  /// The summary metrics, in the order they are shown.
  package var metrics: [(name: String, value: Double?)] {
    let tp = results.reduce(0) { $0 + $1.threeD.truePositives }
    let fp = results.reduce(0) { $0 + $1.threeD.falsePositives }
    let fn = results.reduce(0) { $0 + $1.threeD.falseNegatives }
    return [
      ("mAP_3d_R40", mean { $0.threeD.ap40 }), ("mAP_bev_R40", mean { $0.birdsEye.ap40 }),
      ("mAP_3d_R11", mean { $0.threeD.ap11 }), ("mAP_bev_R11", mean { $0.birdsEye.ap11 }),
      ("precision", tp + fp == 0 ? nil : Double(tp) / Double(tp + fp)),
      ("recall", tp + fn == 0 ? nil : Double(tp) / Double(tp + fn)),
      ("tp", Double(tp)), ("fp", Double(fp)), ("fn", Double(fn)),
    ]
  }

  /// The run to store under `runs/eval/<key>/`.
  ///
  /// - Parameter key: The run's key.
  /// - Returns: `run.json` and `samples.json`.
  package func run(key: String) -> EvaluationRun {
    let classes: [JSONValue] = results.map { result in
      .object([
        "name": .string(result.name), "threshold": .double(result.threshold),
        "truth": .int(Int64(result.groundTruthCount)),
        "predictions": .int(Int64(result.predictionCount)),
        "ap": EvaluationRun.number(result.threeD.ap40),
        "ap_3d_r40": EvaluationRun.number(result.threeD.ap40),
        "ap_bev_r40": EvaluationRun.number(result.birdsEye.ap40),
        "ap_3d_r11": EvaluationRun.number(result.threeD.ap11),
        "ap_bev_r11": EvaluationRun.number(result.birdsEye.ap11),
        "tp": .int(Int64(result.threeD.truePositives)),
        "fp": .int(Int64(result.threeD.falsePositives)),
        "fn": .int(Int64(result.threeD.falseNegatives)),
      ])
    }
    var overrides: [String: JSONValue] = [:]
    for result in results { overrides[result.name] = .double(result.threshold) }
    var record = EvaluationRun.header(
      key: key, kind: "cuboids", data: data, truth: truth, predictions: predictions,
      parameters: [
        "up": .string(up == .y ? "y" : "z"), "thresholds": .object(overrides),
        "iou": .string("3d"),
      ], metrics: metrics)
    record["classes"] = .array(classes)
    // Matching is within a class: the diagonal, the misses and the false alarms.
    let names = results.map(\.name)
    let size = names.count + 1
    var counts = [Int](repeating: 0, count: size * size)
    for (index, result) in results.enumerated() {
      counts[index * size + index] = result.threeD.truePositives
      counts[index * size + names.count] = result.threeD.falseNegatives
      counts[names.count * size + index] = result.threeD.falsePositives
    }
    record["confusion"] = EvaluationRun.confusion(labels: names + ["background"], counts: counts)
    return EvaluationRun(key: key, record: .object(record), samples: samplesRecord())
  }

  /// `samples.json`: per sample its 3D matches, misses and false alarms.
  private func samplesRecord() -> JSONValue {
    var matched = [Bool](repeating: false, count: truthBoxes.count)
    var entries = [(matches: [JSONValue], negatives: [JSONValue], positives: [JSONValue])](
      repeating: ([], [], []), count: data.samples.count)
    for (index, prediction) in predictionBoxes.enumerated() {
      let name = JSONValue.string(prediction.detection.className)
      if let match = matches[index] {
        matched[match.truth] = true
        let truthBox = truthBoxes[match.truth]
        entries[prediction.sample].matches.append(
          .array([
            .string(truthBox.id), .string(truthBox.detection.className), .string(prediction.id),
            name, .double(match.iou),
          ]))
      } else {
        entries[prediction.sample].positives.append(.array([.string(prediction.id), name]))
      }
    }
    for (index, box) in truthBoxes.enumerated() where !matched[index] {
      entries[box.sample].negatives.append(
        .array([.string(box.id), .string(box.detection.className)]))
    }
    var samples: [String: JSONValue] = [:]
    for (index, sample) in data.samples.enumerated() {
      let entry = entries[index]
      samples[sample.key] = .object([
        "tp": .int(Int64(entry.matches.count)), "fp": .int(Int64(entry.positives.count)),
        "fn": .int(Int64(entry.negatives.count)), "matches": .array(entry.matches),
        "false_negatives": .array(entry.negatives), "false_positives": .array(entry.positives),
      ])
    }
    return .object(["samples": .object(samples)])
  }
}
