internal import ArgumentParser
internal import CairnCore
internal import GitStore

#if canImport(Glibc)
internal import Glibc
#endif

extension Cairn {
  struct Blame: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "blame",
      abstract: "Show which commit last changed each label of a sample.",
      discussion: """
        Walks the first-parent history back from REV (default HEAD) and, for the sample \
        record and every label of the sample at REV, names the newest commit that changed \
        it: the label was absent in that commit's parent or had other content. 'cairn log -- \
        KEY' lists every commit that touched the sample.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The sample key.")
    var key: String

    @Argument(help: "The revision to start from (default: HEAD).")
    var revision: String?

    @Option(help: ArgumentHelp("Only the labels of this field.", valueName: "field"))
    var field: String?

    @Flag(help: "Print the result as JSON (envelope cairn.blame/v1).")
    var json = false

    func run() async throws {
      let report = try repository.open().blame(key: key, field: field, at: revision)
      if json {
        Output.json(
          "cairn.blame/v1",
          .object([
            "key": .string(report.key), "commit": .string(report.commit.hex),
            "record": .object(["commit": Self.json(report.record)]),
            "labels": .array(
              report.labels.map { label in
                .object([
                  "field": .string(label.field), "id": .string(label.id),
                  "class": label.label.map { .string($0) } ?? .null,
                  "commit": Self.json(label.commit),
                ])
              }),
          ]))
        return
      }
      // Id, date, author, what, class: aligned; the commit summary last.
      var rows: [[String]] = [Self.columns(report.record) + ["record", "", report.record.summary]]
      for label in report.labels {
        rows.append(
          Self.columns(label.commit) + [
            label.field + "/" + label.id, label.label ?? "", label.commit.summary,
          ])
      }
      var widths = [Int](repeating: 0, count: 5)
      for row in rows {
        for index in 0..<5 { widths[index] = max(widths[index], row[index].count) }
      }
      let lines = rows.map { row in
        (0..<5).map { row[$0] + String(repeating: " ", count: widths[$0] - row[$0].count) }
          .joined(separator: "  ") + "  " + row[5]
      }
      Output.lines(lines)
    }

    /// Short id, date, author.
    private static func columns(_ commit: GitStore.Commit) -> [String] {
      [commit.id.short, String(isoDate(commit.author.time).prefix(10)), commit.author.name]
    }

    static func json(_ commit: GitStore.Commit) -> JSONValue {
      .object([
        "id": .string(commit.id.hex), "summary": .string(commit.summary),
        "author": .object([
          "name": .string(commit.author.name), "email": .string(commit.author.email),
          "time": .int(commit.author.time),
        ]),
      ])
    }
  }
}

/// A commit time as `YYYY-MM-DD HH:MM:SS` in UTC.
func isoDate(_ seconds: Int64) -> String {
  var time = time_t(seconds)
  var parts = tm()
  gmtime_r(&time, &parts)
  var buffer = [CChar](repeating: 0, count: 32)
  let count = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S", &parts)
  return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
