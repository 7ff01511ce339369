internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct Freeze: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "freeze",
      abstract: "Freeze a view's samples as a protected test set or golden set.",
      discussion: """
        'cairn freeze test NAME --view VIEW' writes a commit holding exactly the samples VIEW \
        selects at REV (default HEAD), their labels and the schema, and creates \
        refs/frozen/NAME with its mirror refs/tags/frozen/NAME ('golden': refs/golden/NAME \
        and refs/tags/golden/NAME). Grouped samples bring their whole group. A set never \
        moves and is never deleted: Cairn refuses it, and so do the git hooks Cairn installs; \
        a new version of a set is a new name (test-v2).
        """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "'test' or 'golden'.")
    var kind: String

    @Argument(help: "The set's name (a new one).")
    var name: String

    @Option(help: "The saved view that selects the samples.")
    var view: String

    @Option(help: "The revision to take the samples from (default: HEAD).")
    var rev: String?

    @Flag(help: "Print the set as JSON (envelope cairn.freeze/v1).")
    var json = false

    func validate() throws {
      if ProtectedKind(rawValue: kind) == nil {
        throw ValidationError("the kind is 'test' or 'golden', not '\(kind)'")
      }
    }

    func run() async throws {
      guard let kind = ProtectedKind(rawValue: kind) else { return }
      let set = try repository.open().freeze(
        kind, name: name, view: view, revision: rev, now: currentTime())
      if json {
        Output.json("cairn.freeze/v1", Protect.json(set))
        return
      }
      Output.line(
        "froze \(kind.title) \(name): \(set.samples) sample(s) of view '\(view)' at "
          + "\(set.source?.short ?? "?") → \(kind.prefix)\(name) (\(set.commit.short)) and "
          + "\(kind.mirrorPrefix)\(name)")
    }
  }

  struct Protect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "protect",
      abstract: "List the protected test sets and golden sets.",
      subcommands: [List.self], defaultSubcommand: List.self)

    static func json(_ set: ProtectedSet) -> JSONValue {
      .object([
        "kind": .string(set.kind.rawValue), "name": .string(set.name),
        "reference": .string(set.kind.prefix + set.name), "commit": .string(set.commit.hex),
        "source": set.source.map { .string($0.hex) } ?? .null,
        "view": set.view.map { .string($0) } ?? .null, "samples": .int(Int64(set.samples)),
        "time": .int(set.time), "mirrored": .bool(set.mirrored),
      ])
    }

    struct List: AsyncParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the protected sets with their sample counts and dates.")

      @OptionGroup var repository: RepositoryOptions

      @Flag(help: "Print the sets as JSON (envelope cairn.protected/v1).")
      var json = false

      func run() async throws {
        let sets = try repository.open().protectedSets()
        if json {
          Output.json("cairn.protected/v1", .object(["sets": .array(sets.map(Protect.json))]))
          return
        }
        if sets.isEmpty { Output.line("no protected sets") }
        for set in sets {
          Output.line(
            "\(set.kind.rawValue.padding(6)) \(set.name.padding(20)) \(String(set.samples).padding(8)) "
              + "\(formatDate(set.time))  \(set.commit.short)"
              + (set.view.map { "  view \($0)" } ?? "") + (set.mirrored ? "" : "  (mirror missing)")
          )
        }
      }
    }
  }

  struct HooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "hooks", abstract: "Install Cairn's git hooks.",
      subcommands: [Install.self])

    struct Install: AsyncParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install the hooks into this repository.",
        discussion: """
          Without --server: pre-commit (runs 'cairn check --staged') and \
          reference-transaction (refuses moving or deleting protected sets). With --server, \
          for a bare repository others push to: pre-receive and update (refuse pushes that \
          move or delete protected sets) and reference-transaction. A hook that exists and is \
          not Cairn's is kept.
          """)

      @OptionGroup var repository: RepositoryOptions

      @Flag(help: "Install the server hooks (pre-receive, update).")
      var server = false

      func run() async throws {
        let repo = try repository.open()
        let result = try Hooks.install(
          gitDirectory: repo.git.gitDirectory, executable: currentExecutable(), server: server)
        for name in result.installed { Output.line("installed \(name)") }
        for name in result.skipped {
          Output.note("kept the existing \(name) hook; Cairn's is in hooks/\(name)")
        }
      }
    }
  }
}
