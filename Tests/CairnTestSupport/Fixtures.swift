import Foundation

/// The shared public fixtures (`../shared/fixtures` beside the package).
package enum Fixtures {
  /// The package root, found from this source file's location.
  package static var packageRoot: String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().path
  }

  /// The fixtures folder, or nil when it is absent.
  package static var root: String? {
    let path = URL(fileURLWithPath: packageRoot).deletingLastPathComponent()
      .appendingPathComponent("shared/fixtures").path
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
      && isDirectory.boolValue
      ? path : nil
  }

  /// Whether tests run under CI, where a missing fixtures folder is a failure.
  package static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

  /// The path of a fixture file, or nil when the fixtures are absent.
  ///
  /// Prints why it returns nil. Under CI a missing folder returns nil and the caller must record a failure.
  package static func path(_ relative: String) -> String? {
    guard let root else {
      print("skipping: ../shared/fixtures is absent (needed: \(relative))")
      return nil
    }
    return root + "/" + relative
  }
}
