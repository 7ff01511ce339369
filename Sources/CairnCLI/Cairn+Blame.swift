internal import ArgumentParser
internal import CairnCore
internal import GitStore

#if canImport(Glibc)
internal import Glibc
#endif

extension Cairn {
  struct Blame: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
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
      var rows: [[String]] = [Self.columns(report.record) + ["record", "", ""]]
      for label in report.labels {
        rows.append(Self.columns(label.commit) + [label.field, label.id, label.label ?? ""])
      }
      // Align every column but the summary, which goes last.
      var widths = [Int](repeating: 0, count: 6)
      for row in rows {
        for (index, cell) in row.enumerated() where index != 3 {
          widths[index < 3 ? index : index - 1] = max(
            widths[index < 3 ? index : index - 1], cell.count)
        }
      }
      var lines: [String] = []
      for row in rows {
        var cells: [String] = []
        for (index, cell) in row.enumerated() where index != 3 {
          let width = widths[index < 3 ? index : index - 1]
          cells.append(cell + String(repeating: " ", count: width - cell.count))
        }
        let line = cells.joined(separator: "  ") + "  " + row[3]
        lines.append(String(line.reversed().drop(while: { $0 == " " }).reversed()))
      }
      Output.lines(lines)
    }

    /// Short id, date, author, summary.
    private static func columns(_ commit: GitStore.Commit) -> [String] {
      [
        commit.id.short, String(isoDate(commit.author.time).prefix(10)), commit.author.name,
        commit.summary,
      ]
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
