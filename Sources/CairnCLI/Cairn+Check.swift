internal import ArgumentParser
internal import CairnCore

#if canImport(Glibc)
internal import Glibc
#endif

extension Cairn {
  struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Check a dataset against format v1, its schema and dataset QA.",
      discussion: """
        Runs the rules a commit enforces (format, schema.json, rules across files) over every \
        file of the working tree (default) or of REV, plus dataset QA: boxes and points outside \
        the image, zero-area boxes, label ids used twice, samples missing labels in a field with \
        coverage, samples below a field's min_labels, classes used but not in the schema. \
        --staged checks what 'git commit' would commit (the index against HEAD) with the \
        commit's rules only: the pre-commit hook runs it. Exit 0 when nothing is found, 6 \
        otherwise.
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
