internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show a commit, or one sample as stored in a commit.",
      discussion: """
        'cairn show REV' prints the commit and a summary of the files it changed. \
        'cairn show REV:KEY' prints the sample record and its labels from every field.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "REV or REV:SAMPLE-KEY (default: HEAD).")
    var target: String = "HEAD"

    @Flag(help: "List every changed file.")
    var nameStatus = false

    @Flag(help: "Print the result as JSON (envelopes cairn.show/v1, cairn.sample/v1).")
    var json = false

    func run() async throws {
      let repo = try repository.open()
      if let colon = target.firstIndex(of: ":") {
        let revision = String(target[..<colon])
        let key = String(target[target.index(after: colon)...])
        let sample = try repo.sample(key, at: revision.isEmpty ? "HEAD" : revision)
        var labels: [String: JSONValue] = [:]
        for (field, file) in sample.labels { labels[field] = file }
        if json {
          Output.json(
            "cairn.sample/v1",
            .object([
              "commit": .string(sample.commit.hex), "key": .string(sample.key),
              "sample": sample.record,
              "labels": .object(labels),
            ]))
        } else {
          Output.line("sample \(sample.key) at \(sample.commit.short)")
          Output.line(PrettyJSON.render(sample.record))
          for (field, file) in sample.labels {
            Output.line("labels/\(field):")
            Output.line(PrettyJSON.render(file))
          }
        }
        return
      }
      let details = try repo.details(of: target)
      if json {
        Output.json(
          "cairn.show/v1",
          .object([
            "commit": details.commit.json,
            "changes": .array(
              details.changes.map {
                .object(["path": .string($0.path), "change": .string($0.change.rawValue)])
              }),
          ]))
        return
      }
      let commit = details.commit
      Output.line("commit \(commit.id.hex)")
      Output.line("Author: \(commit.author.name) <\(commit.author.email)>")
      Output.line("Date:   \(formatDate(commit.author.time))")
      Output.line()
      for line in commit.message.split(separator: "\n", omittingEmptySubsequences: false).dropLast(
        commit.message.hasSuffix("\n") ? 1 : 0)
      {
        Output.line("    \(line)")
      }
      Output.line()
      let report = StatusReport(head: .detached(commit.id), changes: details.changes)
      for (group, changes) in report.groups {
        let added = changes.filter { $0.change == .added }.count
        let modified = changes.filter { $0.change == .modified }.count
        let deleted = changes.filter { $0.change == .deleted }.count
        Output.line(" \(group): \(added) added, \(modified) modified, \(deleted) deleted")
        if nameStatus {
          for change in changes {
            Output.line("   \(change.change.rawValue.prefix(1).uppercased())  \(change.path)")
          }
        }
      }
    }
  }
}

/// Indented JSON for people; data files themselves stay canonical.
enum PrettyJSON {
  static func render(_ value: JSONValue, indent: String = "") -> String {
    let inner = indent + "  "
    switch value {
    case .array(let elements):
      if elements.isEmpty { return "[]" }
      if elements.allSatisfy({ $0.array == nil && $0.object == nil }) {
        return "[" + elements.map { render($0) }.joined(separator: ", ") + "]"
      }
      return "[\n" + elements.map { inner + render($0, indent: inner) }.joined(separator: ",\n")
        + "\n\(indent)]"
    case .object(let members):
      if members.isEmpty { return "{}" }
      let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      return "{\n"
        + keys.map { key in
          inner + render(.string(key)) + ": " + render(members[key] ?? .null, indent: inner)
        }.joined(separator: ",\n") + "\n\(indent)}"
    default:
      var bytes: [UInt8] = []
      CanonicalJSON.encodeFragment(value, into: &bytes)
      return String(decoding: bytes, as: UTF8.self)
    }
  }
}
