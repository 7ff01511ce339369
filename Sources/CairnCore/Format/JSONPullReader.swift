#if canImport(Glibc)
internal import Glibc
#endif

/// A pull reader over JSON bytes: walks a document value by value without building it.
///
/// ``JSONParser`` turns a whole document into one ``JSONValue`` tree, dictionaries included;
/// for a COCO file of a million annotations that tree costs several times the file's size.
/// This reader lets the caller descend into the members it wants (`readObject`,
/// `readArray`), read scalars directly (`readString`, `readDouble`, `readNumber`), skip the
/// rest (`skipValue`) and materialise only small parts (`readValue`). It follows
/// ``JSONParser``'s rules: RFC 8259, strict UTF-8, no duplicate member names, no numbers
/// beyond binary64, at most 256 levels; errors carry the line and column.
///
/// The bytes must stay valid while the reader is used (it is built inside
/// `withUnsafeBytes`).
package struct JSONPullReader {
  /// What the next value is.
  package enum Kind: Sendable, Equatable {
    case object, array, string, number, bool, null
  }

  private let bytes: UnsafeRawBufferPointer
  /// The offset of the next byte to read.
  package private(set) var position: Int
  private var depth = 0

  /// A reader starting at `position` of `bytes`.
  package init(_ bytes: UnsafeRawBufferPointer, at position: Int = 0) {
    self.bytes = bytes
    self.position = position
  }

  /// An error at the current position (or `offset`), with its line and column.
  ///
  /// - Complexity: O(offset): lines are counted only when an error is reported.
  package func error(_ reason: String, at offset: Int? = nil) -> JSONParseError {
    let end = min(offset ?? position, bytes.count)
    var line = 1
    var column = 1
    for index in 0..<end {
      if bytes[index] == 0x0A {
        line += 1
        column = 1
      } else {
        column += 1
      }
    }
    return JSONParseError(line: line, column: column, reason: reason)
  }

  /// The kind of the next value, after skipping whitespace.
  ///
  /// - Throws: `JSONParseError` at the end of the input or before a byte no value starts with.
  package mutating func peek() throws(JSONParseError) -> Kind {
    skipWhitespace()
    guard position < bytes.count else { throw error("unexpected end of input") }
    switch bytes[position] {
    case UInt8(ascii: "{"): return .object
    case UInt8(ascii: "["): return .array
    case UInt8(ascii: "\""): return .string
    case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
    case UInt8(ascii: "n"): return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
    default:
      throw error("unexpected character '\(Character(Unicode.Scalar(bytes[position])))'")
    }
  }

  /// Checks that only whitespace follows.
  package mutating func finish() throws(JSONParseError) {
    skipWhitespace()
    if position != bytes.count { throw error("unexpected data after the JSON value") }
  }

  /// Reads an object, calling `body` with each member's name; `body` must read or skip the
  /// member's value.
  ///
  /// - Throws: `JSONParseError` when the next value is not an object, is malformed, repeats
  ///   a member name, or whatever `body` throws.
  package mutating func readObject(
    _ body: (inout JSONPullReader, String) throws(JSONParseError) -> Void
  ) throws(JSONParseError) {
    guard try peek() == .object else { throw error("expected an object") }
    try enter()
    defer { depth -= 1 }
    position += 1
    skipWhitespace()
    if position < bytes.count && bytes[position] == UInt8(ascii: "}") {
      position += 1
      return
    }
    // Objects are small; a linear scan finds repeated names without hashing.
    var names: [String] = []
    while true {
      skipWhitespace()
      guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
        throw error("expected a member name in an object")
      }
      let nameStart = position
      let name = try readString()
      if names.contains(name) { throw error("duplicate member \"\(name)\"", at: nameStart) }
      names.append(name)
      skipWhitespace()
      guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
        throw error("expected ':' after a member name")
      }
      position += 1
      try body(&self, name)
      skipWhitespace()
      guard position < bytes.count else { throw error("unexpected end of input in an object") }
      if bytes[position] == UInt8(ascii: ",") {
        position += 1
        continue
      }
      if bytes[position] == UInt8(ascii: "}") {
        position += 1
        return
      }
      throw error("expected ',' or '}' in an object")
    }
  }

  /// Reads an array, calling `body` with each element's index; `body` must read or skip the
  /// element.
  ///
  /// - Throws: `JSONParseError` when the next value is not an array, is malformed, or
  ///   whatever `body` throws.
  package mutating func readArray(
    _ body: (inout JSONPullReader, Int) throws(JSONParseError) -> Void
  ) throws(JSONParseError) {
    guard try peek() == .array else { throw error("expected an array") }
    try enter()
    defer { depth -= 1 }
    position += 1
    skipWhitespace()
    if position < bytes.count && bytes[position] == UInt8(ascii: "]") {
      position += 1
      return
    }
    var index = 0
    while true {
      try body(&self, index)
      index += 1
      skipWhitespace()
      guard position < bytes.count else { throw error("unexpected end of input in an array") }
      if bytes[position] == UInt8(ascii: ",") {
        position += 1
        continue
      }
      if bytes[position] == UInt8(ascii: "]") {
        position += 1
        return
      }
      throw error("expected ',' or ']' in an array")
    }
  }

  /// Skips the next value, checking it as strictly as reading it would.
  package mutating func skipValue() throws(JSONParseError) {
    switch try peek() {
    case .object: try readObject { reader, _ throws(JSONParseError) in try reader.skipValue() }
    case .array: try readArray { reader, _ throws(JSONParseError) in try reader.skipValue() }
    case .string: _ = try scanString(keep: false)
    case .number: _ = try readNumber()
    case .bool: _ = try readBool()
    case .null: try readNull()
    }
  }

  /// Reads the next value as a tree (for small parts of a large document).
  package mutating func readValue() throws(JSONParseError) -> JSONValue {
    switch try peek() {
    case .object:
      var members: [String: JSONValue] = [:]
      try readObject { reader, name throws(JSONParseError) in
        members[name] = try reader.readValue()
      }
      return .object(members)
    case .array:
      var elements: [JSONValue] = []
      try readArray { reader, _ throws(JSONParseError) in
        elements.append(try reader.readValue())
      }
      return .array(elements)
    case .string: return .string(try readString())
    case .number: return try readNumber()
    case .bool: return .bool(try readBool())
    case .null:
      try readNull()
      return .null
    }
  }

  /// Reads `true` or `false`.
  package mutating func readBool() throws(JSONParseError) -> Bool {
    skipWhitespace()
    if try literal("true") { return true }
    if try literal("false") { return false }
    throw error("expected true or false")
  }

  /// Reads `null`.
  package mutating func readNull() throws(JSONParseError) {
    skipWhitespace()
    if try !literal("null") { throw error("expected null") }
  }

  /// Reads a string.
  package mutating func readString() throws(JSONParseError) -> String {
    guard try peek() == .string else { throw error("expected a string") }
    return try scanString(keep: true)
  }

  /// Reads any number as a double.
  package mutating func readDouble() throws(JSONParseError) -> Double {
    switch try readNumber() {
    case .int(let value): return Double(value)
    case .double(let value): return value
    default: throw error("expected a number")
    }
  }

  /// Reads a number: `.int` when written without `.`, `e` or `E` and it fits in 64 bits,
  /// else `.double`.
  package mutating func readNumber() throws(JSONParseError) -> JSONValue {
    guard try peek() == .number else { throw error("expected a number") }
    let start = position
    let negative = bytes[position] == UInt8(ascii: "-")
    if negative { position += 1 }
    guard position < bytes.count, isDigit(bytes[position]) else { throw error("invalid number") }
    // Up to 19 significant digits are kept exactly; longer numbers go to strtod.
    var mantissa: UInt64 = 0
    var exact = true
    if bytes[position] == UInt8(ascii: "0") {
      position += 1
      if position < bytes.count, isDigit(bytes[position]) {
        throw error("leading zero in a number")
      }
    } else {
      while position < bytes.count, isDigit(bytes[position]) {
        accumulate(bytes[position], &mantissa, &exact)
        position += 1
      }
    }
    var fractionDigits = 0
    var isInteger = true
    if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
      isInteger = false
      position += 1
      let first = position
      while position < bytes.count, isDigit(bytes[position]) {
        accumulate(bytes[position], &mantissa, &exact)
        position += 1
      }
      if position == first { throw error("missing digits after '.'") }
      fractionDigits = position - first
    }
    var hasExponent = false
    if position < bytes.count
      && (bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E"))
    {
      isInteger = false
      hasExponent = true
      position += 1
      if position < bytes.count
        && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-"))
      {
        position += 1
      }
      let first = position
      while position < bytes.count, isDigit(bytes[position]) { position += 1 }
      if position == first { throw error("missing exponent digits") }
    }
    if isInteger && exact {
      if negative {
        if mantissa <= UInt64(Int64.max) { return .int(-Int64(mantissa)) }
        if mantissa == UInt64(Int64.max) + 1 { return .int(Int64.min) }
      } else if mantissa <= UInt64(Int64.max) {
        return .int(Int64(mantissa))
      }
    }
    // Clinger's fast path: both operands exact in binary64, so one correctly rounded
    // division gives the correctly rounded value.
    if !hasExponent && exact && mantissa < (1 << 53) && fractionDigits < Self.powersOfTen.count {
      let magnitude = Double(mantissa) / Self.powersOfTen[fractionDigits]
      return .double(negative ? -magnitude : magnitude)
    }
    let count = position - start
    let value = withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { buffer in
      for offset in 0..<count { buffer[offset] = CChar(bitPattern: bytes[start + offset]) }
      buffer[count] = 0
      guard let base = buffer.baseAddress else { return Double.nan }
      return strtod(base, nil)
    }
    guard value.isFinite else { throw error("number out of range", at: start) }
    return .double(value)
  }

  private static let powersOfTen: [Double] = (0...22).map { exponent in
    var value = 1.0
    for _ in 0..<exponent { value *= 10 }
    return value
  }

  private func isDigit(_ byte: UInt8) -> Bool {
    byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
  }

  private func accumulate(_ byte: UInt8, _ mantissa: inout UInt64, _ exact: inout Bool) {
    guard exact else { return }
    let (times, overflow1) = mantissa.multipliedReportingOverflow(by: 10)
    let (sum, overflow2) = times.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
    if overflow1 || overflow2 {
      exact = false
      return
    }
    mantissa = sum
  }

  private mutating func skipWhitespace() {
    while position < bytes.count {
      switch bytes[position] {
      case 0x20, 0x0A, 0x0D, 0x09: position += 1
      default: return
      }
    }
  }

  private mutating func literal(_ text: StaticString) throws(JSONParseError) -> Bool {
    let count = text.utf8CodeUnitCount
    guard position + count <= bytes.count else { return false }
    let base = text.utf8Start
    for index in 0..<count where bytes[position + index] != base[index] { return false }
    position += count
    return true
  }

  private mutating func enter() throws(JSONParseError) {
    depth += 1
    if depth > 256 { throw error("nesting deeper than 256 levels") }
  }

  /// Reads the string at `position` (its opening quote); its text, or "" unless `keep`.
  private mutating func scanString(keep: Bool) throws(JSONParseError) -> String {
    position += 1
    let start = position
    var ascii = true
    while position < bytes.count {
      let byte = bytes[position]
      if byte == UInt8(ascii: "\"") {
        if !ascii && !isValidUTF8(start, position) { throw error("invalid UTF-8 in a string") }
        let text =
          keep
          ? String(
            decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
          : ""
        position += 1
        return text
      }
      if byte == UInt8(ascii: "\\") { break }
      if byte < 0x20 { throw error("control character in a string") }
      if byte >= 0x80 { ascii = false }
      position += 1
    }
    guard isValidUTF8(start, position) else { throw error("invalid UTF-8 in a string") }
    var scalars = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<position]))
    while position < bytes.count {
      let byte = bytes[position]
      if byte == UInt8(ascii: "\"") {
        position += 1
        return keep ? String(decoding: scalars, as: UTF8.self) : ""
      }
      if byte < 0x20 { throw error("control character in a string") }
      if byte != UInt8(ascii: "\\") {
        let runStart = position
        while position < bytes.count && bytes[position] != UInt8(ascii: "\\")
          && bytes[position] != UInt8(ascii: "\"") && bytes[position] >= 0x20
        {
          position += 1
        }
        guard isValidUTF8(runStart, position) else { throw error("invalid UTF-8 in a string") }
        scalars.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<position]))
        continue
      }
      position += 1
      guard position < bytes.count else { throw error("unexpected end of input in a string") }
      let escape = bytes[position]
      position += 1
      switch escape {
      case UInt8(ascii: "\""): scalars.append(0x22)
      case UInt8(ascii: "\\"): scalars.append(0x5C)
      case UInt8(ascii: "/"): scalars.append(0x2F)
      case UInt8(ascii: "b"): scalars.append(0x08)
      case UInt8(ascii: "f"): scalars.append(0x0C)
      case UInt8(ascii: "n"): scalars.append(0x0A)
      case UInt8(ascii: "r"): scalars.append(0x0D)
      case UInt8(ascii: "t"): scalars.append(0x09)
      case UInt8(ascii: "u"):
        switch JSONUnicodeEscape.decode(bytes, at: &position) {
        case .success(let decoded): scalars.append(contentsOf: decoded.utf8)
        case .failure(let problem): throw error(problem.reason)
        }
      default:
        throw error("invalid escape '\\\(Character(Unicode.Scalar(escape)))'")
      }
    }
    throw error("unterminated string")
  }

  private func isValidUTF8(_ start: Int, _ end: Int) -> Bool {
    String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self) != nil
  }

}
