import Foundation

/// A fresh directory under the system's temporary folder, removed by ``remove()``.
package struct TemporaryDirectory: Sendable {
  package let path: String

  package init(_ label: String = "cairn-test") throws {
    let base = FileManager.default.temporaryDirectory.path
    var template = Array("\(base)/\(label)-XXXXXX".utf8CString)
    guard
      let made = template.withUnsafeMutableBufferPointer({ buffer -> UnsafeMutablePointer<CChar>? in
        guard let pointer = buffer.baseAddress else { return nil }
        return mkdtemp(pointer)
      })
    else { throw CocoaError(.fileWriteUnknown) }
    path = String(cString: made)
  }

  /// Wraps an existing folder (not removed unless asked).
  package init(existing path: String) { self.path = path }

  /// A path inside the directory.
  package func appending(_ component: String) -> String { path + "/" + component }

  package func remove() { try? FileManager.default.removeItem(atPath: path) }

  /// Writes `text` to `relative`, creating folders.
  package func write(_ text: String, to relative: String) throws {
    try write(Array(text.utf8), to: relative)
  }

  /// Writes `bytes` to `relative`, creating folders.
  package func write(_ bytes: [UInt8], to relative: String) throws {
    let url = URL(fileURLWithPath: appending(relative))
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(bytes).write(to: url)
  }

  /// Reads `relative` as text.
  package func read(_ relative: String) throws -> String {
    try String(contentsOfFile: appending(relative), encoding: .utf8)
  }
}
