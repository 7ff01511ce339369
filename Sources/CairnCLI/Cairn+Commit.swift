internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct Commit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "commit",
      abstract: "Validate the working tree and record it as a new commit.",
      discussion: """
        Every changed file is checked (parseable JSON, canonical form, keys and ids consistent \
        with its path, labels only for existing samples). Any violation refuses the whole \
        commit, lists each file and the rule it broke, and writes nothing.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Option(
      name: .shortAndLong, help: "The commit message (optional when concluding a merge).")
    var message: String?

    @Flag(
      help:
        "Rewrite parseable but non-canonical JSON files in canonical form instead of refusing them."
    )
    var normalize = false

    @Flag(help: "Print the result as JSON (envelope cairn.commit/v1).")
    var json = false

    @Flag(help: "Print how long each phase of the commit took, on stderr.")
    var timings = false

    func validate() throws {
      if let message, message.trimmingWhitespace().isEmpty {
        throw ValidationError("the commit message is empty")
      }
    }

    func run() async throws {
      // Without -m only a merge in progress supplies the message; otherwise it is a usage
      // error, whatever the directory holds.
      guard let message = message ?? (try? repository.open().mergeState())??.message else {
        throw ValidationError("give a commit message with -m/--message")
      }
      let repo = try repository.open()
      let result = try repo.commit(message: message, normalize: normalize, now: currentTime())
      if timings {
        for (phase, seconds) in result.timings {
          Output.note("timing: \(phase.padding(32)) \(Int((seconds * 1000).rounded())) ms")
        }
      }
      let added = result.changes.filter { $0.change == .added }.count
      let modified = result.changes.filter { $0.change == .modified }.count
      let deleted = result.changes.filter { $0.change == .deleted }.count
      if json {
        Output.json(
          "cairn.commit/v1",
          .object([
            "commit": .string(result.id.hex),
            "branch": result.branch.map { .string($0) } ?? .null,
            "added": .int(Int64(added)), "modified": .int(Int64(modified)),
            "deleted": .int(Int64(deleted)),
            "objects_written": .int(Int64(result.objectsWritten)),
          ]))
      } else {
        Output.line(
          "[\(result.branch ?? "detached HEAD") \(result.id.short)] \(message.split(separator: "\n").first ?? "")"
        )
        Output.line(
          " \(result.changes.count) files changed: \(added) added, \(modified) modified, \(deleted) deleted"
        )
      }
    }
  }
}

extension String {
  func trimmingWhitespace() -> String {
    String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
  }
}
