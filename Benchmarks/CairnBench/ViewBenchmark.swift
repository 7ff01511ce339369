import CairnCore
import Foundation
import GitStore

/// Measures applying a view to N samples: Cairn (in process, from the commit's blobs and from
/// the working tree, and the `cairn view apply` command) against a plain Python script that
/// reads the same working-tree files with the `json` module and applies the same query.
struct ViewBenchmark {
  /// How many times each measurement is repeated (the median is reported).
  static let repeats = 3

  /// A view, as `cairn view apply` options.
  struct Query {
    /// What the view does, for the report.
    var name: String
    /// The options.
    var options: [String]
    /// The Python peer's mode.
    var peerMode: String
  }

  /// The representative view: a condition on a sample field, a label filter by class and
  /// confidence, a sort and a limit.
  static let representative = Query(
    name: "view A",
    options: [
      "--match", "fields.weather == \"rain\"", "--filter",
      "ground_truth: label == \"car\" and confidence > 0.5", "--sort", "fields.score", "--desc",
      "--limit", "100",
    ],
    peerMode: "match")

  /// The same without the sample condition: every label file is read.
  static let everyLabel = Query(
    name: "view B",
    options: [
      "--filter", "ground_truth: label == \"car\" and confidence > 0.5", "--sort",
      "fields.score", "--desc", "--limit", "100",
    ],
    peerMode: "labels")

  let dataset: SyntheticDataset
  let workspace: Workspace
  private let now = Int64(Date().timeIntervalSince1970)

  /// Runs every step and returns the report.
  func run() throws -> Report {
    var report = Report()
    report.facts = [
      ("samples (N)", "\(dataset.count) (records with sample fields, labels with confidence)"),
      ("seed", "\(dataset.seed)"),
      ("cores", "\(ProcessInfo.processInfo.activeProcessorCount)"),
      ("load average", Shell.capture("cut -d' ' -f1-3 /proc/loadavg", fallback: "unknown")),
      ("python", Shell.capture("python3 --version", fallback: "not found")),
      ("view A", Self.representative.options.map(Shell.quote).joined(separator: " ")),
      ("view B", Self.everyLabel.options.map(Shell.quote).joined(separator: " ")),
      ("work directory", workspace.root),
    ]
    try prepare()
    let peer = workspace.root + "/view-peer.py"
    try FileIO.writeAtomically(Array(Self.peerScript.utf8), to: peer)
    let cli = Self.cairnBinary()
    for query in [Self.representative, Self.everyLabel] {
      try measure(query, peer: peer, cli: cli, into: &report)
    }
    let rows = report.comparisons.filter { $0.operation.hasPrefix(Self.representative.name) }
    let limit = 2.0 * Double(dataset.count) / 100_000
    for row in rows {
      report.targets.append(
        Target(
          description:
            "\(row.operation): apply < \(Report.seconds(limit)) s (2 s per 100 000 samples)",
          measured: Report.seconds(row.cairn) + " s", passed: row.cairn < limit))
    }
    return report
  }

  private func prepare() throws {
    progress("generating \(dataset.count) annotated samples (\(2 * dataset.count) files) in A")
    let (_, seconds) = try Stopwatch.time { () throws -> Void in
      _ = try CairnRepository.create(at: workspace.cairn, bare: false, now: now)
      let writer = MirrorWriter(roots: [workspace.cairn])
      for index in 0..<dataset.count {
        try writer.write(dataset.sampleBytes(index), to: dataset.samplePath(index))
        try writer.write(dataset.labelBytes(index), to: dataset.labelPath(index))
      }
      let repository = try CairnRepository.open(from: workspace.cairn)
      _ = try repository.commit(message: "Import \(dataset.count) samples", now: now)
    }
    progress(String(format: "  generated and committed in %.1f s (untimed)", seconds))
  }

  private func measure(_ query: Query, peer: String, cli: String?, into report: inout Report)
    throws
  {
    let stages = try Self.stages(query.options)
    let definition = ViewDefinition(stages: stages)
    try settle()
    progress("\(query.name): \(query.options.joined(separator: " "))")
    var headTimes: [Double] = []
    var treeTimes: [Double] = []
    var cliTimes: [Double] = []
    var peerTimes: [Double] = []
    var results: [String: Set<[String]>] = [:]
    for _ in 0..<Self.repeats {
      let (head, headSeconds) = try Stopwatch.time { () throws -> [String] in
        let repository = try CairnRepository.open(from: workspace.cairn)
        return try repository.evaluate(definition, in: .revision("HEAD")).keys
      }
      headTimes.append(headSeconds)
      results["Cairn, HEAD's blobs", default: []].insert(head)

      let (tree, treeSeconds) = try Stopwatch.time { () throws -> [String] in
        let repository = try CairnRepository.open(from: workspace.cairn)
        return try repository.evaluate(definition, in: .workingTree).keys
      }
      treeTimes.append(treeSeconds)
      results["Cairn, working tree", default: []].insert(tree)

      if let cli {
        let command =
          Shell.quote(cli) + " view apply --rev HEAD "
          + query.options.map(Shell.quote).joined(separator: " ")
        let outcome = try Shell.run(command, in: workspace.cairn)
        cliTimes.append(outcome.seconds)
        results["cairn view apply", default: []].insert(
          outcome.output.split(separator: "\n").map(String.init))
      }

      let outcome = try Shell.run(
        "python3 \(Shell.quote(peer)) \(query.peerMode) \(Shell.quote(workspace.cairn))")
      peerTimes.append(outcome.seconds)
      results["python3 json", default: []].insert(
        outcome.output.split(separator: "\n").map(String.init))
    }
    let peerSeconds = Stopwatch.median(peerTimes)
    let peerName = "python3 json (working tree)"
    report.comparisons.append(
      Comparison(
        operation: query.name + " (HEAD)", cairn: Stopwatch.median(headTimes), peer: peerName,
        peerSeconds: peerSeconds))
    report.comparisons.append(
      Comparison(
        operation: query.name + " (wt)", cairn: Stopwatch.median(treeTimes), peer: peerName,
        peerSeconds: peerSeconds))
    if !cliTimes.isEmpty {
      report.comparisons.append(
        Comparison(
          operation: query.name + " (CLI)", cairn: Stopwatch.median(cliTimes), peer: peerName,
          peerSeconds: peerSeconds))
    }
    let reference = results["python3 json"]?.first ?? []
    for (name, outputs) in results.sorted(by: { $0.key < $1.key }) {
      report.checks.append(
        (
          "\(query.name): \(name) selected \(outputs.first?.count ?? 0) keys"
            + (outputs == [reference] ? ", the same as python3" : ", NOT the same as python3"),
          outputs == [reference] && !reference.isEmpty
        ))
    }
  }

  /// The stages `cairn view apply` makes of `options` (label filters, then the condition,
  /// then sort and limit), for the in-process runs.
  private static func stages(_ options: [String]) throws -> [ViewStage] {
    func value(_ option: String) -> String? {
      options.firstIndex(of: option).map { options[$0 + 1] }
    }
    var stages: [ViewStage] = []
    if let filter = value("--filter") {
      let parts = filter.split(separator: ":", maxSplits: 1).map(String.init)
      stages.append(
        .filterLabels(field: parts[0], predicate: try QueryParser.parse(parts[1], context: .label)))
    }
    if let match = value("--match") {
      stages.append(.match(try QueryParser.parse(match, context: .sample)))
    }
    if let sort = value("--sort") {
      stages.append(
        .sort(
          by: try QueryParser.parseOperand(sort, context: .sample),
          descending: options.contains("--desc")))
    }
    if let limit = value("--limit").flatMap({ Int($0) }) { stages.append(.limit(limit)) }
    return stages
  }

  /// `cairn` built next to this program, if any.
  private static func cairnBinary() -> String? {
    let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let path = directory.appendingPathComponent("cairn").path
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
  }

  /// Flushes dirty pages and reads every file once (untimed), so that each tool starts with
  /// its input in the page cache.
  private func settle() throws {
    try Shell.run("sync")
    let root = workspace.cairn
    for file in WorkingTreeScanner.scan(root: root) { _ = try FileIO.read(root + "/" + file.path) }
    _ = try Shell.run("cat \(Shell.quote(root))/.git/objects/pack/* > /dev/null")
  }

  private func progress(_ text: String) { print("• " + text) }

  /// The peer: the same query over the working-tree files with Python's `json` module.
  ///
  /// Mode `match` checks the sample's weather first and reads labels only of rainy samples;
  /// `labels` reads every label file.
  static let peerScript = """
    import json, os, sys

    mode, root = sys.argv[1], sys.argv[2]
    samples = os.path.join(root, "samples")
    labels_root = os.path.join(root, "labels", "ground_truth")
    rows = []
    for s1 in os.listdir(samples):
        for s2 in os.listdir(os.path.join(samples, s1)):
            folder = os.path.join(samples, s1, s2)
            for name in os.listdir(folder):
                with open(os.path.join(folder, name), "rb") as f:
                    record = json.load(f)
                if mode == "match" and record["fields"].get("weather") != "rain":
                    continue
                try:
                    with open(os.path.join(labels_root, s1, s2, name), "rb") as f:
                        labels = json.load(f)["labels"]
                except FileNotFoundError:
                    continue
                cars = [l for l in labels if l.get("label") == "car"
                        and isinstance(l.get("confidence"), (int, float))
                        and l["confidence"] > 0.5]
                if cars:
                    rows.append((record["fields"].get("score"), record["key"]))
    rows.sort(key=lambda row: (-row[0], row[1].encode()))
    sys.stdout.write("".join(key + "\\n" for _, key in rows[:100]))

    """
}
