internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct QA: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "qa", abstract: "Measure annotation quality against a golden set.",
      subcommands: [Golden.self])
  }
}

extension Cairn.QA {
  struct Golden: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "golden",
      abstract: "Compare a revision's labels of the golden samples with the golden labels.",
      discussion: """
        For the samples of golden set NAME, the boxes REV (default HEAD) holds in FIELD are \
        matched to the golden boxes sample by sample, best overlap first (IoU >= --iou, any \
        class). A match of the same class counts for that class; a match of another class is \
        a confusion (a miss of the golden class, a false positive of the annotated one); \
        golden boxes left over are missing, annotated ones extra. Per class: precision, \
        recall, mean IoU of the matched boxes (tightness) and mean area ratio (above 1: \
        loose boxes). --history gives the same per commit along the branch back to the \
        commit the set was frozen from.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The golden set.")
    var name: String

    @Option(help: "The revision to measure (default: HEAD).")
    var rev: String?

    @Option(help: "The label field (default: the set's only detections field).")
    var field: String?

    @Option(help: "The IoU two boxes need to match.")
    var iou: Double = 0.5

    @Flag(help: "One summary per commit along the first-parent history.")
    var history = false

    @Flag(help: "Print the report as JSON (envelope cairn.qa-golden/v1).")
    var json = false

    func validate() throws {
      if !(iou > 0 && iou <= 1) { throw ValidationError("--iou is above 0 and at most 1") }
    }

    func run() async throws {
      let repo = try repository.open()
      if history {
        let rows = try repo.goldenHistory(
          set: name, revision: rev, field: field, iouThreshold: iou)
        if json {
          Output.json(
            "cairn.qa-golden/v1",
            .object([
              "set": .string(name),
              "history": .array(
                rows.map { row in
                  var body = Self.json(row.report)
                  if case .object(var members) = body {
                    members["summary"] = .string(row.commit.summary)
                    body = .object(members)
                  }
                  return body
                }),
            ]))
          return
        }
        Output.line("commit   precision recall  mean IoU  area  missing extra  confusions  summary")
        for (commit, report) in rows {
          let total = report.overall
          let confused = report.confusions.values.flatMap(\.values).reduce(0, +)
          Output.line(
            "\(commit.id.short)  \(Self.percent(total.precision).padding(9)) "
              + "\(Self.percent(total.recall).padding(7)) \(Self.number(total.meanIoU).padding(9)) "
              + "\(Self.number(total.meanAreaRatio).padding(5)) \(String(report.missing.count).padding(7)) "
              + "\(String(report.extra.count).padding(6)) \(String(confused).padding(11)) "
              + commit.summary)
        }
        return
      }
      let report = try repo.goldenReport(set: name, revision: rev, field: field, iouThreshold: iou)
      if json {
        Output.json("cairn.qa-golden/v1", Self.json(report))
        return
      }
      Output.line(
        "golden set \(name): \(report.samples) sample(s), field '\(report.field)' at "
          + "\(report.commit.short), IoU >= \(report.iouThreshold)")
      Output.line("class            precision recall  mean IoU  area   matched missed extra")
      for (label, item) in report.classes.sorted(by: { $0.key < $1.key }) + [
        ("(all)", report.overall)
      ] {
        Output.line(
          "\(label.padding(16)) \(Self.percent(item.precision).padding(9)) "
            + "\(Self.percent(item.recall).padding(7)) \(Self.number(item.meanIoU).padding(9)) "
            + "\(Self.number(item.meanAreaRatio).padding(6)) \(String(item.matched).padding(7)) "
            + "\(String(item.falseNegatives).padding(6)) \(item.falsePositives)")
      }
      for (golden, row) in report.confusions.sorted(by: { $0.key < $1.key }) {
        for (given, count) in row.sorted(by: { $0.key < $1.key }) {
          Output.line("confusion: \(golden) labelled \(given) \(count) time(s)")
        }
      }
      for label in report.missing {
        Output.line("missing: \(label.key) \(label.label) (golden label \(label.id))")
      }
      for label in report.extra {
        Output.line("extra: \(label.key) \(label.label) (label \(label.id))")
      }
    }

    static func percent(_ value: Double?) -> String {
      value.map { String(Int(($0 * 100).rounded())) + "%" } ?? "-"
    }

    /// Three decimals: `0.842`.
    static func number(_ value: Double?) -> String {
      guard let value else { return "-" }
      let scaled = Int((value * 1000).rounded())
      let fraction = String(scaled % 1000)
      let padded = String(repeating: "0", count: 3 - fraction.count) + fraction
      return String(scaled / 1000) + "." + padded
    }

    static func optional(_ value: Double?) -> JSONValue { value.map { .double($0) } ?? .null }

    static func json(_ report: GoldenReport) -> JSONValue {
      func item(_ value: ClassAgreement) -> JSONValue {
        .object([
          "matched": .int(Int64(value.matched)),
          "false_positives": .int(Int64(value.falsePositives)),
          "false_negatives": .int(Int64(value.falseNegatives)),
          "precision": optional(value.precision), "recall": optional(value.recall),
          "mean_iou": optional(value.meanIoU), "mean_area_ratio": optional(value.meanAreaRatio),
        ])
      }
      func labels(_ list: [UnmatchedLabel]) -> JSONValue {
        .array(
          list.map {
            .object(["key": .string($0.key), "id": .string($0.id), "label": .string($0.label)])
          })
      }
      return .object([
        "set": .string(report.set), "field": .string(report.field),
        "commit": .string(report.commit.hex), "samples": .int(Int64(report.samples)),
        "iou_threshold": .double(report.iouThreshold),
        "classes": .object(report.classes.mapValues(item)), "overall": item(report.overall),
        "confusions": .object(
          report.confusions.mapValues { .object($0.mapValues { .int(Int64($0)) }) }),
        "missing": labels(report.missing), "extra": labels(report.extra),
      ])
    }
  }
}
