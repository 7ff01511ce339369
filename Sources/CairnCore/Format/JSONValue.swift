/// A JSON value as Cairn stores it.
///
/// Integers and floating-point numbers stay distinct (`3` and `3.0` are different values), so
/// that parsing a canonical encoding and writing it again gives back the same bytes.
package enum JSONValue: Sendable, Equatable {
  case null
  case bool(Bool)
  case int(Int64)
  case double(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  /// The members of an object, or nil.
  package var object: [String: JSONValue]? {
    if case .object(let members) = self { return members }
    return nil
  }

  /// The elements of an array, or nil.
  package var array: [JSONValue]? {
    if case .array(let elements) = self { return elements }
    return nil
  }

  /// The text of a string, or nil.
  package var string: String? {
    if case .string(let text) = self { return text }
    return nil
  }

  /// An integer, or nil.
  package var int: Int64? {
    if case .int(let value) = self { return value }
    return nil
  }

  /// Any number as a double, or nil.
  package var number: Double? {
    switch self {
    case .int(let value): Double(value)
    case .double(let value): value
    default: nil
    }
  }

  /// A boolean, or nil.
  package var bool: Bool? {
    if case .bool(let value) = self { return value }
    return nil
  }

  /// The member `key` of an object.
  package subscript(key: String) -> JSONValue? { object?[key] }
}

/// Where and why JSON could not be parsed.
package struct JSONParseError: Error, Sendable, CustomStringConvertible {
  package var line: Int
  package var column: Int
  package var reason: String
  package var description: String { "line \(line), column \(column): \(reason)" }
}
