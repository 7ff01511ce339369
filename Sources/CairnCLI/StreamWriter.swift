internal import CairnCore
internal import GitStore

#if canImport(Glibc)
internal import Glibc
#endif

/// Buffered output to a file descriptor, for commands whose output grows with the data (a
/// diff of many samples): one `write` per 64 KiB instead of one per line.
final class StreamWriter {
  private let descriptor: Int32
  private var buffer: [UInt8] = []
  /// Whether a write failed (the reader went away, the disk is full).
  private(set) var failed = false

  /// Writes to `descriptor` (1 for stdout).
  init(descriptor: Int32) {
    self.descriptor = descriptor
    buffer.reserveCapacity(1 << 16)
  }

  deinit { flush() }

  func write(_ text: String) {
    buffer.append(contentsOf: text.utf8)
    if buffer.count >= 1 << 16 { flush() }
  }

  func write(_ bytes: [UInt8]) {
    buffer.append(contentsOf: bytes)
    if buffer.count >= 1 << 16 { flush() }
  }

  /// Writes `text` and a line feed.
  func line(_ text: String = "") {
    buffer.append(contentsOf: text.utf8)
    buffer.append(0x0A)
    if buffer.count >= 1 << 16 { flush() }
  }

  /// Writes `value` in canonical JSON, without a line feed.
  func json(_ value: JSONValue) {
    CanonicalJSON.encodeFragment(value, into: &buffer)
    if buffer.count >= 1 << 16 { flush() }
  }

  func flush() {
    var done = 0
    while done < buffer.count && !failed {
      let count = buffer.withUnsafeBytes { raw in
        Glibc.write(descriptor, raw.baseAddress.map { $0 + done }, raw.count - done)
      }
      if count < 0 && errno == EINTR { continue }
      if count <= 0 {
        failed = true
        break
      }
      done += count
    }
    buffer.removeAll(keepingCapacity: true)
  }
}

/// A report file written whole or not at all: bytes go to a temporary file beside it, renamed
/// over the destination by ``commit()``.
final class ReportFile {
  let path: String
  private let temporary: String
  let writer: StreamWriter
  private let descriptor: Int32
  private var done = false

  /// Creates the temporary file.
  ///
  /// - Throws: `CairnError` `.io` when it cannot be created.
  init(path: String) throws(CairnError) {
    self.path = path
    var template = Array((path + ".cairn-tmp-XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { buffer -> Int32 in
      guard let base = buffer.baseAddress else { return -1 }
      return mkstemp(base)
    }
    guard fd >= 0 else {
      throw CairnError(.io, "cannot create \(path): \(String(cString: strerror(errno)))")
    }
    fchmod(fd, 0o644)
    descriptor = fd
    temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    writer = StreamWriter(descriptor: fd)
  }

  deinit { if !done { discard() } }

  /// Flushes, closes and renames the file into place.
  func commit() throws(CairnError) {
    writer.flush()
    done = true
    close(descriptor)
    guard !writer.failed else {
      unlink(temporary)
      throw CairnError(.io, "cannot write \(path)")
    }
    try CairnError.wrap { try FileIO.rename(temporary, path) }
  }

  /// Deletes the temporary file.
  func discard() {
    done = true
    close(descriptor)
    unlink(temporary)
  }
}

/// When to colour text output.
enum ColorChoice: String, CaseIterable, Sendable {
  case auto, always, never

  /// Whether to colour output written to `descriptor`.
  func enabled(for descriptor: Int32) -> Bool {
    switch self {
    case .always: return true
    case .never: return false
    case .auto:
      if let value = getenv("NO_COLOR"), value.pointee != 0 { return false }
      if let term = getenv("TERM"), String(cString: term) == "dumb" { return false }
      return isatty(descriptor) == 1
    }
  }
}

/// ANSI colours, or nothing when colour is off.
struct Palette {
  let enabled: Bool

  func green(_ text: String) -> String { paint(text, "32") }
  func red(_ text: String) -> String { paint(text, "31") }
  func yellow(_ text: String) -> String { paint(text, "33") }
  func cyan(_ text: String) -> String { paint(text, "36") }
  func bold(_ text: String) -> String { paint(text, "1") }

  private func paint(_ text: String, _ code: String) -> String {
    enabled ? "\u{1B}[" + code + "m" + text + "\u{1B}[0m" : text
  }
}

/// Fixed-point text for reports, without `String(format:)`: `fixed(0.5, 3)` is `0.500`.
func fixed(_ value: Double, _ digits: Int) -> String {
  guard value.isFinite else { return value.description }
  var scale = 1.0
  for _ in 0..<digits { scale *= 10 }
  let scaled = (abs(value) * scale).rounded()
  guard scaled < 9e15 else { return value.description }
  let whole = Int64(scaled)
  var unit: Int64 = 1
  for _ in 0..<digits { unit *= 10 }
  var fraction = String(whole % unit)
  fraction = String(repeating: "0", count: max(0, digits - fraction.count)) + fraction
  let sign = value < 0 && whole != 0 ? "-" : ""
  return sign + String(whole / unit) + (digits > 0 ? "." + fraction : "")
}
