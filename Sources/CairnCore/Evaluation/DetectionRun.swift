package import Evaluation

/// The method of a detection evaluation.
package enum DetectionMethod: String, Sendable, CaseIterable {
  /// pycocotools' COCOeval: AP over IoU 0.50:0.95, 101 recall points, area ranges.
  case coco
  /// PASCAL VOC: per-class AP at one IoU, all-point and 11-point.
  case voc
}

/// The parameters of `cairn eval detections`.
package struct DetectionRunParameters: Sendable {
  package var truth: String
  package var predictions: String
  package var method: DetectionMethod
  /// The IoU of the per-class counts, the confusion matrix and the per-object matches (and of
  /// VOC's AP).
  package var iou: Double
  package var classwise: Bool
  /// VOC only: widths and heights counted as `x2 - x1 + 1`.
  package var pixelInclusive: Bool

  package init(
    truth: String, predictions: String, method: DetectionMethod = .coco, iou: Double = 0.5,
    classwise: Bool = true, pixelInclusive: Bool = false
  ) {
    self.truth = truth
    self.predictions = predictions
    self.method = method
    self.iou = iou
    self.classwise = classwise
    self.pixelInclusive = pixelInclusive
  }
}

/// Everything `cairn eval detections` computed, before it is stored.
package struct DetectionEvaluation: Sendable {
  package var data: DetectionData
  package var coco: COCOResult?
  package var voc: [VOCClassResult]?
  package var matches: DetectionMatches
  package var parameters: DetectionRunParameters

  /// Runs the evaluation `parameters` ask for on `data`.
  package init(_ data: DetectionData, parameters: DetectionRunParameters) {
    self.data = data
    self.parameters = parameters
    switch parameters.method {
    case .coco:
      coco = COCOEvaluator.evaluate(data.problem)
      voc = nil
    case .voc:
      coco = nil
      voc = VOCEvaluator.evaluate(
        data.problem, iou: parameters.iou, pixelInclusive: parameters.pixelInclusive)
    }
    matches = DetectionMatcher.match(
      data.problem, iou: parameters.iou, classwise: parameters.classwise)
  }

  /// Totals over every class at the matching IoU.
  package var totals: Evaluation.ClassCounts {
    var total = Evaluation.ClassCounts(
      name: "all", truePositives: 0, falsePositives: 0, falseNegatives: 0)
    for counts in matches.categories {
      total.truePositives += counts.truePositives
      total.falsePositives += counts.falsePositives
      total.falseNegatives += counts.falseNegatives
    }
    return total
  }

  /// The summary metrics, in the order they are shown.
  package var metrics: [(name: String, value: Double?)] {
    var metrics: [(String, Double?)] = []
    if let coco {
      for (name, value) in zip(COCOResult.statNames, coco.stats) {
        metrics.append((name, value < 0 ? nil : value))
      }
    }
    if let voc {
      let allPoint = voc.compactMap(\.allPointAP)
      let elevenPoint = voc.compactMap(\.elevenPointAP)
      metrics.append(
        ("mAP", allPoint.isEmpty ? nil : allPoint.reduce(0, +) / Double(allPoint.count)))
      metrics.append(
        (
          "mAP11",
          elevenPoint.isEmpty ? nil : elevenPoint.reduce(0, +) / Double(elevenPoint.count)
        ))
    }
    let totals = self.totals
    metrics.append(("precision", totals.precision))
    metrics.append(("recall", totals.recall))
    metrics.append(("f1", totals.f1))
    metrics.append(("tp", Double(totals.truePositives)))
    metrics.append(("fp", Double(totals.falsePositives)))
    metrics.append(("fn", Double(totals.falseNegatives)))
    return metrics
  }

  /// The run to store under `runs/eval/<key>/`.
  ///
  /// - Parameters:
  ///   - key: The run's key.
  ///   - source: What was evaluated (commit, frozen set, view).
  /// - Returns: `run.json` and `samples.json`.
  package func run(key: String, source: EvaluationData) -> EvaluationRun {
    let categories = data.problem.categories
    var classes: [JSONValue] = []
    var truthCounts = [Int](repeating: 0, count: categories.count)
    var predictionCounts = [Int](repeating: 0, count: categories.count)
    for box in data.problem.groundTruth where !box.crowd { truthCounts[Int(box.category)] += 1 }
    for box in data.problem.predictions { predictionCounts[Int(box.category)] += 1 }
    for (index, name) in categories.enumerated() {
      let counts = matches.categories[index]
      var row: [String: JSONValue] = [
        "name": .string(name),
        "truth": .int(Int64(truthCounts[index])),
        "predictions": .int(Int64(predictionCounts[index])),
        "tp": .int(Int64(counts.truePositives)),
        "fp": .int(Int64(counts.falsePositives)),
        "fn": .int(Int64(counts.falseNegatives)),
        "precision": EvaluationRun.number(counts.precision),
        "recall": EvaluationRun.number(counts.recall),
        "f1": EvaluationRun.number(counts.f1),
      ]
      if let coco {
        let result = coco.categories[index]
        row["ap"] = EvaluationRun.number(result.ap)
        row["ap50"] = EvaluationRun.number(result.ap50)
        row["ap75"] = EvaluationRun.number(result.ap75)
        row["ar100"] = EvaluationRun.number(result.ar100)
      }
      if let voc {
        row["ap"] = EvaluationRun.number(voc[index].allPointAP)
        row["ap11"] = EvaluationRun.number(voc[index].elevenPointAP)
      }
      classes.append(.object(row))
    }
    var record = EvaluationRun.header(
      key: key, kind: "detections", data: source, truth: parameters.truth,
      predictions: parameters.predictions,
      parameters: [
        "method": .string(parameters.method.rawValue),
        "iou": .double(parameters.iou),
        "classwise": .bool(parameters.classwise),
        "pixel_inclusive": .bool(parameters.pixelInclusive),
      ], metrics: metrics)
    record["classes"] = .array(classes)
    record["confusion"] = EvaluationRun.confusion(
      labels: categories + ["background"], counts: matches.confusion)
    record["curves"] = curvesRecord()
    return EvaluationRun(key: key, record: .object(record), samples: samplesRecord())
  }

  /// The most points a stored precision–recall curve keeps per class.
  package static let maximumCurvePoints = 101

  /// `run.json`'s `curves`: per class the precision–recall curve at the matching IoU.
  ///
  /// The class's predictions in descending confidence (ties in their order) each add a true
  /// positive (matched to a ground-truth box of the class) or a false positive (unmatched, or
  /// matched across classes without `classwise`); predictions matched to a crowd box are
  /// skipped. After each prediction, recall is TP / ground-truth boxes (crowd boxes not
  /// counted) and precision TP / (TP + FP). A curve is thinned to at most
  /// ``maximumCurvePoints`` points, evenly spaced, always keeping the last.
  private func curvesRecord() -> JSONValue {
    let problem = data.problem
    var truthCounts = [Int](repeating: 0, count: problem.categories.count)
    for box in problem.groundTruth where !box.crowd { truthCounts[Int(box.category)] += 1 }
    var byCategory = [[Int]](repeating: [], count: problem.categories.count)
    for (index, box) in problem.predictions.enumerated() where !matches.predictionIgnored[index] {
      byCategory[Int(box.category)].append(index)
    }
    func rounded(_ value: Double) -> JSONValue { .double((value * 10_000).rounded() / 10_000) }
    var classes: [JSONValue] = []
    for (category, name) in problem.categories.enumerated() {
      let order = byCategory[category].enumerated().sorted { a, b in
        let (scoreA, scoreB) = (
          problem.predictions[a.element].score, problem.predictions[b.element].score
        )
        return scoreA != scoreB ? scoreA > scoreB : a.offset < b.offset
      }.map(\.element)
      var points: [JSONValue] = []
      var truePositives = 0
      for (rank, index) in order.enumerated() {
        let match = Int(matches.predictionMatch[index])
        if match >= 0 && Int(problem.groundTruth[match].category) == category { truePositives += 1 }
        let recall =
          truthCounts[category] == 0 ? 0 : Double(truePositives) / Double(truthCounts[category])
        let precision = Double(truePositives) / Double(rank + 1)
        points.append(
          .array([rounded(recall), rounded(precision), rounded(problem.predictions[index].score)]))
      }
      if points.count > Self.maximumCurvePoints {
        let last = points.count - 1
        let step = Double(last) / Double(Self.maximumCurvePoints - 1)
        points = (0..<Self.maximumCurvePoints).map { points[Int((Double($0) * step).rounded())] }
      }
      classes.append(
        .object([
          "name": .string(name), "truth": .int(Int64(truthCounts[category])),
          "points": .array(points),
        ]))
    }
    return .object(["iou": .double(parameters.iou), "classes": .array(classes)])
  }

  /// `samples.json`: per sample its counts, matches, false negatives and false positives.
  private func samplesRecord() -> JSONValue {
    let problem = data.problem
    let categories = problem.categories
    var matchesBySample = [[JSONValue]](repeating: [], count: data.keys.count)
    var negativesBySample = [[JSONValue]](repeating: [], count: data.keys.count)
    var positivesBySample = [[JSONValue]](repeating: [], count: data.keys.count)
    var ignoredBySample = [[JSONValue]](repeating: [], count: data.keys.count)
    // A prediction matched to a crowd box is ignored (neither a true nor a false positive);
    // a crowd box is never missed.
    var matched = [Bool](repeating: false, count: problem.groundTruth.count)
    for (index, box) in problem.predictions.enumerated() {
      let label = JSONValue.string(categories[Int(box.category)])
      let match = Int(matches.predictionMatch[index])
      if matches.predictionIgnored[index] {
        ignoredBySample[Int(box.image)].append(.array([.string(data.predictionIDs[index]), label]))
      } else if match >= 0 {
        matched[match] = true
        let truth = problem.groundTruth[match]
        matchesBySample[Int(box.image)].append(
          .array([
            .string(data.truthIDs[match]), .string(categories[Int(truth.category)]),
            .string(data.predictionIDs[index]), label, .double(matches.predictionIoU[index]),
          ]))
      } else {
        positivesBySample[Int(box.image)].append(
          .array([.string(data.predictionIDs[index]), label]))
      }
    }
    for (index, box) in problem.groundTruth.enumerated() where !matched[index] && !box.crowd {
      negativesBySample[Int(box.image)].append(
        .array([.string(data.truthIDs[index]), .string(categories[Int(box.category)])]))
    }
    var samples: [String: JSONValue] = [:]
    for (index, key) in data.keys.enumerated() {
      let counts = matches.images[index]
      samples[key] = .object([
        "tp": .int(Int64(counts.truePositives)),
        "fp": .int(Int64(counts.falsePositives)),
        "fn": .int(Int64(counts.falseNegatives)),
        "matches": .array(matchesBySample[index]),
        "false_negatives": .array(negativesBySample[index]),
        "false_positives": .array(positivesBySample[index]),
        "ignored": .array(ignoredBySample[index]),
      ])
    }
    return .object(["samples": .object(samples)])
  }
}
