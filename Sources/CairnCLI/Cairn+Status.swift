internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "status",
      abstract: "Show what changed in the working tree since HEAD.",
      discussion: """
        Lists added, modified and deleted sample and label files. Files whose size and \
        timestamps match the index are not re-read.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Flag(help: "Print the result as JSON (envelope cairn.status/v1).")
    var json = false

    func run() async throws {
      let report = try repository.open().status()
      if json {
        Output.json(
          "cairn.status/v1",
          .object([
            "head": report.head.json,
            "clean": .bool(report.changes.isEmpty),
            "files_read": .int(Int64(report.filesRead)),
            "sparse": CheckoutOutput.sparseJSON(report.sparse),
            "changes": .array(
              report.changes.map {
                .object(["path": .string($0.path), "change": .string($0.change.rawValue)])
              }),
          ]))
        return
      }
      Output.line(report.head.text)
      if let sparse = report.sparse {
        Output.line(CheckoutOutput.sparseText(sparse).capitalisedFirst)
      }
      if report.changes.isEmpty {
        Output.line("nothing to commit, working tree clean")
        return
      }
      for (group, changes) in report.groups {
        let added = changes.filter { $0.change == .added }.count
        let modified = changes.filter { $0.change == .modified }.count
        let deleted = changes.filter { $0.change == .deleted }.count
        Output.line("\n\(group): \(added) added, \(modified) modified, \(deleted) deleted")
        for change in changes.prefix(50) {
          Output.line("  \(change.change.rawValue.padding(8)) \(change.path)")
        }
        if changes.count > 50 {
          Output.line("  … and \(changes.count - 50) more (use --json for all)")
        }
      }
    }
  }
}

extension String {
  var capitalisedFirst: String { prefix(1).uppercased() + dropFirst() }

  func padding(_ width: Int) -> String {
    count >= width ? self : self + String(repeating: " ", count: width - count)
  }
}
