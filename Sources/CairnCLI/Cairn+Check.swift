internal import ArgumentParser
internal import CairnCore
internal import GitStore

#if canImport(Glibc)
internal import Glibc
#endif

extension Cairn {
  struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "check",
      abstract: "Check a dataset against format v1, its schema and dataset QA; find leaks.",
      subcommands: [Dataset.self, Leakage.self], defaultSubcommand: Dataset.self)
  }
}

extension Cairn.Check {
  struct Dataset: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "dataset",
      abstract: "Check a dataset against format v1, its schema and dataset QA (the default).",
      discussion: """
        Runs the rules a commit enforces (format, schema.json, rules across files) over every \
        file of the working tree (default) or of REV, plus dataset QA: boxes and points outside \
        the image, zero-area boxes, label ids used twice, samples missing labels in a field with \
        coverage, samples below a field's min_labels, classes used but not in the schema. \
        --staged checks what 'git commit' would commit (the index against HEAD) with the \
        commit's rules only: the pre-commit hook runs it. Exit 0 when nothing is found, 6 \
        otherwise. 'cairn check leakage' finds frozen test samples in training data.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "A revision to check (default: the working tree).")
    var revision: String?

    @Flag(help: "Check the index (what 'git commit' would commit), with the commit's rules.")
    var staged = false

    @Flag(help: "Only the commit's rules; no dataset QA.")
    var noQa = false

    @Flag(help: "Print the findings as JSON (envelope cairn.check/v1).")
    var json = false

    func validate() throws {
      if staged && revision != nil { throw ValidationError("--staged takes no revision") }
    }

    func run() async throws {
      let repo = try repository.open()
      let source: CheckSource
      if staged {
        source = .staged(indexPath: Self.environment("GIT_INDEX_FILE"))
      } else if let revision {
        source = .revision(revision)
      } else {
        source = .workingTree
      }
      let report = try repo.check(source, qa: !noQa)
      if json {
        Output.json(
          "cairn.check/v1",
          .object([
            "source": .string(report.source), "files_checked": .int(Int64(report.filesChecked)),
            "samples": .int(Int64(report.samples)), "ok": .bool(report.findings.isEmpty),
            "findings": .array(
              report.findings.map {
                .object([
                  "rule": .string($0.rule), "location": .string($0.location),
                  "message": .string($0.message), "commit_rule": .bool($0.isCommitRule),
                ])
              }),
          ]))
      } else {
        for finding in report.findings {
          Output.line("\(finding.rule): \(finding.location): \(finding.message)")
        }
        let summary =
          report.findings.isEmpty
          ? "ok" : "\(report.findings.count) problem(s)"
        Output.note(
          "cairn check (\(report.source)): \(summary); \(report.filesChecked) file(s) checked, "
            + "\(report.samples) sample(s)")
      }
      if !report.findings.isEmpty {
        throw CairnError(
          .validationFailed,
          staged
            ? "commit refused by the Cairn pre-commit hook: \(report.findings.count) problem(s)"
            : "\(report.findings.count) problem(s) found")
      }
    }

    static func environment(_ name: String) -> String? {
      guard let value = getenv(name) else { return nil }
      return String(cString: value)
    }
  }
}

extension Cairn.Check {
  struct Leakage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "leakage",
      abstract: "Find samples of frozen test sets in training data.",
      discussion: """
        The training data is the samples VIEW selects at REV (default: HEAD; the view as \
        stored there; default view: 'training'). A frozen test set's sample leaks when a \
        training sample has its key, or media with the same SHA-256 under another key (the \
        same image renamed). Exit 0 when nothing leaks, 6 otherwise.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Option(help: "Only this frozen test set (repeatable; default: every one).")
    var frozen: [String] = []

    @Option(help: "The view that selects the training data.")
    var view: String = "training"

    @Option(help: "The revision whose data and view are read (default: HEAD).")
    var rev: String?

    @Flag(help: "Print the leaks as JSON (envelope cairn.leakage/v1).")
    var json = false

    func run() async throws {
      let repo = try repository.open()
      let commit = try repo.resolve(rev ?? "HEAD")
      let source = DataSource.revision(commit.hex)
      let keys = try repo.evaluate(try repo.view(named: view, in: source), in: source).keys
      let leaks = try repo.leaks(keys: keys, at: commit, sets: frozen.isEmpty ? nil : frozen)
      if json {
        Output.json(
          "cairn.leakage/v1",
          .object([
            "commit": .string(commit.hex), "view": .string(view),
            "training_samples": .int(Int64(keys.count)),
            "leaks": .array(
              leaks.map {
                .object([
                  "kind": .string($0.kind.rawValue), "set": .string($0.set),
                  "test_key": .string($0.testKey), "training_key": .string($0.trainingKey),
                ])
              }),
          ]))
      } else {
        for leak in leaks {
          Output.line(
            leak.kind == .key
              ? "leak (key): '\(leak.testKey)' of test set \(leak.set) is in view '\(view)'"
              : "leak (content): '\(leak.testKey)' of test set \(leak.set) has the same media as "
                + "'\(leak.trainingKey)' in view '\(view)'")
        }
        Output.note(
          "\(leaks.count) leak(s) among \(keys.count) training sample(s) of view '\(view)' at "
            + commit.short)
      }
      if !leaks.isEmpty {
        throw CairnError(.validationFailed, "\(leaks.count) test sample(s) leak into training data")
      }
    }
  }
}
