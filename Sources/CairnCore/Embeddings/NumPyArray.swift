/// A 2-D little-endian float array read from a NumPy `.npy` file.
///
/// Reads format versions 1, 2 and 3 (`\x93NUMPY`, major version, minor version, a 2- or
/// 4-byte little-endian header length, then a Python dict literal with `descr`,
/// `fortran_order` and `shape`). Only `<f4` and `<f2` arrays of two dimensions in C order are
/// accepted: that is what embedding tools write, and anything else is refused with the rule it
/// breaks rather than guessed at.
package struct NumPyArray: Sendable, Equatable {
  /// Rows (the first dimension).
  package var rows: Int
  /// Columns (the second dimension).
  package var columns: Int
  /// `float32` for `<f4`, `float16` for `<f2`.
  package var dtype: EmbeddingDType
  /// `rows × columns` numbers, row-major, converted to `Float`.
  package var values: [Float]

  /// Parses a whole `.npy` file.
  ///
  /// - Parameter bytes: The file's bytes.
  /// - Throws: `RecordProblem` naming the rule the file breaks (magic, version, header,
  ///   dtype, order, shape, data size).
  package init(bytes: [UInt8]) throws(RecordProblem) {
    let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
    guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
      throw RecordProblem("not a NumPy .npy file (no \\x93NUMPY magic)")
    }
    let major = bytes[6]
    let headerLength: Int
    let headerStart: Int
    switch major {
    case 1:
      headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
      headerStart = 10
    case 2, 3:
      guard bytes.count >= 12 else { throw RecordProblem("the .npy header is cut short") }
      headerLength =
        Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
      headerStart = 12
    default:
      throw RecordProblem("unsupported .npy format version \(major) (1, 2 and 3 are read)")
    }
    guard headerStart + headerLength <= bytes.count else {
      throw RecordProblem("the .npy header is cut short")
    }
    let header = String(decoding: bytes[headerStart..<headerStart + headerLength], as: UTF8.self)
    let fields = try Self.parseHeader(header)
    guard case .string(let descr)? = fields["descr"] else {
      throw RecordProblem("the .npy header has no 'descr' string")
    }
    switch descr {
    case "<f4": dtype = .float32
    case "<f2", "<e": dtype = .float16
    default:
      throw RecordProblem(
        "dtype '\(descr)' is not supported: store little-endian float32 ('<f4') or "
          + "float16 ('<f2'), e.g. array.astype('<f4')")
    }
    guard case .bool(let fortran)? = fields["fortran_order"] else {
      throw RecordProblem("the .npy header has no 'fortran_order' boolean")
    }
    if fortran {
      throw RecordProblem(
        "the array is in Fortran order; save a C-ordered array (numpy.ascontiguousarray)")
    }
    guard case .tuple(let shape)? = fields["shape"] else {
      throw RecordProblem("the .npy header has no 'shape' tuple")
    }
    guard shape.count == 2 else {
      throw RecordProblem(
        "the array has \(shape.count) dimension(s) \(shape); embeddings are a 2-D array "
          + "(rows × dimension)")
    }
    rows = shape[0]
    columns = shape[1]
    let dataStart = headerStart + headerLength
    let expected = rows * columns * dtype.size
    guard bytes.count - dataStart == expected else {
      throw RecordProblem(
        "the data holds \(bytes.count - dataStart) bytes, but shape (\(rows), \(columns)) "
          + "of \(descr) needs \(expected)")
    }
    values = VectorCoding.decode(bytes[dataStart...], as: dtype)
  }

  /// Creates an array from its parts (for tests and writers).
  ///
  /// - Parameters:
  ///   - rows: Rows.
  ///   - columns: Columns.
  ///   - dtype: The stored type.
  ///   - values: `rows × columns` numbers, row-major.
  package init(rows: Int, columns: Int, dtype: EmbeddingDType, values: [Float]) {
    self.rows = rows
    self.columns = columns
    self.dtype = dtype
    self.values = values
  }

  /// The bytes of a version-1 `.npy` file holding this array.
  package var npyBytes: [UInt8] {
    let descr = dtype == .float32 ? "<f4" : "<f2"
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
    // Pad with spaces so that the data starts on a multiple of 64 bytes, ending with a newline.
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    let length = header.utf8.count
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
    bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
    bytes += Array(header.utf8)
    bytes += VectorCoding.encode(values, as: dtype)
    return bytes
  }

  /// A value of the header's dict literal.
  enum HeaderValue: Equatable {
    case string(String)
    case bool(Bool)
    case tuple([Int])
  }

  /// Parses the header's Python dict literal: string keys to strings, booleans and tuples of
  /// integers (all that `.npy` headers hold).
  static func parseHeader(_ text: String) throws(RecordProblem) -> [String: HeaderValue] {
    var scanner = HeaderScanner(Array(text.utf8))
    return try scanner.dictionary()
  }
}

/// A cursor over the bytes of a `.npy` header.
private struct HeaderScanner {
  let bytes: [UInt8]
  var index = 0

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  mutating func skipSpace() {
    while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
  }

  mutating func expect(_ character: Character) throws(RecordProblem) {
    skipSpace()
    guard index < bytes.count, bytes[index] == character.asciiValue else {
      throw RecordProblem("malformed .npy header: expected '\(character)' at byte \(index)")
    }
    index += 1
  }

  mutating func peek(_ character: Character) -> Bool {
    skipSpace()
    return index < bytes.count && bytes[index] == character.asciiValue
  }

  mutating func dictionary() throws(RecordProblem) -> [String: NumPyArray.HeaderValue] {
    try expect("{")
    var result: [String: NumPyArray.HeaderValue] = [:]
    while !peek("}") {
      let key = try string()
      try expect(":")
      result[key] = try value()
      if peek(",") { index += 1 } else { break }
    }
    try expect("}")
    return result
  }

  mutating func string() throws(RecordProblem) -> String {
    skipSpace()
    guard index < bytes.count, bytes[index] == 0x27 || bytes[index] == 0x22 else {
      throw RecordProblem("malformed .npy header: expected a quoted string at byte \(index)")
    }
    let quote = bytes[index]
    index += 1
    let start = index
    while index < bytes.count, bytes[index] != quote { index += 1 }
    guard index < bytes.count else { throw RecordProblem("malformed .npy header: open string") }
    let text = String(decoding: bytes[start..<index], as: UTF8.self)
    index += 1
    return text
  }

  mutating func value() throws(RecordProblem) -> NumPyArray.HeaderValue {
    skipSpace()
    if peek("(") {
      index += 1
      var items: [Int] = []
      while !peek(")") {
        items.append(try integer())
        if peek(",") { index += 1 } else { break }
      }
      try expect(")")
      return .tuple(items)
    }
    if peek("'") || peek("\"") { return .string(try string()) }
    for (word, flag) in [("True", true), ("False", false)] {
      let utf8 = Array(word.utf8)
      if index + utf8.count <= bytes.count, Array(bytes[index..<index + utf8.count]) == utf8 {
        index += utf8.count
        return .bool(flag)
      }
    }
    throw RecordProblem("malformed .npy header: unexpected value at byte \(index)")
  }

  mutating func integer() throws(RecordProblem) -> Int {
    skipSpace()
    var value = 0
    let start = index
    while index < bytes.count, (0x30...0x39).contains(bytes[index]) {
      let (product, overflow) = value.multipliedReportingOverflow(by: 10)
      guard !overflow, product <= Int(Int32.max) else {
        throw RecordProblem("malformed .npy header: a dimension is too large")
      }
      value = product + Int(bytes[index] - 0x30)
      index += 1
    }
    // Python 2 wrote long integers as `3L`.
    if index < bytes.count, bytes[index] == UInt8(ascii: "L") { index += 1 }
    guard index > start else {
      throw RecordProblem("malformed .npy header: expected an integer at byte \(index)")
    }
    return value
  }
}
