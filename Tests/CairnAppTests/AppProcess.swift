import CairnTestSupport
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A running `cairn app` and the URL it printed.
final class AppProcess: @unchecked Sendable {
  let process: Process
  /// The URL with the token, as printed.
  let url: String
  let port: Int
  let token: String
  private let output: LockedBuffer

  /// Starts `cairn app --port 0` in `directory` and waits for its URL.
  init(in directory: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CommandRunner.cairnPath)
    process.arguments = ["app", "--port", "0"]
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.environment = CommandRunner.environment
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    let output = LockedBuffer()
    out.fileHandleForReading.readabilityHandler = { handle in output.append(handle.availableData) }
    err.fileHandleForReading.readabilityHandler = { handle in output.append(handle.availableData) }
    try process.run()
    self.process = process
    self.output = output
    let deadline = Date().addingTimeInterval(120)
    var found: String?
    while found == nil && Date() < deadline && process.isRunning {
      if let range = output.text.range(
        of: #"http://127\.0\.0\.1:[0-9]+/\?token=[0-9a-f]+"#, options: .regularExpression)
      {
        found = String(output.text[range])
      } else {
        usleep(50_000)
      }
    }
    guard let found, let components = URLComponents(string: found), let port = components.port,
      let token = components.queryItems?.first(where: { $0.name == "token" })?.value
    else {
      process.terminate()
      throw AppTestError("cairn app printed no URL: \(output.text)")
    }
    url = found
    self.port = port
    self.token = token
  }

  /// Everything the process printed so far.
  var printed: String { output.text }

  /// The base URL without the token.
  var base: String { "http://127.0.0.1:\(port)" }

  /// Stops the server (SIGTERM, then SIGKILL).
  func stop() {
    guard process.isRunning else { return }
    process.terminate()
    let deadline = Date().addingTimeInterval(5)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
  }

  deinit { stop() }
}

/// Bytes collected from a pipe on another thread.
final class LockedBuffer: @unchecked Sendable {
  private let lock = NSLock()
  private var data = Data()

  func append(_ more: Data) { lock.withLock { data.append(more) } }

  var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}

struct AppTestError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
