import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A response read off a socket.
struct RawResponse {
  var status: Int
  var headers: [(String, String)]
  var body: [UInt8]

  func header(_ name: String) -> String? {
    headers.first { $0.0.lowercased() == name.lowercased() }?.1
  }

  var text: String { String(decoding: body, as: UTF8.self) }
}

/// HTTP/1.1 over a plain socket to 127.0.0.1, sending the request target and headers exactly as
/// given (no URL normalisation: `..` and percent escapes reach the server untouched).
enum RawHTTP {
  static func request(
    port: Int, method: String = "GET", target: String, headers: [String: String] = [:],
    body: [UInt8] = [], host: String? = nil, timeout: Int = 30
  ) throws -> RawResponse {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw AppTestError("socket failed") }
    defer { close(fd) }
    var limit = timeval(tv_sec: timeout, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard connected == 0 else { throw AppTestError("cannot connect to 127.0.0.1:\(port)") }
    var head = "\(method) \(target) HTTP/1.1\r\nHost: \(host ?? "127.0.0.1:\(port)")\r\n"
    for (name, value) in headers.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
    if !body.isEmpty || method == "PUT" || method == "POST" {
      head += "Content-Length: \(body.count)\r\n"
    }
    head += "Connection: close\r\n\r\n"
    let bytes = Array(head.utf8) + body
    var sent = 0
    while sent < bytes.count {
      let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
      guard n > 0 else { throw AppTestError("send failed") }
      sent += n
    }
    // Read until the body is complete (Content-Length, the last chunk) or the peer closes:
    // servers may keep the connection open despite `Connection: close`.
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while !isComplete(received) {
      let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if n <= 0 { break }
      received += buffer[0..<n]
    }
    return try parse(received)
  }

  private static func headerEnd(_ bytes: [UInt8]) -> Int? {
    guard bytes.count >= 4 else { return nil }
    return (0...(bytes.count - 4)).first {
      bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10
    }
  }

  private static func isComplete(_ bytes: [UInt8]) -> Bool {
    guard let end = headerEnd(bytes) else { return false }
    let head = String(decoding: bytes[0..<end], as: UTF8.self).lowercased()
    let body = bytes.count - end - 4
    for line in head.components(separatedBy: "\r\n") where line.hasPrefix("content-length:") {
      let length =
        Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
      return body >= length
    }
    if head.contains("transfer-encoding: chunked") {
      return bytes.count >= 5 && Array(bytes.suffix(5)) == Array("0\r\n\r\n".utf8)
    }
    return false
  }

  static func parse(_ bytes: [UInt8]) throws -> RawResponse {
    guard let end = headerEnd(bytes) else {
      throw AppTestError("no HTTP response: \(String(decoding: bytes, as: UTF8.self))")
    }
    let lines = String(decoding: bytes[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
    let statusParts = lines[0].split(separator: " ")
    guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
      throw AppTestError("bad status line \(lines[0])")
    }
    var headers: [(String, String)] = []
    for line in lines.dropFirst() {
      guard let colon = line.firstIndex(of: ":") else { continue }
      headers.append(
        (
          String(line[..<colon]),
          line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        ))
    }
    var body = Array(bytes[(end + 4)...])
    if headers.contains(where: {
      $0.0.lowercased() == "transfer-encoding" && $0.1.lowercased() == "chunked"
    }) {
      body = dechunk(body)
    }
    return RawResponse(status: status, headers: headers, body: body)
  }

  private static func dechunk(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var index = 0
    while index < bytes.count {
      guard
        let lineEnd = (index..<bytes.count - 1).first(where: {
          bytes[$0] == 13 && bytes[$0 + 1] == 10
        })
      else { break }
      let size = Int(String(decoding: bytes[index..<lineEnd], as: UTF8.self), radix: 16) ?? 0
      if size == 0 { break }
      out += bytes[(lineEnd + 2)..<min(bytes.count, lineEnd + 2 + size)]
      index = lineEnd + 2 + size + 2
    }
    return out
  }
}
