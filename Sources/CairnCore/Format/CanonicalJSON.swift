/// Cairn's canonical JSON encoding.
///
/// Object keys sorted by their UTF-8 bytes, no whitespace between tokens, strings escaped
/// minimally (`"`, `\`, and control characters only), integers in decimal, floating-point
/// numbers in Swift's shortest round-trip form, one newline at the end. Equal values always give
/// equal bytes, so equal content gives equal git object ids.
package enum CanonicalJSON {
  /// Encodes `value` canonically, with a trailing newline.
  package static func encode(_ value: JSONValue) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(256)
    write(value, into: &out)
    out.append(0x0A)
    return out
  }

  /// Encodes `value` canonically, without the trailing newline.
  package static func encodeFragment(_ value: JSONValue, into out: inout [UInt8]) {
    write(value, into: &out)
  }

  private static func write(_ value: JSONValue, into out: inout [UInt8]) {
    switch value {
    case .null: out.append(contentsOf: "null".utf8)
    case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
    case .int(let number): out.append(contentsOf: String(number).utf8)
    case .double(let number): out.append(contentsOf: format(number).utf8)
    case .string(let text): writeString(text, into: &out)
    case .array(let elements):
      out.append(UInt8(ascii: "["))
      for (index, element) in elements.enumerated() {
        if index > 0 { out.append(UInt8(ascii: ",")) }
        write(element, into: &out)
      }
      out.append(UInt8(ascii: "]"))
    case .object(let members):
      out.append(UInt8(ascii: "{"))
      let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      for (index, key) in keys.enumerated() {
        if index > 0 { out.append(UInt8(ascii: ",")) }
        writeString(key, into: &out)
        out.append(UInt8(ascii: ":"))
        if let member = members[key] { write(member, into: &out) }
      }
      out.append(UInt8(ascii: "}"))
    }
  }

  /// Formats a finite double in its shortest round-trip form, always with a `.` or an exponent
  /// so that it reads back as a double.
  package static func format(_ number: Double) -> String {
    var text = number.description
    if !text.contains(".") && !text.contains("e") { text += ".0" }
    return text
  }

  private static func writeString(_ text: String, into out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    for byte in text.utf8 {
      switch byte {
      case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
      case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
      case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
      case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
      case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
      case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
      case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
      case 0..<0x20:
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30])
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0xF)])
      default: out.append(byte)
      }
    }
    out.append(UInt8(ascii: "\""))
  }
}
