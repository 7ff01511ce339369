internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct Push: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "push",
      abstract: "Push the current branch and the protected sets to a remote.",
      discussion: """
        Sends BRANCH (default: the current one) to the branch of the same name on REMOTE \
        (default: the upstream remote, else origin), and creates there every protected set \
        (refs/frozen/*, refs/golden/* and their refs/tags/ mirrors) it lacks. Everything is \
        checked first, over the same connection that sends: a protected set that differs \
        between the two sides refuses the whole push (exit 16, with or without --force), and \
        so does an update of the branch that is not a fast-forward (exit 18) unless --force. \
        The server moves the branch only if it still holds what was listed. With --sets, \
        only the protected sets are pushed.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The remote (default: the upstream remote, else origin).")
    var remote: String?

    @Argument(help: "The local branch to push (default: the current branch).")
    var branch: String?

    @Flag(help: "Push only the protected sets, no branch.")
    var sets = false

    @Flag(
      name: .shortAndLong,
      help: "Overwrite the remote branch even if it has commits this one lacks (never a set).")
    var force = false

    @Flag(help: "Print what moved as JSON (envelope cairn.push/v1).")
    var json = false

    func validate() throws {
      if sets && branch != nil { throw ValidationError("--sets pushes no branch; drop BRANCH") }
    }

    func run() async throws {
      let repo = try repository.open()
      let result = try repo.push(remote: remote, branch: branch, force: force, setsOnly: sets)
      if json {
        Output.json(
          "cairn.push/v1",
          .object([
            "remote": .string(result.remote), "url": .string(result.url),
            "updated": .array(result.updates.map(TransferOutput.json)),
          ]))
        return
      }
      Output.line("To \(result.url)")
      if result.updates.isEmpty { Output.line("Everything up to date.") }
      Output.lines(result.updates.map(TransferOutput.line))
    }
  }
}
