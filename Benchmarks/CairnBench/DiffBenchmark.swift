import CairnCore
import Dispatch
import Foundation
import GitStore

/// Measures `cairn diff --stat A B` on a large repository against libgit2's tree-to-tree diff
/// and `git diff --name-only` on the same two commits.
///
/// The repository is built without a working tree: every blob and tree of both commits is
/// written straight into one pack through `ObjectWriter` and `TreeEditor`, blobs hashed and
/// deflated on all cores, so that a million samples take tens of seconds instead of the hours
/// two million working-tree files and a commit would.
struct DiffBenchmark {
  /// How many times each diff is repeated (the median is reported).
  static let repeats = 5

  let dataset: SyntheticDataset
  let workspace: Workspace
  private let now = Int64(Date().timeIntervalSince1970)

  /// The two commits: A (every sample) and B (A with 1 % of the label files edited).
  private struct Commits {
    var a: ObjectID
    var b: ObjectID
    var treeA: ObjectID
    var treeB: ObjectID
  }

  /// Runs the generation and the measurements and returns the report.
  func run() throws -> Report {
    var report = Report()
    report.facts = [
      ("samples (N)", "\(dataset.count) (\(2 * dataset.count) files: records and label files)"),
      ("changed", "\(dataset.changedIndices.count) label files, one box moved in each"),
      ("seed", "\(dataset.seed)"),
      ("cores", "\(ProcessInfo.processInfo.activeProcessorCount)"),
      ("load average (start)", loadAverage()),
      ("git", Shell.capture("git --version", fallback: "unknown")),
      (
        "libgit2",
        "libgit2 " + Shell.capture("pkg-config --modversion libgit2", fallback: "(system)")
      ),
      ("work directory", workspace.root),
    ]
    guard let cli = Self.cairnBinary() else {
      throw BenchError("build cairn next to cairn-bench first: swift build -c release")
    }
    let (commits, seconds) = try Stopwatch.time { try generate() }
    report.facts.append(("generation", Report.seconds(seconds) + " s (untimed in the table)"))
    report.facts.append(
      (
        "repository size",
        Shell.capture("du -sh \(Shell.quote(workspace.cairn)) | cut -f1", fallback: "?")
      ))
    try measure(commits, cli: cli, into: &report)
    report.facts.append(("load average (end)", loadAverage()))
    return report
  }

  // MARK: Generation

  private func generate() throws -> Commits {
    let count = dataset.count
    progress("generating \(count) samples (\(2 * count) blobs) straight into one pack")
    let repository = try CairnRepository.create(at: workspace.cairn, bare: true, now: now)
    let git = repository.git
    guard let initial = try repository.head().target else { throw BenchError("no initial commit") }

    // Paths in byte order without sorting strings: within a root, files sort by shard, then
    // by encoded key, and keys are zero-padded numbers, so (shard, index) is the order.
    let shards = (0..<count).map { index -> Int in
      let (first, second) = FormatV1.shard(of: dataset.key(index))
      return (Int(first, radix: 16) ?? 0) << 6 | (Int(second, radix: 16) ?? 0)
    }
    let order = (0..<count).sorted { shards[$0] != shards[$1] ? shards[$0] < shards[$1] : $0 < $1 }

    let writer = try ObjectWriter(repository: git)
    var sampleIDs = [ObjectID](repeating: ObjectID.emptyTree, count: count)
    var labelIDs = sampleIDs
    let changed = dataset.changedIndices
    var shiftedIDs: [ObjectID] = []
    let chunk = 16_384
    var start = 0
    var lastReport = Date()
    while start < count {
      let end = min(count, start + chunk)
      let prepared = Self.prepareInParallel(end - start) { compressor, offset in
        let index = start + offset
        return [
          compressor.prepare(.blob, dataset.sampleBytes(index)),
          compressor.prepare(.blob, dataset.labelBytes(index)),
        ]
      }
      for (offset, objects) in prepared.enumerated() {
        for object in objects { try writer.add(object) }
        sampleIDs[start + offset] = objects[0].id
        labelIDs[start + offset] = objects[1].id
      }
      start = end
      if Date().timeIntervalSince(lastReport) > 10 {
        progress("  \(end) of \(count) samples")
        lastReport = Date()
      }
    }
    let shifted = Self.prepareInParallel(changed.count) { compressor, offset in
      [compressor.prepare(.blob, dataset.labelBytes(changed[offset], shifted: true))]
    }
    for objects in shifted {
      try writer.add(objects[0])
      shiftedIDs.append(objects[0].id)
    }

    let schema = Schema(
      fields: [
        SyntheticDataset.field: FieldDefinition(
          type: .detections, classes: SyntheticDataset.classes)
      ], sampleFields: [:])
    let manifestID = try writer.write(.blob, Manifest.current.encoded)
    let schemaID = try writer.write(.blob, schema.encoded)
    let editor = TreeEditor(repository: git, writer: writer)
    func changes(labels: [ObjectID]) -> [TreeChange] {
      var list: [TreeChange] = []
      list.reserveCapacity(2 * count + 2)
      list.append(TreeChange(path: "cairn.json", id: manifestID))
      let suffixes = order.map { index -> String in
        let path = dataset.samplePath(index)
        return String(path.dropFirst("samples/".count))
      }
      let labelRoot = "labels/" + SyntheticDataset.field + "/"
      for (position, index) in order.enumerated() {
        list.append(TreeChange(path: labelRoot + suffixes[position], id: labels[index]))
      }
      for (position, index) in order.enumerated() {
        list.append(TreeChange(path: "samples/" + suffixes[position], id: sampleIDs[index]))
      }
      list.append(TreeChange(path: "schema.json", id: schemaID))
      return list
    }
    progress("writing the trees of A and B")
    let treeA = try editor.apply(base: nil, changes: changes(labels: labelIDs))
    var edited = labelIDs
    for (offset, index) in changed.enumerated() { edited[index] = shiftedIDs[offset] }
    let treeB = try editor.apply(base: nil, changes: changes(labels: edited))
    let signature = Signature(
      name: "Cairn Bench", email: "bench@example.com", time: now, offsetMinutes: 0)
    let commitA = try writer.write(
      .commit,
      Commit.serialize(
        tree: treeA, parents: [initial], author: signature, committer: signature,
        message: "Import \(count) samples"))
    let commitB = try writer.write(
      .commit,
      Commit.serialize(
        tree: treeB, parents: [commitA], author: signature, committer: signature,
        message: "Move \(changed.count) boxes"))
    progress("  \(writer.count) objects; finishing the pack")
    try writer.commit()
    try git.updateReference("refs/tags/bench-a", to: commitA, expected: nil, message: "bench")
    try git.updateReference("refs/tags/bench-b", to: commitB, expected: nil, message: "bench")
    try git.updateReference(
      "refs/heads/main", to: commitB, expected: initial, message: "bench")
    return Commits(a: commitA, b: commitB, treeA: treeA, treeB: treeB)
  }

  /// Runs `body` for `0..<count` on all cores, each worker with its own compressor.
  private static func prepareInParallel(
    _ count: Int, _ body: (ObjectCompressor, Int) -> [PreparedObject]
  ) -> [[PreparedObject]] {
    let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, count))
    let results = UnsafeMutableBufferPointer<[PreparedObject]>.allocate(capacity: count)
    results.initialize(repeating: [])
    defer { results.deallocate() }
    let output = Shared(results)
    withoutActuallyEscaping(body) { body in
      let work = Shared(body)
      DispatchQueue.concurrentPerform(iterations: workers) { worker in
        let compressor = ObjectCompressor()
        var index = worker
        while index < count {
          output.value[index] = work.value(compressor, index)
          index += workers
        }
      }
    }
    return Array(results)
  }

  // MARK: Measurements

  private func measure(_ commits: Commits, cli: String, into report: inout Report) throws {
    let expected = dataset.changedIndices.count
    progress("reading the pack once (untimed)")
    try Shell.run("sync")
    _ = try Shell.run("cat \(Shell.quote(workspace.cairn))/objects/pack/* > /dev/null")
    progress("load average before timing: \(loadAverage())")
    var cliTimes: [Double] = []
    var walkTimes: [Double] = []
    var libgit2Times: [Double] = []
    var gitTimes: [Double] = []
    var cliOutputs: Set<String> = []
    var walkCounts: Set<Int> = []
    var libgit2Counts: Set<Int> = []
    var gitCounts: Set<Int> = []
    var blobTimes: [Double] = []
    let command = Shell.quote(cli) + " diff --stat bench-a bench-b"
    for run in 0..<Self.repeats {
      progress("run \(run + 1) of \(Self.repeats)")
      let outcome = try Shell.run(command, in: workspace.cairn)
      cliTimes.append(outcome.seconds)
      cliOutputs.insert(outcome.output)

      let walkRepository = try GitRepository.open(at: workspace.cairn)
      let (found, walkSeconds) = try Stopwatch.time { () throws -> Int in
        var found = 0
        try TreeWalk(repository: walkRepository).differences(
          from: commits.treeA, to: commits.treeB
        ) { _ in found += 1 }
        return found
      }
      walkTimes.append(walkSeconds)
      walkCounts.insert(found)

      // What a label diff reads that a tree diff does not: both versions of every changed
      // label file, inflated.
      let blobRepository = try GitRepository.open(at: workspace.cairn)
      var changed: [TreeDifference] = []
      try TreeWalk(repository: blobRepository).differences(from: commits.treeA, to: commits.treeB) {
        changed.append($0)
      }
      let (_, blobSeconds) = try Stopwatch.time { () throws -> Int in
        var bytes = 0
        for difference in changed {
          if let old = difference.old { bytes += try blobRepository.readBlob(old).count }
          if let new = difference.new { bytes += try blobRepository.readBlob(new).count }
        }
        return bytes
      }
      blobTimes.append(blobSeconds)

      let diffRepository = try GitRepository.open(at: workspace.cairn)
      let (deltas, libgit2Seconds) = try Stopwatch.time {
        try diffRepository.libgit2DiffCount(commits.treeA, commits.treeB)
      }
      libgit2Times.append(libgit2Seconds)
      libgit2Counts.insert(deltas)

      let git = try Shell.run("git diff --name-only bench-a bench-b", in: workspace.cairn)
      gitTimes.append(git.seconds)
      gitCounts.insert(git.output.split(separator: "\n").count)
    }
    let cairn = Stopwatch.median(cliTimes)
    report.comparisons.append(
      Comparison(
        operation: "diff --stat (1 %)", cairn: cairn, peer: "libgit2 git_diff_tree_to_tree",
        peerSeconds: Stopwatch.median(libgit2Times)))
    report.comparisons.append(
      Comparison(
        operation: "diff --stat (1 %)", cairn: cairn, peer: "git diff --name-only",
        peerSeconds: Stopwatch.median(gitTimes)))
    report.comparisons.append(
      Comparison(
        operation: "tree walk (1 %)", cairn: Stopwatch.median(walkTimes),
        peer: "libgit2 git_diff_tree_to_tree", peerSeconds: Stopwatch.median(libgit2Times)))
    report.facts.append(("command", "cairn diff --stat bench-a bench-b (subprocess, release)"))
    report.facts.append(
      (
        "blob reads",
        Report.seconds(Stopwatch.median(blobTimes))
          + " s to read and inflate both versions of the \(expected) changed label files "
          + "(in process, one thread; libgit2's tree diff reads no blob)"
      ))
    report.facts.append(
      (
        "runs (s)",
        "cairn " + cliTimes.map(Report.seconds).joined(separator: " ")
          + "; libgit2 " + libgit2Times.map(Report.seconds).joined(separator: " ")
      ))

    let summary = "labels: 0 added, 0 removed, \(expected) modified"
    let printed = cliOutputs.first ?? ""
    report.checks.append(
      (
        "cairn diff --stat reports \(expected) modified labels in \(expected) samples",
        cliOutputs.count == 1 && printed.contains(summary)
          && printed.contains("\(expected) samples changed")
      ))
    for (name, counts) in [
      ("Cairn TreeWalk", walkCounts), ("libgit2 diff", libgit2Counts),
      ("git diff --name-only", gitCounts),
    ] {
      let text = counts.sorted().map(String.init).joined(separator: ", ")
      report.checks.append(
        ("\(name): \(text) differences (expected \(expected))", counts == [expected]))
    }
    let libgit2 = report.comparisons[0]
    report.targets = [
      Target(
        description: "cairn diff --stat < 1 s", measured: Report.seconds(cairn) + " s",
        passed: cairn < 1),
      Target(
        description: "cairn diff --stat >= 10x faster than libgit2 git_diff_tree_to_tree",
        measured: Report.ratioText(libgit2.ratio), passed: libgit2.ratio >= 10),
    ]
  }

  // MARK: Helpers

  private func loadAverage() -> String {
    Shell.capture("cut -d' ' -f1-3 /proc/loadavg", fallback: "unknown")
  }

  /// `cairn` built next to this program, if any.
  private static func cairnBinary() -> String? {
    let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let path = directory.appendingPathComponent("cairn").path
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
  }

  private func progress(_ text: String) { print("• " + text) }
}

/// Hands a value to concurrent workers whose accesses are partitioned by index.
private final class Shared<T>: @unchecked Sendable {
  var value: T
  init(_ value: T) { self.value = value }
}
