internal import CLibgit2

/// A git object id (SHA-1), stored inline as a value.
package struct ObjectID: Hashable, Comparable, Sendable, CustomStringConvertible {
  package var bytes: (UInt64, UInt64, UInt32)

  /// The id of git's empty tree.
  package static let emptyTree = ObjectHasher.id(of: .tree, [UInt8]())

  package init(bytes: (UInt64, UInt64, UInt32)) { self.bytes = bytes }

  /// Reads 20 raw bytes.
  package init(raw: UnsafeRawBufferPointer) {
    precondition(raw.count >= 20)
    bytes = (
      raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
      raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
      raw.loadUnaligned(fromByteOffset: 16, as: UInt32.self)
    )
  }

  /// Parses 40 hexadecimal digits; returns nil for anything else.
  package init?(hex: some StringProtocol) {
    let utf8 = Array(hex.utf8)
    guard utf8.count == 40 else { return nil }
    var raw = [UInt8](repeating: 0, count: 20)
    for index in 0..<20 {
      guard let high = Self.nibble(utf8[2 * index]), let low = Self.nibble(utf8[2 * index + 1])
      else { return nil }
      raw[index] = high << 4 | low
    }
    self = raw.withUnsafeBytes { ObjectID(raw: $0) }
  }

  private static func nibble(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
  }

  /// Calls `body` with the 20 raw bytes.
  package func withRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    var copy = bytes
    return try withUnsafeBytes(of: &copy) { try body($0) }
  }

  /// The 20 raw bytes as an array.
  package var raw: [UInt8] { withRawBytes { Array($0) } }

  /// 40 lowercase hexadecimal digits.
  package var hex: String {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    return withRawBytes { raw in
      String(unsafeUninitializedCapacity: 40) { out in
        for (index, byte) in raw.enumerated() {
          out[2 * index] = digits[Int(byte >> 4)]
          out[2 * index + 1] = digits[Int(byte & 0xF)]
        }
        return 40
      }
    }
  }

  /// The first seven hexadecimal digits, as git abbreviates.
  package var short: String { String(hex.prefix(7)) }

  package var description: String { hex }

  package static func == (lhs: ObjectID, rhs: ObjectID) -> Bool {
    lhs.bytes.0 == rhs.bytes.0 && lhs.bytes.1 == rhs.bytes.1 && lhs.bytes.2 == rhs.bytes.2
  }

  package func hash(into hasher: inout Hasher) {
    hasher.combine(bytes.0)
    hasher.combine(bytes.1)
    hasher.combine(bytes.2)
  }

  /// Orders ids by their raw bytes, as pack indexes do.
  package static func < (lhs: ObjectID, rhs: ObjectID) -> Bool {
    lhs.withRawBytes { l in
      rhs.withRawBytes { r in
        for index in 0..<20 where l[index] != r[index] { return l[index] < r[index] }
        return false
      }
    }
  }

  /// The first raw byte, used by pack index fan-out tables.
  package var firstByte: UInt8 { UInt8(truncatingIfNeeded: bytes.0) }

  init(_ oid: git_oid) {
    var copy = oid
    self = withUnsafeBytes(of: &copy.id) { ObjectID(raw: $0) }
  }

  var gitOID: git_oid {
    var oid = git_oid()
    withRawBytes { raw in
      withUnsafeMutableBytes(of: &oid.id) { $0.copyMemory(from: raw) }
    }
    return oid
  }
}
