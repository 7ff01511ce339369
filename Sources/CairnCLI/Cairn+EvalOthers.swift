internal import ArgumentParser
internal import CairnCore
internal import Evaluation

extension Cairn.Eval {
  struct Classifications: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "classifications",
      abstract: "Evaluate a field of predicted classes against a field of true classes.",
      discussion: """
        Scores each sample's top prediction (highest confidence, ties in order) against its \
        one true class: accuracy, per-class precision, recall and F1 with macro and weighted \
        averages (as scikit-learn's classification_report), a confusion matrix with a (none) \
        column for samples without a prediction, and top-k accuracy for each --top-k when \
        every prediction has a confidence (a multi-label predictions field ranks its labels). \
        The run is written to runs/eval/<key>/ in the working tree.
        """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var scope: EvaluationScopeOptions

    @Option(help: "The ground-truth field (one classification per sample).")
    var gt: String

    @Option(help: "The predictions field.")
    var pred: String

    @Option(name: .customLong("top-k"), help: "Also report top-k accuracy (repeatable).")
    var topK: [Int] = []

    func validate() throws {
      if topK.contains(where: { $0 < 1 }) { throw ValidationError("--top-k must be at least 1") }
    }

    func run() throws {
      let repository = try self.repository.open()
      let data = try scope.data(repository, truth: gt, predictions: pred, type: .classification)
      let evaluation = try ClassificationEvaluation(
        data, truth: gt, predictions: pred, topK: topK)
      let run = evaluation.run(key: scope.key)
      try scope.store(run, in: repository)
    }
  }

  struct Cuboids: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "cuboids",
      abstract: "Evaluate a field of predicted 3D boxes against ground-truth cuboids.",
      discussion: """
        Per class, predictions by confidence take the unmatched ground-truth cuboid of their \
        sample with the highest IoU, if it reaches the class's threshold (KITTI's: Car 0.7, \
        Pedestrian and Cyclist 0.5; 0.5 otherwise; --threshold CLASS=T to change one). AP \
        over 40 and 11 recall points, in 3D and in bird's-eye view; no difficulty levels. \
        Boxes must be upright about --up: y in a camera frame (KITTI's label_2 boxes, y \
        down), z in a LiDAR frame. See Docs/evaluation.md.
        """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var scope: EvaluationScopeOptions

    @Option(help: "The ground-truth field.")
    var gt: String

    @Option(help: "The predictions field.")
    var pred: String

    @Option(help: "The vertical axis of the cuboids' frame: y (camera) or z (LiDAR).")
    var up: String = "y"

    @Option(help: ArgumentHelp("A class's IoU threshold (repeatable).", valueName: "class=t"))
    var threshold: [String] = []

    func validate() throws {
      guard up == "y" || up == "z" else { throw ValidationError("--up must be y or z") }
      _ = try overrides()
    }

    private func overrides() throws -> [String: Double] {
      var values: [String: Double] = [:]
      for entry in threshold {
        let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let value = Double(parts[1]), value > 0, value <= 1 else {
          throw ValidationError("--threshold takes CLASS=T with T in (0, 1], not '\(entry)'")
        }
        values[parts[0]] = value
      }
      return values
    }

    func run() throws {
      let repository = try self.repository.open()
      let data = try scope.data(repository, truth: gt, predictions: pred, type: .cuboids)
      let evaluation = try CuboidEvaluation(
        data, truth: gt, predictions: pred, up: up == "z" ? .z : .y,
        thresholds: CuboidThresholds(overrides: try overrides()))
      let run = evaluation.run(key: scope.key)
      try scope.store(run, in: repository)
    }
  }
}
