import Foundation
import GitStore

/// The directories one benchmark run works in.
struct Workspace {
  /// The directory holding everything below.
  let root: String
  /// Whether the benchmark created `root` (and so removes it when cleaning up).
  let ownsRoot: Bool

  /// Repository A: the Cairn repository.
  var cairn: String { root + "/cairn" }
  /// Repository B: the plain git repository with the same files.
  var git: String { root + "/git" }
  /// Repository C: the bare repository `git fast-import` fills.
  var fastImport: String { root + "/fast-import.git" }
  /// The fast-import stream.
  var stream: String { root + "/fast-import.stream" }

  /// The COCO mode's file and repository.
  var coco: String { root + "/coco" }

  /// The evaluation mode's ground-truth and results files.
  var eval: String { root + "/eval" }

  /// The selection loop's data files.
  var loop: String { root + "/loop" }

  /// The app mode's repository; kept across runs with `--keep` and reused when present.
  var app: String { root + "/app" }

  private var children: [String] { [cairn, git, fastImport, stream, coco, eval, loop] }

  /// Prepares a workspace in `directory`, or in a new temporary directory when it is nil.
  ///
  /// - Throws: `BenchError` when `directory` already holds a previous run's files.
  static func make(in directory: String?) throws -> Workspace {
    let manager = FileManager.default
    let workspace: Workspace
    if let directory {
      let root = FileIO.realPath(directory) ?? directory
      let existed = manager.fileExists(atPath: root)
      try FileIO.makeDirectories(root)
      workspace = Workspace(root: FileIO.realPath(root) ?? root, ownsRoot: !existed)
    } else {
      let name = "cairn-bench-" + UUID().uuidString.prefix(8).lowercased()
      let root = NSTemporaryDirectory() + "/" + name
      try FileIO.makeDirectories(root)
      workspace = Workspace(root: FileIO.realPath(root) ?? root, ownsRoot: true)
    }
    for child in workspace.children where manager.fileExists(atPath: child) {
      throw BenchError("\(child) already exists; remove it or choose another --work directory")
    }
    return workspace
  }

  /// Removes what the benchmark created.
  func remove() {
    let manager = FileManager.default
    if ownsRoot {
      try? manager.removeItem(atPath: root)
    } else {
      for child in children + [app] { try? manager.removeItem(atPath: child) }
    }
  }
}

/// Writes the same files under several working-tree roots, creating directories once.
final class MirrorWriter {
  private let roots: [String]
  private var directories: Set<String> = []

  /// The number of files written (per root).
  private(set) var filesWritten = 0

  init(roots: [String]) { self.roots = roots }

  /// Writes `bytes` at the repository-relative `path` under every root.
  func write(_ bytes: [UInt8], to path: String) throws {
    if let slash = path.lastIndex(of: "/") {
      let directory = String(path[..<slash])
      if directories.insert(directory).inserted {
        for root in roots { try FileIO.makeDirectories(root + "/" + directory) }
      }
    }
    for root in roots { try FileIO.writeAtomically(bytes, to: root + "/" + path) }
    filesWritten += 1
  }
}

/// A `git fast-import` stream holding one commit with every file inline.
struct FastImportStream {
  /// The stream so far.
  private(set) var bytes: [UInt8] = []

  /// Starts a commit on `branch` (a full reference name).
  init(branch: String, message: String, time: Int64) {
    append("commit \(branch)\n")
    append("committer Cairn Bench <bench@example.com> \(time) +0000\n")
    appendData(Array(message.utf8))
  }

  /// Adds a regular file at `path` holding `content`.
  mutating func add(path: String, content: [UInt8]) {
    append("M 100644 inline \(path)\n")
    appendData(content)
  }

  private mutating func appendData(_ content: [UInt8]) {
    append("data \(content.count)\n")
    bytes.append(contentsOf: content)
    bytes.append(0x0A)
  }

  private mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }
}
