internal import GitStore

/// Vectors read from a file for `cairn embed import`, each row with the place it came from.
///
/// Three formats, told apart by the file's extension: NumPy `.npy` (keys from a separate text
/// file), JSON Lines (`.jsonl`, `.ndjson`) and CSV (`.csv`). Every check that needs only the
/// file is made here (one dimension, finite numbers, valid and unique keys); whether the keys
/// name samples and labels of the working tree is checked by
/// ``CairnRepository/importEmbeddings(_:name:model:field:float16:replace:)``.
package struct EmbeddingInput: Sendable {
  /// Row keys, in file order.
  package var keys: [EmbeddingKey] = []
  /// Per row: where it came from, `<file>: line <n>` (or `row <n>` of a `.npy` file).
  package var locations: [String] = []
  /// `keys.count × dimension` numbers, row-major.
  package var vectors: [Float] = []
  /// Numbers per row.
  package var dimension = 0
  /// The file's own number type: `float16` for a `<f2` NumPy file, else `float32`.
  package var sourceType: EmbeddingDType = .float32

  /// Reads a file of vectors.
  ///
  /// - Parameters:
  ///   - path: The file; `.npy`, `.jsonl`/`.ndjson` or `.csv`.
  ///   - keysPath: For `.npy`: a text file with one key per line (`key<TAB>label id` for
  ///     objects), in row order.
  ///   - objects: Whether rows are objects (carry a label id).
  /// - Returns: The rows.
  /// - Throws: `CairnError` `.invalidInput` naming the file, the line (or row) and the rule;
  ///   `.notFound` when a file does not exist.
  package static func read(path: String, keysPath: String?, objects: Bool) throws(CairnError)
    -> EmbeddingInput
  {
    let lower = path.lowercased()
    let bytes = try readFile(path)
    var input = EmbeddingInput()
    if lower.hasSuffix(".npy") {
      guard let keysPath else {
        throw CairnError(
          .invalidInput, "\(path): a .npy file holds no keys; give them with --keys FILE")
      }
      try input.readNumPy(
        bytes, path: path, keys: try readFile(keysPath), keysPath: keysPath,
        objects: objects)
    } else if keysPath != nil {
      throw CairnError(.invalidInput, "--keys is only for .npy files; \(path) carries its keys")
    } else if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") {
      try input.readJSONLines(bytes, path: path, objects: objects)
    } else if lower.hasSuffix(".csv") {
      try input.readCSV(bytes, path: path, objects: objects)
    } else {
      throw CairnError(
        .invalidInput, "\(path): unknown format; give a .npy, .jsonl (or .ndjson) or .csv file")
    }
    if input.keys.isEmpty { throw CairnError(.invalidInput, "\(path): no vectors in the file") }
    return input
  }

  private static func readFile(_ path: String) throws(CairnError) -> [UInt8] {
    guard FileStat.of(path) != nil else {
      throw CairnError(.notFound, "\(path): no such file")
    }
    return try CairnError.wrap { try FileIO.read(path) }
  }

  /// Splits bytes into lines (LF, an optional CR before it dropped), numbered from 1.
  private static func lines(_ bytes: [UInt8]) -> [(number: Int, text: String)] {
    var result: [(Int, String)] = []
    var number = 0
    for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
      number += 1
      var slice = line[...]
      if slice.last == 0x0D { slice = slice.dropLast() }
      result.append((number, String(decoding: slice, as: UTF8.self)))
    }
    return result
  }

  // MARK: Rows

  /// Adds a row after checking its key, its label id and its numbers.
  private mutating func append(
    _ key: EmbeddingKey, _ values: [Float], at location: String, seen: inout [EmbeddingKey: String]
  ) throws(CairnError) {
    if let problem = FormatV1.keyProblem(key.sample) {
      throw CairnError(.invalidInput, "\(location): invalid sample key '\(key.sample)': \(problem)")
    }
    if let label = key.label, let problem = FormatV1.labelIDProblem(label) {
      throw CairnError(.invalidInput, "\(location): invalid label id '\(label)': \(problem)")
    }
    if let first = seen[key] {
      let what = key.label == nil ? "key" : "object"
      throw CairnError(
        .invalidInput,
        "\(location): duplicate \(what) '\(key.text)' (first at \(first)); one vector per \(what)")
    }
    if values.isEmpty { throw CairnError(.invalidInput, "\(location): the vector is empty") }
    if dimension == 0 { dimension = values.count }
    if values.count != dimension {
      throw CairnError(
        .invalidInput,
        "\(location): the vector has \(values.count) numbers, but earlier rows have \(dimension) "
          + "(one dimension per set)")
    }
    if let bad = values.firstIndex(where: { !$0.isFinite }) {
      throw CairnError(
        .invalidInput,
        "\(location): value \(bad + 1) is not finite (\(values[bad])); vectors hold finite numbers")
    }
    seen[key] = location
    keys.append(key)
    locations.append(location)
    vectors += values
  }

  // MARK: NumPy

  private mutating func readNumPy(
    _ bytes: [UInt8], path: String, keys keyBytes: [UInt8], keysPath: String, objects: Bool
  ) throws(CairnError) {
    let array: NumPyArray
    do {
      array = try NumPyArray(bytes: bytes)
    } catch {
      throw CairnError(.invalidInput, "\(path): \(error.reason)")
    }
    sourceType = array.dtype
    var rowKeys: [(EmbeddingKey, String)] = []
    for (number, text) in Self.lines(keyBytes) where !text.isEmpty {
      let location = "\(keysPath): line \(number)"
      if objects {
        let parts = text.split(separator: "\t", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
          throw CairnError(
            .invalidInput, "\(location): expected 'key<TAB>label id' for object embeddings")
        }
        rowKeys.append((EmbeddingKey(sample: String(parts[0]), label: String(parts[1])), location))
      } else {
        rowKeys.append((EmbeddingKey(sample: text), location))
      }
    }
    guard rowKeys.count == array.rows else {
      throw CairnError(
        .invalidInput,
        "\(keysPath): \(rowKeys.count) keys, but \(path) has \(array.rows) rows (one key per row)")
    }
    var seen: [EmbeddingKey: String] = [:]
    for (row, (key, location)) in rowKeys.enumerated() {
      let values = Array(array.values[row * array.columns..<(row + 1) * array.columns])
      if let bad = values.firstIndex(where: { !$0.isFinite }) {
        throw CairnError(
          .invalidInput,
          "\(path): row \(row + 1) ('\(key.text)'): value \(bad + 1) is not finite "
            + "(\(values[bad])); vectors hold finite numbers")
      }
      try append(key, values, at: location, seen: &seen)
    }
  }

  // MARK: JSON Lines

  private mutating func readJSONLines(_ bytes: [UInt8], path: String, objects: Bool)
    throws(CairnError)
  {
    var seen: [EmbeddingKey: String] = [:]
    for (number, text) in Self.lines(bytes)
    where !text.allSatisfy({ $0 == " " || $0 == "\t" }) {
      let location = "\(path): line \(number)"
      let value: JSONValue
      do {
        value = try JSONParser.parse(Array(text.utf8))
      } catch {
        throw CairnError(.invalidInput, "\(location): broken JSON at \(error.description)")
      }
      guard let sample = value["key"]?.string else {
        throw CairnError(.invalidInput, "\(location): \"key\" must be a string (the sample key)")
      }
      var label: String?
      if objects {
        guard let id = value["label_id"]?.string else {
          throw CairnError(
            .invalidInput, "\(location): \"label_id\" must be a string for object embeddings")
        }
        label = id
      }
      guard let elements = value["embedding"]?.array else {
        throw CairnError(.invalidInput, "\(location): \"embedding\" must be an array of numbers")
      }
      var values: [Float] = []
      values.reserveCapacity(elements.count)
      for (index, element) in elements.enumerated() {
        guard let number = element.number else {
          throw CairnError(
            .invalidInput, "\(location): embedding value \(index + 1) is not a number")
        }
        values.append(Float(number))
      }
      try append(EmbeddingKey(sample: sample, label: label), values, at: location, seen: &seen)
    }
  }

  // MARK: CSV

  private mutating func readCSV(_ bytes: [UInt8], path: String, objects: Bool) throws(CairnError) {
    var seen: [EmbeddingKey: String] = [:]
    let first = objects ? 2 : 1
    var sawRow = false
    for (number, text) in Self.lines(bytes) where !text.isEmpty {
      let location = "\(path): line \(number)"
      let fields = try Self.csvFields(text, location: location)
      guard fields.count > first else {
        throw CairnError(
          .invalidInput,
          "\(location): expected \(objects ? "key,label_id,v1,…" : "key,v1,v2,…")")
      }
      let numbers = fields[first...].map { Float($0.trimmingCharacters) }
      if !sawRow && numbers.contains(where: { $0 == nil }) {
        // The first line is a header when its value columns are not numbers.
        sawRow = true
        continue
      }
      sawRow = true
      var values: [Float] = []
      values.reserveCapacity(numbers.count)
      for (index, number) in numbers.enumerated() {
        guard let number else {
          throw CairnError(
            .invalidInput,
            "\(location): value \(index + 1) ('\(fields[first + index])') is not a number")
        }
        values.append(number)
      }
      let key = EmbeddingKey(sample: fields[0], label: objects ? fields[1] : nil)
      try append(key, values, at: location, seen: &seen)
    }
  }

  /// The fields of one CSV line: separated by commas, optionally in double quotes (`""` is a
  /// quote inside them).
  static func csvFields(_ line: String, location: String) throws(CairnError) -> [String] {
    var fields: [String] = []
    var current: [UInt8] = []
    var quoted = false
    var wasQuoted = false
    var bytes = Array(line.utf8)[...]
    while let byte = bytes.popFirst() {
      if quoted {
        if byte == UInt8(ascii: "\"") {
          if bytes.first == UInt8(ascii: "\"") {
            current.append(byte)
            bytes = bytes.dropFirst()
          } else {
            quoted = false
          }
        } else {
          current.append(byte)
        }
      } else if byte == UInt8(ascii: ",") {
        fields.append(String(decoding: current, as: UTF8.self))
        current = []
        wasQuoted = false
      } else if byte == UInt8(ascii: "\"") && current.isEmpty && !wasQuoted {
        quoted = true
        wasQuoted = true
      } else {
        current.append(byte)
      }
    }
    if quoted { throw CairnError(.invalidInput, "\(location): a quoted field is not closed") }
    fields.append(String(decoding: current, as: UTF8.self))
    return fields
  }
}

extension String {
  /// Without leading and trailing spaces.
  fileprivate var trimmingCharacters: String {
    var text = Substring(self)
    while text.first == " " { text = text.dropFirst() }
    while text.last == " " { text = text.dropLast() }
    return String(text)
  }
}
