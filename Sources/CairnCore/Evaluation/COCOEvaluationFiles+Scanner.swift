internal import Evaluation

#if canImport(Glibc)
internal import Glibc
#endif

/// A scanner of COCO ground-truth and results files over their bytes, in place.
///
/// Purpose-built rather than ``JSONPullReader``: it recognises member names by their bytes
/// without making strings, reads numbers without building ``JSONValue``s, and skips unwanted
/// values (segmentation polygons and RLE counts, often most of a file) with a structural scan
/// that checks brackets and strings but does not parse the numbers inside. Strings that are
/// kept (category names) and member names with escapes go through ``JSONPullReader``.
///
/// Numbers are exact: a decimal of at most 19 significant digits whose power-of-ten scale is
/// at most 22 takes Clinger's fast path (an integer below 2^53 and a power of ten up to 10^22
/// are both exact doubles, so one multiplication or division rounds correctly); any other
/// number goes to `strtod`, which rounds correctly too.
struct COCOScanner {
  /// Where the scanner is in the document, named in error messages.
  enum Context {
    case document
    case image(Int)
    case category(Int)
    case annotation(Int)
    case result(Int)
  }

  /// The member names the loader reads; every other name is `other`.
  enum Key {
    case other, id, imageID, categoryID, bbox, area, iscrowd, score, name, images, annotations
    case categories

    init(_ name: String) {
      switch name {
      case "id": self = .id
      case "image_id": self = .imageID
      case "category_id": self = .categoryID
      case "bbox": self = .bbox
      case "area": self = .area
      case "iscrowd": self = .iscrowd
      case "score": self = .score
      case "name": self = .name
      case "images": self = .images
      case "annotations": self = .annotations
      case "categories": self = .categories
      default: self = .other
      }
    }
  }

  private let bytes: UnsafeRawBufferPointer
  private let count: Int
  private var position = 0
  private let file: String
  private var context = Context.document

  /// A scanner at the start of `bytes`, which must stay valid while it is used.
  init(_ bytes: UnsafeRawBufferPointer, file: String) {
    self.bytes = bytes
    self.count = bytes.count
    self.file = file
  }

  // MARK: The two documents

  /// Reads a COCO instances object: its images, categories and annotations.
  mutating func readGroundTruth() throws(CairnError) -> COCOGroundTruthCatalog {
    var catalog = COCOGroundTruthCatalog()
    skipWhitespace()
    if position < count && bytes[position] == UInt8(ascii: "[") {
      throw problem(
        "a ground-truth file is a JSON object with \"images\", \"annotations\" and "
          + "\"categories\"; this is an array (a results file?)")
    }
    var sawImages = false
    var sawCategories = false
    if try openObject("a JSON object (a COCO instances file)") {
      repeat {
        switch try key() {
        case .images:
          sawImages = true
          try readImages(into: &catalog)
        case .categories:
          sawCategories = true
          try readCategories(into: &catalog)
        case .annotations:
          catalog.annotations.reserveCapacity(count / 160)
          try readAnnotations(into: &catalog)
        default: try skipValue()
        }
        context = .document
      } while try nextMember()
    }
    try finish()
    guard sawImages else { throw CairnError(.invalidInput, "\(file): no \"images\" array") }
    guard sawCategories else {
      throw CairnError(.invalidInput, "\(file): no \"categories\" array")
    }
    return catalog
  }

  /// Reads a COCO results array as written, ids unresolved (so that it can be read while the
  /// ground truth is).
  mutating func readResults() throws(CairnError) -> [COCOResultRecord] {
    skipWhitespace()
    if position < count && bytes[position] == UInt8(ascii: "{") {
      throw problem(
        "a results file is a JSON array of {image_id, category_id, bbox, score}; this is an "
          + "object (a ground-truth file?)")
    }
    var records: [COCOResultRecord] = []
    records.reserveCapacity(count / 64)
    var index = 0
    if try openArray("a JSON array of detections (a COCO results file)") {
      repeat {
        context = .result(index)
        skipWhitespace()
        let start = position
        var imageID: Int64?
        var categoryID: Int64?
        var box: SIMD4<Double>?
        var score: Double?
        if try openObject("a detection object") {
          repeat {
            switch try key() {
            case .imageID: imageID = try readInteger("an integer \"image_id\"")
            case .categoryID: categoryID = try readInteger("an integer \"category_id\"")
            case .bbox: box = try readBox()
            case .score: score = try readDouble("a number for \"score\"")
            default: try skipValue()
            }
          } while try nextMember()
        }
        guard let imageID, let categoryID, let box, let score else {
          let missing = [
            imageID == nil ? "\"image_id\"" : nil, categoryID == nil ? "\"category_id\"" : nil,
            box == nil ? "\"bbox\"" : nil, score == nil ? "\"score\"" : nil,
          ].compactMap { $0 }
          throw problem("detection without " + missing.joined(separator: ", "), at: start)
        }
        records.append(
          COCOResultRecord(imageID: imageID, categoryID: categoryID, box: box, score: score))
        index += 1
      } while try nextElement()
    }
    context = .document
    try finish()
    return records
  }

  private mutating func readImages(into catalog: inout COCOGroundTruthCatalog)
    throws(CairnError)
  {
    guard try openArray("an array of images for \"images\"") else { return }
    var index = 0
    repeat {
      context = .image(index)
      skipWhitespace()
      let start = position
      var id: Int64?
      if try openObject("an image object") {
        repeat {
          if try key() == .id {
            id = try readInteger("an integer image \"id\"")
          } else {
            try skipValue()
          }
        } while try nextMember()
      }
      guard let id else { throw problem("image without \"id\"", at: start) }
      catalog.imageIDs.append(id)
      index += 1
    } while try nextElement()
  }

  private mutating func readCategories(into catalog: inout COCOGroundTruthCatalog)
    throws(CairnError)
  {
    guard try openArray("an array of categories for \"categories\"") else { return }
    var index = 0
    repeat {
      context = .category(index)
      skipWhitespace()
      let start = position
      var id: Int64?
      var name: String?
      if try openObject("a category object") {
        repeat {
          switch try key() {
          case .id: id = try readInteger("an integer category \"id\"")
          case .name: name = try readString("a string for \"name\"")
          default: try skipValue()
          }
        } while try nextMember()
      }
      guard let id else { throw problem("category without \"id\"", at: start) }
      catalog.categories.append((id, name ?? String(id)))
      index += 1
    } while try nextElement()
  }

  private mutating func readAnnotations(into catalog: inout COCOGroundTruthCatalog)
    throws(CairnError)
  {
    guard try openArray("an array of annotations for \"annotations\"") else { return }
    var index = 0
    repeat {
      context = .annotation(index)
      skipWhitespace()
      let start = position
      var id: Int64?
      var imageID: Int64?
      var categoryID: Int64?
      var box: SIMD4<Double>?
      var area: Double?
      var crowd = false
      if try openObject("an annotation object") {
        repeat {
          switch try key() {
          case .id: id = try readInteger("an integer annotation \"id\"")
          case .imageID: imageID = try readInteger("an integer \"image_id\"")
          case .categoryID: categoryID = try readInteger("an integer \"category_id\"")
          case .bbox: box = try readBox()
          case .area: area = try readDouble("a number for \"area\"")
          case .iscrowd: crowd = try readFlag()
          default: try skipValue()
          }
        } while try nextMember()
      }
      guard let id, let imageID, let categoryID, let box, let area else {
        let missing = [
          id == nil ? "\"id\"" : nil, imageID == nil ? "\"image_id\"" : nil,
          categoryID == nil ? "\"category_id\"" : nil, box == nil ? "\"bbox\"" : nil,
          area == nil ? "\"area\"" : nil,
        ].compactMap { $0 }
        throw problem("annotation without " + missing.joined(separator: ", "), at: start)
      }
      catalog.annotations.append(
        COCOGroundTruthCatalog.Annotation(
          id: id, imageID: imageID, categoryID: categoryID, box: box, area: area, crowd: crowd))
      index += 1
    } while try nextElement()
  }

  // MARK: Structure

  private mutating func skipWhitespace() {
    while position < count {
      switch bytes[position] {
      case 0x20, 0x0A, 0x0D, 0x09: position += 1
      default: return
      }
    }
  }

  private mutating func consume(_ byte: UInt8) -> Bool {
    skipWhitespace()
    guard position < count, bytes[position] == byte else { return false }
    position += 1
    return true
  }

  /// Consumes `{`; false when the object is empty (its `}` consumed too).
  private mutating func openObject(_ expected: @autoclosure () -> String) throws(CairnError)
    -> Bool
  {
    guard consume(UInt8(ascii: "{")) else { throw failure(expected()) }
    return !consume(UInt8(ascii: "}"))
  }

  /// Consumes `[`; false when the array is empty (its `]` consumed too).
  private mutating func openArray(_ expected: @autoclosure () -> String) throws(CairnError)
    -> Bool
  {
    guard consume(UInt8(ascii: "[")) else { throw failure(expected()) }
    return !consume(UInt8(ascii: "]"))
  }

  /// After a member's value: true at `,` (another member follows), false at `}`.
  private mutating func nextMember() throws(CairnError) -> Bool {
    if consume(UInt8(ascii: ",")) { return true }
    if consume(UInt8(ascii: "}")) { return false }
    throw failure("',' or '}' after a member of an object")
  }

  /// After an element: true at `,` (another element follows), false at `]`.
  private mutating func nextElement() throws(CairnError) -> Bool {
    if consume(UInt8(ascii: ",")) { return true }
    if consume(UInt8(ascii: "]")) { return false }
    throw failure("',' or ']' after an element of an array")
  }

  /// Reads a member name and its colon.
  private mutating func key() throws(CairnError) -> Key {
    skipWhitespace()
    guard position < count, bytes[position] == UInt8(ascii: "\"") else {
      throw failure("a member name (a string)")
    }
    let start = position + 1
    var end = start
    while end < count && bytes[end] != UInt8(ascii: "\"") && bytes[end] != UInt8(ascii: "\\") {
      end += 1
    }
    let key: Key
    if end < count && bytes[end] == UInt8(ascii: "\"") {
      key = match(start, end)
      position = end + 1
    } else {
      key = Key(try readString("a member name (a string)"))
    }
    guard consume(UInt8(ascii: ":")) else { throw failure("':' after a member name") }
    return key
  }

  private func match(_ start: Int, _ end: Int) -> Key {
    switch end - start {
    case 2: return equals(start, "id") ? .id : .other
    case 4:
      if equals(start, "bbox") { return .bbox }
      if equals(start, "area") { return .area }
      return equals(start, "name") ? .name : .other
    case 5: return equals(start, "score") ? .score : .other
    case 6: return equals(start, "images") ? .images : .other
    case 7: return equals(start, "iscrowd") ? .iscrowd : .other
    case 8: return equals(start, "image_id") ? .imageID : .other
    case 10: return equals(start, "categories") ? .categories : .other
    case 11:
      if equals(start, "category_id") { return .categoryID }
      return equals(start, "annotations") ? .annotations : .other
    default: return .other
    }
  }

  private func equals(_ start: Int, _ text: StaticString) -> Bool {
    let base = text.utf8Start
    for offset in 0..<text.utf8CodeUnitCount where bytes[start + offset] != base[offset] {
      return false
    }
    return true
  }

  /// Checks that only whitespace is left.
  private mutating func finish() throws(CairnError) {
    skipWhitespace()
    if position != count { throw failure("the end of the file after the JSON value") }
  }

  // MARK: Values

  /// Reads a string, escapes and all (validated as ``JSONPullReader`` does).
  private mutating func readString(_ expected: @autoclosure () -> String) throws(CairnError)
    -> String
  {
    skipWhitespace()
    guard position < count, bytes[position] == UInt8(ascii: "\"") else {
      throw failure(expected())
    }
    var reader = JSONPullReader(bytes, at: position)
    do {
      let text = try reader.readString()
      position = reader.position
      return text
    } catch {
      position = reader.position
      throw problem(error.reason)
    }
  }

  /// Reads `[x, y, width, height]`.
  private mutating func readBox() throws(CairnError) -> SIMD4<Double> {
    let expected = "a box [x, y, width, height] of 4 numbers for \"bbox\""
    guard consume(UInt8(ascii: "[")) else { throw failure(expected) }
    var box = SIMD4<Double>()
    for index in 0..<4 {
      if index > 0 && !consume(UInt8(ascii: ",")) { throw failure(expected) }
      box[index] = try readDouble(expected)
    }
    guard consume(UInt8(ascii: "]")) else { throw failure(expected) }
    return box
  }

  /// Reads `iscrowd`: a number (crowd when not 0) or a boolean.
  private mutating func readFlag() throws(CairnError) -> Bool {
    skipWhitespace()
    if literal("true") { return true }
    if literal("false") { return false }
    return try readDouble("0, 1, true or false for \"iscrowd\"") != 0
  }

  /// Reads an integer id; a number with a fraction or exponent counts when its value is whole
  /// (Python's `json` reads `42.0` as a float equal to 42).
  private mutating func readInteger(_ expected: @autoclosure () -> String) throws(CairnError)
    -> Int64
  {
    skipWhitespace()
    let start = position
    var cursor = position
    let negative = cursor < count && bytes[cursor] == UInt8(ascii: "-")
    if negative { cursor += 1 }
    var magnitude: UInt64 = 0
    var digits = 0
    while cursor < count {
      let digit = bytes[cursor] &- UInt8(ascii: "0")
      guard digit < 10 else { break }
      magnitude = magnitude &* 10 &+ UInt64(digit)
      digits += 1
      cursor += 1
    }
    let simple =
      digits > 0 && digits <= 18 && (digits == 1 || bytes[negative ? start + 1 : start] != 0x30)
      && (cursor == count
        || (bytes[cursor] != UInt8(ascii: ".") && bytes[cursor] != UInt8(ascii: "e")
          && bytes[cursor] != UInt8(ascii: "E")))
    if simple {
      position = cursor
      return negative ? -Int64(magnitude) : Int64(magnitude)
    }
    let value = try readDouble(expected())
    guard value == value.rounded(), abs(value) < 9.2e18 else {
      throw failure(expected(), at: start)
    }
    return Int64(value)
  }

  /// Reads a number as the correctly rounded double.
  private mutating func readDouble(_ expected: @autoclosure () -> String) throws(CairnError)
    -> Double
  {
    skipWhitespace()
    let start = position
    var cursor = position
    let negative = cursor < count && bytes[cursor] == UInt8(ascii: "-")
    if negative { cursor += 1 }
    guard cursor < count, bytes[cursor] &- UInt8(ascii: "0") < 10 else {
      throw failure(expected())
    }
    var mantissa: UInt64 = 0
    // Significant digits taken into `mantissa`; past 19 it could overflow, so strtod decides.
    var significant = 0
    var tooLong = false
    if bytes[cursor] == UInt8(ascii: "0") {
      cursor += 1
      if cursor < count && bytes[cursor] &- UInt8(ascii: "0") < 10 {
        throw failure("a number without a leading zero", at: start)
      }
    } else {
      while cursor < count {
        let digit = bytes[cursor] &- UInt8(ascii: "0")
        guard digit < 10 else { break }
        if significant < 19 {
          mantissa = mantissa &* 10 &+ UInt64(digit)
          significant += 1
        } else {
          tooLong = true
        }
        cursor += 1
      }
    }
    var scale = 0
    if cursor < count && bytes[cursor] == UInt8(ascii: ".") {
      cursor += 1
      let first = cursor
      while cursor < count {
        let digit = bytes[cursor] &- UInt8(ascii: "0")
        guard digit < 10 else { break }
        if mantissa != 0 || digit != 0 {
          if significant < 19 {
            mantissa = mantissa &* 10 &+ UInt64(digit)
            significant += 1
          } else {
            tooLong = true
          }
        }
        // Every fraction digit scales by 1/10; when one was dropped, strtod decides anyway.
        scale -= 1
        cursor += 1
      }
      if cursor == first { throw failure("digits after '.' in a number", at: cursor) }
    }
    if cursor < count && (bytes[cursor] | 0x20) == UInt8(ascii: "e") {
      cursor += 1
      var exponentNegative = false
      if cursor < count && (bytes[cursor] == UInt8(ascii: "+") || bytes[cursor] == 0x2D) {
        exponentNegative = bytes[cursor] == 0x2D
        cursor += 1
      }
      let first = cursor
      var exponent = 0
      while cursor < count {
        let digit = bytes[cursor] &- UInt8(ascii: "0")
        guard digit < 10 else { break }
        if exponent < 100_000 { exponent = exponent * 10 + Int(digit) }
        cursor += 1
      }
      if cursor == first { throw failure("digits in a number's exponent", at: cursor) }
      scale += exponentNegative ? -exponent : exponent
    }
    position = cursor
    if !tooLong && mantissa <= 1 << 53 {
      let value: Double?
      if mantissa == 0 {
        value = 0
      } else if scale == 0 {
        value = Double(mantissa)
      } else if scale < 0 && scale >= -22 {
        value = Double(mantissa) / Self.powersOfTen[-scale]
      } else if scale > 0 && scale <= 22 {
        value = Double(mantissa) * Self.powersOfTen[scale]
      } else {
        value = nil
      }
      if let value { return negative ? -value : value }
    }
    let length = cursor - start
    let value = withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer in
      for offset in 0..<length { buffer[offset] = CChar(bitPattern: bytes[start + offset]) }
      buffer[length] = 0
      return buffer.baseAddress.map { strtod($0, nil) } ?? .nan
    }
    guard value.isFinite else { throw failure("a number within a double's range", at: start) }
    return value
  }

  /// 10^0 … 10^22, every one exact in binary64.
  private static let powersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
  ]

  private mutating func literal(_ text: StaticString) -> Bool {
    let length = text.utf8CodeUnitCount
    guard position + length <= count, equals(position, text) else { return false }
    position += length
    return true
  }

  /// Skips any value: numbers and literals are read, strings and containers scanned for their
  /// structure only.
  private mutating func skipValue() throws(CairnError) {
    skipWhitespace()
    guard position < count else { throw failure("a value") }
    switch bytes[position] {
    case UInt8(ascii: "{"), UInt8(ascii: "["): try skipContainer()
    case UInt8(ascii: "\""): try skipString()
    case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
      guard literal("true") || literal("false") || literal("null") else {
        throw failure("a value")
      }
    default: _ = try readDouble("a value")
    }
  }

  /// What a byte is to ``skipContainer()``.
  private enum SkipClass {
    static let invalid: UInt8 = 0
    /// A byte a number, a literal, a separator or whitespace can hold.
    static let plain: UInt8 = 1
    static let open: UInt8 = 2
    static let close: UInt8 = 3
    static let quote: UInt8 = 4
  }

  /// ``SkipClass`` of every byte value.
  private static let skipClasses: [UInt8] = {
    var table = [UInt8](repeating: SkipClass.invalid, count: 256)
    for byte in Array("0123456789,.-:+eEtrufalsn \n\r\t".utf8) {
      table[Int(byte)] = SkipClass.plain
    }
    for byte in Array("[{".utf8) { table[Int(byte)] = SkipClass.open }
    for byte in Array("]}".utf8) { table[Int(byte)] = SkipClass.close }
    table[Int(UInt8(ascii: "\""))] = SkipClass.quote
    return table
  }()

  /// Skips an array or object: brackets must match and strings be closed; the other bytes must
  /// be ones a JSON number, literal or separator can hold.
  ///
  /// A table lookup per byte, with runs of plain bytes (a polygon's numbers) in a tight loop.
  private mutating func skipContainer() throws(CairnError) {
    // One bit per open level, 1 for an object; 64 levels are plenty for a segmentation.
    var stack: UInt64 = 0
    var depth = 0
    let outcome = Self.skipClasses.withUnsafeBufferPointer { classes -> SkipClassOutcome in
      var cursor = position
      while cursor < count {
        let byte = bytes[cursor]
        let kind = classes[Int(byte)]
        if kind == SkipClass.plain {
          cursor += 1
          continue
        }
        if kind == SkipClass.open {
          guard depth < 64 else { return .failed(cursor, "at most 64 levels of nesting") }
          stack = stack << 1 | (byte == UInt8(ascii: "{") ? 1 : 0)
          depth += 1
          cursor += 1
        } else if kind == SkipClass.close {
          guard depth > 0, (stack & 1 == 1) == (byte == UInt8(ascii: "}")) else {
            return .failed(
              cursor, stack & 1 == 1 ? "'}' closing an object" : "']' closing an array")
          }
          stack >>= 1
          depth -= 1
          cursor += 1
          if depth == 0 { return .done(cursor) }
        } else if kind == SkipClass.quote {
          cursor += 1
          while cursor < count {
            let inner = bytes[cursor]
            if inner == UInt8(ascii: "\"") { break }
            if inner < 0x20 { return .failed(cursor, "a closing '\"' before a control character") }
            cursor += inner == UInt8(ascii: "\\") ? 2 : 1
          }
          guard cursor < count else { return .failed(count, "a closing '\"'") }
          cursor += 1
        } else {
          return .failed(cursor, "a JSON value")
        }
      }
      return .failed(count, stack & 1 == 1 ? "'}' closing an object" : "']' closing an array")
    }
    switch outcome {
    case .done(let end): position = end
    case .failed(let offset, let expected):
      position = offset
      throw failure(expected)
    }
  }

  /// How ``skipContainer()``'s scan ended.
  private enum SkipClassOutcome {
    case done(Int)
    case failed(Int, String)
  }

  private mutating func skipString() throws(CairnError) {
    position += 1
    while position < count {
      let byte = bytes[position]
      if byte == UInt8(ascii: "\"") {
        position += 1
        return
      }
      if byte < 0x20 { throw failure("a closing '\"' before a control character") }
      position += byte == UInt8(ascii: "\\") ? 2 : 1
    }
    throw failure("a closing '\"'")
  }

  // MARK: Errors

  /// The line and column (1-based, in bytes) of `offset`.
  private func location(_ offset: Int) -> (line: Int, column: Int) {
    var line = 1
    var lineStart = 0
    for index in 0..<min(offset, count) where bytes[index] == 0x0A {
      line += 1
      lineStart = index + 1
    }
    return (line, offset - lineStart + 1)
  }

  private var contextText: String {
    switch context {
    case .document: ""
    case .image(let index): " in images[\(index)]"
    case .category(let index): " in categories[\(index)]"
    case .annotation(let index): " in annotations[\(index)]"
    case .result(let index): " in detection [\(index)]"
    }
  }

  /// "expected …, found …" at the current position (or `offset`).
  private func failure(_ expected: String, at offset: Int? = nil) -> CairnError {
    var at = offset ?? position
    if offset == nil {
      while at < count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[at]) { at += 1 }
    }
    let found: String
    if at >= count {
      found = "the end of the file"
    } else {
      let byte = bytes[at]
      found =
        byte >= 0x20 && byte < 0x7F
        ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x" + String(byte, radix: 16)
    }
    return problem("expected \(expected), found \(found)", at: at)
  }

  /// An error naming the file, the line and column of `offset` (default: the current
  /// position) and where in the document it is.
  private func problem(_ text: String, at offset: Int? = nil) -> CairnError {
    let (line, column) = location(offset ?? position)
    return CairnError(
      .invalidInput, "\(file): line \(line), column \(column)\(contextText): \(text)")
  }
}
