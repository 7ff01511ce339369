internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct View: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "view",
      abstract: "Save, list, show, apply and remove saved views.",
      discussion: """
        A view is a query stored in views/<name>.json: label filters, conditions on samples, \
        sorting, limits and random draws. A live view is evaluated on the data it is applied \
        to; a pinned view (save --pin) stores the keys it selected and the commit they came \
        from. Views are files of the dataset: record them with 'cairn commit'. The language \
        is described in Docs/views.md.
        """,
      subcommands: [Save.self, List.self, Show.self, Apply.self, Remove.self])
  }
}

extension Cairn.View {
  struct Save: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "save",
      abstract: "Save a view into views/<name>.json in the working tree.",
      discussion: """
        The query options become the view's stages, in this order: --key, --filter, --match \
        (with --exists and --missing), --take, --sort, --skip, --limit. With --pin the view is \
        evaluated now, at --rev (default HEAD), and its keys and that commit are stored. \
        Nothing is committed.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The view name (letters, digits, '_', '-', '.').")
    var name: String

    @OptionGroup var query: QueryOptions

    @Option(help: ArgumentHelp("A description of the view.", valueName: "text"))
    var description: String?

    @Flag(help: "Store the keys the view selects now, and the commit they came from.")
    var pin = false

    @Option(
      help: ArgumentHelp("With --pin: the revision to evaluate (default HEAD).", valueName: "rev"))
    var rev: String?

    @Flag(name: .shortAndLong, help: "Replace an existing view of that name.")
    var force = false

    @Flag(help: "Print the result as JSON (envelope cairn.view/v1).")
    var json = false

    func validate() throws {
      if rev != nil && !pin { throw ValidationError("--rev needs --pin") }
    }

    func run() async throws {
      let repo = try repository.open()
      var definition = ViewDefinition(description: description, stages: try query.stages())
      if pin {
        let revision = rev ?? "HEAD"
        let evaluation = try repo.evaluate(definition, in: .revision(revision))
        guard let commit = evaluation.commit else {
          throw CairnError(.internalError, "a pinned view needs a commit")
        }
        definition.pinned = PinnedKeys(commit: commit, keys: evaluation.keys)
      }
      let replaced = try repo.saveView(name, definition, replace: force)
      if json {
        var body = ViewOutput.body(name: name, definition: definition)
        body["replaced"] = .bool(replaced)
        Output.json("cairn.view/v1", .object(body))
        return
      }
      let path = ViewDefinition.path(name)
      if let pinned = definition.pinned {
        Output.line(
          "Saved pinned view '\(name)' (\(path)): \(pinned.keys.count) samples at \(pinned.commit.short)"
        )
      } else {
        Output.line("Saved view '\(name)' (\(path)): \(definition.stages.count) stage(s)")
      }
      Output.note("record it with 'cairn commit'")
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list",
      abstract: "List the saved views.",
      discussion:
        "Views of the working tree, or of --rev. A file that breaks the view rules is listed with its problem."
    )

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var revision: RevisionOption

    @Flag(help: "Print the result as JSON (envelope cairn.views/v1).")
    var json = false

    func run() async throws {
      let views = try repository.open().views(in: revision.source)
      if json {
        Output.json(
          "cairn.views/v1",
          .object([
            "views": .array(
              views.map { listing in
                .object([
                  "name": .string(listing.name),
                  "description": listing.definition?.description.map { .string($0) } ?? .null,
                  "pinned": .bool(listing.definition?.pinned != nil),
                  "keys": listing.definition?.pinned.map { .int(Int64($0.keys.count)) } ?? .null,
                  "stages": .int(Int64(listing.definition?.stages.count ?? 0)),
                  "problem": listing.problem.map { .string($0) } ?? .null,
                ])
              })
          ]))
        return
      }
      let width = views.map(\.name.count).max() ?? 0
      for listing in views {
        var line = listing.name.padding(width) + "  "
        if let definition = listing.definition {
          if let pinned = definition.pinned {
            line += "pinned, \(pinned.keys.count) samples at \(pinned.commit.short)"
          } else {
            line += "live, \(definition.stages.count) stage(s)"
          }
          if let description = definition.description { line += "  \(description)" }
        } else {
          line += "INVALID: \(listing.problem ?? "")"
        }
        Output.line(line)
      }
    }
  }

  struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "show",
      abstract: "Show a saved view's definition.",
      discussion:
        "The view of the working tree, or of --rev, with its stages and the equivalent options.")

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The view name.")
    var name: String

    @OptionGroup var revision: RevisionOption

    @Flag(help: "Print the result as JSON (envelope cairn.view/v1).")
    var json = false

    func run() async throws {
      let definition = try repository.open().view(named: name, in: revision.source)
      if json {
        Output.json("cairn.view/v1", .object(ViewOutput.body(name: name, definition: definition)))
        return
      }
      let place = revision.rev.map { "at \($0)" } ?? "in the working tree"
      Output.line("view \(name) (\(ViewDefinition.path(name)), \(place))")
      if let description = definition.description { Output.line("description: \(description)") }
      if let pinned = definition.pinned {
        Output.line("pinned: \(pinned.keys.count) samples at \(pinned.commit.hex)")
      } else {
        Output.line("live: evaluated on the data it is applied to")
      }
      if definition.stages.isEmpty { Output.line("stages: none (every sample)") }
      for (index, stage) in definition.stages.enumerated() {
        Output.line("  \(index + 1). \(stage.optionText)")
      }
    }
  }

  struct Apply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "apply",
      abstract: "Apply a saved view or a query, printing the selected sample keys.",
      discussion: """
        Without --rev, the view file and the data come from the working tree; with --rev, both \
        come from that revision, so 'apply NAME --rev v1' shows what the view selected at v1. \
        Query options given with NAME run after the view's own stages. A pinned view yields \
        its stored keys. --json prints each sample with its labels after the view's label \
        filters.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The view name (omit it to apply only the query options).")
    var name: String?

    @OptionGroup var query: QueryOptions
    @OptionGroup var revision: RevisionOption

    @Flag(help: "Print only the number of selected samples.")
    var count = false

    @Flag(help: "Print the result as JSON (envelope cairn.view-apply/v1).")
    var json = false

    func run() async throws {
      let repo = try repository.open()
      let extra = try query.stages()
      let definition =
        try name.map { (name) throws(CairnError) in
          try repo.view(named: name, in: revision.source)
        } ?? ViewDefinition(stages: [])
      let evaluation = try repo.evaluate(definition, extra: extra, in: revision.source)
      for key in evaluation.missing.prefix(5) {
        Output.note("warning: pinned sample '\(key)' is not in the data")
      }
      if evaluation.missing.count > 5 {
        Output.note(
          "warning: … and \(evaluation.missing.count - 5) more pinned samples are not in the data")
      }
      if json {
        var body: [String: JSONValue] = [
          "view": name.map { .string($0) } ?? .null,
          "commit": evaluation.commit.map { .string($0.hex) } ?? .null,
          "count": .int(Int64(evaluation.keys.count)),
          "total": .int(Int64(evaluation.total)),
          "missing": .array(evaluation.missing.map { .string($0) }),
        ]
        if !count {
          body["samples"] = .array(
            try evaluation.samples().map { sample in
              .object([
                "key": .string(sample.key), "sample": sample.record,
                "labels": .object(sample.labels.mapValues { .array($0) }),
              ])
            })
        }
        Output.json("cairn.view-apply/v1", .object(body))
        return
      }
      if count {
        Output.line(String(evaluation.keys.count))
        return
      }
      Output.lines(evaluation.keys)
    }
  }

  struct Remove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "rm",
      abstract: "Remove views/<name>.json from the working tree.",
      discussion: "Nothing is committed; record the removal with 'cairn commit'.")

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The view name.")
    var name: String

    @Flag(help: "Print the result as JSON (envelope cairn.view-rm/v1).")
    var json = false

    func run() async throws {
      try repository.open().removeView(name)
      if json {
        Output.json(
          "cairn.view-rm/v1",
          .object(["name": .string(name), "path": .string(ViewDefinition.path(name))]))
        return
      }
      Output.line("Removed view '\(name)' (\(ViewDefinition.path(name)))")
      Output.note("record it with 'cairn commit'")
    }
  }
}

enum ViewOutput {
  /// `{"name", "path", "view"}`: a view and its file content.
  static func body(name: String, definition: ViewDefinition) -> [String: JSONValue] {
    [
      "name": .string(name), "path": .string(ViewDefinition.path(name)),
      "view": definition.json,
    ]
  }
}
