internal import CairnCore
internal import GitStore

#if canImport(Glibc)
internal import Glibc
#endif

/// Writes command output: data to stdout, progress and warnings to stderr.
enum Output {
  /// Prints a line of data to stdout.
  static func line(_ text: String = "") {
    write(1, text + "\n")
  }

  /// Prints many lines of data to stdout with one write.
  static func lines(_ texts: [String]) {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(texts.count * 24)
    for text in texts {
      bytes.append(contentsOf: text.utf8)
      bytes.append(0x0A)
    }
    write(1, bytes)
  }

  /// Prints a line to stderr.
  static func note(_ text: String) {
    write(2, text + "\n")
  }

  /// Prints a JSON document wrapped in its versioned envelope key.
  ///
  /// For example `{"cairn.status/v1": {...}}`.
  static func json(_ envelope: String, _ body: JSONValue) {
    let bytes = CanonicalJSON.encode(.object([envelope: body]))
    write(1, String(decoding: bytes, as: UTF8.self))
  }

  private static func write(_ fd: Int32, _ text: String) {
    write(fd, Array(text.utf8))
  }

  private static func write(_ fd: Int32, _ bytes: [UInt8]) {
    var bytes = bytes
    var done = 0
    while done < bytes.count {
      let n = bytes.withUnsafeMutableBytes { raw in
        Glibc.write(fd, raw.baseAddress.map { $0 + done }, raw.count - done)
      }
      if n <= 0 { return }
      done += n
    }
  }

  /// Reports a core error on stderr, with every violation (up to a limit).
  static func report(_ error: CairnError) {
    note("cairn: error: \(error.message)")
    let limit = 200
    for violation in error.violations.prefix(limit) {
      note("  \(violation.location): \(violation.reason)")
    }
    if error.violations.count > limit { note("  … and \(error.violations.count - limit) more") }
  }
}

extension Head {
  var json: JSONValue {
    switch self {
    case .branch(let name, let target):
      .object([
        "branch": .string(name), "commit": target.map { .string($0.hex) } ?? .null,
        "detached": .bool(false),
      ])
    case .detached(let id):
      .object(["branch": .null, "commit": .string(id.hex), "detached": .bool(true)])
    }
  }

  var text: String {
    switch self {
    case .branch(let name, let target):
      "On branch \(name)" + (target == nil ? " (no commits yet)" : "")
    case .detached(let id): "HEAD detached at \(id.short)"
    }
  }
}

extension Commit {
  var json: JSONValue {
    .object([
      "id": .string(id.hex),
      "tree": .string(tree.hex),
      "parents": .array(parents.map { .string($0.hex) }),
      "author": .object([
        "name": .string(author.name), "email": .string(author.email), "time": .int(author.time),
      ]),
      "committer": .object([
        "name": .string(committer.name), "email": .string(committer.email),
        "time": .int(committer.time),
      ]),
      "message": .string(message),
    ])
  }
}

/// Formats a commit time as git's default date does, in UTC.
func formatDate(_ seconds: Int64) -> String {
  var time = time_t(seconds)
  var parts = tm()
  gmtime_r(&time, &parts)
  var buffer = [CChar](repeating: 0, count: 64)
  let count = strftime(&buffer, buffer.count, "%a %b %e %H:%M:%S %Y +0000", &parts)
  return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// The absolute path of the running `cairn` (for the hooks it installs).
func currentExecutable() -> String {
  FileIO.realPath("/proc/self/exe") ?? FileIO.realPath(CommandLine.arguments[0]) ?? "cairn"
}
