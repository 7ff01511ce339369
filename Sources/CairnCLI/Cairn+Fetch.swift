internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct Fetch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "fetch",
      abstract: "Fetch a remote's branches, protected sets and tags.",
      discussion: """
        Branches arrive as refs/remotes/REMOTE/*. Protected sets (refs/frozen/*, \
        refs/golden/* and their refs/tags/ mirrors) and tags arrive under the same names, \
        created when missing. A protected set that exists here with another commit refuses \
        the whole fetch (exit 16): a set never moves. Another tag that differs is kept. \
        REMOTE defaults to the current branch's upstream remote, else origin.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The remote (default: the upstream remote, else origin).")
    var remote: String?

    @Flag(help: "Print what moved as JSON (envelope cairn.fetch/v1).")
    var json = false

    func run() async throws {
      let repo = try repository.open()
      let result = try repo.fetch(remote: remote)
      if json {
        Output.json("cairn.fetch/v1", TransferOutput.json(result))
      } else {
        TransferOutput.show(result)
      }
    }
  }
}
