import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Appends text to a file through a 1 MiB buffer.
final class BufferedFile {
  private let descriptor: Int32
  private var buffer: [UInt8] = []
  private var written = 0

  init(path: String) throws {
    descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw BenchError("cannot create \(path)") }
    buffer.reserveCapacity(1 << 20)
  }

  func append(_ text: String) {
    buffer.append(contentsOf: text.utf8)
    if buffer.count >= 1 << 20 { flush() }
  }

  private func flush() {
    var offset = 0
    while offset < buffer.count {
      let count = buffer.withUnsafeBytes { raw in
        Glibc.write(descriptor, raw.baseAddress.map { $0 + offset }, raw.count - offset)
      }
      if count <= 0 { break }
      offset += count
    }
    written += buffer.count
    buffer.removeAll(keepingCapacity: true)
  }

  /// Flushes and closes the file; returns its size.
  func close() throws -> Int {
    flush()
    Glibc.close(descriptor)
    return written
  }
}
