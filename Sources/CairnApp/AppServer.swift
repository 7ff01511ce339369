internal import CairnCore
internal import Foundation
internal import Hummingbird
internal import Logging
internal import NIOCore

/// The Cairn app: a local web server on the repository's working tree.
///
/// It listens on 127.0.0.1 only and refuses every request that lacks its random access token
/// (see `AppResponder` for the rules and `Docs/app.md` for the security model).
public struct AppServer: Sendable {
  private let root: String
  private let port: Int
  private let token: AccessToken

  /// Prepares a server for the working tree at `root`.
  ///
  /// - Parameters:
  ///   - root: The working tree root of a Cairn repository.
  ///   - port: The TCP port; 0 picks a free one.
  public init(root: String, port: Int) {
    self.root = root
    self.port = port
    token = AccessToken()
  }

  /// Reads the working tree, starts the server and runs until SIGINT or SIGTERM.
  ///
  /// - Parameter onReady: Called once with the URL to open (it carries the token) when the
  ///   server listens.
  /// - Throws: `CairnError` when the repository cannot be read or the port cannot be bound.
  public func run(onReady: @escaping @Sendable (String) -> Void) async throws {
    let store = try AppStore(root: root)
    await store.startIndexing()
    // A small repository is read before the server listens, so that its first page has every
    // filter; a large one is served at once while it is read.
    if await store.index.summaries.count < 20_000 { await store.waitForIndex(upTo: 1) }
    let assets: WebAssets
    do {
      assets = try WebAssets.load()
    } catch {
      throw CairnError(.io, "the app's web files (Cairn_CairnApp.resources) are missing: \(error)")
    }
    let boundPort = BoundPort(port)
    let responder = AppResponder(
      store: store, token: token, assets: assets, port: { boundPort.value })
    var logger = Logger(label: "cairn.app") { StreamLogHandler.standardError(label: $0) }
    logger.logLevel = .error
    let token = token
    let application = Application(
      responder: responder,
      configuration: ApplicationConfiguration(
        address: .hostname("127.0.0.1", port: port), serverName: nil),
      onServerRunning: { channel in
        let actual = channel.localAddress?.port ?? boundPort.value
        boundPort.set(actual)
        onReady("http://127.0.0.1:\(actual)/?token=\(token.value)")
      },
      logger: logger)
    do {
      try await application.runService()
    } catch let error as IOError {
      throw CairnError(.io, "cannot listen on 127.0.0.1:\(port): \(error)")
    }
  }
}

/// The port the server listens on, known once it is bound (for `--port 0`).
final class BoundPort: @unchecked Sendable {
  private let lock = NSLock()
  private var port: Int

  init(_ port: Int) { self.port = port }

  var value: Int { lock.withLock { port } }

  func set(_ value: Int) { lock.withLock { port = value } }
}
