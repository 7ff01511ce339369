internal import ArgumentParser
internal import CairnCore
internal import Evaluation
internal import GitStore

/// The options every repository evaluation shares: where, which run key, how to report.
struct EvaluationScopeOptions: ParsableArguments {
  @Option(help: "The run's key: its results go to runs/eval/<key>/ in the working tree.")
  var key: String

  @Option(name: .customLong("rev"), help: "The revision to evaluate (default: HEAD).")
  var revision: String?

  @Option(help: "Evaluate only the samples of this view (at the revision).")
  var view: String?

  @Option(
    help: ArgumentHelp(
      "Evaluate the samples of this frozen test set, against its ground truth as frozen.",
      valueName: "name"))
  var frozen: String?

  @Flag(help: "Replace an existing run of the same key.")
  var force = false

  @Flag(help: "Print the result as JSON (envelope cairn.eval/v1).")
  var json = false

  func validate() throws {
    if view != nil && frozen != nil {
      throw ValidationError("--view and --frozen cannot be used together")
    }
    if let problem = EvaluationRun.keyProblem(key) {
      throw ValidationError("invalid --key '\(key)': \(problem)")
    }
  }

  var scope: EvaluationScope { EvaluationScope(revision: revision, view: view, frozen: frozen) }

  /// Reads the two fields for the chosen samples, refusing an existing run (without --force)
  /// before any work and a selection without samples.
  func data(
    _ repository: CairnRepository, truth: String, predictions: String, type: FieldType
  ) throws(CairnError) -> EvaluationData {
    if !force, try repository.runExists(key) {
      throw CairnError(
        .alreadyExists,
        "evaluation run '\(key)' already exists (\(EvaluationRun.folder(key))); "
          + "use --force to replace it")
    }
    let data = try repository.evaluationData(
      truth: truth, predictions: predictions, type: type, scope: scope)
    guard !data.samples.isEmpty else {
      let what =
        frozen.map { "frozen test set '\($0)'" } ?? view.map { "view '\($0)'" } ?? "the revision"
      throw CairnError(
        .invalidInput, "\(what) selects no sample at \(data.commit.short); nothing to evaluate")
    }
    return data
  }

  /// Stores `run` in the working tree (refusing to replace one without --force) and prints it.
  func store(_ run: EvaluationRun, in repository: CairnRepository) throws(CairnError) {
    try repository.saveRun(run, replace: force)
    EvaluationOutput.print(run, json: json)
    Output.note("cairn: wrote \(EvaluationRun.folder(run.key))/; record it with 'cairn commit'")
  }
}

extension Cairn.Eval {
  struct Detections: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "detections",
      abstract: "Evaluate a field of predicted boxes against a field of ground-truth boxes.",
      discussion: """
        --method coco (the default) computes the twelve COCO numbers exactly as pycocotools \
        (IoU 0.50:0.95, 101 recall points, area ranges from the ground truth's area, at most \
        100 detections per image) and per-class AP, AP50 and AP75. --method voc computes \
        per-class PASCAL VOC AP at --iou, all-point and 11-point. Both add, at --iou, \
        per-class precision, recall, F1 and TP/FP/FN counts, a confusion matrix with a \
        background row and column, and per-sample and per-object matches. The run is written \
        to runs/eval/<key>/ in the working tree; record it with 'cairn commit'.
        """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var scope: EvaluationScopeOptions

    @Option(help: "The ground-truth field.")
    var gt: String

    @Option(help: "The predictions field.")
    var pred: String

    @Option(help: "coco or voc.")
    var method: String = "coco"

    @Option(help: "The IoU threshold of the counts, the confusion matrix and VOC's AP.")
    var iou: Double = 0.5

    @Flag(
      inversion: .prefixedNo,
      help: "Match only boxes of the same class (--no-classwise: across classes, as confusions).")
    var classwise = true

    @Flag(help: "VOC: count pixels inclusively (width = x2 - x1 + 1) in the AP's IoU.")
    var pixelInclusive = false

    @Option(
      help: ArgumentHelp(
        "Also write a self-contained HTML report (COCO method: summary, classes, PR curves, "
          + "confusion matrix).", valueName: "file"))
    var report: String?

    func validate() throws {
      guard DetectionMethod(rawValue: method) != nil else {
        throw ValidationError("--method must be coco or voc, not '\(method)'")
      }
      guard iou > 0 && iou <= 1 else { throw ValidationError("--iou must be in (0, 1]") }
      if pixelInclusive && method != "voc" {
        throw ValidationError("--pixel-inclusive applies to --method voc only")
      }
      if report != nil && method != "coco" {
        throw ValidationError("--report draws COCO's curves: use it with --method coco")
      }
    }

    func run() throws {
      let repository = try self.repository.open()
      let data = try scope.data(repository, truth: gt, predictions: pred, type: .detections)
      let detections = DetectionData(data)
      if detections.samplesWithoutSize > 0 {
        Output.note(
          "cairn: warning: \(detections.samplesWithoutSize) sample(s) have no width and height; "
            + "their boxes are measured in image units, so the area ranges see them as small")
      }
      let parameters = DetectionRunParameters(
        truth: gt, predictions: pred, method: DetectionMethod(rawValue: method) ?? .coco,
        iou: iou, classwise: classwise, pixelInclusive: pixelInclusive)
      let evaluation = DetectionEvaluation(detections, parameters: parameters)
      let run = evaluation.run(key: scope.key, source: data)
      if let report, let coco = evaluation.coco {
        let file = try ReportFile(path: report)
        var parameters = [
          ("commit", data.commit.hex), ("ground truth", gt), ("predictions", pred),
          ("samples", String(detections.keys.count)),
          ("matching IoU", CanonicalJSON.format(iou)),
          ("classwise", classwise ? "yes" : "no"),
        ]
        if let frozen = data.frozen { parameters.append(("frozen test set", frozen.name)) }
        if let view = data.view { parameters.append(("view", view)) }
        file.writer.write(
          EvaluationReport.html(
            title: "Evaluation \(scope.key)", result: coco, matches: evaluation.matches,
            categories: detections.problem.categories, parameters: parameters))
        try file.commit()
        Output.note("cairn: wrote \(report)")
      }
      try scope.store(run, in: repository)
    }
  }
}
