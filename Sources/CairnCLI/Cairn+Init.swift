internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "init",
      abstract: "Create a new Cairn repository.",
      discussion: """
        Creates a git repository (first branch 'main') with an initial commit holding \
        cairn.json (format version) and schema.json, and installs Cairn's git hooks \
        (pre-commit runs 'cairn check --staged', so a plain 'git commit' follows the same \
        rules). With --bare, no working tree: a repository for a server to push to.
        """)

    @Argument(help: "Where to create the repository (default: the current directory).")
    var path: String = "."

    @Flag(help: "Create a bare repository (no working tree).")
    var bare = false

    @Flag(help: "Print the result as JSON (envelope cairn.init/v1).")
    var json = false

    func run() async throws {
      let repository = try CairnRepository.create(at: path, bare: bare, now: currentTime())
      let head = try repository.head()
      let hooks = try Hooks.install(
        gitDirectory: repository.git.gitDirectory, executable: currentExecutable(), server: bare)
      for name in hooks.skipped {
        Output.note("note: kept the existing \(name) hook; Cairn's is in hooks/\(name)")
      }
      if json {
        Output.json(
          "cairn.init/v1",
          .object([
            "git_dir": .string(repository.git.gitDirectory), "bare": .bool(bare),
            "head": head.json, "format_version": .int(FormatV1.version),
            "hooks": .array(hooks.installed.map { .string($0) }),
          ]))
      } else {
        Output.line(
          "Initialised Cairn dataset (format v\(FormatV1.version)) in \(repository.git.gitDirectory)"
        )
      }
    }
  }
}
