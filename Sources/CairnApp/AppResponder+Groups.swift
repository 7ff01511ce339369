internal import CairnCore
internal import Foundation
internal import HTTPTypes
internal import Hummingbird
internal import NIOCore

extension AppResponder {
  /// The most points `/points/` sends when the request names no `max`.
  static let defaultPointLimit = 150_000

  /// A KITTI point cloud of the working tree as float32 `x, y, z, intensity` records (16
  /// bytes each, little-endian, as KITTI's `.bin` stores them), every n-th point when the file
  /// holds more than `max` (default 150 000).
  ///
  /// The path passes the same checks as `/media/` (token, plain relative path, inside the
  /// working tree after following symbolic links, a regular file, not in `.git`) and must end
  /// in `.bin`. The response carries `X-Cairn-Points` (points sent) and
  /// `X-Cairn-Points-Total` (points in the file).
  func points(_ encoded: Substring, query: [String: String]) -> Response {
    let path: String
    switch MediaFiles.resolve(encoded, root: store.root) {
    case .failure(let refusal):
      return Self.text(refusal.status, "point cloud refused: \(refusal.reason)")
    case .success(let (resolved, _)):
      path = resolved
    }
    guard path.lowercased().hasSuffix(".bin") else {
      return Self.text(403, "point cloud refused: not a KITTI .bin point cloud")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      return Self.text(404, "point cloud not readable")
    }
    guard data.count % 16 == 0 else {
      return Self.text(422, "not a KITTI point cloud: the size is not a multiple of 16 bytes")
    }
    let total = data.count / 16
    let limit = max(1, min(Int(query["max"] ?? "") ?? Self.defaultPointLimit, 2_000_000))
    let step = max(1, (total + limit - 1) / limit)
    var bytes: [UInt8] = []
    bytes.reserveCapacity((total / step + 1) * 16)
    data.withUnsafeBytes { buffer in
      var index = 0
      while index < total {
        bytes.append(contentsOf: buffer[(index * 16)..<(index * 16 + 16)])
        index += step
      }
    }
    var headers = Self.securityHeaders
    headers[.contentType] = "application/octet-stream"
    headers[.cacheControl] = "private, max-age=60"
    if let sent = HTTPField.Name("X-Cairn-Points") { headers[sent] = String(bytes.count / 16) }
    if let all = HTTPField.Name("X-Cairn-Points-Total") { headers[all] = String(total) }
    return Response(
      status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
  }
}
