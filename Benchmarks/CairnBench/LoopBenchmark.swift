import Curation
import Foundation
import GitStore

/// `cairn-bench --loop`: an active-learning loop on scikit-learn's digits, comparing Cairn's
/// batch selection with random picks at the same label budget.
///
/// Each seed splits the 1 797 images into a frozen test set and a training pool, starts with
/// no labels (or `initial` seeded random ones), and runs `rounds` rounds: select `budget` pool images with a strategy, "label"
/// them (reveal their digit), retrain a softmax regression on every label so far, and measure
/// test accuracy. The embeddings are the 64 pixel values. A second scenario darkens and
/// noises 10 % of the images ("night"), which a model trained on the rest gets mostly wrong,
/// and measures accuracy on the night images of the test set.
struct LoopBenchmark {
  /// The selection strategies compared.
  enum Strategy: String, CaseIterable {
    /// Uniformly at random (`CoverageStrategy.random`): the baseline.
    case random
    /// `BatchSelector`'s default: typical-cluster coverage at cold start, then 30 % of it and
    /// 70 % targeting: the pool neighbours of the labelled images the current model gets
    /// wrong, then the least-confident pool images, spread over a shortlist twice the need.
    case cairn
    /// As `cairn`, with k-center coverage and the least-confident images as they come (the
    /// default before typical-cluster coverage).
    case cairnKCenter
    /// As `cairn`, but the failures are out-of-fold mistakes on the labelled set (each fold
    /// predicted by a model trained on the others), which are many more.
    case cairnOutOfFold
    /// k-center greedy alone (the whole budget coverage, every round).
    case kcenter
    /// Typical-cluster coverage alone.
    case typical
    /// The highest ZCore scores among the pool.
    case zcore
    /// Random at cold start, then the least-confident pool images only.
    case uncertainty

    /// The column title.
    var title: String {
      switch self {
      case .random: "random"
      case .cairn: "Cairn default"
      case .cairnKCenter: "Cairn, k-center"
      case .cairnOutOfFold: "Cairn, 5-fold"
      case .kcenter: "k-center"
      case .typical: "typical"
      case .zcore: "ZCore top"
      case .uncertainty: "uncertainty"
      }
    }
  }

  /// The digits: pixels (0–16), labels and which images are night ones.
  struct Digits {
    static let dimension = 64
    static let classes = 10
    var pixels: [Double]
    var labels: [Int]
    var night: [Bool]
    var count: Int { labels.count }
  }

  /// One seed's accuracies for one strategy, one entry per round.
  struct Curve {
    var accuracy: [Double] = []
    var nightAccuracy: [Double] = []
    /// Picks by reason over all rounds: coverage, near a failure, uncertain.
    var reasons = [0, 0, 0]
  }

  /// The share of night images and how they are made.
  static let nightShare = 0.10
  static let nightScale = 0.3
  static let nightNoise = 1.0
  /// The accuracy to reach, as a share of the accuracy with every training label.
  static let targetShare = 0.95

  let budget: Int
  /// Random labels every strategy starts from (0: cold start).
  let initial: Int
  let rounds: Int
  let seeds: Int
  let testCount: Int
  let seed: UInt64
  let workspace: Workspace

  var directory: String { workspace.root + "/loop" }

  /// Loads the digits, runs both scenarios and returns the report.
  func run() throws -> Report {
    var report = Report()
    report.facts = [
      ("machine", Shell.capture("nproc", fallback: "?") + " cores"),
      ("load average before", Shell.capture("cat /proc/loadavg", fallback: "?")),
    ]
    try FileIO.makeDirectories(directory)
    let digits: Digits
    switch try loadDigits() {
    case .success(let loaded): digits = loaded
    case .failure(let reason):
      print("SKIPPED: " + reason.description)
      report.facts.append(("skipped", reason.description))
      return report
    }
    let night = Self.nightVariant(of: digits, seed: seed)
    report.facts += [
      ("data", "scikit-learn digits, \(digits.count) × 64 pixels (0–16), 10 classes"),
      (
        "protocol",
        "\(seeds) seeds (\(seed)…\(seed + UInt64(seeds) - 1)); per seed a split of "
          + "\(testCount) frozen test images and \(digits.count - testCount) pool images; "
          + (initial == 0
            ? "cold start (0 labels)" : "\(initial) seeded random labels shared by every strategy")
          + "; \(rounds) rounds of \(budget) labels"
      ),
      (
        "classifier",
        "softmax regression, L2 ½‖W‖² (scikit-learn C = 1), L-BFGS, features standardised "
          + "with the pool's statistics"
      ),
      ("embeddings", "the 64 raw pixel values (BatchSelector centres them for cosine neighbours)"),
      (
        "label accounting",
        "only the batches count; Cairn's failures are the current model's mistakes on images "
          + "already labelled (5-fold: out-of-fold mistakes on them), so failure mining costs "
          + "no extra labels"
      ),
      (
        "night variant",
        String(
          format: "%.0f %% of the images × %.1f plus Gaussian noise σ = %.1f, clipped to 0–16",
          Self.nightShare * 100, Self.nightScale, Self.nightNoise)
      ),
    ]
    let started = Date()
    let day = scenario("digits", data: digits, report: &report)
    let dark = scenario("digits with night images", data: night, report: &report)
    printTable("digits: test accuracy", day.curves, day.full, \.accuracy)
    printTable("night scenario: test accuracy, all images", dark.curves, dark.full, \.accuracy)
    printTable(
      "night scenario: test accuracy on the night images", dark.curves, dark.nightFull,
      \.nightAccuracy)

    let third = min(3, rounds) - 1
    let early = (0...third).map { round in
      (
        Self.mean(day.curves[.cairn, default: []].map { $0.accuracy[round] }),
        Self.mean(day.curves[.random, default: []].map { $0.accuracy[round] })
      )
    }
    report.targets.append(
      Target(
        description: "Cairn's default beats random in each of the first \(third + 1) rounds "
          + "(\((0...third).map { String(labels(after: $0)) }.joined(separator: ", ")) labels, "
          + "digits)",
        measured: early.map { String(format: "%.1f vs %.1f %%", $0.0 * 100, $0.1 * 100) }
          .joined(separator: "; "),
        passed: early.allSatisfy { $0.0 > $0.1 }))
    let nightCairn = Self.mean(dark.curves[.cairn, default: []].map { $0.nightAccuracy[third] })
    let nightRandom = Self.mean(
      dark.curves[.random, default: []].map { $0.nightAccuracy[third] })
    report.targets.append(
      Target(
        description: "Cairn's default beats random on night images after \(third + 1) rounds",
        measured: String(format: "%.1f %% vs %.1f %%", nightCairn * 100, nightRandom * 100),
        passed: nightCairn > nightRandom))
    let last = rounds - 1
    let lastCairn = Self.mean(dark.curves[.cairn, default: []].map { $0.nightAccuracy[last] })
    let lastRandom = Self.mean(dark.curves[.random, default: []].map { $0.nightAccuracy[last] })
    report.targets.append(
      Target(
        description: "Cairn's default beats random on night images after \(rounds) rounds",
        measured: String(format: "%.1f %% vs %.1f %%", lastCairn * 100, lastRandom * 100),
        passed: lastCairn > lastRandom))
    report.facts.append(
      ("loop time", String(format: "%.1f s", Date().timeIntervalSince(started))))
    report.facts.append(("load average after", Shell.capture("cat /proc/loadavg", fallback: "?")))
    return report
  }

  // MARK: The loop

  /// What one scenario measured: per strategy, one curve per seed; per seed, the accuracy
  /// with every pool label (overall and on the night images).
  struct Outcome {
    var curves: [Strategy: [Curve]] = [:]
    var full: [Double] = []
    var nightFull: [Double] = []
  }

  private func scenario(_ name: String, data: Digits, report: inout Report) -> Outcome {
    var outcome = Outcome()
    let embeddings = EmbeddingMatrix(
      count: data.count, dimension: Digits.dimension, values: data.pixels.map { Float($0) })
    var dayOnly: [Double] = []
    for index in 0..<seeds {
      let runSeed = seed &+ UInt64(index)
      var generator = SeededRandom(seed: runSeed)
      var order = Array(0..<data.count)
      order.shuffle(using: &generator)
      let test = Array(order.prefix(testCount)).sorted()
      let pool = Array(order.dropFirst(testCount)).sorted()
      let features = StandardisedFeatures(
        raw: data.pixels, dimension: Digits.dimension, reference: pool)
      let evaluate = { (model: SoftmaxRegression) -> (Double, Double) in
        self.accuracy(model, features: features, data: data, test: test)
      }
      let fullModel = SoftmaxRegression(
        features: features, rows: pool, labels: data.labels, classes: Digits.classes)
      let (full, nightFull) = evaluate(fullModel)
      outcome.full.append(full)
      outcome.nightFull.append(nightFull)
      if data.night.contains(true) {
        let day = SoftmaxRegression(
          features: features, rows: pool.filter { !data.night[$0] }, labels: data.labels,
          classes: Digits.classes)
        dayOnly.append(evaluate(day).1)
      }
      print(
        "• \(name), seed \(runSeed): every pool label gives "
          + String(format: "%.1f %%", full * 100)
          + (data.night.contains(true) ? String(format: " (night %.1f %%)", nightFull * 100) : ""))
      for strategy in Strategy.allCases {
        let curve = loop(
          strategy, data: data, features: features, embeddings: embeddings, pool: pool,
          test: test, seed: runSeed, evaluate: evaluate)
        outcome.curves[strategy, default: []].append(curve)
      }
    }
    let fullAccuracy = Self.summary(outcome.full)
    report.checks.append(
      (
        "\(name): softmax regression on all \(data.count - testCount) pool labels reaches "
          + "≥ 90 % on the test set in every seed (\(fullAccuracy))",
        outcome.full.allSatisfy { $0 >= 0.9 }
      ))
    report.facts.append(("\(name): every pool label", fullAccuracy))
    if !dayOnly.isEmpty {
      report.facts.append(
        (
          "\(name): night accuracy",
          "every pool label \(Self.summary(outcome.nightFull)); trained on day images only "
            + Self.summary(dayOnly)
        ))
    }
    return outcome
  }

  /// One strategy's rounds for one seed.
  private func loop(
    _ strategy: Strategy, data: Digits, features: StandardisedFeatures,
    embeddings: EmbeddingMatrix, pool: [Int], test: [Int], seed runSeed: UInt64,
    evaluate: (SoftmaxRegression) -> (Double, Double)
  ) -> Curve {
    var curve = Curve()
    var labelled: [Int] = []
    var isLabelled = [Bool](repeating: false, count: data.count)
    var model: SoftmaxRegression?
    if initial > 0 {
      var generator = SeededRandom(seed: runSeed, stream: 11)
      labelled = Array(pool.shuffled(using: &generator).prefix(initial))
      for index in labelled { isLabelled[index] = true }
      model = SoftmaxRegression(
        features: features, rows: labelled, labels: data.labels, classes: Digits.classes)
    }
    for round in 0..<rounds {
      let unlabelled = pool.filter { !isLabelled[$0] }
      let roundSeed = runSeed &* 1_000 &+ UInt64(round)
      var request = BatchRequest(
        budget: budget, pool: unlabelled, labelled: labelled, seed: roundSeed)
      switch strategy {
      case .random:
        request.strategy = .random
      case .kcenter:
        request.strategy = .kcenter
      case .typical:
        request.strategy = .typical
      case .zcore:
        request.strategy = .zcore
        request.seed = runSeed
      case .cairn, .cairnOutOfFold, .cairnKCenter:
        if strategy == .cairnKCenter {
          request.strategy = .kcenter
          request.uncertaintySpread = 1
        }
        if let model {
          request.failures =
            strategy != .cairnOutOfFold
            ? failures(of: model, labelled, data: data, features: features)
            : outOfFoldFailures(labelled, data: data, features: features)
          request.uncertainty = leastConfidence(model, features: features, pool: unlabelled)
        }
      case .uncertainty:
        request.uncertaintySpread = 1
        if let model {
          request.coverageShare = 0
          request.uncertainty = leastConfidence(model, features: features, pool: unlabelled)
        } else {
          request.strategy = .random
        }
      }
      let picks = BatchSelector.select(request, embeddings: embeddings)
      precondition(picks.count == budget, "BatchSelector returned \(picks.count) picks")
      for pick in picks {
        switch pick.reason {
        case .coverage: curve.reasons[0] += 1
        case .nearFailure: curve.reasons[1] += 1
        case .uncertain: curve.reasons[2] += 1
        }
        precondition(!isLabelled[pick.index], "picked a labelled image")
        isLabelled[pick.index] = true
        labelled.append(pick.index)
      }
      let trained = SoftmaxRegression(
        features: features, rows: labelled, labels: data.labels, classes: Digits.classes)
      model = trained
      let (accuracy, night) = evaluate(trained)
      curve.accuracy.append(accuracy)
      curve.nightAccuracy.append(night)
    }
    return curve
  }

  /// The labelled images that `model` (trained on them) gets wrong, surest mistakes last.
  private func failures(
    of model: SoftmaxRegression, _ labelled: [Int], data: Digits, features: StandardisedFeatures
  ) -> [Int] {
    var failures: [(index: Int, probability: Double)] = []
    for index in labelled where model.predict(features, row: index) != data.labels[index] {
      failures.append((index, model.probabilities(features, row: index)[data.labels[index]]))
    }
    return failures.sorted { a, b in
      a.probability != b.probability ? a.probability < b.probability : a.index < b.index
    }.map(\.index)
  }

  /// The labelled images that a model trained on the other folds gets wrong, surest mistakes
  /// last.
  ///
  /// Five folds by position in the labelled list (which is the order of labelling), so the
  /// failures depend only on labels already paid for.
  private func outOfFoldFailures(
    _ labelled: [Int], data: Digits, features: StandardisedFeatures
  ) -> [Int] {
    let folds = min(5, labelled.count)
    guard folds >= 2 else { return [] }
    var failures: [(index: Int, probability: Double)] = []
    for fold in 0..<folds {
      let held = labelled.indices.filter { $0 % folds == fold }.map { labelled[$0] }
      let kept = labelled.indices.filter { $0 % folds != fold }.map { labelled[$0] }
      let model = SoftmaxRegression(
        features: features, rows: kept, labels: data.labels, classes: Digits.classes)
      for index in held where model.predict(features, row: index) != data.labels[index] {
        let probability = model.probabilities(features, row: index)[data.labels[index]]
        failures.append((index, probability))
      }
    }
    return failures.sorted { a, b in
      a.probability != b.probability ? a.probability < b.probability : a.index < b.index
    }.map(\.index)
  }

  /// 1 − the top class probability of every pool image (nil elsewhere).
  private func leastConfidence(
    _ model: SoftmaxRegression, features: StandardisedFeatures, pool: [Int]
  ) -> [Double?] {
    var scores = [Double?](repeating: nil, count: features.count)
    for index in pool {
      scores[index] =
        Hardness.scores(probabilities: model.probabilities(features, row: index))
        .leastConfidence
    }
    return scores
  }

  /// Accuracy on the test set and on its night images (0 when there are none).
  private func accuracy(
    _ model: SoftmaxRegression, features: StandardisedFeatures, data: Digits, test: [Int]
  ) -> (Double, Double) {
    var right = 0
    var nightRight = 0
    var nightCount = 0
    for index in test {
      let correct = model.predict(features, row: index) == data.labels[index]
      if correct { right += 1 }
      if data.night[index] {
        nightCount += 1
        if correct { nightRight += 1 }
      }
    }
    return (
      Double(right) / Double(max(1, test.count)),
      nightCount > 0 ? Double(nightRight) / Double(nightCount) : 0
    )
  }

  // MARK: Output

  /// Prints mean ± std per round and strategy, the difference from random, and the labels
  /// needed to reach 95 % of the accuracy with every pool label.
  private func printTable(
    _ title: String, _ curves: [Strategy: [Curve]], _ full: [Double],
    _ metric: KeyPath<Curve, [Double]>
  ) {
    let strategies = Strategy.allCases
    print("")
    print("-- \(title), mean ± std over \(seeds) seeds (%) --")
    print(
      Self.pad("labels", 8)
        + strategies.map { Self.pad($0.title, 16) }.joined())
    for round in 0..<rounds {
      var line = Self.pad(String(labels(after: round)), 8)
      for strategy in strategies {
        let values = curves[strategy, default: []].map { $0[keyPath: metric][round] * 100 }
        line += Self.pad(
          String(format: "%.1f ± %.1f", Self.mean(values), Self.deviation(values)), 16)
      }
      print(line)
    }
    print("difference from random in the same run (points; mean of per-seed differences):")
    for round in 0..<rounds {
      var line = Self.pad(String(labels(after: round)), 8)
      let random = curves[.random, default: []].map { $0[keyPath: metric][round] }
      for strategy in strategies where strategy != .random {
        let values = curves[strategy, default: []].map { $0[keyPath: metric][round] }
        let differences = zip(values, random).map { ($0 - $1) * 100 }
        line += Self.pad(String(format: "%+.1f", Self.mean(differences)), 16)
      }
      print(line)
    }
    print(
      String(
        format: "labels to reach %.0f %% of the every-label accuracy (%@), mean ± std over the "
          + "seeds that reach it within \(labels(after: rounds - 1)) labels:",
        Self.targetShare * 100, Self.summary(full)))
    var line = Self.pad("", 8)
    for strategy in strategies {
      let reached = zip(curves[strategy, default: []], full).compactMap { curve, full in
        curve[keyPath: metric].firstIndex { $0 >= Self.targetShare * full }
          .map { Double(labels(after: $0)) }
      }
      let text =
        reached.isEmpty
        ? "> \(labels(after: rounds - 1))"
        : String(format: "%.0f ± %.0f", Self.mean(reached), Self.deviation(reached))
          + (reached.count < seeds ? " (\(reached.count)/\(seeds))" : "")
      line += Self.pad(text, 16)
    }
    print(line)
    for strategy in [Strategy.cairn, .cairnKCenter, .cairnOutOfFold] {
      let totals = curves[strategy, default: []].reduce(into: [0, 0, 0]) { totals, curve in
        for index in totals.indices { totals[index] += curve.reasons[index] }
      }
      let all = Double(max(1, totals.reduce(0, +)))
      let shares: [Double] = totals.map { Double($0) / all * 100 }
      let text = String(
        format: "%.0f %% coverage, %.0f %% near failures, %.0f %% uncertain", shares[0],
        shares[1], shares[2])
      print(strategy.title + " picks: " + text)
    }
  }

  /// The labels in hand after round `round` (counted from 0).
  private func labels(after round: Int) -> Int { initial + (round + 1) * budget }

  static func mean(_ values: [Double]) -> Double {
    values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
  }

  /// The sample standard deviation (n − 1), 0 below two values.
  static func deviation(_ values: [Double]) -> Double {
    guard values.count > 1 else { return 0 }
    let centre = mean(values)
    let squares = values.reduce(0) { $0 + ($1 - centre) * ($1 - centre) }
    return (squares / Double(values.count - 1)).squareRoot()
  }

  static func summary(_ values: [Double]) -> String {
    String(format: "%.1f ± %.1f %%", mean(values) * 100, deviation(values) * 100)
  }

  private static func pad(_ text: String, _ width: Int) -> String {
    text + String(repeating: " ", count: max(1, width - text.count))
  }

  // MARK: Data

  /// Why the digits could not be loaded.
  struct SkipReason: Error, CustomStringConvertible {
    var description: String
  }

  /// Writes the digits with python3 and scikit-learn (installing it with pip when the import
  /// fails) and reads them back.
  private func loadDigits() throws -> Result<Digits, SkipReason> {
    let python = Shell.capture("command -v python3", fallback: "")
    guard !python.isEmpty else {
      return .failure(SkipReason(description: "python3 is not on PATH; the digits come from it"))
    }
    let check = Shell.quote(python) + " -c 'import numpy, sklearn' 2>/dev/null"
    if (try? Shell.run(check)) == nil {
      print("• scikit-learn missing: python3 -m pip install --quiet scikit-learn")
      _ = try? Shell.run(Shell.quote(python) + " -m pip install --quiet scikit-learn >&2")
      if (try? Shell.run(check)) == nil {
        return .failure(
          SkipReason(
            description: "python3 cannot import numpy and sklearn, even after pip install"))
      }
    }
    let pixelsFile = directory + "/digits-pixels.f64"
    let labelsFile = directory + "/digits-labels.i64"
    try Shell.run(
      [python, "-c", Self.digitsScript, pixelsFile, labelsFile].map(Shell.quote)
        .joined(separator: " "))
    let pixels = try Self.read(pixelsFile, as: Double.self)
    let labels = try Self.read(labelsFile, as: Int64.self).map { Int($0) }
    guard labels.count > testCount + budget, pixels.count == labels.count * Digits.dimension,
      labels.allSatisfy({ (0..<Digits.classes).contains($0) })
    else {
      throw BenchError(
        "digits: \(pixels.count) pixel values and \(labels.count) labels, "
          + "not N × 64 with N > the test set and a batch")
    }
    return .success(
      Digits(
        pixels: pixels, labels: labels, night: [Bool](repeating: false, count: labels.count)))
  }

  /// The pixels as little-endian float64 and the labels as little-endian int64.
  static let digitsScript = """
    import sys
    import numpy as np
    from sklearn.datasets import load_digits
    digits = load_digits()
    np.asarray(digits.data, dtype="<f8").tofile(sys.argv[1])
    np.asarray(digits.target, dtype="<i8").tofile(sys.argv[2])
    """

  private static func read<T>(_ path: String, as type: T.Type) throws -> [T] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw BenchError("cannot read \(path)")
    }
    return data.withUnsafeBytes { Array($0.bindMemory(to: T.self)) }
  }

  /// The digits with a seeded 10 % of the images darkened and noised.
  static func nightVariant(of digits: Digits, seed: UInt64) -> Digits {
    var generator = SeededRandom(seed: seed, stream: 7)
    var order = Array(0..<digits.count)
    order.shuffle(using: &generator)
    var result = digits
    for image in order.prefix(Int((Double(digits.count) * nightShare).rounded())) {
      result.night[image] = true
      for column in 0..<Digits.dimension {
        let u = max(generator.unit(), Double.ulpOfOne)
        let normal = (-2 * log(u)).squareRoot() * cos(2 * Double.pi * generator.unit())
        let index = image * Digits.dimension + column
        result.pixels[index] = min(
          16, max(0, digits.pixels[index] * nightScale + nightNoise * normal))
      }
    }
    return result
  }
}
