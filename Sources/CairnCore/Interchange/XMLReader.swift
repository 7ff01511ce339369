internal import GitStore

/// An element of an XML document, with its attributes, text and child elements.
///
/// Only what annotation formats use is kept: attribute order is preserved, character data of
/// the element itself (CDATA included) is concatenated into `text`, comments and processing
/// instructions are dropped.
package struct XMLElement: Sendable {
  package var name: String
  /// The attributes in document order.
  package var attributes: [(name: String, value: String)]
  package var children: [XMLElement]
  /// The element's own character data, entities decoded, not trimmed.
  package var text: String
  /// The line of the start tag, counted from 1.
  package var line: Int

  package init(
    name: String, attributes: [(name: String, value: String)] = [], children: [XMLElement] = [],
    text: String = "", line: Int = 0
  ) {
    self.name = name
    self.attributes = attributes
    self.children = children
    self.text = text
    self.line = line
  }

  /// The value of attribute `name`, or nil.
  package subscript(attribute name: String) -> String? {
    attributes.first { $0.name == name }?.value
  }

  /// The first child element called `name`.
  package func child(_ name: String) -> XMLElement? {
    children.first { $0.name == name }
  }

  /// Every child element called `name`, in order.
  package func children(_ name: String) -> [XMLElement] {
    children.filter { $0.name == name }
  }

  /// The trimmed text of the first child called `name`, or nil when there is no such child.
  package func childText(_ name: String) -> String? {
    child(name).map { $0.text.trimmingWhitespace() }
  }
}

/// Why an XML document could not be read, and where.
package struct XMLProblem: Error, Sendable, CustomStringConvertible {
  /// The line, counted from 1.
  package var line: Int
  package var reason: String
  package var description: String { "line \(line): \(reason)" }

  package init(line: Int, _ reason: String) {
    self.line = line
    self.reason = reason
  }
}

/// A small, strict XML reader for annotation files (Pascal VOC, CVAT).
///
/// It reads well-formed UTF-8 XML 1.0: the XML declaration, elements, attributes, character
/// data, CDATA sections, comments, processing instructions, the predefined entities (`&lt;`
/// `&gt;` `&amp;` `&quot;` `&apos;`) and character references (`&#38;`, `&#x26;`). Document
/// type declarations are refused, so no entity is ever expanded from a DTD; so are other
/// encodings than UTF-8 and anything that is not well formed (a mismatched end tag, a
/// duplicate attribute, a bare `&` or `<`, text after the root element).
package enum XMLReader {
  /// Parses `bytes` into the document's root element.
  ///
  /// - Complexity: O(n) in the size of the document.
  /// - Throws: `XMLProblem` naming the line and the rule broken.
  package static func parse(_ bytes: [UInt8]) throws(XMLProblem) -> XMLElement {
    var scanner = Scanner(bytes: bytes)
    return try scanner.document()
  }

  /// Parses the file at `path`.
  ///
  /// - Throws: `CairnError` `.notFound` when it cannot be read, `.invalidInput` as
  ///   `<path>: line <n>: broken XML: <reason>` when it is not well-formed XML.
  package static func parse(file path: String) throws(CairnError) -> XMLElement {
    let bytes: [UInt8]
    do {
      bytes = try FileIO.read(path)
    } catch {
      throw CairnError(.notFound, "cannot read \(path): \(error.message)")
    }
    do {
      return try parse(bytes)
    } catch {
      throw CairnError(.invalidInput, "\(path): line \(error.line): broken XML: \(error.reason)")
    }
  }

  /// `text` with `& < > " '` written as entities, for attribute values and character data.
  package static func escaped(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for character in text {
      switch character {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&apos;"
      default: out.append(character)
      }
    }
    return out
  }
}

private struct Scanner {
  let bytes: [UInt8]
  var index = 0
  var line = 1
  /// How many elements are open; bounded so that a hostile file cannot exhaust the stack.
  var depth = 0
  static let maximumDepth = 256

  init(bytes: [UInt8]) {
    self.bytes = bytes
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
  }

  var atEnd: Bool { index >= bytes.count }

  func peek(_ offset: Int = 0) -> UInt8? {
    index + offset < bytes.count ? bytes[index + offset] : nil
  }

  func startsWith(_ text: String) -> Bool {
    var at = index
    for byte in text.utf8 {
      guard at < bytes.count, bytes[at] == byte else { return false }
      at += 1
    }
    return true
  }

  mutating func advance(_ count: Int = 1) {
    for _ in 0..<count where index < bytes.count {
      if bytes[index] == UInt8(ascii: "\n") { line += 1 }
      index += 1
    }
  }

  func problem(_ reason: String) -> XMLProblem { XMLProblem(line: line, reason) }

  mutating func skipWhitespace() {
    while let byte = peek(), isSpace(byte) { advance() }
  }

  func isSpace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
  }

  mutating func document() throws(XMLProblem) -> XMLElement {
    if startsWith("<?xml") {
      let fields = try processingInstruction()
      if let encoding = pseudoAttribute("encoding", in: fields) {
        let lowered = encoding.lowercased()
        guard lowered == "utf-8" || lowered == "utf8" || lowered == "us-ascii" else {
          throw problem("encoding '\(encoding)' is not supported; convert the file to UTF-8")
        }
      }
    }
    try misc()
    guard peek() == UInt8(ascii: "<") else {
      throw problem(atEnd ? "the document has no root element" : "text before the root element")
    }
    let root = try element()
    try misc()
    if !atEnd { throw problem("content after the root element") }
    return root
  }

  /// Comments, processing instructions and whitespace outside the root element.
  mutating func misc() throws(XMLProblem) {
    while true {
      skipWhitespace()
      if startsWith("<!--") {
        try comment()
      } else if startsWith("<?") {
        _ = try processingInstruction()
      } else if startsWith("<!DOCTYPE") {
        throw problem("document type declarations (<!DOCTYPE …>) are not supported")
      } else {
        return
      }
    }
  }

  mutating func comment() throws(XMLProblem) {
    let start = line
    advance(4)
    while !atEnd {
      if startsWith("--") {
        guard peek(2) == UInt8(ascii: ">") else { throw problem("'--' inside a comment") }
        advance(3)
        return
      }
      advance()
    }
    throw XMLProblem(line: start, "comment not closed")
  }

  /// Skips `<?…?>`, returning its contents after the target name.
  mutating func processingInstruction() throws(XMLProblem) -> String {
    let start = line
    advance(2)
    let from = index
    while !atEnd {
      if startsWith("?>") {
        let body = String(decoding: bytes[from..<index], as: UTF8.self)
        advance(2)
        return body
      }
      advance()
    }
    throw XMLProblem(line: start, "processing instruction not closed ('?>')")
  }

  func pseudoAttribute(_ name: String, in text: String) -> String? {
    guard let range = text.firstRange(of: name + "=") else { return nil }
    let rest = text[range.upperBound...]
    guard let quote = rest.first, quote == "\"" || quote == "'" else { return nil }
    return String(rest.dropFirst().prefix { $0 != quote })
  }

  func isNameByte(_ byte: UInt8, first: Bool) -> Bool {
    if byte >= 0x80 { return true }
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
      UInt8(ascii: "_"), UInt8(ascii: ":"):
      return true
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."):
      return !first
    default: return false
    }
  }

  mutating func name() throws(XMLProblem) -> String {
    let from = index
    guard let first = peek(), isNameByte(first, first: true) else {
      throw problem("expected a name")
    }
    advance()
    while let byte = peek(), isNameByte(byte, first: false) { advance() }
    return String(decoding: bytes[from..<index], as: UTF8.self)
  }

  mutating func element() throws(XMLProblem) -> XMLElement {
    let startLine = line
    depth += 1
    defer { depth -= 1 }
    guard depth <= Self.maximumDepth else {
      throw problem("elements are nested more than \(Self.maximumDepth) deep")
    }
    advance()  // <
    var element = XMLElement(name: try name(), line: startLine)
    while true {
      let hadSpace = peek().map(isSpace) ?? false
      skipWhitespace()
      guard let byte = peek() else { throw problem("start tag <\(element.name)> not closed") }
      if byte == UInt8(ascii: "/") {
        guard peek(1) == UInt8(ascii: ">") else { throw problem("expected '/>'") }
        advance(2)
        return element
      }
      if byte == UInt8(ascii: ">") {
        advance()
        break
      }
      guard hadSpace else { throw problem("expected a space before an attribute") }
      let attribute = try name()
      skipWhitespace()
      guard peek() == UInt8(ascii: "=") else {
        throw problem("attribute '\(attribute)' has no value")
      }
      advance()
      skipWhitespace()
      let value = try attributeValue()
      if element[attribute: attribute] != nil {
        throw problem("attribute '\(attribute)' appears twice in <\(element.name)>")
      }
      element.attributes.append((attribute, value))
    }
    // Content.
    var text: [UInt8] = []
    while true {
      guard let byte = peek() else {
        throw XMLProblem(line: startLine, "element <\(element.name)> is not closed")
      }
      if byte == UInt8(ascii: "<") {
        if startsWith("</") {
          advance(2)
          let closing = try name()
          guard closing == element.name else {
            throw problem(
              "end tag </\(closing)> does not match <\(element.name)> opened on line \(startLine)"
            )
          }
          skipWhitespace()
          guard peek() == UInt8(ascii: ">") else { throw problem("expected '>'") }
          advance()
          element.text = String(decoding: text, as: UTF8.self)
          return element
        } else if startsWith("<!--") {
          try comment()
        } else if startsWith("<![CDATA[") {
          advance(9)
          let start = line
          while !startsWith("]]>") {
            guard let next = peek() else { throw XMLProblem(line: start, "CDATA not closed") }
            text.append(next)
            advance()
          }
          advance(3)
        } else if startsWith("<?") {
          _ = try processingInstruction()
        } else if startsWith("<!") {
          throw problem("unexpected '<!' in content")
        } else {
          element.children.append(try self.element())
        }
      } else if byte == UInt8(ascii: "&") {
        text += try reference()
      } else {
        if byte == UInt8(ascii: ">") && startsWithBackward("]]") {
          throw problem("']]>' in character data")
        }
        text.append(byte)
        advance()
      }
    }
  }

  func startsWithBackward(_ text: String) -> Bool {
    let needle = Array(text.utf8)
    guard index >= needle.count else { return false }
    return Array(bytes[(index - needle.count)..<index]) == needle
  }

  mutating func attributeValue() throws(XMLProblem) -> String {
    guard let quote = peek(), quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
      throw problem("an attribute value must be quoted")
    }
    let start = line
    advance()
    var value: [UInt8] = []
    while true {
      guard let byte = peek() else { throw XMLProblem(line: start, "attribute value not closed") }
      if byte == quote {
        advance()
        return String(decoding: value, as: UTF8.self)
      }
      switch byte {
      case UInt8(ascii: "<"): throw problem("'<' inside an attribute value")
      case UInt8(ascii: "&"): value += try reference()
      // Attribute-value normalisation: white space characters become spaces.
      case 0x09, 0x0A, 0x0D:
        value.append(0x20)
        advance()
      default:
        value.append(byte)
        advance()
      }
    }
  }

  /// Decodes `&name;` or `&#…;` at the current position.
  mutating func reference() throws(XMLProblem) -> [UInt8] {
    advance()  // &
    let from = index
    while let byte = peek(), byte != UInt8(ascii: ";") {
      guard index - from < 12, !isSpace(byte), byte != UInt8(ascii: "<") else {
        throw problem("'&' must start an entity such as &amp;")
      }
      advance()
    }
    guard peek() == UInt8(ascii: ";") else {
      throw problem("'&' must start an entity such as &amp;")
    }
    let entity = String(decoding: bytes[from..<index], as: UTF8.self)
    advance()
    switch entity {
    case "lt": return [UInt8(ascii: "<")]
    case "gt": return [UInt8(ascii: ">")]
    case "amp": return [UInt8(ascii: "&")]
    case "quot": return [UInt8(ascii: "\"")]
    case "apos": return [UInt8(ascii: "'")]
    default: break
    }
    var code: UInt32?
    if entity.hasPrefix("#x") {
      code = UInt32(entity.dropFirst(2), radix: 16)
    } else if entity.hasPrefix("#") {
      code = UInt32(entity.dropFirst(1), radix: 10)
    } else {
      throw problem("unknown entity '&\(entity);'")
    }
    guard let code, code != 0, let scalar = Unicode.Scalar(code) else {
      throw problem("'&\(entity);' is not a valid character reference")
    }
    return Array(String(Character(scalar)).utf8)
  }
}
