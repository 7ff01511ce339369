import CairnCore
import Foundation
import GitStore

#if canImport(Glibc)
import Glibc
#endif

/// `cairn-bench --coco-images N --coco-boxes M`: imports a synthetic COCO instances file of N
/// images and M boxes with the release `cairn` binary, as a separate process so that its peak
/// memory can be read, against python3's `json.load` of the same file.
struct COCOBenchmark {
  /// Import time the run must stay under, in seconds.
  static let timeTarget = 30.0
  /// Peak resident memory the import must stay under, in bytes.
  static let memoryTarget = 1_500_000_000

  let images: Int
  let boxes: Int
  /// Points per box outline written as a `segmentation` polygon (0: `[]`).
  let polygonPoints: Int
  let seed: UInt64
  let workspace: Workspace
  /// The `cairn` executable to run.
  let cairn: String

  /// The synthetic annotations file.
  var file: String { workspace.coco + "/instances.json" }
  /// The repository the file is imported into.
  var repository: String { workspace.coco + "/repo" }

  /// Generates the file, runs the import, the commit and the peer, and returns the report.
  func run() throws -> Report {
    guard FileManager.default.isExecutableFile(atPath: cairn) else {
      throw BenchError(
        "no cairn executable at \(cairn); build it (swift build -c release --product cairn) "
          + "or pass --cairn PATH")
    }
    var report = Report()
    progress("generating a COCO file of \(images) images and \(boxes) boxes")
    let (size, generateSeconds) = try Stopwatch.time { try generate() }
    report.facts = [
      ("images", String(images)), ("boxes", String(boxes)),
      ("polygon points per box", String(polygonPoints)),
      (
        "file",
        "\(file) (\(size / 1_000_000) MB, generated in \(Report.seconds(generateSeconds)) s)"
      ),
      ("cairn", cairn),
      ("machine", Shell.capture("nproc", fallback: "?") + " cores, " + memoryText()),
    ]
    if Self.ext4WithoutJournal() {
      // Such a file system skips, when allocating an inode, every free inode deleted in the
      // last 60 s (360 s while its inode-table block is dirty): creating 200 000 files right
      // after deleting as many ran 3-5x slower here.
      report.facts.append(
        (
          "file system",
          "ext4 without a journal: run at least 6 minutes after deleting many files "
            + "(a previous run's workspace)"
        ))
    }
    _ = try Subprocess.measure(cairn, ["init", repository])
    try settle()

    progress("cairn import coco (subprocess, peak memory from wait4)")
    let imported = try Subprocess.measure(
      cairn,
      [
        "-C", repository, "import", "coco", file, "--field", "gt", "--allow-missing-media",
        "--json",
      ])
    let body = try? JSONParser.parse(imported.output)["cairn.import-labels/v1"]
    report.checks.append(
      (
        "import reports \(images) samples added and \(boxes) labels",
        body?["samples_added"] == .int(Int64(images)) && body?["labels"] == .int(Int64(boxes))
      ))
    report.facts.append(("import peak RSS", megabytes(imported.peakBytes)))

    progress("cairn commit of the imported files")
    let committed = try Subprocess.measure(
      cairn, ["-C", repository, "commit", "-m", "COCO import"])
    report.facts.append(
      (
        "commit (not a target)",
        Report.seconds(committed.seconds) + " s, peak RSS " + megabytes(committed.peakBytes)
      ))

    var peerFound = false
    if let python = Self.python() {
      progress("peer: python3 json.load of the same file")
      try settle()
      let peer = try Subprocess.measure(
        python, ["-c", "import json, sys\nwith open(sys.argv[1]) as f: json.load(f)", file])
      peerFound = true
      report.comparisons.append(
        Comparison(
          operation: "COCO import", cairn: imported.seconds,
          peer: "python3 json.load (parse only)", peerSeconds: peer.seconds))
      report.facts.append(("python3 json.load peak RSS", megabytes(peer.peakBytes)))
      report.facts.append(
        (
          "peak RSS python3 / cairn",
          String(format: "%.2f×", Double(peer.peakBytes) / Double(max(1, imported.peakBytes)))
        ))
    }
    if !peerFound { report.facts.append(("peer", "python3 not found; no ratio")) }
    report.targets = [
      Target(
        description: "COCO import of \(images) images / \(boxes) boxes under 30 s",
        measured: Report.seconds(imported.seconds) + " s",
        passed: imported.seconds < Self.timeTarget),
      Target(
        description: "COCO import peak RSS under 1.5 GB",
        measured: megabytes(imported.peakBytes), passed: imported.peakBytes < Self.memoryTarget),
    ]
    return report
  }

  // MARK: The file

  /// Writes the instances file: images 1…N (640×480, `images/<n>.jpg`), 80 categories, and
  /// M annotations spread over the images, each with a box, its area and `iscrowd` 0.
  ///
  /// - Returns: The file's size in bytes.
  private func generate() throws -> Int {
    try FileIO.makeDirectories(workspace.coco)
    var random = DemoRandom(seed: seed)
    let handle = try BufferedFile(path: file)
    handle.append("{\"info\":{\"description\":\"cairn-bench synthetic COCO\"},\n\"images\":[")
    for index in 1...images {
      handle.append(index == 1 ? "\n" : ",\n")
      handle.append(
        "{\"id\":\(index),\"file_name\":\"images/\(index).jpg\",\"width\":640,\"height\":480}")
    }
    handle.append("],\n\"annotations\":[")
    for index in 1...boxes {
      let x = Double(random.next() % 50_000) / 100
      let y = Double(random.next() % 40_000) / 100
      let w = Double(100 + random.next() % 13_900) / 100
      let h = Double(100 + random.next() % 7_900) / 100
      var segmentation = "[]"
      if polygonPoints > 0 {
        var points: [String] = []
        for point in 0..<polygonPoints {
          let angle = Double(point) / Double(polygonPoints) * 2 * Double.pi
          points.append(String(round2(x + w / 2 + w / 2 * cos(angle))))
          points.append(String(round2(y + h / 2 + h / 2 * sin(angle))))
        }
        segmentation = "[[" + points.joined(separator: ",") + "]]"
      }
      handle.append(index == 1 ? "\n" : ",\n")
      handle.append(
        "{\"id\":\(index),\"image_id\":\((index - 1) % images + 1),"
          + "\"category_id\":\(1 + Int(random.next() % 80)),\"bbox\":[\(x),\(y),\(w),\(h)],"
          + "\"area\":\(round2(w * h)),\"iscrowd\":0,\"segmentation\":\(segmentation)}")
    }
    handle.append("],\n\"categories\":[")
    for index in 1...80 {
      handle.append(index == 1 ? "\n" : ",\n")
      handle.append("{\"id\":\(index),\"name\":\"class\(index)\",\"supercategory\":\"thing\"}")
    }
    handle.append("]}\n")
    return try handle.close()
  }

  private func round2(_ value: Double) -> Double { (value * 100).rounded() / 100 }

  // MARK: Helpers

  /// Flushes dirty pages and reads the file once, so that both tools start from the page
  /// cache.
  private func settle() throws {
    try Shell.run("sync")
    _ = try FileIO.read(file)
  }

  /// Whether an ext4 file system without a journal is mounted (`journal_task` is `<none>`).
  private static func ext4WithoutJournal() -> Bool {
    let base = "/sys/fs/ext4"
    for device in FileIO.list(base) ?? [] {
      guard let bytes = try? FileIO.read(base + "/" + device + "/journal_task") else { continue }
      if String(decoding: bytes, as: UTF8.self).hasPrefix("<none>") { return true }
    }
    return false
  }

  private static func python() -> String? {
    for path in ["/usr/bin/python3", "/usr/local/bin/python3"]
    where FileManager.default.isExecutableFile(atPath: path) {
      return path
    }
    return nil
  }

  private func megabytes(_ bytes: Int) -> String { "\(bytes / 1_000_000) MB" }

  private func memoryText() -> String {
    let pages = sysconf(Int32(_SC_PHYS_PAGES))
    let size = sysconf(Int32(_SC_PAGESIZE))
    return "\(Int(pages) * Int(size) / (1 << 30)) GiB"
  }

  private func progress(_ text: String) {
    print("• " + text)
  }
}

/// Runs a program directly (no shell) and reads its resource use.
enum Subprocess {
  /// What a program printed, how long it ran and its peak memory.
  struct Measurement {
    var output: String
    var seconds: Double
    /// The child's peak resident set size (`ru_maxrss` from `wait4`), in bytes.
    var peakBytes: Int
  }

  /// Runs `executable` with `arguments` (in the current directory); throws when it fails.
  static func measure(_ executable: String, _ arguments: [String]) throws -> Measurement {
    let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    defer {
      for pointer in argv { free(pointer) }
    }
    let child = try spawnAndWait(executable, argv: argv, envp: environ)
    guard child.status & 0x7F == 0, (child.status >> 8) & 0xFF == 0 else {
      throw BenchError(
        "\(executable) \(arguments.joined(separator: " ")) failed (wait status \(child.status))")
    }
    return Measurement(
      output: String(decoding: child.output, as: UTF8.self),
      seconds: Double(child.end - child.start) / 1e9, peakBytes: child.peakBytes)
  }
}
