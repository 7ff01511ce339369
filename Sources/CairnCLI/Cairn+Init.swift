internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Create a new Cairn repository.",
      discussion: """
        Creates a git repository (first branch 'main') with an initial commit holding \
        cairn.json (format version) and schema.json. With --bare, no working tree: a \
        repository for a server to push to.
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
      if json {
        Output.json(
          "cairn.init/v1",
          .object([
            "git_dir": .string(repository.git.gitDirectory), "bare": .bool(bare),
            "head": head.json, "format_version": .int(FormatV1.version),
          ]))
      } else {
        Output.line(
          "Initialised Cairn dataset (format v\(FormatV1.version)) in \(repository.git.gitDirectory)"
        )
      }
    }
  }
}
