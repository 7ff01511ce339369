#if canImport(Glibc)
internal import Glibc
#endif

/// Accepts the common shapes of label files and sample records straight from their bytes.
///
/// ``Validator`` parses every file into a ``JSONValue`` (dictionaries, strings, arrays) and
/// checks the records built from it; for the 200 000 files of a 100 000-sample import that
/// was most of a commit's time. Most files have one of two shapes: a label file of plain
/// detections or classifications, and a sample record without fields or a group. This
/// validator reads those shapes in place, in their canonical byte form, with every rule the
/// full validator applies to them (canonical form, ids, classes, boxes, the media record's
/// rules, the schema). It only ever says "valid": any file it does not recognise, or that
/// breaks any rule, goes through ``Validator`` as before, which gives the verdict and the
/// message. So it can make a commit faster but cannot change what a commit accepts.
package enum FastValidator {
  /// The most labels a file read here may hold (ids are compared pairwise).
  package static let labelLimit = 128

  /// Whether the label file `bytes`, at the path of `field` and `sample`, is certainly valid
  /// and canonical under `schema`.
  package static func acceptsLabelFile(
    _ bytes: [UInt8], field: String, sample: String, schema: Schema?
  ) -> Bool {
    var definition: FieldDefinition?
    if let schema {
      guard let found = schema.fields[field], !found.hasRequiredAttributes else { return false }
      definition = found
    }
    return bytes.withUnsafeBytes { raw in
      var cursor = ByteCursor(raw)
      return cursor.labelFile(field: field, sample: sample, definition: definition)
    }
  }

  /// Whether the sample record `bytes`, at the path of `key`, is certainly valid and canonical
  /// under `schema`.
  package static func acceptsSampleRecord(_ bytes: [UInt8], key: String, schema: Schema?) -> Bool {
    if let schema, schema.sampleFields.values.contains(where: \.required) { return false }
    return bytes.withUnsafeBytes { raw in
      var cursor = ByteCursor(raw)
      return cursor.sampleRecord(key: key)
    }
  }
}

extension FieldDefinition {
  /// Whether any attribute of the field, or of one of its classes, is required.
  fileprivate var hasRequiredAttributes: Bool {
    attributes.values.contains(where: \.required)
      || classAttributes.values.contains { $0.values.contains(where: \.required) }
  }
}

/// What a number token looked like.
private struct NumberToken {
  var negative: Bool
  var isInteger: Bool
  /// The integer part is exactly `0`.
  var integerIsZero: Bool
  /// The integer part is exactly `1`.
  var integerIsOne: Bool
  /// The fraction is absent or exactly `0`.
  var fractionIsZero: Bool
}

/// A forward reader of canonical JSON bytes that answers "recognised or not".
private struct ByteCursor {
  let bytes: UnsafeRawBufferPointer
  var at = 0

  init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

  /// Consumes `text` when the bytes continue with it.
  mutating func literal(_ text: StaticString) -> Bool {
    let count = text.utf8CodeUnitCount
    guard at + count <= bytes.count, let base = bytes.baseAddress else { return false }
    guard memcmp(base + at, text.utf8Start, count) == 0 else { return false }
    at += count
    return true
  }

  func next(is byte: UInt8) -> Bool { at < bytes.count && bytes[at] == byte }

  /// A string of printable ASCII without quotes or backslashes (so its canonical form is its
  /// bytes); returns the range of its content.
  mutating func plainString() -> Range<Int>? {
    guard next(is: UInt8(ascii: "\"")) else { return nil }
    let start = at + 1
    var index = start
    while index < bytes.count {
      let byte = bytes[index]
      if byte == UInt8(ascii: "\"") {
        at = index + 1
        return start..<index
      }
      if byte < 0x20 || byte > 0x7E || byte == UInt8(ascii: "\\") { return nil }
      index += 1
    }
    return nil
  }

  func equal(_ range: Range<Int>, _ text: String) -> Bool {
    let utf8 = text.utf8
    guard utf8.count == range.count else { return false }
    var index = range.lowerBound
    for byte in utf8 {
      if bytes[index] != byte { return false }
      index += 1
    }
    return true
  }

  func equal(_ first: Range<Int>, _ second: Range<Int>) -> Bool {
    guard first.count == second.count else { return false }
    var offset = 0
    while offset < first.count {
      if bytes[first.lowerBound + offset] != bytes[second.lowerBound + offset] { return false }
      offset += 1
    }
    return true
  }

  /// A number in the form the canonical encoder prints and the parser recognises as such
  /// without asking the encoder: an integer of at most 15 digits other than `-0`, or a plain
  /// decimal of at most 15 significant digits, no exponent, no trailing zero in the fraction
  /// unless it is `.0`, and no more than three zeros after `0.`.
  mutating func number() -> NumberToken? {
    var index = at
    let negative = index < bytes.count && bytes[index] == UInt8(ascii: "-")
    if negative { index += 1 }
    let integerStart = index
    while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
      index += 1
    }
    let integerCount = index - integerStart
    guard integerCount >= 1, integerCount <= 15 else { return nil }
    let integerIsZero = bytes[integerStart] == UInt8(ascii: "0")
    if integerIsZero && integerCount > 1 { return nil }
    let integerIsOne = integerCount == 1 && bytes[integerStart] == UInt8(ascii: "1")
    guard index < bytes.count else { return nil }
    if bytes[index] != UInt8(ascii: ".") {
      guard bytes[index] != UInt8(ascii: "e"), bytes[index] != UInt8(ascii: "E") else {
        return nil
      }
      if negative && integerIsZero { return nil }
      at = index
      return NumberToken(
        negative: negative, isInteger: true, integerIsZero: integerIsZero,
        integerIsOne: integerIsOne, fractionIsZero: true)
    }
    index += 1
    let fractionStart = index
    while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
      index += 1
    }
    let fractionCount = index - fractionStart
    guard fractionCount >= 1, index < bytes.count else { return nil }
    guard bytes[index] != UInt8(ascii: "e"), bytes[index] != UInt8(ascii: "E") else { return nil }
    guard
      JSONParser.isCanonicalDecimal(
        bytes, integer: integerStart..<(integerStart + integerCount),
        fraction: fractionStart..<index)
    else { return nil }
    let fractionIsZero = fractionCount == 1 && bytes[fractionStart] == UInt8(ascii: "0")
    at = index
    return NumberToken(
      negative: negative, isInteger: false, integerIsZero: integerIsZero,
      integerIsOne: integerIsOne, fractionIsZero: fractionIsZero)
  }

  /// The bytes end here with the one final newline.
  func atCanonicalEnd() -> Bool { at + 1 == bytes.count && bytes[at] == 0x0A }

  // MARK: Label files

  /// `{"field":F,"labels":[…],"sample":S}` and a newline.
  mutating func labelFile(field: String, sample: String, definition: FieldDefinition?) -> Bool {
    guard literal("{\"field\":"), let name = plainString(), equal(name, field),
      literal(",\"labels\":[")
    else { return false }
    var ids: [Range<Int>] = []
    if !literal("]") {
      while true {
        guard ids.count < FastValidator.labelLimit, let id = label(definition) else {
          return false
        }
        for previous in ids where equal(previous, id) { return false }
        ids.append(id)
        if literal("]") { break }
        guard literal(",") else { return false }
      }
    }
    if let definition, definition.type.isSingle, ids.count > 1 { return false }
    guard literal(",\"sample\":"), let key = plainString(), equal(key, sample), literal("}")
    else { return false }
    return atCanonicalEnd()
  }

  /// A detection (`bbox`, optional `confidence`, `id`, `label`, `type`) or a classification
  /// (the same without `bbox`); returns the range of its id.
  mutating func label(_ definition: FieldDefinition?) -> Range<Int>? {
    guard literal("{") else { return nil }
    var hasBox = false
    if literal("\"bbox\":[") {
      // x and y may be any number; width and height not negative.
      guard number() != nil, literal(","), number() != nil, literal(","),
        let width = number(), !width.negative, literal(","),
        let height = number(), !height.negative, literal("]"), literal(",")
      else { return nil }
      hasBox = true
    }
    if literal("\"confidence\":") {
      // 0 to 1: `0`, `1`, `1.0` or `0.…`.
      guard let confidence = number(), !confidence.negative,
        confidence.integerIsZero || confidence.integerIsOne && confidence.fractionIsZero,
        literal(",")
      else { return nil }
    }
    guard literal("\"id\":"), let id = plainString(), isLabelID(id), literal(",\"label\":"),
      let className = plainString(), !className.isEmpty, literal(",\"type\":")
    else { return nil }
    let type: String
    if literal("\"detection\"") {
      guard hasBox else { return nil }
      type = "detection"
    } else if literal("\"classification\"") {
      guard !hasBox else { return nil }
      type = "classification"
    } else {
      return nil
    }
    guard literal("}") else { return nil }
    if let definition {
      guard definition.type.labelType == type else { return nil }
      if let classes = definition.classes, !classes.contains(where: { equal(className, $0) }) {
        return nil
      }
    }
    return id
  }

  /// 1 to 64 letters, digits, `_` or `-` (``FormatV1/labelIDProblem(_:)``).
  func isLabelID(_ range: Range<Int>) -> Bool {
    !range.isEmpty && range.count <= 64 && range.allSatisfy { FormatV1.isNameByte(bytes[$0]) }
  }

  // MARK: Sample records

  /// `{"fields":{},"key":K,"media":{…},"tags":[…]}` and a newline.
  mutating func sampleRecord(key: String) -> Bool {
    guard literal("{\"fields\":{},\"key\":"), let name = plainString(), equal(name, key),
      literal(",\"media\":{"), media(), literal(",\"tags\":[")
    else { return false }
    if !literal("]") {
      while true {
        guard let tag = plainString(), !tag.isEmpty else { return false }
        if literal("]") { break }
        guard literal(",") else { return false }
      }
    }
    return literal("}") && atCanonicalEnd()
  }

  /// The members of a media record that is not `missing`, after its `{`, through its `}`:
  /// `format`, optional `height`, `kind`, optional `points`, `sha256`, `size`, `uri`,
  /// optional `width`.
  mutating func media() -> Bool {
    guard literal("\"format\":"), let format = plainString(), !format.isEmpty,
      literal(",")
    else { return false }
    if literal("\"height\":") {
      guard positiveInteger(), literal(",") else { return false }
    }
    guard literal("\"kind\":"), literal("\"image\"") || literal("\"point_cloud\""), literal(",")
    else { return false }
    if literal("\"points\":") {
      guard positiveInteger(), literal(",") else { return false }
    }
    guard literal("\"sha256\":"), let sha = plainString(), isSHA256(sha),
      literal(",\"size\":"), let size = number(), size.isInteger, !size.negative,
      literal(",\"uri\":"), let uri = plainString(), isPlainRelativeURI(uri)
    else { return false }
    if literal(",\"width\":") {
      guard positiveInteger() else { return false }
    }
    return literal("}")
  }

  mutating func positiveInteger() -> Bool {
    guard let value = number(), value.isInteger, !value.negative, !value.integerIsZero else {
      return false
    }
    return true
  }

  func isSHA256(_ range: Range<Int>) -> Bool {
    guard range.count == 64 else { return false }
    for index in range {
      switch bytes[index] {
      case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): continue
      default: return false
      }
    }
    return true
  }

  /// A non-empty relative path without `://`, a leading `/`, empty segments or `..`
  /// (``MediaRecord/uriProblem(_:)`` accepts it; URIs with a scheme go the long way).
  func isPlainRelativeURI(_ range: Range<Int>) -> Bool {
    guard !range.isEmpty, bytes[range.lowerBound] != UInt8(ascii: "/"),
      bytes[range.upperBound - 1] != UInt8(ascii: "/")
    else { return false }
    var segmentStart = range.lowerBound
    for index in range {
      let byte = bytes[index]
      if byte == UInt8(ascii: ":") { return false }
      guard byte == UInt8(ascii: "/") else { continue }
      let length = index - segmentStart
      if length == 0 { return false }
      if length == 2 && bytes[segmentStart] == UInt8(ascii: ".")
        && bytes[segmentStart + 1] == UInt8(ascii: ".")
      {
        return false
      }
      segmentStart = index + 1
    }
    let last = range.upperBound - segmentStart
    return
      !(last == 2 && bytes[segmentStart] == UInt8(ascii: ".")
      && bytes[segmentStart + 1] == UInt8(ascii: "."))
  }
}
