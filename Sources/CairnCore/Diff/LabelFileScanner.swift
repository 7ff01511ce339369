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
    var scanner = Scanner(bytes: bytes)
    return scanner.labels()
  }

  private struct Scanner {
    let bytes: [UInt8]
    var at = 0

    mutating func skipSpace() {
      while at < bytes.count,
        bytes[at] == 0x20 || bytes[at] == 0x0A || bytes[at] == 0x0D
          || bytes[at] == 0x09
      {
        at += 1
      }
    }

    /// Moves past a string starting at `at` (a quote); returns the range of its contents.
    mutating func string() -> Range<Int>? {
      guard at < bytes.count, bytes[at] == 0x22 else { return nil }
      let start = at + 1
      var index = start
      while index < bytes.count {
        switch bytes[index] {
        case 0x22:
          at = index + 1
          return start..<index
        case 0x5C: index += 2
        default: index += 1
        }
      }
      return nil
    }

    /// Moves past one value of any kind.
    mutating func value() -> Bool {
      guard at < bytes.count else { return false }
      switch bytes[at] {
      case 0x22: return string() != nil
      case 0x5B, 0x7B:
        var depth = 0
        while at < bytes.count {
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
        while at < bytes.count, bytes[at] != 0x2C, bytes[at] != 0x5D, bytes[at] != 0x7D,
          bytes[at] != 0x20, bytes[at] != 0x0A, bytes[at] != 0x0D, bytes[at] != 0x09
        {
          at += 1
        }
        return at > start
      }
    }

    mutating func labels() -> [ArraySlice<UInt8>]? {
      skipSpace()
      guard at < bytes.count, bytes[at] == 0x7B else { return nil }
      at += 1
      var found: [ArraySlice<UInt8>]?
      while true {
        skipSpace()
        guard at < bytes.count else { return nil }
        if bytes[at] == 0x7D { break }
        guard let name = string() else { return nil }
        skipSpace()
        guard at < bytes.count, bytes[at] == 0x3A else { return nil }
        at += 1
        skipSpace()
        if bytes[name].elementsEqual("labels".utf8) {
          guard found == nil, let elements = array() else { return nil }
          found = elements
        } else if !value() {
          return nil
        }
        skipSpace()
        guard at < bytes.count else { return nil }
        if bytes[at] == 0x2C {
          at += 1
        } else if bytes[at] != 0x7D {
          return nil
        }
      }
      return found
    }

    /// The element slices of an array starting at `at`.
    mutating func array() -> [ArraySlice<UInt8>]? {
      guard at < bytes.count, bytes[at] == 0x5B else { return nil }
      at += 1
      var elements: [ArraySlice<UInt8>] = []
      skipSpace()
      if at < bytes.count, bytes[at] == 0x5D {
        at += 1
        return elements
      }
      while true {
        skipSpace()
        let start = at
        guard value() else { return nil }
        elements.append(bytes[start..<at])
        skipSpace()
        guard at < bytes.count else { return nil }
        if bytes[at] == 0x2C {
          at += 1
        } else if bytes[at] == 0x5D {
          at += 1
          return elements
        } else {
          return nil
        }
      }
    }
  }
}
