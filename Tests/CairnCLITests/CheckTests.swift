import CairnCore
import CairnTestSupport
import Foundation
import Testing

/// A repository with two images and the field `gt` (detections of car and truck, coverage,
/// at least one label per sample) committed.
private func checkRepository() throws -> TemporaryDirectory {
  let dir = try makeRepository(images: 2)
  let added = try cairn(
    "schema", "add-field", "gt", "--type", "detections", "--classes", "car,truck", "--coverage",
    "--min-labels", "1", in: dir.path)
  #expect(added.exitCode == 0, "\(added)")
  return dir
}

private func box(_ id: String, _ label: String, _ bbox: String) -> String {
  #"{"bbox":[\#(bbox)],"id":"\#(id)","label":"\#(label)","type":"detection"}"#
}

private func labels(_ key: String, _ boxes: String...) -> String {
  #"{"field":"gt","labels":[\#(boxes.joined(separator: ","))],"sample":"\#(key)"}"# + "\n"
}

private let gitUser = ["-c", "user.name=Ann", "-c", "user.email=ann@example.invalid"]

@Suite struct CheckTests {
  @Test func initInstallsTheShippedPreCommitHook() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try cairn("init", in: dir.path).exitCode == 0)
    let installed = try dir.read(".git/hooks/pre-commit")
    let shipped = try String(
      contentsOfFile: Fixtures.packageRoot + "/hooks/pre-commit", encoding: .utf8)
    #expect(shipped == Hooks.preCommit, "hooks/pre-commit and the embedded hook differ")
    #expect(installed.contains("exec \"$cairn_bin\" check --staged"))
    #expect(!installed.contains("@CAIRN@"), "the installed hook names the cairn binary")
    let mode =
      try FileManager.default.attributesOfItem(atPath: dir.appending(".git/hooks/pre-commit"))[
        .posixPermissions] as? Int
    #expect(mode == 0o755)
  }

  @Test func plainGitCommitOfAnOffSchemaLabelIsRefusedByTheHook() throws {
    let dir = try checkRepository()
    defer { dir.remove() }
    let head = try revParse("HEAD", in: dir.path)
    let path = FormatV1.labelPath(field: "gt", key: "img0.png")
    try dir.write(labels("img0.png", box("a", "vehicle", "0.1,0.1,0.2,0.2")), to: path)
    #expect(try git("add", "-A", in: dir.path).exitCode == 0)
    let refused = try CommandRunner.git(gitUser + ["commit", "-m", "off schema"], in: dir.path)
    #expect(refused.exitCode != 0, "\(refused)")
    #expect(refused.stderr.contains("class 'vehicle' is not in the schema's classes (car, truck)"))
    #expect(try revParse("HEAD", in: dir.path) == head)

    // `git commit -a` commits from a temporary index, which the hook checks too.
    try dir.write(labels("img0.png", box("a", "car", "0.1,0.1,0.2,0.2")), to: path)
    #expect(try git("add", path, in: dir.path).exitCode == 0)
    #expect(try CommandRunner.git(gitUser + ["commit", "-m", "car"], in: dir.path).exitCode == 0)
    try dir.write(labels("img0.png", box("a", "bus", "0.1,0.1,0.2,0.2")), to: path)
    let all = try CommandRunner.git(gitUser + ["commit", "-a", "-m", "bus"], in: dir.path)
    #expect(all.exitCode != 0)
    #expect(all.stderr.contains("class 'bus'"))
    // A non-canonical file is refused by the hook as by cairn commit.
    try dir.write(
      "{ \"field\": \"gt\", \"labels\": [], \"sample\": \"img0.png\" }\n", to: path)
    #expect(try git("add", path, in: dir.path).exitCode == 0)
    let spaced = try CommandRunner.git(gitUser + ["commit", "-m", "spaced"], in: dir.path)
    #expect(spaced.exitCode != 0)
    #expect(spaced.stderr.contains("canonical"))
    try expectFsckClean(dir.path)
  }

  @Test func qualityChecksReportEachProblem() throws {
    let dir = try checkRepository()
    defer { dir.remove() }
    try dir.write(
      labels(
        "img0.png", box("a", "car", "0.9,0.1,0.2,0.2"), box("b", "car", "0.1,0.1,0,0.2"),
        box("d", "truck", "0.1,0.1,0.1,0.1")),
      to: FormatV1.labelPath(field: "gt", key: "img0.png"))
    try dir.write(
      labels("img1.png", box("d", "car", "0.2,0.2,0.1,0.1")),
      to: FormatV1.labelPath(field: "gt", key: "img1.png"))
    #expect(try cairn("commit", "-m", "boxes", in: dir.path).exitCode == 0)
    let report = try cairn("check", "--json", in: dir.path)
    #expect(report.exitCode == 6)
    let body = try envelope(report, "cairn.check/v1")
    let findings = body["findings"]?.array ?? []
    let rules = findings.compactMap { $0["rule"]?.string }
    #expect(rules.sorted() == ["duplicate-id", "outside-image", "zero-area"], "\(findings)")
    let outside = findings.first { $0["rule"]?.string == "outside-image" }
    #expect(outside?["message"]?.string?.contains("label a") == true)
    #expect(body["ok"] == .bool(false))
    #expect(try cairn("check", "--no-qa", in: dir.path).exitCode == 0)

    // Coverage and minimum count: a sample whose labels are removed.
    #expect(
      try cairn("label", "rm", "img1.png", "--field", "gt", "--all", in: dir.path).exitCode == 0)
    let coverage = try cairn("check", in: dir.path)
    #expect(coverage.stdout.contains("coverage: samples/"))
    #expect(coverage.stdout.contains("sample 'img1.png' has no labels in field 'gt'"))
  }

  @Test func checkOfARevisionFindsWhatWasCommittedPastTheRules() throws {
    let dir = try checkRepository()
    defer { dir.remove() }
    try dir.write(
      labels("img0.png", box("a", "bicycle", "0.1,0.1,0.2,0.2")),
      to: FormatV1.labelPath(field: "gt", key: "img0.png"))
    #expect(try git("add", "-A", in: dir.path).exitCode == 0)
    let bypass = try CommandRunner.git(
      gitUser + ["commit", "--no-verify", "-m", "bypass"], in: dir.path)
    #expect(bypass.exitCode == 0)
    let report = try cairn("check", "HEAD", in: dir.path)
    #expect(report.exitCode == 6)
    #expect(report.stdout.contains("schema: labels/gt/"))
    #expect(
      report.stdout.contains("unknown-class: schema.json: class 'bicycle' is used by 1 label(s)"))
    #expect(report.stdout.contains("coverage:"), "img1.png has no label file")
    // The revision before is clean apart from coverage (no labels yet).
    let earlier = try cairn("check", "HEAD~1", "--no-qa", in: dir.path)
    #expect(earlier.exitCode == 0, "\(earlier)")
  }

  @Test func aStagedSchemaChangeIsCheckedAgainstTheLabelsItAffects() throws {
    let dir = try checkRepository()
    defer { dir.remove() }
    let path = FormatV1.labelPath(field: "gt", key: "img0.png")
    try dir.write(labels("img0.png", box("a", "car", "0.1,0.1,0.2,0.2")), to: path)
    #expect(try cairn("commit", "-m", "a car", in: dir.path).exitCode == 0)
    let head = try revParse("HEAD", in: dir.path)
    // Dropping "car" with plain git: the unchanged label file breaks the staged schema.
    let schema = try dir.read("schema.json").replacingOccurrences(
      of: #"["car","truck"]"#, with: #"["truck"]"#)
    try dir.write(schema, to: "schema.json")
    #expect(try git("add", "schema.json", in: dir.path).exitCode == 0)
    let refused = try CommandRunner.git(gitUser + ["commit", "-m", "no cars"], in: dir.path)
    #expect(refused.exitCode != 0, "\(refused)")
    #expect(refused.stderr.contains("class 'car' is not in the schema's classes (truck)"))
    #expect(try revParse("HEAD", in: dir.path) == head)
  }
}
