internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct Switch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Switch to a branch, updating the working tree.",
      discussion: """
        Refuses when tracked files have uncommitted changes, unless --force discards them. \
        With -c, creates the branch at HEAD and switches to it (the working tree is unchanged).
        """)

    @OptionGroup var repository: RepositoryOptions

    @Flag(name: .customShort("c"), help: "Create the branch at HEAD first.")
    var create = false

    @Flag(name: .shortAndLong, help: "Discard uncommitted changes to tracked files.")
    var force = false

    @Argument(help: "The branch.")
    var name: String

    @Flag(help: "Print the result as JSON (envelope cairn.checkout/v1).")
    var json = false

    func run() async throws {
      let result = try repository.open().switchBranch(name, create: create, force: force)
      CheckoutOutput.print(result, json: json)
    }
  }

  struct Checkout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Materialise a revision in the working tree.",
      discussion: """
        A branch name switches to that branch; any other revision (a commit id, HEAD~2, a tag) \
        detaches HEAD there, as in git. Only files that differ are written or removed.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Flag(name: .shortAndLong, help: "Discard uncommitted changes to tracked files.")
    var force = false

    @Argument(help: "The revision.")
    var revision: String

    @Flag(help: "Print the result as JSON (envelope cairn.checkout/v1).")
    var json = false

    func run() async throws {
      let result = try repository.open().checkout(revision, force: force)
      CheckoutOutput.print(result, json: json)
    }
  }
}

enum CheckoutOutput {
  static func print(_ result: CheckoutResult, json: Bool) {
    if json {
      Output.json(
        "cairn.checkout/v1",
        .object([
          "head": result.head.json, "files_written": .int(Int64(result.filesWritten)),
          "files_removed": .int(Int64(result.filesRemoved)),
        ]))
      return
    }
    switch result.head {
    case .branch(let name, _): Output.line("Switched to branch '\(name)'")
    case .detached(let id): Output.line("HEAD is now at \(id.short) (detached)")
    }
    Output.line(" \(result.filesWritten) files written, \(result.filesRemoved) removed")
  }
}
