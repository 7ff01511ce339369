#if App
internal import ArgumentParser
internal import CairnApp
internal import CairnCore
internal import Foundation

extension Cairn {
  struct AppCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "app",
      abstract: "Serve the Cairn app: browse, annotate and commit in a local web browser.",
      discussion: """
        Starts a web server on 127.0.0.1 (never on another interface) for the working tree of \
        the current repository and prints its URL, which carries a random access token: every \
        request without it is refused. Label edits go through the same checks as \
        'cairn commit' and are written to the working tree; commits from the app are ordinary \
        commits. Stop the server with Ctrl-C. See Docs/app.md.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Option(help: "The TCP port to listen on; 0 picks a free one (the URL printed names it).")
    var port: Int = 0

    @Flag(help: "Open the URL in the default browser (xdg-open).")
    var open = false

    func validate() throws {
      guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
    }

    func run() async throws {
      let repo = try repository.open()
      let root = try repo.requireRoot(for: "the app")
      let server = AppServer(root: root, port: port)
      let open = open
      try await server.run { url in
        Output.line("Cairn app for \(root): \(url)")
        Output.note("Serving on 127.0.0.1 only; press Ctrl-C to stop.")
        if open { Self.openInBrowser(url) }
      }
    }

    static func openInBrowser(_ url: String) {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments = ["xdg-open", url]
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      do {
        try process.run()
      } catch {
        Output.note("cairn: cannot open a browser (\(error)); open the URL above yourself")
      }
    }
  }
}
#endif
