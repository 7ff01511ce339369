#if canImport(Glibc)
internal import Glibc
#endif

/// A strict JSON parser over UTF-8 bytes.
///
/// Foundation's decoders dominated read time on large datasets; this parser works on raw
/// bytes, rejects duplicate keys, and keeps integers apart from floating-point numbers.
package struct JSONParser {
  private let bytes: UnsafeRawBufferPointer
  private var position = 0
  private var depth = 0
  /// Whether the bytes so far are exactly Cairn's canonical encoding (conservative: a false
  /// value only means the encoder must be asked).
  private var canonical = true

  /// Parses one JSON document; only whitespace may follow it.
  package static func parse(_ data: [UInt8]) throws(JSONParseError) -> JSONValue {
    let result = data.withUnsafeBytes { raw -> Result<JSONValue, JSONParseError> in
      var parser = JSONParser(bytes: raw)
      do throws(JSONParseError) {
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.position != raw.count {
          throw parser.error("unexpected data after the JSON value")
        }
        return .success(value)
      } catch {
        return .failure(error)
      }
    }
    return try result.get()
  }

  /// Parses one JSON document, building only the parts `projection` keeps.
  ///
  /// Skipped values are scanned but not built (no strings, arrays or objects are allocated for
  /// them, numbers are not converted), which makes reading a few members of many files
  /// several times cheaper. Their syntax is checked only as far as scanning needs (brackets,
  /// quotes, separators), and duplicate names only among kept members: this reads files, it
  /// does not validate them.
  package static func parse(_ data: [UInt8], keeping projection: JSONProjection)
    throws(JSONParseError) -> JSONValue
  {
    let result = data.withUnsafeBytes { raw -> Result<JSONValue, JSONParseError> in
      var parser = JSONParser(bytes: raw)
      do throws(JSONParseError) {
        parser.skipWhitespace()
        let value = try parser.parseValue(projection)
        parser.skipWhitespace()
        if parser.position != raw.count {
          throw parser.error("unexpected data after the JSON value")
        }
        return .success(value)
      } catch {
        return .failure(error)
      }
    }
    return try result.get()
  }

  /// Parses one JSON document and tells whether `data` is exactly its canonical encoding
  /// (``CanonicalJSON``), without encoding it again in the common case.
  ///
  /// - Returns: The value, and `true` when the bytes are certainly canonical; `false` means
  ///   "compare with ``CanonicalJSON/encode(_:)``".
  package static func parseCheckingCanonical(_ data: [UInt8]) throws(JSONParseError) -> (
    JSONValue, Bool
  ) {
    let result = data.withUnsafeBytes { raw -> Result<(JSONValue, Bool), JSONParseError> in
      var parser = JSONParser(bytes: raw)
      do throws(JSONParseError) {
        parser.skipWhitespace()
        let value = try parser.parseValue()
        let ends = parser.position == raw.count - 1 && raw[raw.count - 1] == 0x0A
        let canonical = ends && parser.canonical
        parser.skipWhitespace()
        if parser.position != raw.count {
          throw parser.error("unexpected data after the JSON value")
        }
        return .success((value, canonical))
      } catch {
        return .failure(error)
      }
    }
    return try result.get()
  }

  /// Parses one JSON document from a string.
  package static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
    try parse(Array(text.utf8))
  }

  private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

  private func error(_ reason: String) -> JSONParseError {
    var line = 1
    var column = 1
    for index in 0..<min(position, bytes.count) {
      if bytes[index] == 0x0A {
        line += 1
        column = 1
      } else {
        column += 1
      }
    }
    return JSONParseError(line: line, column: column, reason: reason)
  }

  private mutating func skipWhitespace() {
    while position < bytes.count {
      switch bytes[position] {
      case 0x20, 0x0A, 0x0D, 0x09:
        position += 1
        canonical = false
      default: return
      }
    }
  }

  private mutating func parseValue(_ projection: JSONProjection = .all) throws(JSONParseError)
    -> JSONValue
  {
    guard position < bytes.count else { throw error("unexpected end of input") }
    switch bytes[position] {
    case UInt8(ascii: "{"): return try parseObject(projection)
    case UInt8(ascii: "["): return try parseArray(projection)
    case UInt8(ascii: "\""):
      if projection == .skip {
        try skipString()
        return .null
      }
      return .string(try parseString())
    case UInt8(ascii: "t"):
      try expectLiteral("true")
      return .bool(true)
    case UInt8(ascii: "f"):
      try expectLiteral("false")
      return .bool(false)
    case UInt8(ascii: "n"):
      try expectLiteral("null")
      return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
      if projection == .skip {
        // Only the characters a number may hold; its syntax is not checked further.
        position += 1
        while position < bytes.count {
          switch bytes[position] {
          case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "e"),
            UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-"):
            position += 1
            continue
          default: break
          }
          break
        }
        return .null
      }
      return try parseNumber()
    default:
      throw error("unexpected character '\(Character(Unicode.Scalar(bytes[position])))'")
    }
  }

  private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
    let count = literal.utf8CodeUnitCount
    guard position + count <= bytes.count else { throw error("unexpected end of input") }
    let base = literal.utf8Start
    for index in 0..<count where bytes[position + index] != base[index] {
      throw error("invalid literal")
    }
    position += count
  }

  private mutating func enter() throws(JSONParseError) {
    depth += 1
    if depth > 256 { throw error("nesting deeper than 256 levels") }
  }

  private mutating func parseObject(_ projection: JSONProjection = .all) throws(JSONParseError)
    -> JSONValue
  {
    try enter()
    defer { depth -= 1 }
    position += 1
    var members: [String: JSONValue] = [:]
    var kept: [String: JSONProjection]?
    switch projection {
    case .skip: kept = [:]
    case .members(let names): kept = names
    default: kept = nil
    }
    skipWhitespace()
    if position < bytes.count && bytes[position] == UInt8(ascii: "}") {
      position += 1
      return .object(members)
    }
    var previous: String?
    while true {
      skipWhitespace()
      guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
        throw error("expected a string key")
      }
      let key = try parseString()
      if kept == nil, canonical, let previous,
        !previous.utf8.lexicographicallyPrecedes(key.utf8)
      {
        canonical = false
      }
      previous = key
      skipWhitespace()
      guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
        throw error("expected ':' after key \"\(key)\"")
      }
      position += 1
      skipWhitespace()
      if let kept {
        guard let sub = kept[key] else {
          _ = try parseValue(.skip)
          if try !consumeSeparator(closing: UInt8(ascii: "}")) { continue }
          return projection == .skip ? .null : .object(members)
        }
        if members.updateValue(try parseValue(sub), forKey: key) != nil {
          throw error("duplicate key \"\(key)\"")
        }
        if try !consumeSeparator(closing: UInt8(ascii: "}")) { continue }
        return .object(members)
      }
      let value = try parseValue()
      if members.updateValue(value, forKey: key) != nil {
        throw error("duplicate key \"\(key)\"")
      }
      skipWhitespace()
      guard position < bytes.count else { throw error("unexpected end of input in an object") }
      if bytes[position] == UInt8(ascii: ",") {
        position += 1
        continue
      }
      if bytes[position] == UInt8(ascii: "}") {
        position += 1
        return .object(members)
      }
      throw error("expected ',' or '}' in an object")
    }
  }

  private mutating func parseArray(_ projection: JSONProjection = .all) throws(JSONParseError)
    -> JSONValue
  {
    try enter()
    defer { depth -= 1 }
    position += 1
    var elements: [JSONValue] = []
    skipWhitespace()
    if position < bytes.count && bytes[position] == UInt8(ascii: "]") {
      position += 1
      return projection == .skip ? .null : .array(elements)
    }
    let element: JSONProjection
    switch projection {
    case .skip: element = .skip
    case .elements(let inner): element = inner
    default: element = .all
    }
    while true {
      skipWhitespace()
      if element == .skip {
        _ = try parseValue(.skip)
        if try !consumeSeparator(closing: UInt8(ascii: "]")) { continue }
        return .null
      }
      elements.append(try parseValue(element))
      skipWhitespace()
      guard position < bytes.count else { throw error("unexpected end of input in an array") }
      if bytes[position] == UInt8(ascii: ",") {
        position += 1
        continue
      }
      if bytes[position] == UInt8(ascii: "]") {
        position += 1
        return .array(elements)
      }
      throw error("expected ',' or ']' in an array")
    }
  }

  private mutating func parseString() throws(JSONParseError) -> String {
    position += 1
    let start = position
    // Fast path: no escapes.
    while position < bytes.count {
      let byte = bytes[position]
      if byte == UInt8(ascii: "\"") {
        let text = String(
          decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        position += 1
        if !isValidUTF8(start, position - 1) { throw error("invalid UTF-8 in a string") }
        return text
      }
      if byte == UInt8(ascii: "\\") { break }
      if byte < 0x20 { throw error("control character in a string") }
      position += 1
    }
    var scalars = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<position]))
    guard isValidUTF8(start, position) else { throw error("invalid UTF-8 in a string") }
    while position < bytes.count {
      let byte = bytes[position]
      if byte == UInt8(ascii: "\"") {
        position += 1
        return String(decoding: scalars, as: UTF8.self)
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
      case UInt8(ascii: "/"):
        scalars.append(0x2F)
        canonical = false
      case UInt8(ascii: "b"): scalars.append(0x08)
      case UInt8(ascii: "f"): scalars.append(0x0C)
      case UInt8(ascii: "n"): scalars.append(0x0A)
      case UInt8(ascii: "r"): scalars.append(0x0D)
      case UInt8(ascii: "t"): scalars.append(0x09)
      case UInt8(ascii: "u"):
        let hexStart = position
        let (code, utf8): (UInt32, [UInt8])
        switch JSONUnicodeEscape.decode(bytes, at: &position) {
        case .success(let decoded): (code, utf8) = decoded
        case .failure(let problem): throw error(problem.reason)
        }
        // Canonical form escapes only control characters without a short escape, in lowercase.
        if code >= 0x20 || [0x08, 0x09, 0x0A, 0x0C, 0x0D].contains(code)
          || (hexStart..<hexStart + 4).contains(where: { (0x41...0x46).contains(bytes[$0]) })
        {
          canonical = false
        }
        scalars.append(contentsOf: utf8)
      default:
        throw error("invalid escape '\\\(Character(Unicode.Scalar(escape)))'")
      }
    }
    throw error("unterminated string")
  }

  /// After a member or element: skips whitespace and a `,` (returns false) or the closing
  /// bracket (returns true); anything else is an error.
  private mutating func consumeSeparator(closing: UInt8) throws(JSONParseError) -> Bool {
    skipWhitespace()
    guard position < bytes.count else { throw error("unexpected end of input") }
    if bytes[position] == UInt8(ascii: ",") {
      position += 1
      return false
    }
    if bytes[position] == closing {
      position += 1
      return true
    }
    throw error(
      closing == UInt8(ascii: "}")
        ? "expected ',' or '}' in an object" : "expected ',' or ']' in an array")
  }

  /// Moves past a string without building it.
  private mutating func skipString() throws(JSONParseError) {
    position += 1
    while position < bytes.count {
      let byte = bytes[position]
      if byte == UInt8(ascii: "\"") {
        position += 1
        return
      }
      if byte < 0x20 { throw error("control character in a string") }
      position += byte == UInt8(ascii: "\\") ? 2 : 1
    }
    throw error("unterminated string")
  }

  private func isValidUTF8(_ start: Int, _ end: Int) -> Bool {
    var index = start
    while index < end {
      if bytes[index] < 0x80 {
        index += 1
        continue
      }
      // Rare: validate the non-ASCII tail with the standard library.
      let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
      return String(validating: slice, as: UTF8.self) != nil
    }
    return true
  }

  private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
    let start = position
    var isInteger = true
    var hasExponent = false
    var fraction = 0..<0
    if bytes[position] == UInt8(ascii: "-") { position += 1 }
    let integerStart = position
    guard position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position])
    else { throw error("invalid number") }
    if bytes[position] == UInt8(ascii: "0") {
      position += 1
      if position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
        throw error("leading zero in a number")
      }
    } else {
      while position < bytes.count,
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position])
      {
        position += 1
      }
    }
    if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
      isInteger = false
      position += 1
      let digits = position
      while position < bytes.count,
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position])
      {
        position += 1
      }
      if position == digits { throw error("missing digits after '.'") }
      fraction = digits..<position
    }
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
      let digits = position
      while position < bytes.count,
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position])
      {
        position += 1
      }
      if position == digits { throw error("missing exponent digits") }
    }
    if isInteger, let value = integerValue(start, position) {
      if value == 0 && bytes[start] == UInt8(ascii: "-") { canonical = false }
      return .int(value)
    }
    // strtod on a small NUL-terminated copy: no String is built per number.
    let count = position - start
    let value = withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { buffer in
      for offset in 0..<count { buffer[offset] = CChar(bitPattern: bytes[start + offset]) }
      buffer[count] = 0
      guard let base = buffer.baseAddress else { return Double.nan }
      return strtod(base, nil)
    }
    guard value.isFinite else { throw error("number out of range") }
    if canonical
      && (hasExponent
        || !Self.isCanonicalDecimal(
          bytes, integer: integerStart..<(fraction.isEmpty ? position : fraction.lowerBound - 1),
          fraction: fraction))
    {
      // Rare forms (exponents, long digit strings): ask the encoder.
      let text = String(
        decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
      if CanonicalJSON.format(value) != text { canonical = false }
    }
    return .double(value)
  }

  /// Whether a plain decimal `I.F` is certainly what ``CanonicalJSON/format(_:)`` prints.
  ///
  /// That is: at most 15 significant digits (so no shorter decimal names the same double), no
  /// trailing zero in the fraction unless it is `.0`, and a magnitude Swift prints without an
  /// exponent. `integer` holds digits only (no sign); no exponent follows `fraction`.
  static func isCanonicalDecimal(
    _ bytes: UnsafeRawBufferPointer, integer: Range<Int>, fraction: Range<Int>
  ) -> Bool {
    guard !fraction.isEmpty, integer.count <= 15 else { return false }
    let fractionZero = fraction.count == 1 && bytes[fraction.lowerBound] == UInt8(ascii: "0")
    if !fractionZero && bytes[fraction.upperBound - 1] == UInt8(ascii: "0") { return false }
    let integerIsZero = integer.count == 1 && bytes[integer.lowerBound] == UInt8(ascii: "0")
    if integerIsZero {
      if fractionZero { return true }
      // 0.000x and smaller print with an exponent.
      var zeros = 0
      for index in fraction {
        if bytes[index] != UInt8(ascii: "0") { break }
        zeros += 1
      }
      return zeros < 4 && fraction.count - zeros <= 15
    }
    return integer.count + (fractionZero ? 0 : fraction.count) <= 15
  }

  /// The value of the digits in `start..<end` (an optional '-' then digits), or nil on overflow.
  private func integerValue(_ start: Int, _ end: Int) -> Int64? {
    var index = start
    let negative = bytes[index] == UInt8(ascii: "-")
    if negative { index += 1 }
    var magnitude: UInt64 = 0
    while index < end {
      let (times, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
      let (sum, overflow2) = times.addingReportingOverflow(UInt64(bytes[index] - UInt8(ascii: "0")))
      if overflow1 || overflow2 { return nil }
      magnitude = sum
      index += 1
    }
    if negative {
      if magnitude <= UInt64(Int64.max) { return -Int64(magnitude) }
      return magnitude == UInt64(Int64.max) + 1 ? Int64.min : nil
    }
    return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
  }
}

/// Which parts of a JSON document ``JSONParser/parse(_:keeping:)`` builds.
package indirect enum JSONProjection: Sendable, Equatable {
  /// The whole value.
  case all
  /// Nothing: the value is checked and dropped (read as `null`).
  case skip
  /// Of an object, only these members, each with its own projection.
  case members([String: JSONProjection])
  /// Of an array, every element with this projection.
  case elements(JSONProjection)
}

/// The `\u` escapes of JSON strings, read the same way by ``JSONParser`` and `JSONPullReader`.
enum JSONUnicodeEscape {
  /// Reads the four hexadecimal digits at `position` (just after `\u`) and, after a high
  /// surrogate, the `\uXXXX` of its low surrogate; moves `position` past them.
  ///
  /// - Returns: The first code unit and the UTF-8 bytes of the scalar, or why the escape is
  ///   invalid.
  static func decode(_ bytes: UnsafeRawBufferPointer, at position: inout Int) -> Result<
    (first: UInt32, utf8: [UInt8]), JSONEscapeProblem
  > {
    guard let first = hex4(bytes, at: &position) else { return .failure(problem(bytes, position)) }
    var code = first
    if (0xD800...0xDBFF).contains(code) {
      guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
        bytes[position + 1] == UInt8(ascii: "u")
      else { return .failure(JSONEscapeProblem("unpaired surrogate in a string")) }
      position += 2
      guard let low = hex4(bytes, at: &position) else {
        return .failure(problem(bytes, position))
      }
      guard (0xDC00...0xDFFF).contains(low) else {
        return .failure(JSONEscapeProblem("unpaired surrogate in a string"))
      }
      code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
    } else if (0xDC00...0xDFFF).contains(code) {
      return .failure(JSONEscapeProblem("unpaired surrogate in a string"))
    }
    guard let scalar = Unicode.Scalar(code) else {
      return .failure(JSONEscapeProblem("invalid \\u escape"))
    }
    return .success((first, Array(String(Character(scalar)).utf8)))
  }

  private static func problem(_ bytes: UnsafeRawBufferPointer, _ position: Int)
    -> JSONEscapeProblem
  {
    JSONEscapeProblem(position + 4 > bytes.count ? "truncated \\u escape" : "invalid \\u escape")
  }

  /// Four hexadecimal digits at `position` (moved past them), or nil.
  private static func hex4(_ bytes: UnsafeRawBufferPointer, at position: inout Int) -> UInt32? {
    guard position + 4 <= bytes.count else { return nil }
    var value: UInt32 = 0
    for offset in 0..<4 {
      let c = bytes[position + offset]
      let digit: UInt32
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
      default: return nil
      }
      value = value << 4 | digit
    }
    position += 4
    return value
  }
}

/// Why a `\u` escape is invalid.
struct JSONEscapeProblem: Error {
  var reason: String
  init(_ reason: String) { self.reason = reason }
}
