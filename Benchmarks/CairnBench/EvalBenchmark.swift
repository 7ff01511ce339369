import CairnCore
import Evaluation
import Foundation
import GitStore

#if canImport(Glibc)
import Glibc
#endif

/// `cairn-bench --eval`: COCO box evaluation end to end (load both files, evaluate,
/// summarise) with the release `cairn eval coco --json`, against pycocotools and
/// faster-coco-eval on the same synthetic files, each a separate process whose peak memory is
/// read from `wait4`.
struct EvalBenchmark {
  /// How many times faster than pycocotools Cairn must be, end to end.
  static let pycocotoolsTarget = 20.0
  /// How many times faster than faster-coco-eval Cairn must be, end to end.
  static let fasterTarget = 2.0
  /// How many categories the ground truth has (COCO's 80, with ids 1…90 as COCO has gaps).
  static let categoryCount = 80

  let images: Int
  let seed: UInt64
  let workspace: Workspace
  /// The `cairn` executable to run.
  let cairn: String
  /// Whether to run the Python peers.
  let peers: Bool

  var groundTruthFile: String { workspace.eval + "/instances.json" }
  var resultsFile: String { workspace.eval + "/results.json" }

  /// Generates the files, runs the three evaluations and returns the report.
  func run() throws -> Report {
    guard FileManager.default.isExecutableFile(atPath: cairn) else {
      throw BenchError(
        "no cairn executable at \(cairn); build it (swift build -c release --product cairn) "
          + "or pass --cairn PATH")
    }
    var report = Report()
    progress("generating a COCO ground truth of \(images) images and its results")
    let (counts, generateSeconds) = try Stopwatch.time { try generate() }
    report.facts = [
      ("images", String(images)),
      ("ground-truth boxes", "\(counts.boxes) (\(counts.crowd) crowd), 80 categories"),
      ("predictions", String(counts.predictions)),
      (
        "files",
        "\(counts.groundTruthBytes / 1_000_000) MB + \(counts.resultBytes / 1_000_000) MB, "
          + "generated in \(Report.seconds(generateSeconds)) s"
      ),
      ("cairn", cairn),
      ("machine", Shell.capture("nproc", fallback: "?") + " cores"),
      ("load average before", Shell.capture("cat /proc/loadavg", fallback: "?")),
    ]

    var own = rusage()
    getrusage(RUSAGE_SELF.rawValue, &own)
    report.facts.append(
      (
        "cairn-bench's own peak RSS",
        megabytes(Int(own.ru_maxrss) * 1024)
          + " (a floor of the children's figures: posix_spawn shares it until exec)"
      ))
    progress("cairn eval coco --json (3 runs, median)")
    var runs: [Subprocess.Measurement] = []
    for _ in 0..<3 {
      try settle()
      runs.append(
        try Subprocess.measure(cairn, ["eval", "coco", groundTruthFile, resultsFile, "--json"]))
    }
    runs.sort { $0.seconds < $1.seconds }
    let cairnRun = runs[1]
    let cairnStats = try Self.cairnStats(cairnRun.output)
    report.facts.append(("cairn peak RSS", megabytes(cairnRun.peakBytes)))
    report.facts.append(
      ("cairn runs", runs.map { Report.seconds($0.seconds) }.joined(separator: ", ") + " s"))
    report.facts.append(
      ("cairn AP / AP50", "\(cairnStats[0]) / \(cairnStats[1])"))

    var peerSeconds: [String: Double] = [:]
    for peer in Peer.allCases where peers {
      guard let python = Self.python() else {
        report.facts.append((peer.name, "skipped: python3 not found"))
        continue
      }
      if (try? Shell.run(Shell.quote(python) + " -c 'import \(peer.module)' 2>/dev/null")) == nil {
        report.facts.append((peer.name, "skipped: python3 cannot import \(peer.module)"))
        continue
      }
      // Not named after the module: a script beside it would shadow the package.
      let script = workspace.eval + "/run_\(peer.module).py"
      try FileIO.writeAtomically(Array(peer.script.utf8), to: script)
      progress("peer: \(peer.name)")
      try settle()
      let measured: Subprocess.Measurement
      do {
        measured = try Subprocess.measure(python, [script, groundTruthFile, resultsFile])
      } catch {
        report.checks.append(("\(peer.name) ran (\(error))", false))
        continue
      }
      guard let stats = Self.pythonStats(measured.output) else {
        report.checks.append(("\(peer.name) printed its twelve numbers", false))
        continue
      }
      let difference = zip(stats, cairnStats).map { abs($0 - $1) }.max() ?? .infinity
      switch peer {
      case .pycocotools:
        report.checks.append(
          (
            "the twelve numbers equal pycocotools' to 1e-9 (max |Δ| \(difference))",
            difference <= 1e-9
          ))
      case .faster:
        report.facts.append(("max |Δ| against faster-coco-eval", String(difference)))
      }
      peerSeconds[peer.name] = measured.seconds
      report.comparisons.append(
        Comparison(
          operation: "COCO bbox eval", cairn: cairnRun.seconds, peer: peer.name,
          peerSeconds: measured.seconds))
      report.facts.append(("\(peer.name) peak RSS", megabytes(measured.peakBytes)))
      let ratio = measured.seconds / max(cairnRun.seconds, 1e-9)
      report.targets.append(
        Target(
          description: "≥ \(Int(peer.target))× faster than \(peer.name), end to end",
          measured: String(format: "%.1f×", ratio), passed: ratio >= peer.target))
    }
    try repositoryEvaluation(cairnStats: cairnStats, peerSeconds: peerSeconds, into: &report)
    // In process, not part of the comparison: where Cairn's time goes (medians of 3 runs).
    // Last, because posix_spawn shares this process's memory until the child's exec, and
    // Linux carries that peak into the child's ru_maxrss: loading here first would add this
    // process's peak to every child's.
    try settle()
    var loads: [Double] = []
    var evaluations: [Double] = []
    var inProcess: COCOResult?
    for _ in 0..<3 {
      let (loaded, loadSeconds) = try Stopwatch.time {
        try COCOEvaluationFiles.load(groundTruth: groundTruthFile, results: resultsFile)
      }
      let (evaluated, evaluateSeconds) = Stopwatch.time { COCOEvaluator.evaluate(loaded.problem) }
      loads.append(loadSeconds)
      evaluations.append(evaluateSeconds)
      inProcess = evaluated
    }
    report.facts.append(
      (
        "in process (not compared)",
        "load \(Report.seconds(Stopwatch.median(loads))) s, evaluate "
          + "\(Report.seconds(Stopwatch.median(evaluations))) s (medians of 3)"
      ))
    let inProcessStats = inProcess?.stats ?? []

    report.checks.append(
      (
        "cairn eval coco equals the in-process evaluation",
        inProcessStats.count == 12
          && zip(cairnStats, inProcessStats).allSatisfy { $0.bitPattern == $1.bitPattern }
      ))
    report.facts.append(("load average after", Shell.capture("cat /proc/loadavg", fallback: "?")))
    return report
  }

  /// Image file names, zero-padded so that sample-key order is image-id order (the order
  /// pycocotools takes images in, which decides how predictions of equal score are ranked).
  static func fileName(_ index: Int) -> String {
    let digits = String(index)
    return String(repeating: "0", count: max(0, 6 - digits.count)) + digits + ".jpg"
  }

  /// The same files imported into a repository and committed, then `cairn eval detections`
  /// on it: the twelve numbers must equal `cairn eval coco`'s, and its time is compared with
  /// the peers' on the files.
  private func repositoryEvaluation(
    cairnStats: [Double], peerSeconds: [String: Double], into report: inout Report
  ) throws {
    let repository = workspace.eval + "/repo"
    if FileManager.default.fileExists(atPath: repository) {
      try FileManager.default.removeItem(atPath: repository)
    }
    progress("importing the files into a repository (cairn import coco, twice) and committing")
    let (_, importSeconds) = try Stopwatch.time {
      try Shell.run(Shell.quote(cairn) + " init " + Shell.quote(repository) + " >/dev/null")
      for (file, extra) in [
        (groundTruthFile, "--field ground_truth"),
        (resultsFile, "--images " + Shell.quote(groundTruthFile) + " --field predictions"),
      ] {
        try Shell.run(
          Shell.quote(cairn) + " import coco " + Shell.quote(file) + " " + extra
            + " --allow-missing-media >/dev/null", in: repository)
      }
      try Shell.run(Shell.quote(cairn) + " commit -m data >/dev/null", in: repository)
    }
    report.facts.append(("repository import + commit", Report.seconds(importSeconds) + " s"))
    progress("cairn eval detections on the repository (3 runs, median)")
    var runs: [Subprocess.Measurement] = []
    for _ in 0..<3 {
      try settle()
      runs.append(
        try Subprocess.measure(
          cairn,
          [
            "-C", repository, "eval", "detections", "--gt", "ground_truth", "--pred",
            "predictions", "--key", "bench", "--force", "--json",
          ]))
    }
    runs.sort { $0.seconds < $1.seconds }
    let median = runs[1]
    report.facts.append(
      (
        "cairn eval detections runs",
        runs.map { Report.seconds($0.seconds) }.joined(separator: ", ") + " s, peak RSS "
          + megabytes(median.peakBytes)
      ))
    let summary = try JSONParser.parse(median.output)["cairn.eval/v1"]?["summary"]
    let stats = COCOResult.statNames.map { summary?[$0]?.number ?? -1 }
    let difference = zip(stats, cairnStats).map { abs($0 - $1) }.max() ?? .infinity
    report.checks.append(
      (
        "eval detections on the repository equals eval coco on the files to 1e-9 "
          + "(max |Δ| \(difference))", difference <= 1e-9
      ))
    for (peer, seconds) in peerSeconds.sorted(by: { $0.key < $1.key }) {
      report.comparisons.append(
        Comparison(
          operation: "eval detections (repository)", cairn: median.seconds, peer: peer,
          peerSeconds: seconds))
    }
  }

  /// The Python peers.
  enum Peer: CaseIterable {
    case pycocotools, faster

    var name: String {
      switch self {
      case .pycocotools: "pycocotools COCOeval"
      case .faster: "faster-coco-eval"
      }
    }

    var module: String {
      switch self {
      case .pycocotools: "pycocotools"
      case .faster: "faster_coco_eval"
      }
    }

    var target: Double {
      switch self {
      case .pycocotools: EvalBenchmark.pycocotoolsTarget
      case .faster: EvalBenchmark.fasterTarget
      }
    }

    /// Loads both files, evaluates, accumulates, summarises (its printing silenced) and
    /// prints the twelve stats as a JSON array.
    var script: String {
      let imports: String
      let evaluator: String
      switch self {
      case .pycocotools:
        imports = "from pycocotools.coco import COCO\nfrom pycocotools.cocoeval import COCOeval"
        evaluator = "COCOeval(gt, dt, 'bbox')"
      case .faster:
        imports = "from faster_coco_eval import COCO, COCOeval_faster"
        evaluator = "COCOeval_faster(gt, dt, iouType='bbox')"
      }
      return """
        import contextlib, io, json, sys
        \(imports)
        with contextlib.redirect_stdout(io.StringIO()):
            gt = COCO(sys.argv[1])
            dt = gt.loadRes(sys.argv[2])
            evaluation = \(evaluator)
            evaluation.evaluate()
            evaluation.accumulate()
            evaluation.summarize()
        print(json.dumps([float(x) for x in evaluation.stats]))

        """
    }
  }

  private static func cairnStats(_ output: String) throws -> [Double] {
    let value = try JSONParser.parse(Array(output.utf8))
    guard let summary = value["cairn.eval-coco/v1"]?["summary"] else {
      throw BenchError("cairn eval coco printed no summary: \(output.prefix(200))")
    }
    return try COCOResult.statNames.map { name in
      switch summary[name] {
      case .double(let number): return number
      case .int(let number): return Double(number)
      default: throw BenchError("no \(name) in cairn's summary")
      }
    }
  }

  private static func pythonStats(_ output: String) -> [Double]? {
    guard let value = try? JSONParser.parse(Array(output.utf8)), case .array(let items) = value,
      items.count == 12
    else { return nil }
    return items.compactMap { item in
      switch item {
      case .double(let number): number
      case .int(let number): Double(number)
      default: nil
      }
    }
  }

  // MARK: The files

  struct Counts {
    var boxes = 0
    var crowd = 0
    var predictions = 0
    var groundTruthBytes = 0
    var resultBytes = 0
  }

  /// Writes the ground truth and the results.
  ///
  /// Images of 640×480 with ids 100, 113, 126, … (not 1…N); 80 categories with COCO's ids
  /// (1…90 with gaps); 0–20 boxes per image whose sides follow a log-uniform scale from 6 to
  /// 400 pixels (so small, medium and large all occur), about 1 % crowd with an RLE
  /// segmentation, the others with an 8-point polygon, `area` = 0.8·w·h as a polygon's area
  /// is. Results: a jittered copy of 85 % of the non-crowd boxes (5 % of them with another
  /// category), and about 3.5 false positives per image, with random scores.
  private func generate() throws -> Counts {
    try FileIO.makeDirectories(workspace.eval)
    var random = DemoRandom(seed: seed)
    var counts = Counts()
    let categoryIDs = Array((1...90).filter { $0 % 9 != 0 }.prefix(Self.categoryCount))
    let truth = try BufferedFile(path: groundTruthFile)
    let results = try BufferedFile(path: resultsFile)
    truth.append("{\"info\":{\"description\":\"cairn-bench synthetic COCO evaluation\"},")
    truth.append("\"licenses\":[],\n\"images\":[")
    for index in 0..<images {
      truth.append(index == 0 ? "\n" : ",\n")
      truth.append(
        "{\"id\":\(100 + 13 * index),\"file_name\":\"\(Self.fileName(index))\",\"width\":640,"
          + "\"height\":480}")
    }
    truth.append("],\n\"categories\":[")
    for (index, id) in categoryIDs.enumerated() {
      truth.append(index == 0 ? "\n" : ",\n")
      truth.append("{\"id\":\(id),\"name\":\"class \(id)\",\"supercategory\":\"thing\"}")
    }
    truth.append("],\n\"annotations\":[")
    results.append("[")
    var annotationID = 0
    func uniform() -> Double { Double(random.next() >> 11) / Double(1 << 53) }
    func round2(_ value: Double) -> Double { (value * 100).rounded() / 100 }
    func score() -> String { String(Double(random.next() % 1_000_000) / 1_000_000) }
    func writeResult(_ image: Int, _ category: Int, _ box: [Double]) {
      results.append(counts.predictions == 0 ? "\n" : ",\n")
      results.append(
        "{\"image_id\":\(image),\"category_id\":\(category),\"bbox\":[\(box[0]),\(box[1]),"
          + "\(box[2]),\(box[3])],\"score\":\(score())}")
      counts.predictions += 1
    }
    func randomBox() -> [Double] {
      let side = 6 * pow(400.0 / 6, uniform())
      let aspect = pow(2, 2 * uniform() - 1)
      let width = min(639, side * aspect)
      let height = min(479, side / aspect)
      let x = uniform() * (640 - width)
      let y = uniform() * (480 - height)
      return [round2(x), round2(y), round2(width), round2(height)]
    }
    for index in 0..<images {
      let image = 100 + 13 * index
      for _ in 0..<Int(random.next() % 21) {
        annotationID += 1
        let category = categoryIDs[Int(random.next() % UInt64(categoryIDs.count))]
        let box = randomBox()
        let crowd = random.next() % 100 == 0
        let segmentation: String
        if crowd {
          segmentation =
            "{\"counts\":\"\(String(random.next(), radix: 36))PQ0`1\",\"size\":[480,640]}"
        } else {
          let (cx, cy, rx, ry) = (box[0] + box[2] / 2, box[1] + box[3] / 2, box[2] / 2, box[3] / 2)
          let points = (0..<8).map { point -> String in
            let angle = Double(point) * Double.pi / 4
            return "\(round2(cx + rx * cos(angle))),\(round2(cy + ry * sin(angle)))"
          }
          segmentation = "[[" + points.joined(separator: ",") + "]]"
        }
        truth.append(counts.boxes == 0 ? "\n" : ",\n")
        truth.append(
          "{\"segmentation\":\(segmentation),\"area\":\(round2(box[2] * box[3] * 0.8)),"
            + "\"iscrowd\":\(crowd ? 1 : 0),\"image_id\":\(image),\"bbox\":[\(box[0]),\(box[1]),"
            + "\(box[2]),\(box[3])],\"category_id\":\(category),\"id\":\(annotationID)}")
        counts.boxes += 1
        if crowd { counts.crowd += 1 }
        guard !crowd, random.next() % 100 < 85 else { continue }
        let jittered = [
          round2(max(0, box[0] + (uniform() - 0.5) * 0.2 * box[2])),
          round2(max(0, box[1] + (uniform() - 0.5) * 0.2 * box[3])),
          round2(box[2] * (0.85 + 0.3 * uniform())), round2(box[3] * (0.85 + 0.3 * uniform())),
        ]
        let predicted =
          random.next() % 100 < 5
          ? categoryIDs[Int(random.next() % UInt64(categoryIDs.count))] : category
        writeResult(image, predicted, jittered)
      }
      for _ in 0..<Int(random.next() % 8) {
        writeResult(
          image, categoryIDs[Int(random.next() % UInt64(categoryIDs.count))], randomBox())
      }
    }
    truth.append("]}\n")
    results.append("]\n")
    counts.groundTruthBytes = try truth.close()
    counts.resultBytes = try results.close()
    return counts
  }

  // MARK: Helpers

  /// Flushes dirty pages and reads both files once, so that every tool starts from the page
  /// cache.
  private func settle() throws {
    try Shell.run("sync")
    _ = try FileIO.read(groundTruthFile)
    _ = try FileIO.read(resultsFile)
  }

  /// The real interpreter behind `python3` on the PATH (not a pyenv shim, whose start-up
  /// would be timed too), else the system's.
  private static func python() -> String? {
    let resolved = Shell.capture(
      "python3 -c 'import sys; print(sys.executable)'", fallback: "")
    if !resolved.isEmpty && FileManager.default.isExecutableFile(atPath: resolved) {
      return resolved
    }
    for path in ["/usr/bin/python3", "/usr/local/bin/python3"]
    where FileManager.default.isExecutableFile(atPath: path) {
      return path
    }
    return nil
  }

  private func megabytes(_ bytes: Int) -> String { "\(bytes / 1_000_000) MB" }

  private func progress(_ text: String) {
    print("• " + text)
  }
}
