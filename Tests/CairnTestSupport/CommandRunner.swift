import Foundation

/// The outcome of running a program.
package struct CommandResult: Sendable, CustomStringConvertible {
  package var exitCode: Int32
  package var stdout: String
  package var stderr: String

  package var description: String { "exit \(exitCode)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
}

/// Runs programs for end-to-end tests: the built `cairn` binary and the system's `git`.
package enum CommandRunner {
  /// The `cairn` executable built next to the test bundle (or `CAIRN_BINARY`).
  package static var cairnPath: String {
    if let explicit = ProcessInfo.processInfo.environment["CAIRN_BINARY"] { return explicit }
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    var directory = bundle
    for _ in 0..<4 {
      let candidate = directory.appendingPathComponent("cairn").path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
      directory = directory.deletingLastPathComponent()
    }
    return bundle.appendingPathComponent("cairn").path
  }

  /// A deterministic environment: fixed identity, no user or system git config.
  package static var environment: [String: String] {
    var env = ProcessInfo.processInfo.environment
    env["GIT_AUTHOR_NAME"] = "Cairn Test"
    env["GIT_AUTHOR_EMAIL"] = "test@cairn.invalid"
    env["GIT_COMMITTER_NAME"] = "Cairn Test"
    env["GIT_COMMITTER_EMAIL"] = "test@cairn.invalid"
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_CONFIG_GLOBAL"] = "/dev/null"
    return env
  }

  /// Runs `cairn` with `arguments` in `directory`.
  @discardableResult
  package static func cairn(_ arguments: [String], in directory: String) throws -> CommandResult {
    try run(cairnPath, arguments, in: directory)
  }

  /// Runs `git` with `arguments` in `directory`.
  @discardableResult
  package static func git(_ arguments: [String], in directory: String) throws -> CommandResult {
    try run("/usr/bin/git", arguments, in: directory)
  }

  /// Runs `executable`, collecting its output.
  package static func run(_ executable: String, _ arguments: [String], in directory: String) throws
    -> CommandResult
  {
    try start(executable, arguments, in: directory).wait()
  }

  /// Starts `executable` without waiting for it.
  package static func start(_ executable: String, _ arguments: [String], in directory: String)
    throws -> RunningCommand
  {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.environment = environment
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    return RunningCommand(process: process, collector: OutputCollector(out: out, err: err))
  }
}

/// Drains both pipes concurrently so a chatty process never blocks on a full pipe.
final class OutputCollector: @unchecked Sendable {
  private let group = DispatchGroup()
  private var out = Data()
  private var err = Data()

  init(out: Pipe, err: Pipe) {
    group.enter()
    DispatchQueue.global().async {
      self.out = out.fileHandleForReading.readDataToEndOfFile()
      self.group.leave()
    }
    group.enter()
    DispatchQueue.global().async {
      self.err = err.fileHandleForReading.readDataToEndOfFile()
      self.group.leave()
    }
  }

  func finish() -> (String, String) {
    group.wait()
    return (String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
  }
}

/// A running `cairn` process.
package final class RunningCommand: @unchecked Sendable {
  private let process: Process
  private let collector: OutputCollector

  init(process: Process, collector: OutputCollector) {
    self.process = process
    self.collector = collector
  }

  /// Waits for the process and returns its output.
  package func wait() -> CommandResult {
    process.waitUntilExit()
    let (stdout, stderr) = collector.finish()
    return CommandResult(exitCode: process.terminationStatus, stdout: stdout, stderr: stderr)
  }

  /// Sends SIGKILL.
  package func kill() { Foundation.kill(process.processIdentifier, SIGKILL) }
}

extension CommandRunner {
  /// Starts `cairn` without waiting for it.
  package static func startCairn(_ arguments: [String], in directory: String) throws
    -> RunningCommand
  {
    try start(cairnPath, arguments, in: directory)
  }
}
