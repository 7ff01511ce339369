import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A failure that stops the benchmark.
struct BenchError: Error, CustomStringConvertible {
  /// What went wrong.
  var description: String

  init(_ description: String) { self.description = description }
}

/// Monotonic wall-clock timing.
enum Stopwatch {
  /// Runs `body` and returns its result with the wall time it took, in seconds.
  static func time<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = DispatchTime.now().uptimeNanoseconds
    let result = try body()
    let end = DispatchTime.now().uptimeNanoseconds
    return (result, Double(end - start) / 1e9)
  }

  /// The median of `values` (the mean of the middle two for an even count).
  static func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
  }
}

/// Runs shell commands through `/bin/sh -c`.
enum Shell {
  /// Variables that would point git somewhere else than the repository the command names.
  private static let locationVariables: Set<String> = [
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_COMMON_DIR",
  ]

  /// What a command printed and how long it ran.
  struct Outcome {
    /// Standard output, decoded as UTF-8.
    var output: String
    /// Wall time from launch to exit, in seconds (process start-up included).
    var seconds: Double
  }

  /// Runs `command` in `directory`; throws when it exits with a non-zero status.
  ///
  /// The environment is inherited, except git's location variables, so that a command run in
  /// `directory` acts on the repository there. Standard error passes through. The command is
  /// started with `posix_spawn` and reaped with `waitpid`: Foundation's `Process` polls for
  /// exit every 50 ms, which would add up to 50 ms to every measurement.
  @discardableResult
  static func run(_ command: String, in directory: String? = nil) throws -> Outcome {
    let script = directory.map { "cd \(quote($0)) && " + command } ?? command
    let environment = ProcessInfo.processInfo.environment
      .filter { !locationVariables.contains($0.key) }
      .map { $0.key + "=" + $0.value }
    let arguments: [String] = ["/bin/sh", "-c", script]
    let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
    defer {
      for pointer in argv + envp { free(pointer) }
    }
    let child = try spawnAndWait("/bin/sh", argv: argv, envp: envp)
    // WIFEXITED and WEXITSTATUS: the low 7 bits hold the signal, the next 8 the exit code.
    guard child.status & 0x7F == 0, (child.status >> 8) & 0xFF == 0 else {
      throw BenchError("command failed (wait status \(child.status)): \(command)")
    }
    let (output, start, end) = (child.output, child.start, child.end)
    return Outcome(
      output: String(decoding: output, as: UTF8.self), seconds: Double(end - start) / 1e9)
  }

  /// The trimmed output of `command`, or `fallback` when it fails.
  static func capture(_ command: String, fallback: String) -> String {
    guard let outcome = try? run(command + " 2>/dev/null") else { return fallback }
    let text = outcome.output.trimmingCharacters(in: .whitespacesAndNewlines)
    return text.isEmpty ? fallback : text
  }

  /// Quotes `text` for the shell.
  static func quote(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }
}

/// What a finished child process printed, its wait status, its timing and its peak memory.
struct ChildResult {
  var output: [UInt8]
  var status: Int32
  /// Uptime nanoseconds at the spawn and at the reap.
  var start: UInt64
  var end: UInt64
  /// `ru_maxrss` from `wait4`, in bytes.
  var peakBytes: Int
}

/// Starts `executable` with `posix_spawn` (standard output to a pipe, standard error passed
/// through), reads its output and reaps it with `wait4`: Foundation's `Process` polls for exit
/// every 50 ms, which would add up to 50 ms to every measurement.
func spawnAndWait(
  _ executable: String, argv: [UnsafeMutablePointer<CChar>?],
  envp: UnsafePointer<UnsafeMutablePointer<CChar>?>?
) throws -> ChildResult {
  var fds: [Int32] = [-1, -1]
  guard pipe(&fds) == 0 else { throw BenchError("pipe failed: errno \(errno)") }
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
  posix_spawn_file_actions_addclose(&actions, fds[0])
  posix_spawn_file_actions_addclose(&actions, fds[1])
  let start = DispatchTime.now().uptimeNanoseconds
  var pid: pid_t = 0
  let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
  close(fds[1])
  guard spawned == 0 else {
    close(fds[0])
    throw BenchError("cannot start \(executable): error \(spawned)")
  }
  var output: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 1 << 16)
  while true {
    let count = chunk.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
    if count < 0 && errno == EINTR { continue }
    if count <= 0 { break }
    output.append(contentsOf: chunk[0..<count])
  }
  close(fds[0])
  var status: Int32 = 0
  var usage = rusage()
  while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
  let end = DispatchTime.now().uptimeNanoseconds
  return ChildResult(
    output: output, status: status, start: start, end: end,
    peakBytes: Int(usage.ru_maxrss) * 1024)
}
