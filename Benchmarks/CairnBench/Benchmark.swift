import CairnCore
import Foundation
import GitStore

/// Runs the measurements: import+commit, a 1 % commit and a two-tree walk, each against git
/// doing the same work on the same bytes.
struct Benchmark {
  /// How many times each walk is repeated (the median is reported).
  static let walkRepeats = 5

  let dataset: SyntheticDataset
  let workspace: Workspace

  /// The commit time given to Cairn (git uses the clock).
  private let now = Int64(Date().timeIntervalSince1970)

  init(dataset: SyntheticDataset, workspace: Workspace) {
    self.dataset = dataset
    self.workspace = workspace
  }

  /// Runs every step and returns the report.
  func run() throws -> Report {
    var report = Report()
    report.facts = facts()
    let writer = try prepare()
    try importAndCommit(into: &report)
    let (old, new, oldCommitB, newCommitB) = try onePercentCommit(writer: writer, into: &report)
    try walk(old: old, new: new, oldB: oldCommitB, newB: newCommitB, into: &report)
    report.facts.append(("on-disk size", diskSizes()))
    addTargets(to: &report)
    return report
  }

  // MARK: Step 1: generate

  /// Creates A, B and C and writes the dataset into A and B and the fast-import stream.
  private func prepare() throws -> MirrorWriter {
    let count = dataset.count
    progress("generating \(count) samples (\(2 * count) files) in A and B, and the stream")
    let (writer, seconds) = try Stopwatch.time { () throws -> MirrorWriter in
      let repository = try CairnRepository.create(at: workspace.cairn, bare: false, now: now)
      let a = workspace.cairn
      // The label field the dataset uses, declared (and committed, untimed) as every Cairn
      // dataset must declare it; git's repository gets the same schema.json below.
      _ = try repository.changeSchema(
        message: "Declare \(SyntheticDataset.field)", commit: true, now: now,
        edit: { (schema: inout Schema) throws(CairnError) in
          try SchemaEdits.addField(
            &schema, name: SyntheticDataset.field, type: .detections,
            classes: SyntheticDataset.classes, coverage: false, minLabels: nil)
        })
      let b = workspace.git
      try Shell.run("git init -q -b main \(Shell.quote(b))")
      // No background auto-gc or maintenance: it would pack B while later steps are timed.
      let noGC = "git config gc.auto 0 && git config maintenance.auto false"
      try Shell.run(
        "git config user.name 'Cairn Bench' && git config user.email bench@example.com"
          + " && git config commit.gpgsign false && " + noGC,
        in: b)
      try Shell.run("git init -q --bare \(Shell.quote(workspace.fastImport))")
      try Shell.run(noGC, in: workspace.fastImport)

      var stream = FastImportStream(
        branch: "refs/heads/main", message: "Import \(count) samples", time: now)
      for name in ["cairn.json", "schema.json"] {
        let bytes = try FileIO.read(a + "/" + name)
        try FileIO.writeAtomically(bytes, to: b + "/" + name)
        stream.add(path: name, content: bytes)
      }
      try Shell.run(
        "git add cairn.json schema.json && git commit -q -m 'Initialise Cairn dataset'", in: b)

      let writer = MirrorWriter(roots: [a, b])
      for index in 0..<count {
        let sample = dataset.sampleBytes(index)
        let samplePath = dataset.samplePath(index)
        try writer.write(sample, to: samplePath)
        stream.add(path: samplePath, content: sample)
        let labels = dataset.labelBytes(index)
        let labelPath = dataset.labelPath(index)
        try writer.write(labels, to: labelPath)
        stream.add(path: labelPath, content: labels)
      }
      try FileIO.writeAtomically(stream.bytes, to: workspace.stream)
      return writer
    }
    progress(String(format: "  done in %.1f s (untimed)", seconds))
    return writer
  }

  // MARK: Step 2: import + commit

  private func importAndCommit(into report: inout Report) throws {
    let count = dataset.count
    try settle(reading: workspace.cairn)
    progress("Cairn: open + commit of \(2 * count) new files")
    let ((repository, result), cairnSeconds) = try Stopwatch.time {
      () throws -> (CairnRepository, CommitResult) in
      let repository = try CairnRepository.open(from: workspace.cairn)
      return (repository, try repository.commit(message: "Import \(count) samples", now: now))
    }
    try settle(reading: workspace.git)
    progress("git: add -A + commit")
    let gitSeconds = try Shell.run(
      "git add -A && git commit -q -m 'Import \(count) samples'", in: workspace.git
    ).seconds
    try settle(reading: nil)
    _ = try FileIO.read(workspace.stream)
    progress("git fast-import")
    let fastSeconds = try Shell.run(
      "git fast-import --quiet < \(Shell.quote(workspace.stream))", in: workspace.fastImport
    ).seconds

    report.comparisons.append(
      Comparison(
        operation: "import+commit", cairn: cairnSeconds, peer: "git add -A && git commit",
        peerSeconds: gitSeconds))
    report.comparisons.append(
      Comparison(
        operation: "import+commit", cairn: cairnSeconds, peer: "git fast-import (stream ready)",
        peerSeconds: fastSeconds))

    report.checks.append(
      (
        "Cairn import commit: \(result.changes.count) changes, "
          + "\(result.objectsWritten) objects written (expected \(2 * count) changes)",
        result.changes.count == 2 * count
      ))
    let cairnTree = try repository.git.readCommit(result.id).tree.hex
    let gitTree = try revParse("HEAD^{tree}", in: workspace.git)
    let fastTree = try revParse("refs/heads/main^{tree}", in: workspace.fastImport)
    report.checks.append(
      treeCheck(
        "import root tree", cairn: cairnTree,
        peers: [("git add+commit", gitTree), ("fast-import", fastTree)]))
  }

  // MARK: Step 3: 1 % commit

  private func onePercentCommit(writer: MirrorWriter, into report: inout Report) throws
    -> (ObjectID, ObjectID, String, String)
  {
    let changed = dataset.changedIndices
    progress("editing \(changed.count) label files (1 %) in A and B")
    for index in changed {
      try writer.write(dataset.labelBytes(index, shifted: true), to: dataset.labelPath(index))
    }
    try settle(reading: nil)
    progress("Cairn: open + commit of the 1 % change")
    let ((repository, result), cairnSeconds) = try Stopwatch.time {
      () throws -> (CairnRepository, CommitResult) in
      let repository = try CairnRepository.open(from: workspace.cairn)
      return (repository, try repository.commit(message: "Shift boxes", now: now + 60))
    }
    try settle(reading: nil)
    progress("git: add -A + commit of the 1 % change")
    let gitSeconds = try Shell.run(
      "git add -A && git commit -q -m 'Shift boxes'", in: workspace.git
    ).seconds
    report.comparisons.append(
      Comparison(
        operation: "1 % commit", cairn: cairnSeconds, peer: "git add -A && git commit (warm)",
        peerSeconds: gitSeconds))

    report.checks.append(
      (
        "Cairn 1 % commit: \(result.changes.count) changes (expected \(changed.count))",
        result.changes.count == changed.count
      ))
    let commit = try repository.git.readCommit(result.id)
    guard let parent = commit.parents.first else {
      throw BenchError("the 1 % commit has no parent")
    }
    let oldTree = try repository.git.readCommit(parent).tree
    let gitTree = try revParse("HEAD^{tree}", in: workspace.git)
    report.checks.append(
      treeCheck("1 % root tree", cairn: commit.tree.hex, peers: [("git add+commit", gitTree)]))
    let oldB = try revParse("HEAD~1", in: workspace.git)
    let newB = try revParse("HEAD", in: workspace.git)
    return (oldTree, commit.tree, oldB, newB)
  }

  // MARK: Step 4: two-tree walk

  private func walk(
    old: ObjectID, new: ObjectID, oldB: String, newB: String, into report: inout Report
  ) throws {
    let expected = dataset.changedIndices.count
    try settle(reading: nil)
    progress("two-tree walk, \(Self.walkRepeats) times each (fresh repository handle per run)")
    var cairnTimes: [Double] = []
    var gitTimes: [Double] = []
    var libgit2Times: [Double] = []
    var cairnCounts: Set<Int> = []
    var gitCounts: Set<Int> = []
    var libgit2Counts: Set<Int> = []
    for _ in 0..<Self.walkRepeats {
      let walkRepository = try CairnRepository.open(from: workspace.cairn).git
      let (found, seconds) = try Stopwatch.time { () throws -> Int in
        var found = 0
        try TreeWalk(repository: walkRepository).differences(from: old, to: new) { _ in
          found += 1
        }
        return found
      }
      cairnTimes.append(seconds)
      cairnCounts.insert(found)

      let outcome = try Shell.run("git diff --name-only \(oldB) \(newB)", in: workspace.git)
      gitTimes.append(outcome.seconds)
      gitCounts.insert(outcome.output.split(separator: "\n").count)

      let diffRepository = try CairnRepository.open(from: workspace.cairn).git
      let (deltas, diffSeconds) = try Stopwatch.time {
        try diffRepository.libgit2DiffCount(old, new)
      }
      libgit2Times.append(diffSeconds)
      libgit2Counts.insert(deltas)
    }
    let cairn = Stopwatch.median(cairnTimes)
    report.comparisons.append(
      Comparison(
        operation: "tree walk (1 %)", cairn: cairn, peer: "git diff --name-only",
        peerSeconds: Stopwatch.median(gitTimes)))
    report.comparisons.append(
      Comparison(
        operation: "tree walk (1 %)", cairn: cairn, peer: "libgit2 git_diff_tree_to_tree",
        peerSeconds: Stopwatch.median(libgit2Times)))
    for (name, counts) in [
      ("Cairn TreeWalk", cairnCounts), ("git diff --name-only", gitCounts),
      ("libgit2 diff", libgit2Counts),
    ] {
      let text = counts.sorted().map(String.init).joined(separator: ", ")
      report.checks.append(
        ("\(name): \(text) differences (expected \(expected))", counts == [expected]))
    }
  }

  // MARK: Step 5: facts and targets

  private func facts() -> [(String, String)] {
    let version = Shell.capture("pkg-config --modversion libgit2", fallback: "(system)")
    return [
      ("samples (N)", "\(dataset.count) (\(2 * dataset.count) files + cairn.json, schema.json)"),
      ("seed", "\(dataset.seed)"),
      ("cores", "\(ProcessInfo.processInfo.activeProcessorCount)"),
      ("load average", Shell.capture("cut -d' ' -f1-3 /proc/loadavg", fallback: "unknown")),
      ("git", Shell.capture("git --version", fallback: "unknown")),
      ("libgit2", "libgit2 " + version),
      ("work directory", workspace.root),
    ]
  }

  private func diskSizes() -> String {
    func size(_ path: String) -> String {
      let kilobytes = Shell.capture("du -sk \(Shell.quote(path)) | cut -f1", fallback: "?")
      return kilobytes + " KiB"
    }
    return "A/.git (Cairn) " + size(workspace.cairn + "/.git") + ", B/.git (git, loose objects) "
      + size(workspace.git + "/.git") + ", C (fast-import) " + size(workspace.fastImport)
  }

  private func addTargets(to report: inout Report) {
    let rows = report.comparisons
    guard rows.count == 5 else { return }
    let (add, fast, small, diff, libgit2) = (rows[0], rows[1], rows[2], rows[3], rows[4])
    report.targets = [
      Target(
        description: "import+commit >= 8x faster than git add -A && git commit",
        measured: Report.ratioText(add.ratio), passed: add.ratio >= 8),
      Target(
        description: "import+commit faster than git fast-import",
        measured: Report.ratioText(fast.ratio), passed: fast.ratio > 1),
      Target(
        description: "1 % commit < 1 s",
        measured: Report.seconds(small.cairn) + " s", passed: small.cairn < 1),
      Target(
        description: "tree walk <= git diff --name-only",
        measured: Report.seconds(diff.cairn) + " s vs " + Report.seconds(diff.peerSeconds) + " s",
        passed: diff.cairn <= diff.peerSeconds),
      Target(
        description: "tree walk >= 10x faster than libgit2 git_diff_tree_to_tree",
        measured: Report.ratioText(libgit2.ratio), passed: libgit2.ratio >= 10),
    ]
  }

  // MARK: Helpers

  private func revParse(_ revision: String, in directory: String) throws -> String {
    try Shell.run("git rev-parse --verify -q \(Shell.quote(revision))", in: directory).output
      .trimmingCharacters(in: .whitespacesAndNewlines)
  }

  private func treeCheck(_ name: String, cairn: String, peers: [(String, String)]) -> (String, Bool)
  {
    let identical = peers.allSatisfy { $0.1 == cairn }
    if identical {
      let names = peers.map(\.0).joined(separator: ", ")
      return ("\(name) identical: Cairn = \(names) = \(cairn)", true)
    }
    var text = "\(name) DIFFERS (BUG in Cairn's tree or blob encoding): Cairn \(cairn)"
    for (peer, tree) in peers { text += ", \(peer) \(tree)" }
    FileHandle.standardError.write(Data(("\n*** " + text + " ***\n\n").utf8))
    return (text, false)
  }

  /// Prepares a timed step (untimed): flushes dirty pages left by earlier steps, then reads
  /// every tracked file under `root`, so that each tool starts with its input in the page cache
  /// whatever the kernel evicted while the dataset was generated.
  private func settle(reading root: String?) throws {
    try Shell.run("sync")
    guard let root else { return }
    for file in WorkingTreeScanner.scan(root: root) { _ = try FileIO.read(root + "/" + file.path) }
  }

  private func progress(_ text: String) {
    print("• " + text)
  }
}
