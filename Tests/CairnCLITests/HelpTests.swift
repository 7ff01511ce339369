import CairnTestSupport
import Testing

@Suite struct HelpTests {
  @Test(arguments: [
    ["--help"], ["init", "--help"], ["import", "images", "--help"], ["status", "--help"],
    ["commit", "--help"], ["log", "--help"], ["show", "--help"], ["branch", "--help"],
    ["switch", "--help"], ["checkout", "--help"], ["demo", "--help"], ["view", "--help"],
    ["view", "save", "--help"], ["view", "list", "--help"], ["view", "show", "--help"],
    ["view", "apply", "--help"], ["view", "rm", "--help"], ["tags", "--help"],
    ["tags", "add", "--help"], ["tags", "remove", "--help"], ["tags", "list", "--help"],
    ["import", "voc", "--help"], ["import", "cvat", "--help"],
    ["import", "labelstudio", "--help"], ["export", "voc", "--help"],
    ["export", "cvat", "--help"], ["export", "labelstudio", "--help"], ["clone", "--help"],
    ["remote", "--help"], ["remote", "list", "--help"], ["remote", "add", "--help"],
    ["remote", "remove", "--help"], ["fetch", "--help"], ["pull", "--help"], ["push", "--help"],
    ["diff", "--help"], ["drift", "--help"], ["blame", "--help"],
  ])
  func everyCommandHasHelp(arguments: [String]) throws {
    let result = try CommandRunner.cairn(arguments, in: "/")
    #expect(result.exitCode == 0)
    #expect(result.stdout.contains("USAGE: cairn"))
  }

  @Test func usageErrorsExitWith64() throws {
    let result = try CommandRunner.cairn(["commit"], in: "/")
    #expect(result.exitCode == 64)
    #expect(result.stderr.contains("--message"))
  }
}

@Suite struct TimingsTests {
  @Test func commitReportsItsPhases() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try CommandRunner.cairn(["init", dir.path], in: "/").exitCode == 0)
    try writeImages(3, into: dir, folder: "media")
    #expect(try CommandRunner.cairn(["import", "images", "media"], in: dir.path).exitCode == 0)
    let result = try CommandRunner.cairn(["commit", "-m", "timed", "--timings"], in: dir.path)
    #expect(result.exitCode == 0)
    let phases = result.stderr.split(separator: "\n").filter { $0.hasPrefix("timing: ") }
    #expect(phases.count == 7, "\(result.stderr)")
    #expect(phases.first?.contains("scan and index") == true)
    #expect(result.stdout.contains("3 added"))
  }
}
