import CairnTestSupport
import Testing

@Suite struct HelpTests {
  @Test(arguments: [
    ["--help"], ["init", "--help"], ["import", "images", "--help"], ["status", "--help"],
    ["commit", "--help"], ["log", "--help"], ["show", "--help"], ["branch", "--help"],
    ["switch", "--help"], ["checkout", "--help"], ["demo", "--help"],
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
