import CairnCore
import CairnTestSupport
import Foundation
import Testing

@Suite struct SparseCheckoutTests {
  /// Samples with a car of confidence > 0.5: s02, s06, s10.
  static let selected = ["s02.jpg", "s06.jpg", "s10.jpg"]

  /// A repository of 12 samples with the committed view `cars`.
  func makeRepository() throws -> TemporaryDirectory {
    let dir = try LabelledDataset.make()
    let saved = try cairn(
      "view", "save", "cars", "--filter", "ground_truth: label == 'car' and confidence > 0.5",
      in: dir.path)
    #expect(saved.exitCode == 0, "\(saved)")
    #expect(try cairn("commit", "-m", "cars view", in: dir.path).exitCode == 0)
    return dir
  }

  func present(_ dir: TemporaryDirectory) -> [String] {
    (0..<16).map(LabelledDataset.key).filter {
      FileManager.default.fileExists(atPath: dir.appending(FormatV1.samplePath($0)))
    }
  }

  /// `git ls-tree -r` of a revision, one line per file.
  func tree(_ revision: String, _ dir: TemporaryDirectory) throws -> [String] {
    try git("ls-tree", "-r", revision, in: dir.path).stdout.split(separator: "\n").map(String.init)
  }

  @Test func editingASparseTreeLeavesEveryOtherSampleUntouched() throws {
    let dir = try makeRepository()
    defer { dir.remove() }
    let checkout = try cairn("checkout", "--view", "cars", "--json", in: dir.path)
    #expect(checkout.exitCode == 0, "\(checkout)")
    let body = try envelope(checkout, "cairn.checkout/v1")
    #expect(body["sparse"]?["view"] == .string("cars"))
    #expect(body["sparse"]?["samples"] == .int(3))
    #expect(body["sparse"]?["excluded"] == .int(9))
    #expect(body["files_removed"] == .int(15))  // 9 records and 6 label files
    #expect(body["head"]?["branch"] == .string("main"))
    #expect(present(dir) == Self.selected)
    for file in ["cairn.json", "schema.json", "views/cars.json"] {
      #expect(FileManager.default.fileExists(atPath: dir.appending(file)), "\(file)")
    }
    // Both cairn and git see a clean tree; git marks the files left out skip-worktree.
    let status = try envelope(try cairn("status", "--json", in: dir.path), "cairn.status/v1")
    #expect(status["clean"] == .bool(true))
    #expect(status["sparse"]?["view"] == .string("cars"))
    #expect(try cairn("status", in: dir.path).stdout.contains("Sparse checkout of view 'cars'"))
    #expect(try git("status", "--porcelain", in: dir.path).stdout.isEmpty)
    let flags = try git("ls-files", "-v", in: dir.path).stdout.split(separator: "\n")
    #expect(flags.filter { $0.hasPrefix("S ") }.count == 15)

    // Edit one label, commit: only that file changes in the new commit.
    let edited = FormatV1.labelPath(field: "ground_truth", key: "s06.jpg")
    var file = try #require(LabelledDataset.labels(6))
    file.labels.removeLast()
    try dir.write(file.encoded, to: edited)
    let before = try tree("HEAD", dir)
    let commit = try cairn("commit", "-m", "drop a pedestrian", "--json", in: dir.path)
    #expect(commit.exitCode == 0, "\(commit)")
    #expect(try envelope(commit, "cairn.commit/v1")["modified"] == .int(1))
    let after = try tree("HEAD", dir)
    #expect(before.count == after.count)
    let changed = zip(before, after).filter { $0 != $1 }.map { $0.1 }
    #expect(changed.count == 1)
    #expect(changed.first?.hasSuffix("\t" + edited) == true)
    #expect(
      try git("diff", "--name-only", "HEAD~1", "HEAD", in: dir.path).stdout == edited + "\n")
    #expect(try git("status", "--porcelain", in: dir.path).stdout.isEmpty)
    #expect(
      try envelope(try cairn("status", "--json", in: dir.path), "cairn.status/v1")["clean"]
        == .bool(true))
    try expectFsckClean(dir.path)

    // A view applied in the sparse tree still sees every sample (the others from HEAD).
    #expect(try cairn("view", "apply", "--count", in: dir.path).stdout == "12\n")
    // Tags can only change what is materialised.
    #expect(try cairn("tags", "add", "x", "--key", "s01.jpg", in: dir.path).exitCode == 4)

    // New samples are committed, and their deletion too.
    try LabelledDataset.write(13, into: dir)
    #expect(try cairn("commit", "-m", "s13", in: dir.path).exitCode == 0)
    #expect(
      try git("ls-tree", "-r", "--name-only", "HEAD", in: dir.path).stdout.contains(
        FormatV1.samplePath("s13.jpg")))
    try FileManager.default.removeItem(atPath: dir.appending(FormatV1.samplePath("s13.jpg")))
    try FileManager.default.removeItem(
      atPath: dir.appending(FormatV1.labelPath(field: "ground_truth", key: "s13.jpg")))
    let deleted = try cairn("commit", "-m", "drop s13", "--json", in: dir.path)
    #expect(try envelope(deleted, "cairn.commit/v1")["deleted"] == .int(2), "\(deleted)")
    #expect(try tree("HEAD", dir).count == after.count)

    // Back to a full working tree, equal to HEAD.
    let full = try cairn("checkout", "--full", "--json", in: dir.path)
    #expect(full.exitCode == 0, "\(full)")
    #expect(try envelope(full, "cairn.checkout/v1")["sparse"] == .null)
    #expect(present(dir) == (0..<12).map(LabelledDataset.key))
    #expect(!FileManager.default.fileExists(atPath: dir.appending(".git/cairn/sparse")))
    #expect(try git("status", "--porcelain", in: dir.path).stdout.isEmpty)
    #expect(!(try git("ls-files", "-v", in: dir.path).stdout.contains("\nS ")))
    #expect(try git("diff", "--stat", "HEAD", in: dir.path).stdout.isEmpty)
    #expect(
      try envelope(try cairn("status", "--json", in: dir.path), "cairn.status/v1")["clean"]
        == .bool(true))
    try expectFsckClean(dir.path)
  }

  @Test func statusStaysCleanWithoutTheIndexAndSwitchingRestoresEverything() throws {
    let dir = try makeRepository()
    defer { dir.remove() }
    #expect(try cairn("branch", "other", in: dir.path).exitCode == 0)
    #expect(try cairn("checkout", "--view", "cars", in: dir.path).exitCode == 0)
    // Without the index, the state file alone keeps the absent files from being deletions.
    try FileManager.default.removeItem(atPath: dir.appending(".git/index"))
    let status = try envelope(try cairn("status", "--json", in: dir.path), "cairn.status/v1")
    #expect(status["clean"] == .bool(true), "\(status)")
    let nothing = try cairn("commit", "-m", "nothing", in: dir.path)
    #expect(nothing.exitCode == 10, "\(nothing)")
    #expect(try git("status", "--porcelain", in: dir.path).stdout.isEmpty)

    // Uncommitted changes block a sparse checkout like any other.
    try dir.write("{}\n", to: FormatV1.samplePath("s02.jpg"))
    #expect(try cairn("checkout", "--view", "cars", in: dir.path).exitCode == 9)
    #expect(try cairn("checkout", "--force", "--view", "cars", in: dir.path).exitCode == 0)
    #expect(try dir.read(FormatV1.samplePath("s02.jpg")) != "{}\n")

    // switch makes the tree full.
    let switched = try cairn("switch", "other", in: dir.path)
    #expect(switched.exitCode == 0, "\(switched)")
    #expect(present(dir).count == 12)
    #expect(try git("status", "--porcelain", in: dir.path).stdout.isEmpty)
    try expectFsckClean(dir.path)
  }

  @Test func aViewOfAnOlderRevisionCanBeCheckedOut() throws {
    let dir = try makeRepository()
    defer { dir.remove() }
    // At HEAD~1 the view did not exist.
    let missing = try cairn("checkout", "--view", "cars", "HEAD~1", in: dir.path)
    #expect(missing.exitCode == 4)
    #expect(missing.stderr.contains("no view 'cars' in HEAD~1"), "\(missing.stderr)")
    #expect(try cairn("checkout", "--view", "nope", in: dir.path).exitCode == 4)
    #expect(present(dir).count == 12)
    #expect(!FileManager.default.fileExists(atPath: dir.appending(".git/cairn/sparse")))
    #expect(try cairn("checkout", "--view", "x", "--full", in: dir.path).exitCode == 64)
    #expect(try cairn("checkout", in: dir.path).exitCode == 64)

    // A later commit adds samples; a sparse checkout of the older commit detaches HEAD there.
    let old = try revParse("HEAD", in: dir.path)
    try LabelledDataset.write(14, into: dir)
    #expect(try cairn("commit", "-m", "s14", in: dir.path).exitCode == 0)
    let result = try cairn("checkout", "--view", "cars", old, "--json", in: dir.path)
    #expect(result.exitCode == 0, "\(result)")
    #expect(try envelope(result, "cairn.checkout/v1")["head"]?["detached"] == .bool(true))
    #expect(present(dir) == Self.selected)
    #expect(try git("status", "--porcelain", in: dir.path).stdout.isEmpty)
    #expect(try cairn("checkout", "main", in: dir.path).exitCode == 0)
    #expect(present(dir).count == 13)
    #expect(try git("status", "--porcelain", in: dir.path).stdout.isEmpty)
  }

  @Test func aSchemaChangeNeedsTheFullTree() throws {
    let dir = try makeRepository()
    defer { dir.remove() }
    #expect(try cairn("checkout", "--view", "cars", in: dir.path).exitCode == 0)
    let head = try revParse("HEAD", in: dir.path)
    let changed = try cairn(
      "schema", "add-class", "ground_truth", "bus", in: dir.path)
    #expect(changed.exitCode == 6, "\(changed)")
    #expect(changed.stderr.contains("run 'cairn checkout --full' first"))
    #expect(try revParse("HEAD", in: dir.path) == head)
    #expect(try cairn("status", "--json", in: dir.path).stdout.contains("\"clean\":true"))
    #expect(try cairn("checkout", "--full", in: dir.path).exitCode == 0)
    #expect(
      try cairn("schema", "add-class", "ground_truth", "bus", in: dir.path).exitCode == 0)
  }
}
