internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct Remote: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "remote",
      abstract: "List, add or remove the remotes this repository fetches from and pushes to.",
      discussion: """
        A remote is git's: 'remote.<name>.url' with the fetch refspec \
        '+refs/heads/*:refs/remotes/<name>/*'. URLs may be file://, git://, ssh://, https://, \
        scp-like host:path, or a local path (recorded as an absolute path).
        """,
      subcommands: [List.self, Add.self, Remove.self], defaultSubcommand: List.self)

    /// The body of `cairn.remote/v1`.
    static func json(_ remotes: [RemoteInfo]) -> JSONValue {
      .object([
        "remotes": .array(
          remotes.map {
            .object([
              "name": .string($0.name), "url": .string($0.url),
              "push_url": $0.pushURL.map { .string($0) } ?? .null,
            ])
          })
      ])
    }

    static func show(_ remotes: [RemoteInfo], json: Bool) {
      if json {
        Output.json("cairn.remote/v1", Self.json(remotes))
        return
      }
      let width = remotes.map(\.name.count).max() ?? 0
      Output.lines(
        remotes.map {
          $0.name.padding(width) + "  " + $0.url
            + ($0.pushURL.map { "  (push: \($0))" } ?? "")
        })
    }

    struct List: AsyncParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the remotes with their URLs.")

      @OptionGroup var repository: RepositoryOptions

      @Flag(help: "Print the remotes as JSON (envelope cairn.remote/v1).")
      var json = false

      func run() async throws {
        Remote.show(try repository.open().remotes(), json: json)
      }
    }

    struct Add: AsyncParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a remote.",
        discussion: """
          Records the remote without contacting it; 'cairn fetch NAME' reads it. Exit 11 when \
          the name is taken.
          """)

      @OptionGroup var repository: RepositoryOptions

      @Argument(help: "The remote's name (for example origin).")
      var name: String

      @Argument(help: "Its URL or local path.")
      var url: String

      @Flag(help: "Print every remote afterwards as JSON (envelope cairn.remote/v1).")
      var json = false

      func run() async throws {
        let repo = try repository.open()
        try repo.addRemote(name, url: url)
        let remotes = try repo.remotes()
        if json {
          Remote.show(remotes, json: true)
        } else {
          Output.line(
            "Added remote \(name): \(remotes.first { $0.name == name }?.url ?? url)")
        }
      }
    }

    struct Remove: AsyncParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove a remote and its remote-tracking branches.",
        discussion: """
          Protected sets and tags fetched from it stay: a set is never deleted. Exit 4 when \
          there is no such remote.
          """,
        aliases: ["rm"])

      @OptionGroup var repository: RepositoryOptions

      @Argument(help: "The remote to remove.")
      var name: String

      @Flag(help: "Print the remaining remotes as JSON (envelope cairn.remote/v1).")
      var json = false

      func run() async throws {
        let repo = try repository.open()
        try repo.removeRemote(name)
        if json {
          Remote.show(try repo.remotes(), json: true)
        } else {
          Output.line("Removed remote \(name)")
        }
      }
    }
  }
}

/// How fetch, pull, push and clone render what moved.
enum TransferOutput {
  /// `{"kind":…,"new":…,"old":…,"reference":…}`.
  static func json(_ update: ReferenceUpdate) -> JSONValue {
    .object([
      "reference": .string(update.reference), "kind": .string(update.kind.rawValue),
      "old": update.old.map { .string($0.hex) } ?? .null, "new": .string(update.new.hex),
    ])
  }

  /// One line per update, in the style of git's fetch and push reports.
  static func line(_ update: ReferenceUpdate) -> String {
    switch update.kind {
    case .created:
      let what =
        GitRepository.isProtected(update.reference)
        ? "set" : update.reference.hasPrefix("refs/tags/") ? "tag" : "branch"
      return " * [new \(what)]  \(update.reference)  \(update.new.short)"
    case .fastForward:
      return "   \(update.old?.short ?? "?")..\(update.new.short)  \(update.reference)"
    case .forced:
      return " + \(update.old?.short ?? "?")...\(update.new.short)  \(update.reference)  (forced)"
    }
  }

  /// The body of `cairn.fetch/v1` (also the `fetch` member of `cairn.pull/v1`).
  static func json(_ result: FetchResult) -> JSONValue {
    .object([
      "remote": .string(result.remote), "url": .string(result.url),
      "objects": .int(Int64(result.objects)), "updated": .array(result.updates.map(json)),
      "kept_tags": .array(
        result.keptTags.map {
          .object([
            "reference": .string($0.reference), "local": .string($0.local.hex),
            "remote": .string($0.remote.hex),
          ])
        }),
    ])
  }

  /// Prints what a fetch did: updates to stdout, tags kept to stderr.
  static func show(_ result: FetchResult) {
    Output.line("From \(result.url)")
    if result.updates.isEmpty { Output.line("Already up to date with \(result.remote).") }
    Output.lines(result.updates.map(line))
    for kept in result.keptTags {
      Output.note(
        "note: kept \(kept.reference) at \(kept.local.short); \(result.remote) has it at "
          + "\(kept.remote.short)")
    }
  }
}
