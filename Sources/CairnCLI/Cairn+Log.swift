internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct Log: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "log",
      abstract: "Show commit history, optionally of one sample.",
      discussion: """
        With '-- KEY…', lists only the commits that changed those samples' records or any of \
        their label files (compared with each commit's first parent).
        """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The revision to start from (default: HEAD).")
    var revision: String?

    @Option(name: [.customShort("n"), .long], help: "Show at most this many commits.")
    var maxCount: Int?

    @Flag(help: "One line per commit.")
    var oneline = false

    @Flag(help: "Print the result as JSON (envelope cairn.log/v1).")
    var json = false

    @Argument(parsing: .postTerminator, help: "Sample keys (after --).")
    var keys: [String] = []

    func run() async throws {
      let commits = try repository.open().log(from: revision, keys: keys, limit: maxCount)
      if json {
        Output.json("cairn.log/v1", .object(["commits": .array(commits.map(\.json))]))
        return
      }
      for commit in commits {
        if oneline {
          Output.line("\(commit.id.short) \(commit.summary)")
          continue
        }
        Output.line("commit \(commit.id.hex)")
        if commit.parents.count > 1 {
          Output.line("Merge: " + commit.parents.map(\.short).joined(separator: " "))
        }
        Output.line("Author: \(commit.author.name) <\(commit.author.email)>")
        Output.line("Date:   \(formatDate(commit.author.time))")
        Output.line()
        for line in commit.message.split(separator: "\n", omittingEmptySubsequences: false)
          .dropLast(
            commit.message.hasSuffix("\n") ? 1 : 0)
        {
          Output.line("    \(line)")
        }
        Output.line()
      }
    }
  }
}
