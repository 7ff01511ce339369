public import ArgumentParser
internal import CairnCore
internal import GitStore

#if canImport(Glibc)
internal import Glibc
#endif

/// The `cairn` command: a git-native, versioned dataset store for visual AI.
public struct Cairn: AsyncParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "cairn",
    abstract: "A git-native, versioned dataset store for visual-AI teams.",
    discussion: """
      A Cairn repository is a git repository: every dataset version is a commit, every \
      iteration a branch. See Docs/cli.md for exit codes and JSON envelopes.
      """,
    version: "0.1.0",
    subcommands: [
      Init.self, Import.self, Status.self, Commit.self, Log.self, Show.self, Branch.self,
      Switch.self, Checkout.self, SchemaCommand.self, Label.self, View.self, Tags.self,
      Check.self, Export.self, Diff.self, Drift.self, Blame.self, Merge.self, Conflicts.self,
      Resolve.self, Freeze.self, Protect.self, QA.self, HooksCommand.self, Clone.self,
      Remote.self, Fetch.self, Pull.self, Push.self, Eval.self, Embed.self, Score.self, Select.self,
      Map.self,
      Demo.self,
    ] + appCommands
  )

  public init() {}

  /// Parses the arguments, runs the command, and maps errors to documented exit codes.
  public static func main() async {
    do {
      var arguments = Array(CommandLine.arguments.dropFirst())
      while arguments.count >= 2 && arguments[0] == "-C" {
        try changeDirectory(arguments[1])
        arguments.removeFirst(2)
      }
      var command = try parseAsRoot(arguments)
      if var asyncCommand = command as? any AsyncParsableCommand {
        try await asyncCommand.run()
      } else {
        try command.run()
      }
    } catch let error as CairnError {
      Output.report(error)
      Glibc.exit(ExitCodes.code(for: error.code))
    } catch {
      exit(withError: error)
    }
  }
}

#if App
/// The `app` subcommand, built with the `App` trait (the default).
private let appCommands: [any ParsableCommand.Type] = [Cairn.AppCommand.self]
#else
/// Without the `App` trait the CLI has no `app` subcommand and no HTTP stack.
private let appCommands: [any ParsableCommand.Type] = []
#endif

/// Options every repository command shares.
struct RepositoryOptions: ParsableArguments {
  @Option(
    name: .customShort("C"),
    help: ArgumentHelp("Run as if cairn was started in <path>.", valueName: "path"))
  var directory: String?

  /// Changes to the chosen directory, then opens the repository containing it.
  func open() throws(CairnError) -> CairnRepository {
    if let directory { try changeDirectory(directory) }
    return try CairnRepository.open(from: ".")
  }
}

/// Changes the process's working directory, as git's `-C` does.
func changeDirectory(_ path: String) throws(CairnError) {
  guard chdir(path) == 0 else {
    throw CairnError(
      .notFound, "cannot change to directory \(path): \(String(cString: strerror(errno)))")
  }
}

/// Seconds since 1970, for commit times.
func currentTime() -> Int64 { Int64(time(nil)) }
