internal import Foundation

#if canImport(Glibc)
internal import Glibc
#endif

/// Media files served from the working tree, and only from there.
///
/// A request names a path relative to the repository root. It is refused when it is not a
/// plain relative path (percent-decoded first: no absolute path, no empty, `.` or `..`
/// segment, no NUL), when it enters `.git`, when it does not end in a media extension, or when
/// the file it resolves to — following every symbolic link — is not a regular file inside the
/// working tree.
enum MediaFiles {
  /// Content types by file extension (lowercase); nothing else is served.
  static let contentTypes: [String: String] = [
    "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
    "webp": "image/webp", "bmp": "image/bmp", "bin": "application/octet-stream",
    "pcd": "application/octet-stream",
  ]

  /// A refused media request.
  struct Refusal: Error {
    var status: Int
    var reason: String
  }

  /// The absolute path and content type of the media file `encoded` names.
  ///
  /// - Parameters:
  ///   - encoded: The request path after `/media/`, still percent-encoded.
  ///   - root: The working tree root.
  /// - Returns: The file's real path and its content type, or why the request is refused.
  static func resolve(_ encoded: Substring, root: String) -> Result<(String, String), Refusal> {
    guard let decoded = percentDecoded(encoded) else {
      return .failure(Refusal(status: 400, reason: "malformed percent-encoding"))
    }
    if let problem = pathProblem(decoded) {
      return .failure(Refusal(status: 403, reason: problem))
    }
    let name = decoded.split(separator: "/").last.map(String.init) ?? ""
    let fileExtension =
      name.split(separator: ".").count > 1
      ? String(name.split(separator: ".").last ?? "").lowercased() : ""
    guard let contentType = contentTypes[fileExtension] else {
      return .failure(Refusal(status: 403, reason: "not a media file"))
    }
    guard let realRoot = realPath(root), let real = realPath(root + "/" + decoded) else {
      return .failure(Refusal(status: 404, reason: "no such file"))
    }
    guard real.hasPrefix(realRoot == "/" ? "/" : realRoot + "/") else {
      return .failure(Refusal(status: 403, reason: "outside the dataset"))
    }
    if real.dropFirst(realRoot.count).split(separator: "/").contains(".git") {
      return .failure(Refusal(status: 403, reason: "inside the git directory"))
    }
    let attributes = try? FileManager.default.attributesOfItem(atPath: real)
    guard attributes?[.type] as? FileAttributeType == .typeRegular else {
      return .failure(Refusal(status: 404, reason: "not a regular file"))
    }
    return .success((real, contentType))
  }

  /// Why `path` (decoded) is not a plain path inside the tree, or nil.
  static func pathProblem(_ path: String) -> String? {
    if path.isEmpty { return "empty path" }
    if path.hasPrefix("/") { return "absolute path" }
    if path.utf8.contains(0) { return "NUL in path" }
    for segment in path.split(separator: "/", omittingEmptySubsequences: false) {
      if segment.isEmpty || segment == "." || segment == ".." {
        return "path segments must be plain names"
      }
      if segment == ".git" { return "inside the git directory" }
    }
    return nil
  }

  /// The percent-decoded UTF-8 text of `text`, or nil for a malformed escape or invalid UTF-8.
  static func percentDecoded(_ text: Substring) -> String? {
    var bytes: [UInt8] = []
    var iterator = text.utf8.makeIterator()
    while let byte = iterator.next() {
      guard byte == UInt8(ascii: "%") else {
        bytes.append(byte)
        continue
      }
      guard let high = iterator.next().flatMap(hexValue),
        let low = iterator.next().flatMap(hexValue)
      else { return nil }
      bytes.append(high << 4 | low)
    }
    return String(validating: bytes, as: UTF8.self)
  }

  private static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
  }

  /// The canonical absolute path of `path` with every symbolic link resolved, or nil.
  static func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }

  /// The URL path under which the app serves the repository-relative media `uri`, or nil for
  /// media the app does not serve (absolute `file://` locations, other schemes).
  static func urlPath(forURI uri: String) -> String? {
    if uri.contains("://") || pathProblem(uri) != nil { return nil }
    return "/media/" + uri.split(separator: "/").map { percentEncoded($0) }.joined(separator: "/")
  }

  /// `segment` with every byte outside the unreserved set percent-encoded.
  static func percentEncoded(_ segment: Substring) -> String {
    let digits = Array("0123456789ABCDEF".utf8)
    var out: [UInt8] = []
    for byte in segment.utf8 {
      switch byte {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
        UInt8(ascii: "."), UInt8(ascii: "~"):
        out.append(byte)
      default:
        out += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
      }
    }
    return String(decoding: out, as: UTF8.self)
  }
}
