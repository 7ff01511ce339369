internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct Switch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "switch",
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
      commandName: "checkout",
      abstract: "Materialise a revision in the working tree, or only a view's samples.",
      discussion: """
        A branch name switches to that branch; any other revision (a commit id, HEAD~2, a tag) \
        detaches HEAD there, as in git. Only files that differ are written or removed. With \
        --view, the working tree becomes sparse: only the samples the view (as stored in the \
        revision, default HEAD) selects there, and their label files, are written; commits \
        then leave every other sample as it is. --full, or any checkout or switch without \
        --view, makes the working tree full again.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Flag(name: .shortAndLong, help: "Discard uncommitted changes to tracked files.")
    var force = false

    @Argument(help: "The revision (default HEAD with --view or --full).")
    var revision: String?

    @Option(help: ArgumentHelp("Materialise only the samples of this view.", valueName: "name"))
    var view: String?

    @Flag(help: "Materialise every sample again (after a checkout --view).")
    var full = false

    @Flag(help: "Print the result as JSON (envelope cairn.checkout/v1).")
    var json = false

    func validate() throws {
      if view != nil && full { throw ValidationError("--view and --full exclude each other") }
      if revision == nil && view == nil && !full {
        throw ValidationError("name a revision, or use --view <name> or --full")
      }
    }

    func run() async throws {
      let result = try repository.open().checkout(revision ?? "HEAD", force: force, view: view)
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
          "files_removed": .int(Int64(result.filesRemoved)), "sparse": sparseJSON(result.sparse),
        ]))
      return
    }
    switch result.head {
    case .branch(let name, _): Output.line("Switched to branch '\(name)'")
    case .detached(let id): Output.line("HEAD is now at \(id.short) (detached)")
    }
    Output.line(" \(result.filesWritten) files written, \(result.filesRemoved) removed")
    if let sparse = result.sparse { Output.line(" " + sparseText(sparse)) }
  }

  /// `{"view", "samples", "excluded", "commit"}`, or null for a full working tree.
  static func sparseJSON(_ sparse: SparseCheckout?) -> JSONValue {
    guard let sparse else { return .null }
    return .object([
      "view": .string(sparse.view), "samples": .int(Int64(sparse.included)),
      "excluded": .int(Int64(sparse.excluded.count)), "commit": .string(sparse.commit.hex),
    ])
  }

  static func sparseText(_ sparse: SparseCheckout) -> String {
    "sparse checkout of view '\(sparse.view)': \(sparse.included) samples materialised, \(sparse.excluded.count) left out"
  }
}
