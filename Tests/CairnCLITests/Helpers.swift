import CairnCore
import CairnTestSupport
import Foundation
import Testing

/// Runs the built `cairn` binary.
@discardableResult
func cairn(_ arguments: String..., in directory: String) throws -> CommandResult {
  try CommandRunner.cairn(arguments, in: directory)
}

/// Runs `git`.
@discardableResult
func git(_ arguments: String..., in directory: String) throws -> CommandResult {
  try CommandRunner.git(arguments, in: directory)
}

/// Checks that `git fsck` finds no error in the repository.
func expectFsckClean(_ directory: String, sourceLocation: SourceLocation = #_sourceLocation) throws
{
  let fsck = try CommandRunner.git(["fsck", "--full", "--no-progress"], in: directory)
  #expect(fsck.exitCode == 0, "git fsck failed: \(fsck)", sourceLocation: sourceLocation)
  let bad = (fsck.stdout + fsck.stderr).split(separator: "\n").filter {
    $0.hasPrefix("error") || $0.hasPrefix("missing") || $0.hasPrefix("broken")
      || $0.contains("corrupt")
  }
  #expect(bad.isEmpty, "git fsck: \(bad)", sourceLocation: sourceLocation)
}

/// The commit a ref points to, via git.
func revParse(_ revision: String, in directory: String) throws -> String {
  try CommandRunner.git(["rev-parse", "--verify", "-q", revision], in: directory).stdout
    .trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Writes `count` small PNG images into `directory/relative`.
func writeImages(
  _ count: Int, into dir: TemporaryDirectory, folder: String, size: (Int, Int) = (32, 24)
) throws {
  for index in 0..<count {
    var canvas = Canvas(width: size.0, height: size.1, background: (10, 20, UInt8(index % 250)))
    canvas.fillRect(x: index % 10, y: 2, w: 6, h: 5, color: (250, 0, 0))
    try dir.write(canvas.png(), to: "\(folder)/img\(index).png")
  }
}

/// Parses a command's JSON output and returns the body under its envelope key.
func envelope(
  _ result: CommandResult, _ key: String, sourceLocation: SourceLocation = #_sourceLocation
) throws
  -> JSONValue
{
  let value = try JSONParser.parse(result.stdout)
  return try #require(value[key], "no \(key) in \(result.stdout)", sourceLocation: sourceLocation)
}

/// A new repository with `images` PNGs imported and committed.
func makeRepository(images: Int = 5) throws -> TemporaryDirectory {
  let dir = try TemporaryDirectory()
  let initResult = try cairn("init", dir.path, in: "/")
  #expect(initResult.exitCode == 0, "\(initResult)")
  try writeImages(images, into: dir, folder: "media")
  let imported = try cairn("import", "images", "media", in: dir.path)
  #expect(imported.exitCode == 0, "\(imported)")
  let committed = try cairn("commit", "-m", "import", in: dir.path)
  #expect(committed.exitCode == 0, "\(committed)")
  return dir
}

/// The pack files in a repository.
func packCount(_ dir: TemporaryDirectory) -> Int {
  ((try? FileManager.default.contentsOfDirectory(atPath: dir.appending(".git/objects/pack"))) ?? [])
    .filter { $0.hasSuffix(".pack") }.count
}

/// Declares the label field `ground_truth` (2D detections unless `type` says otherwise) in the
/// working tree's `schema.json`.
func declareGroundTruth(
  in dir: TemporaryDirectory, type: FieldType = .detections, classes: [String]? = nil
) throws {
  let schema = Schema(
    fields: ["ground_truth": FieldDefinition(type: type, classes: classes)],
    sampleFields: [:])
  try dir.write(schema.encoded, to: "schema.json")
}
