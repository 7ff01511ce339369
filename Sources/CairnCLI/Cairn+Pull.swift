internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct Pull: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "pull",
      abstract: "Fetch a remote, then merge its branch into the current one, label by label.",
      discussion: """
        'cairn fetch REMOTE' followed by 'cairn merge REMOTE/BRANCH': a fast-forward when the \
        current branch has nothing the remote's lacks, otherwise a three-way merge of labels \
        by id with a merge commit (conflicts stop it with exit 15, as 'cairn merge' does). \
        REMOTE defaults to the current branch's upstream remote, else origin; BRANCH to its \
        upstream branch, else the current branch's name. Needs a clean, full working tree \
        (checked before fetching).
        """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The remote (default: the upstream remote, else origin).")
    var remote: String?

    @Argument(help: "The remote's branch to merge (default: the upstream branch).")
    var branch: String?

    @Flag(help: "Print the fetch and the merge as JSON (envelope cairn.pull/v1).")
    var json = false

    func run() async throws {
      let repo = try repository.open()
      let result = try repo.pull(remote: remote, branch: branch, now: currentTime())
      if json {
        Output.json(
          "cairn.pull/v1",
          .object([
            "fetch": TransferOutput.json(result.fetch), "merged": .string(result.merged),
            "merge": Merge.json(result.merge),
          ]))
      } else {
        TransferOutput.show(result.fetch)
        Output.lines(Merge.lines(result.merge, name: result.merged))
      }
      try Merge.stopOnConflicts(result.merge, name: result.merged)
    }
  }
}
