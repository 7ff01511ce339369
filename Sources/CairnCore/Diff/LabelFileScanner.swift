#if canImport(Glibc)
internal import Glibc
#endif

/// Finds the raw bytes of each label of a label file without parsing it.
///
/// A diff usually changes one label of a file and leaves the others byte for byte as they
/// were; splitting the `labels` array into element slices lets the equal ones be dropped with
/// one `memcmp` each, and only the others be parsed. The scan follows JSON's structure
/// (strings with escapes, nesting) but does not validate it: a slice it returns is parsed
/// later, and anything it cannot follow makes it return nil so that the caller parses the
/// whole file instead.
package enum LabelFileScanner {
  /// The elements of the top-level member `labels` (an array), or nil when the bytes are not
  /// an object with such a member, as far as the scan can tell.
  package static func labelElements(_ bytes: [UInt8]) -> [ArraySlice<UInt8>]? {
    let ranges = bytes.withUnsafeBytes { raw -> [Range<Int>]? in
      guard var scanner = Scanner(raw) else { return nil }
      return scanner.labels()
    }
    return ranges?.map { bytes[$0] }
  }

  /// The `id` and `label` (class) of one label's raw bytes, read without parsing the label;
  /// nil when the bytes are not an object with a plain (escape-free) string `id`.
  package static func idAndClass(_ label: ArraySlice<UInt8>) -> (id: String, label: String?)? {
    label.withUnsafeBytes { raw -> (id: String, label: String?)? in
      guard var scanner = Scanner(raw) else { return nil }
      return scanner.idAndClass()
    }
  }

  /// A cursor over bytes; every read is bounds-checked against `count` by hand.
  private struct Scanner {
    let bytes: UnsafePointer<UInt8>
    let count: Int
    var at = 0

    /// Nil for an empty buffer, which holds no JSON value anyway.
    init?(_ raw: UnsafeRawBufferPointer) {
      guard let base = raw.baseAddress, raw.count > 0 else { return nil }
      bytes = base.assumingMemoryBound(to: UInt8.self)
      count = raw.count
    }

    @inline(__always) func byte(_ index: Int) -> UInt8? { index < count ? bytes[index] : nil }

    mutating func skipSpace() {
      while at < count,
        bytes[at] == 0x20 || bytes[at] == 0x0A || bytes[at] == 0x0D
          || bytes[at] == 0x09
      {
        at += 1
      }
    }

    /// Moves past a string starting at `at` (a quote); returns the range of its contents.
    mutating func string() -> Range<Int>? {
      guard byte(at) == 0x22 else { return nil }
      let start = at + 1
      var index = start
      while index < count {
        // Jump to the next quote; it ends the string unless an odd run of backslashes
        // precedes it.
        guard let quote = memchr(bytes + index, 0x22, count - index) else { return nil }
        let position = UnsafeRawPointer(bytes).distance(to: UnsafeRawPointer(quote))
        var backslashes = 0
        while position - backslashes - 1 >= start && bytes[position - backslashes - 1] == 0x5C {
          backslashes += 1
        }
        if backslashes % 2 == 0 {
          at = position + 1
          return start..<position
        }
        index = position + 1
      }
      return nil
    }

    /// Moves past one value of any kind.
    mutating func value() -> Bool {
      guard let first = byte(at) else { return false }
      switch first {
      case 0x22: return string() != nil
      case 0x5B, 0x7B:
        var depth = 0
        while at < count {
          switch bytes[at] {
          case 0x22:
            if string() == nil { return false }
            continue
          case 0x5B, 0x7B: depth += 1
          case 0x5D, 0x7D:
            depth -= 1
            if depth == 0 {
              at += 1
              return true
            }
          default: break
          }
          at += 1
        }
        return false
      default:
        // A number or a literal: up to the next separator.
        let start = at
        while at < count, bytes[at] != 0x2C, bytes[at] != 0x5D, bytes[at] != 0x7D,
          bytes[at] != 0x20, bytes[at] != 0x0A, bytes[at] != 0x0D, bytes[at] != 0x09
        {
          at += 1
        }
        return at > start
      }
    }

    func equals(_ range: Range<Int>, _ text: StaticString) -> Bool {
      range.count == text.utf8CodeUnitCount
        && memcmp(bytes + range.lowerBound, text.utf8Start, range.count) == 0
    }

    /// Calls `member` with each member name of the object starting at `at`, positioned on
    /// its value; `member` must move past the value and return false to stop the scan.
    mutating func members(_ member: (inout Scanner, Range<Int>) -> Bool) -> Bool {
      skipSpace()
      guard byte(at) == 0x7B else { return false }
      at += 1
      while true {
        skipSpace()
        guard let next = byte(at) else { return false }
        if next == 0x7D { return true }
        guard let name = string() else { return false }
        skipSpace()
        guard byte(at) == 0x3A else { return false }
        at += 1
        skipSpace()
        guard member(&self, name) else { return false }
        skipSpace()
        guard let separator = byte(at) else { return false }
        if separator == 0x2C {
          at += 1
        } else if separator != 0x7D {
          return false
        }
      }
    }

    mutating func labels() -> [Range<Int>]? {
      var found: [Range<Int>]?
      let complete = members { scanner, name in
        if scanner.equals(name, "labels") {
          guard found == nil, let elements = scanner.array() else { return false }
          found = elements
          return true
        }
        return scanner.value()
      }
      return complete ? found : nil
    }

    mutating func idAndClass() -> (id: String, label: String?)? {
      var id: String?
      var label: String?
      let complete = members { scanner, name in
        let isID = scanner.equals(name, "id")
        guard isID || scanner.equals(name, "label") else { return scanner.value() }
        guard let value = scanner.string(),
          memchr(scanner.bytes + value.lowerBound, 0x5C, value.count) == nil
        else { return false }
        let text = String(
          decoding: UnsafeBufferPointer(
            start: scanner.bytes + value.lowerBound, count: value.count),
          as: UTF8.self)
        if isID { id = text } else { label = text }
        return true
      }
      guard complete, let id else { return nil }
      return (id, label)
    }

    /// The element ranges of an array starting at `at`.
    mutating func array() -> [Range<Int>]? {
      guard byte(at) == 0x5B else { return nil }
      at += 1
      var elements: [Range<Int>] = []
      skipSpace()
      if byte(at) == 0x5D {
        at += 1
        return elements
      }
      while true {
        skipSpace()
        let start = at
        guard value() else { return nil }
        elements.append(start..<at)
        skipSpace()
        guard let separator = byte(at) else { return nil }
        at += 1
        if separator == 0x5D { return elements }
        if separator != 0x2C { return nil }
      }
    }
  }
}
