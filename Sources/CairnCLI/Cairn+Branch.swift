internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct Branch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "branch",
      abstract: "List, create or delete branches.",
      discussion: """
        'cairn branch' lists branches; 'cairn branch NAME [START]' creates one at START \
        (default HEAD) without switching; 'cairn branch -d NAME' deletes one.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The branch to create or delete.")
    var name: String?

    @Argument(help: "Where a new branch starts (default: HEAD).")
    var start: String?

    @Flag(name: .shortAndLong, help: "Delete the branch.")
    var delete = false

    @Flag(help: "Print the list as JSON (envelope cairn.branches/v1).")
    var json = false

    func validate() throws {
      if delete && name == nil { throw ValidationError("-d needs a branch name") }
    }

    func run() async throws {
      let repo = try repository.open()
      if let name {
        if delete {
          try repo.deleteBranch(name)
          Output.line("Deleted branch \(name)")
        } else {
          try repo.createBranch(name, at: start)
          Output.line("Created branch \(name)")
        }
        return
      }
      let branches = try repo.branches()
      if json {
        Output.json(
          "cairn.branches/v1",
          .object([
            "branches": .array(
              branches.map {
                .object([
                  "name": .string($0.name), "commit": .string($0.target.hex),
                  "current": .bool($0.isCurrent),
                ])
              })
          ]))
        return
      }
      for branch in branches {
        Output.line("\(branch.isCurrent ? "*" : " ") \(branch.name) \(branch.target.short)")
      }
    }
  }
}
