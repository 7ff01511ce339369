internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct Tags: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "tags",
      abstract: "Add, remove and count tags on samples or on their labels.",
      discussion: """
        Samples are selected with --key, --view, or query options (Docs/views.md). With \
        --labels <field>, the tags of that field's labels are changed or counted instead: the \
        labels left by the selection's --filter options, optionally of one --class. Changes go \
        to the working tree files (canonical JSON, tags sorted and unique); record them with \
        'cairn commit'.
        """,
      subcommands: [Add.self, Remove.self, List.self])
  }
}

/// Which samples and labels a tags command works on.
struct TagTargetOptions: ParsableArguments {
  @Option(help: ArgumentHelp("Select the samples of this saved view.", valueName: "name"))
  var view: String?

  @OptionGroup var query: QueryOptions

  @Option(
    help: ArgumentHelp(
      "Work on the tags of this field's labels instead of the samples'.", valueName: "field"))
  var labels: String?

  @Option(
    name: .customLong("class"),
    help: ArgumentHelp("With --labels: only labels of this class.", valueName: "class"))
  var labelClass: String?

  func validate() throws {
    if labelClass != nil && labels == nil { throw ValidationError("--class needs --labels") }
  }

  var hasSelection: Bool { view != nil || !query.isEmpty }

  func selection() throws(CairnError) -> SampleSelection {
    SampleSelection(view: view, stages: try query.stages(), requiredKeys: query.keys)
  }

  var labelSelection: LabelSelection? {
    labels.map { LabelSelection(field: $0, labelClass: labelClass) }
  }
}

/// The arguments of `tags add` and `tags remove`: the tags, the selection, the output.
struct TagEditArguments: ParsableArguments {
  @Argument(help: "The tags.")
  var tags: [String]

  @OptionGroup var target: TagTargetOptions

  @Flag(help: "Print the result as JSON (envelope cairn.tags-edit/v1).")
  var json = false

  func validate() throws {
    if !target.hasSelection {
      throw ValidationError(
        "choose samples with --key, --view or a query option (--match, --filter…)")
    }
  }

  /// Adds or removes the tags and reports it.
  func run(_ repository: RepositoryOptions, add: Bool) throws {
    let result = try repository.open().editTags(
      tags, add: add, selection: target.selection(), labels: target.labelSelection)
    TagsOutput.edit(
      result, action: add ? "add" : "remove", tags: tags, target: target, json: json)
  }
}

extension Cairn.Tags {
  struct Add: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "add",
      abstract: "Add tags to the selected samples (or labels).")

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var arguments: TagEditArguments

    func run() async throws { try arguments.run(repository, add: true) }
  }

  struct Remove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "remove",
      abstract: "Remove tags from the selected samples (or labels).")

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var arguments: TagEditArguments

    func run() async throws { try arguments.run(repository, add: false) }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list",
      abstract: "Count the tags of the selected samples (default: all), or of their labels.")

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var target: TagTargetOptions

    @Flag(help: "Print the result as JSON (envelope cairn.tags/v1).")
    var json = false

    func run() async throws {
      let counts = try repository.open().tagCounts(
        selection: target.selection(), labels: target.labelSelection)
      if json {
        Output.json(
          "cairn.tags/v1",
          .object([
            "field": target.labels.map { .string($0) } ?? .null,
            "class": target.labelClass.map { .string($0) } ?? .null,
            "samples_selected": .int(Int64(counts.samplesSelected)),
            "tags": .array(
              counts.counts.map {
                .object(["tag": .string($0.tag), "count": .int(Int64($0.count))])
              }
            ),
          ]))
        return
      }
      if counts.counts.isEmpty {
        Output.note("no tags on the \(counts.samplesSelected) selected sample(s)")
        return
      }
      let width = counts.counts.map(\.tag.count).max() ?? 0
      Output.lines(counts.counts.map { $0.tag.padding(width) + "  " + String($0.count) })
    }
  }
}

enum TagsOutput {
  static func edit(
    _ result: TagEditResult, action: String, tags: [String], target: TagTargetOptions, json: Bool
  ) {
    if json {
      Output.json(
        "cairn.tags-edit/v1",
        .object([
          "action": .string(action), "tags": .array(tags.map { .string($0) }),
          "field": target.labels.map { .string($0) } ?? .null,
          "samples_selected": .int(Int64(result.samplesSelected)),
          "samples_changed": .int(Int64(result.samplesChanged)),
          "labels_changed": .int(Int64(result.labelsChanged)),
          "files_written": .int(Int64(result.filesWritten)),
        ]))
      return
    }
    let verb = action == "add" ? "Tagged" : "Untagged"
    if let field = target.labels {
      Output.line(
        "\(verb) \(result.labelsChanged) label(s) of '\(field)' in \(result.samplesSelected) selected sample(s); \(result.filesWritten) file(s) written"
      )
    } else {
      Output.line(
        "\(verb) \(result.samplesChanged) of \(result.samplesSelected) selected sample(s); \(result.filesWritten) file(s) written"
      )
    }
  }
}
