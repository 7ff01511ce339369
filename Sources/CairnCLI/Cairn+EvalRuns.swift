internal import ArgumentParser
internal import CairnCore
internal import GitStore

/// Where stored runs are read from.
struct RunSourceOptions: ParsableArguments {
  @Option(
    name: .customLong("rev"),
    help: "Read the runs of this revision (default: the working tree).")
  var revision: String?

  var source: DataSource { revision.map { .revision($0) } ?? .workingTree }
}

extension Cairn.Eval {
  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list",
      abstract: "List the stored evaluation runs (runs/eval/*).")

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var runs: RunSourceOptions

    @Flag(help: "Print the result as JSON (envelope cairn.eval.list/v1).")
    var json = false

    func run() throws {
      let repository = try self.repository.open()
      let listings = try repository.runs(in: runs.source)
      if json {
        Output.json(
          "cairn.eval.list/v1",
          .array(
            listings.map { listing in
              guard let run = listing.run else {
                return .object([
                  "key": .string(listing.key), "problem": .string(listing.problem ?? ""),
                ])
              }
              var body = EvaluationOutput.body(run).object ?? [:]
              body["classes"] = nil
              body["confusion"] = nil
              return .object(body)
            }))
        return
      }
      var lines: [String] = []
      for listing in listings {
        guard let run = listing.run else {
          lines.append("\(listing.key)  (unreadable: \(listing.problem ?? ""))")
          continue
        }
        let fields = run.record["fields"]
        let main = run.metrics.first
        var line =
          "\(EvaluationOutput.pad(listing.key, 16)) \(EvaluationOutput.pad(run.kind, 15)) "
          + "\(run.commit.prefix(12))  "
          + "\(fields?["predictions"]?.string ?? "?") vs \(fields?["truth"]?.string ?? "?")"
        if let main { line += "  \(main.name) \(EvaluationOutput.format(main.value))" }
        if let frozen = run.record["frozen"]?["name"]?.string { line += "  frozen:\(frozen)" }
        if let view = run.record["view"]?.string { line += "  view:\(view)" }
        lines.append(line)
      }
      Output.lines(lines)
    }
  }

  struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "show",
      abstract: "Show a stored evaluation run: what it evaluated, its metrics and classes.")

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var runs: RunSourceOptions

    @Argument(help: "The run's key.")
    var key: String

    @Flag(help: "Print the result as JSON (envelope cairn.eval/v1).")
    var json = false

    func run() throws {
      let repository = try self.repository.open()
      let run = try repository.run(key, in: runs.source, samples: false)
      EvaluationOutput.print(run, json: json)
    }
  }

  struct Compare: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "compare",
      abstract: "Compare two stored runs: every metric and every class, with the deltas.")

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var runs: RunSourceOptions

    @Argument(help: "The earlier run's key.")
    var first: String

    @Argument(help: "The later run's key.")
    var second: String

    @Flag(help: "Print the result as JSON (envelope cairn.eval.compare/v1).")
    var json = false

    func run() throws {
      let repository = try self.repository.open()
      let a = try repository.run(first, in: runs.source, samples: false)
      let b = try repository.run(second, in: runs.source, samples: false)
      guard a.kind == b.kind else {
        throw CairnError(
          .invalidInput, "run '\(first)' is a \(a.kind) run and '\(second)' a \(b.kind) run")
      }
      let methodA = a.record["parameters"]?["method"]
      let methodB = b.record["parameters"]?["method"]
      guard methodA == methodB else {
        throw CairnError(
          .invalidInput,
          "run '\(first)' used method \(methodA?.string ?? "?") and '\(second)' "
            + "\(methodB?.string ?? "?"): their AP are different measures")
      }
      for member in ["parameters", "frozen", "view", "fields"]
      where a.record[member] != b.record[member] {
        Output.note(
          "cairn: warning: the runs differ in \(member) (\(first): "
            + "\(Self.text(a.record[member])), \(second): \(Self.text(b.record[member])))")
      }
      EvaluationOutput.printComparison(a, b, json: json)
    }

    private static func text(_ value: JSONValue?) -> String {
      guard let value else { return "none" }
      var bytes: [UInt8] = []
      CanonicalJSON.encodeFragment(value, into: &bytes)
      return String(decoding: bytes, as: UTF8.self)
    }
  }

  struct Failures: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "failures",
      abstract: "List the samples (or objects) behind one kind of error of a stored run.",
      discussion: """
        --fn (the default): ground truth that no prediction matched; --fp: predictions that \
        matched nothing; --confusion A:B: ground truth of class A predicted as B (either may \
        be 'background'). Prints the sample keys, or with --objects the sample key and label \
        id of each object. --save-view NAME writes a view of them (with --objects, filtered \
        to those labels) into the working tree; --tag TAG tags the samples (with --objects, \
        the labels) there. Record either with 'cairn commit'; the view is the input to \
        targeted selection.
        """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var runs: RunSourceOptions

    @Argument(help: "The run's key.")
    var key: String

    @Flag(help: "Ground truth no prediction matched (the default).")
    var fn = false

    @Flag(help: "Predictions that matched nothing.")
    var fp = false

    @Option(help: ArgumentHelp("Ground truth of class A predicted as B.", valueName: "A:B"))
    var confusion: String?

    @Flag(help: "List the objects (sample key and label id) instead of the samples.")
    var objects = false

    @Option(help: ArgumentHelp("Save a view of the failures.", valueName: "name"))
    var saveView: String?

    @Option(help: ArgumentHelp("Tag the failing samples (or objects).", valueName: "tag"))
    var tag: String?

    @Flag(help: "Replace an existing view of the same name.")
    var force = false

    @Flag(help: "Print the result as JSON (envelope cairn.eval.failures/v1).")
    var json = false

    func validate() throws {
      if [fn, fp, confusion != nil].filter({ $0 }).count > 1 {
        throw ValidationError("choose one of --fn, --fp and --confusion")
      }
      if let confusion, confusion.split(separator: ":").count != 2 {
        throw ValidationError("--confusion takes A:B (two class names, or 'background')")
      }
    }

    var kind: FailureKind {
      if fp { return .falsePositives }
      if let confusion {
        let parts = confusion.split(separator: ":").map(String.init)
        return .confusion(truth: parts[0], predicted: parts[1])
      }
      return .falseNegatives
    }

    func run() throws {
      let repository = try self.repository.open()
      let run = try repository.run(key, in: runs.source)
      let failures = run.failures(kind)
      let stages = failureStages(failures)
      if let saveView {
        try repository.saveView(
          saveView,
          ViewDefinition(description: "\(describe()) of evaluation run \(key)", stages: stages),
          replace: force)
        Output.note(
          "cairn: wrote views/\(saveView).json (\(failures.keys.count) samples); "
            + "record it with 'cairn commit'")
      }
      if let tag {
        let result = try repository.editTags(
          [tag], add: true, selection: SampleSelection(stages: stages),
          labels: objects ? LabelSelection(field: failures.field) : nil)
        Output.note(
          "cairn: tagged \(objects ? "\(result.labelsChanged) labels" : "\(result.samplesChanged) samples") '\(tag)'"
        )
      }
      if json {
        var body: [String: JSONValue] = [
          "run": .string(key), "kind": .string(describe()), "field": .string(failures.field),
          "samples": .array(failures.keys.map { .string($0) }),
        ]
        if objects {
          body["objects"] = .array(
            failures.objects.map { .object(["sample": .string($0.key), "id": .string($0.id)]) })
        }
        Output.json("cairn.eval.failures/v1", .object(body))
      } else if objects {
        Output.lines(failures.objects.map { "\($0.key)\t\($0.id)" })
      } else {
        Output.lines(failures.keys)
      }
    }

    private func describe() -> String {
      switch kind {
      case .falseNegatives: "false negatives"
      case .falsePositives: "false positives"
      case .confusion(let truth, let predicted): "\(truth) predicted as \(predicted)"
      }
    }

    /// The stages selecting the failures: their keys, and with --objects their labels.
    private func failureStages(_ failures: EvaluationFailures) -> [ViewStage] {
      var stages: [ViewStage] = [.keys(failures.keys)]
      if objects {
        let predicate = QueryExpression.within(
          .path(QueryPath(["id"])), .list(failures.objects.map { .string($0.id) }))
        stages.append(.filterLabels(field: failures.field, predicate: predicate))
      }
      return stages
    }
  }
}
