internal import Foundation

/// The web UI's files (HTML, CSS, JavaScript), read once from the package's resources.
///
/// They are the app's own files, shipped in the `Web` resource folder next to the binary
/// (`Cairn_CairnApp.resources`); the UI loads nothing from anywhere else.
struct WebAssets: Sendable {
  struct File: Sendable {
    var bytes: [UInt8]
    var contentType: String
  }

  /// Files by name relative to the `Web` folder.
  let files: [String: File]

  static let contentTypes: [String: String] = [
    "html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
    "js": "text/javascript; charset=utf-8", "svg": "image/svg+xml", "png": "image/png",
  ]

  /// Reads every file of the `Web` resource folder.
  ///
  /// - Throws: When the resource folder is missing.
  static func load() throws -> WebAssets {
    guard let folder = Bundle.module.url(forResource: "Web", withExtension: nil) else {
      throw CocoaError(.fileNoSuchFile)
    }
    var files: [String: File] = [:]
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
    for name in names {
      let type = contentTypes[(name as NSString).pathExtension.lowercased()]
      guard let type else { continue }
      let data = try Data(contentsOf: folder.appendingPathComponent(name))
      files[name] = File(bytes: Array(data), contentType: type)
    }
    return WebAssets(files: files)
  }
}
