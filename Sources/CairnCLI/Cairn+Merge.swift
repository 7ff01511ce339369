internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct Merge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "merge",
      abstract: "Merge a branch into the current one, label by label.",
      discussion: """
        A three-way merge at the level of what files hold: label files by label id (edits \
        to different labels, even of one sample, merge), sample records member by member \
        (tags as sets), schema.json field by field. The same label edited differently on \
        both sides, a label edited on one side and deleted on the other, and a schema field \
        or other file changed differently are conflicts: the merge then stops with them \
        recorded (exit 15); list them with 'cairn conflicts', settle them with 'cairn \
        resolve', and 'cairn commit' writes the merge commit. Without conflicts the merge \
        commit is written at once (checked like every commit). When the current commit is an \
        ancestor of BRANCH the branch fast-forwards. Needs a clean, full working tree.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The branch (or any revision) to merge in.")
    var branch: String?

    @Option(name: .shortAndLong, help: "The merge commit's message.")
    var message: String?

    @Flag(help: "Abandon the merge in progress and restore the working tree.")
    var abort = false

    @Flag(help: "Print the result as JSON (envelope cairn.merge/v1).")
    var json = false

    func validate() throws {
      if abort == (branch != nil) { throw ValidationError("give a BRANCH, or --abort") }
    }

    func run() async throws {
      let repo = try repository.open()
      if abort {
        try repo.abortMerge()
        Output.line("merge aborted; the working tree is back at HEAD")
        return
      }
      guard let branch else { return }
      let outcome = try repo.merge(branch, message: message, now: currentTime())
      if json {
        Output.json("cairn.merge/v1", Self.json(outcome))
      } else {
        Output.lines(Self.lines(outcome, name: branch))
      }
      try Self.stopOnConflicts(outcome, name: branch)
    }

    /// The body of `cairn.merge/v1` (also the `merge` member of `cairn.pull/v1`).
    static func json(_ outcome: MergeOutcome) -> JSONValue {
      .object([
        "result": .string(outcome.kind.rawValue),
        "commit": outcome.commit.map { .string($0.hex) } ?? .null,
        "files_changed": .int(Int64(outcome.filesChanged)),
        "files_merged": .int(Int64(outcome.filesMerged)),
        "conflicts": .array(outcome.conflicts.map(\.json)),
      ])
    }

    /// What a merge of `name` did, as text.
    static func lines(_ outcome: MergeOutcome, name: String) -> [String] {
      switch outcome.kind {
      case .upToDate: ["Already up to date."]
      case .fastForward:
        ["Fast-forward to \(outcome.commit?.short ?? "?"): \(outcome.filesChanged) file(s)"]
      case .merged:
        [
          "Merged \(name): merge commit \(outcome.commit?.short ?? "?"), "
            + "\(outcome.filesChanged) file(s) changed, \(outcome.filesMerged) merged label by "
            + "label"
        ]
      case .conflicted: outcome.conflicts.map(Conflicts.describe)
      }
    }

    /// Exits with the conflicts code when the merge stopped on conflicts.
    static func stopOnConflicts(_ outcome: MergeOutcome, name: String) throws(CairnError) {
      if outcome.kind == .conflicted {
        throw CairnError(
          .conflicts,
          "merge of \(name) stopped: \(outcome.conflicts.count) conflict(s); settle them with "
            + "'cairn resolve --ours|--theirs [KEY|LABEL-ID]', then 'cairn commit'")
      }
    }
  }

  struct Conflicts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "conflicts",
      abstract: "List the conflicts of the merge in progress.")

    @OptionGroup var repository: RepositoryOptions

    @Flag(help: "Also list the conflicts already resolved.")
    var all = false

    @Flag(help: "Print the conflicts as JSON (envelope cairn.conflicts/v1).")
    var json = false

    func run() async throws {
      let repo = try repository.open()
      guard let state = try repo.mergeState() else {
        throw CairnError(.notFound, "no merge in progress")
      }
      let listed = all ? state.conflicts : state.unresolved
      if json {
        Output.json(
          "cairn.conflicts/v1",
          .object([
            "merging": .string(state.name), "theirs": .string(state.theirs.hex),
            "base": state.base.map { .string($0.hex) } ?? .null,
            "unresolved": .int(Int64(state.unresolved.count)),
            "conflicts": .array(listed.map(\.json)),
          ]))
        return
      }
      Output.line(
        "Merging \(state.name) (\(state.theirs.short)): \(state.unresolved.count) unresolved of "
          + "\(state.conflicts.count) conflict(s)")
      for conflict in listed { Output.line(Self.describe(conflict)) }
    }

    static func describe(_ conflict: MergeConflict) -> String {
      func text(_ value: JSONValue?) -> String {
        guard let value else { return "(absent)" }
        return String(decoding: CanonicalJSON.encode(value).dropLast(), as: UTF8.self)
      }
      var line = "\(conflict.resolved ? "resolved" : "CONFLICT") (\(conflict.kind.rawValue))"
      if let key = conflict.key { line += " sample '\(key)'" }
      if let field = conflict.field { line += " field \(field)" }
      if let item = conflict.item {
        line += " \(conflict.kind == .label || conflict.kind == .editDelete ? "label " : "")\(item)"
      }
      line += " in \(conflict.path)"
      line += "\n    base:   \(text(conflict.base))\n    ours:   \(text(conflict.ours))"
      line += "\n    theirs: \(text(conflict.theirs))"
      return line
    }
  }

  struct Resolve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "resolve",
      abstract: "Settle merge conflicts with our version or theirs.",
      discussion: """
        Without a selector every unresolved conflict is settled; with one, only the \
        conflicts of that sample key, label id, file path or schema field. The working tree \
        files are rewritten; 'cairn commit' then writes the merge commit.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Flag(help: "Keep our version.")
    var ours = false

    @Flag(help: "Take their version.")
    var theirs = false

    @Argument(help: "A sample key, label id, path or schema field (default: every conflict).")
    var selector: String?

    func validate() throws {
      if ours == theirs { throw ValidationError("give --ours or --theirs") }
    }

    func run() async throws {
      let repo = try repository.open()
      let count = try repo.resolveConflicts(theirs: theirs, selector: selector)
      let left = try repo.mergeState()?.unresolved.count ?? 0
      Output.line(
        "resolved \(count) conflict(s) with \(theirs ? "theirs" : "ours"); \(left) left"
          + (left == 0 ? " — 'cairn commit' writes the merge commit" : ""))
    }
  }
}
