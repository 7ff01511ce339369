import ArgumentParser
import Foundation

/// `cairn-bench`: measures Cairn's commit and tree walk against git on the same files.
@main
struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cairn-bench",
    abstract: "Measure Cairn's import+commit, 1 % commit and tree walk against git.",
    discussion: """
      Generates N synthetic samples (a sample record and a label file each) in Cairn's format \
      v1, writes the same bytes into a Cairn repository and a plain git repository, and times \
      Cairn against git add+commit, git fast-import, git diff --name-only and libgit2's \
      tree-to-tree diff. With --views, applies two views to N samples instead, against a \
      python3 script reading the same files. With --coco-images and --coco-boxes, imports a \
      synthetic COCO file with the release cairn binary instead, measuring its time and peak \
      memory against python3's json.load. With --diff, times 'cairn diff --stat' on a \
      generated repository of N samples against libgit2 and git. With --eval, times \
      'cairn eval coco --json' on a synthetic COCO ground truth and results against \
      pycocotools and faster-coco-eval. With --curation, times ZCore and uniqueness on seeded \
      clustered embeddings against a NumPy port of ZCore and scikit-learn's exact kNN. With \
      --loop, runs an active-learning loop on scikit-learn's digits and compares Cairn's batch \
      selection with random picks at the same label budget. With --app, starts the release \
      'cairn app --port 0' on N labelled samples and times, over HTTP, the server becoming \
      ready, the first grid page, later and filtered pages. Targets \
      that are missed print FAIL; the exit status stays 0.
      """)

  @Option(help: "The number of samples to generate (at least 100).")
  var samples = 10_000

  @Option(help: "A directory to work in (default: a new temporary directory).")
  var work: String?

  @Flag(help: "Keep the repositories and the stream after the run.")
  var keep = false

  @Option(help: "The generator seed.")
  var seed: UInt64 = 42

  @Flag(
    help:
      "Measure applying views instead (Cairn against a python3 json script on the same files).")
  var views = false

  @Option(help: "COCO mode: the number of images of the synthetic COCO file.")
  var cocoImages: Int?

  @Option(help: "COCO mode: the number of boxes (annotations) of the synthetic COCO file.")
  var cocoBoxes = 1_000_000

  @Option(help: "COCO mode: points of each box's segmentation polygon (0: none).")
  var cocoPolygonPoints = 0

  @Option(
    help: "COCO, eval and app modes: the cairn executable (default: the one beside cairn-bench).")
  var cairn: String?

  @Flag(
    help: ArgumentHelp(
      "Measure 'cairn diff --stat A B' instead (against libgit2 and git diff --name-only).",
      discussion: "The repository of N samples is written straight into one pack; a second "
        + "commit edits 1 % of the label files. The documented figure uses N = 1000000."))
  var diff = false

  @Flag(
    help: ArgumentHelp(
      "Measure 'cairn eval coco' instead (against pycocotools and faster-coco-eval).",
      discussion: "Ground truth of --eval-images images (about 10 boxes each, 80 categories) "
        + "and about 11.7 predictions per image, generated from --seed."))
  var eval = false

  @Option(help: "Eval mode: the number of images of the synthetic ground truth.")
  var evalImages = 20_000

  @Flag(
    inversion: .prefixedNo,
    help: "Eval mode: run pycocotools and faster-coco-eval (--no-eval-peers: Cairn only).")
  var evalPeers = true

  @Flag(
    help: ArgumentHelp(
      "Measure curation instead: ZCore against a NumPy port, uniqueness against scikit-learn.",
      discussion: "Seeded clustered float32 embeddings of --curation-dimension floats; the "
        + "peers run as python3 processes on .npy files of the same embeddings."))
  var curation = false

  @Option(help: "Curation mode: samples of the ZCore run.")
  var curationZcoreSamples = 20_000

  @Option(help: "Curation mode: ZCore draws.")
  var curationDraws = 200_000

  @Option(
    help: ArgumentHelp(
      "Curation mode: the fraction of the draws the NumPy reference makes.",
      discussion: "Its time is extrapolated linearly; 1 runs it in full."))
  var curationReferenceFraction = 0.05

  @Option(help: "Curation mode: embedding dimension.")
  var curationDimension = 512

  @Option(help: "Curation mode: comma-separated uniqueness sizes.")
  var curationSizes = "10000,30000,100000"

  @Flag(
    inversion: .prefixedNo,
    help: "Curation mode: run the NumPy and scikit-learn peers (--no-curation-peers: Cairn only).")
  var curationPeers = true

  @Flag(
    help: ArgumentHelp(
      "Measure 'cairn app' instead: start-up, first grid page, later and filtered pages.",
      discussion: "N samples with ground-truth boxes, committed (untimed); with --keep and "
        + "--work the repository is kept in WORK/app and reused by the next run. The "
        + "documented figure uses N = 100000."))
  var app = false

  @Flag(
    help: ArgumentHelp(
      "Run an active-learning loop on scikit-learn's digits instead: Cairn's selection vs random.",
      discussion: "Each seed splits the digits into a frozen test set and a pool, starts with "
        + "no labels, and retrains a softmax regression after every batch; a second scenario "
        + "darkens 10 % of the images. Needs python3 with scikit-learn (installed with pip "
        + "when missing)."))
  var loop = false

  @Option(help: "Loop mode: labels per round.")
  var loopBudget = 20

  @Option(help: "Loop mode: seeded random labels every strategy starts from (0: cold start).")
  var loopInitial = 0

  @Option(help: "Loop mode: rounds per run.")
  var loopRounds = 10

  @Option(help: "Loop mode: seeds (runs) averaged, from --seed on.")
  var loopSeeds = 5

  @Option(help: "Loop mode: images in the frozen test set.")
  var loopTest = 540

  func validate() throws {
    if loop {
      if loopBudget < 1 || loopRounds < 1 || loopSeeds < 1 {
        throw ValidationError("--loop-budget, --loop-rounds and --loop-seeds must be positive")
      }
      if loopTest < 1 || loopInitial < 0
        || loopTest + loopInitial + loopBudget * loopRounds > 1_797
      {
        throw ValidationError(
          "--loop-test, --loop-initial and every round's labels must fit in 1797 digits")
      }
    }
    if curation {
      if curationZcoreSamples < 2 || curationDraws < 1 || curationDimension < 2 {
        throw ValidationError("curation sizes must be positive")
      }
      if !(curationReferenceFraction > 0 && curationReferenceFraction <= 1) {
        throw ValidationError("--curation-reference-fraction must be in (0, 1]")
      }
      if curationSizes.split(separator: ",").contains(where: { (Int($0) ?? 0) < 4 }) {
        throw ValidationError("--curation-sizes must be integers of at least 4")
      }
    }
    if eval && evalImages < 1 { throw ValidationError("--eval-images must be at least 1") }
    if samples < 100 { throw ValidationError("--samples must be at least 100") }
    if views && diff { throw ValidationError("choose one of --views and --diff") }
    if let cocoImages, cocoImages < 1 || cocoBoxes < 1 || cocoPolygonPoints < 0 {
      throw ValidationError("--coco-images and --coco-boxes must be at least 1")
    }
  }

  func run() throws {
    let workspace = try Workspace.make(in: work)
    defer {
      if keep {
        print("kept \(workspace.root)")
      } else {
        workspace.remove()
      }
    }
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent("cairn").path
    if loop {
      let report = try LoopBenchmark(
        budget: loopBudget, initial: loopInitial, rounds: loopRounds, seeds: loopSeeds,
        testCount: loopTest, seed: seed,
        workspace: workspace
      ).run()
      report.print()
      return
    }
    if curation {
      let report = try CurationBenchmark(
        zcoreCount: curationZcoreSamples, dimension: curationDimension, draws: curationDraws,
        referenceFraction: curationReferenceFraction,
        uniquenessSizes: curationSizes.split(separator: ",").compactMap { Int($0) }, seed: seed,
        workspace: workspace, peers: curationPeers
      ).run()
      report.print()
      return
    }
    if eval {
      let report = try EvalBenchmark(
        images: evalImages, seed: seed, workspace: workspace, cairn: cairn ?? beside,
        peers: evalPeers
      ).run()
      report.print()
      return
    }
    if let cocoImages {
      let report = try COCOBenchmark(
        images: cocoImages, boxes: cocoBoxes, polygonPoints: cocoPolygonPoints, seed: seed,
        workspace: workspace, cairn: cairn ?? beside
      ).run()
      report.print()
      return
    }
    var dataset = SyntheticDataset(count: samples, seed: seed)
    let report: Report
    if app {
      report = try AppBenchmark(dataset: dataset, workspace: workspace, cairn: cairn ?? beside)
        .run()
    } else if views {
      dataset.annotated = true
      report = try ViewBenchmark(dataset: dataset, workspace: workspace).run()
    } else if diff {
      report = try DiffBenchmark(dataset: dataset, workspace: workspace).run()
    } else {
      report = try Benchmark(dataset: dataset, workspace: workspace).run()
    }
    report.print()
  }
}
