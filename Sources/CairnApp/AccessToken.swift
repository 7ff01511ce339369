/// The secret that every request to the app must carry.
///
/// 32 bytes from the system's cryptographically secure generator (`getrandom` on Linux), as 64
/// hexadecimal digits: unguessable by other users of the machine and by web pages the browser
/// opens, which can reach `127.0.0.1` but cannot read the token.
struct AccessToken: Sendable {
  let value: String

  /// A new random token.
  init() {
    var generator = SystemRandomNumberGenerator()
    var bytes: [UInt8] = []
    for _ in 0..<4 {
      let word = generator.next()
      for shift in stride(from: 0, to: 64, by: 8) {
        bytes.append(UInt8(truncatingIfNeeded: word >> shift))
      }
    }
    value = Self.hex(bytes)
  }

  /// A token given by the caller (tests).
  init(value: String) { self.value = value }

  /// Whether `candidate` is the token, compared in time independent of where they differ.
  func matches(_ candidate: some StringProtocol) -> Bool {
    let expected = Array(value.utf8)
    let given = Array(candidate.utf8)
    guard expected.count == given.count else { return false }
    var difference: UInt8 = 0
    for index in expected.indices { difference |= expected[index] ^ given[index] }
    return difference == 0
  }

  private static func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
  }
}
