/// What a query expression is evaluated against: a sample or one label.
///
/// The context fixes which names a path may start with (see `Docs/views.md`).
package enum QueryContext: Sendable, Equatable {
  /// A sample record and its labels: `key`, `tags`, `fields.…`, `media.…`, `group.…`, and
  /// `labels.<field>` inside `exists`, `missing` and `count`.
  case sample
  /// One label of a label file: any member (`label`, `confidence`, `attributes.…`, `tags`…).
  case label
}

/// A dotted path to a value: `fields.weather`, `media.width`, `attributes.occluded`.
package struct QueryPath: Sendable, Equatable, CustomStringConvertible {
  package var segments: [String]

  package init(_ segments: [String]) { self.segments = segments }

  package var description: String { segments.joined(separator: ".") }

  /// The label field a `labels.<field>` path names, or nil.
  package var labelField: String? {
    segments.count == 2 && segments[0] == "labels" ? segments[1] : nil
  }
}

/// A comparison operator.
package enum QueryComparison: String, Sendable, Equatable {
  case equal = "=="
  case notEqual = "!="
  case less = "<"
  case lessOrEqual = "<="
  case greater = ">"
  case greaterOrEqual = ">="
}

/// One side of a comparison: a value read from the subject, a literal, or a count.
package enum QueryOperand: Sendable, Equatable, CustomStringConvertible {
  case path(QueryPath)
  case literal(JSONValue)
  /// A list literal `[a, b]`, the right side of `in`.
  case list([JSONValue])
  /// `count(path)`: the number of labels in a field, or of elements in an array.
  case count(QueryPath)

  package var description: String {
    switch self {
    case .path(let path): path.description
    case .literal(let value): QueryExpression.literalText(value)
    case .list(let values):
      "[" + values.map(QueryExpression.literalText).joined(separator: ", ") + "]"
    case .count(let path): "count(\(path))"
    }
  }
}

/// A parsed predicate of the view language.
///
/// Printing (`description`) gives the normalised text that `cairn view save` stores: single
/// spaces, double-quoted strings, canonical numbers and only the parentheses precedence needs.
package enum QueryExpression: Sendable, Equatable, CustomStringConvertible {
  indirect case and([QueryExpression])
  indirect case or([QueryExpression])
  indirect case not(QueryExpression)
  case compare(QueryOperand, QueryComparison, QueryOperand)
  /// `left in right`: right is a list literal or a path to an array.
  case within(QueryOperand, QueryOperand)
  /// `exists(path)`: the value is present (for `labels.<field>`: at least one label).
  case exists(QueryPath)
  /// `missing(path)`: the opposite of `exists`.
  case missing(QueryPath)

  package var description: String { text(precedence: 0) }

  /// Binding strength: `or` 1, `and` 2, `not` 3, everything else 4.
  private var precedence: Int {
    switch self {
    case .or: 1
    case .and: 2
    case .not: 3
    default: 4
    }
  }

  private func text(precedence outer: Int) -> String {
    let inner: String
    switch self {
    case .or(let terms): inner = terms.map { $0.text(precedence: 2) }.joined(separator: " or ")
    case .and(let terms): inner = terms.map { $0.text(precedence: 3) }.joined(separator: " and ")
    case .not(let term): inner = "not " + term.text(precedence: 3)
    case .compare(let left, let op, let right): inner = "\(left) \(op.rawValue) \(right)"
    case .within(let left, let right): inner = "\(left) in \(right)"
    case .exists(let path): inner = "exists(\(path))"
    case .missing(let path): inner = "missing(\(path))"
    }
    return precedence < outer ? "(" + inner + ")" : inner
  }

  static func literalText(_ value: JSONValue) -> String {
    var bytes: [UInt8] = []
    CanonicalJSON.encodeFragment(value, into: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Every label field this expression reads through `labels.<field>`.
  package var labelFields: Set<String> {
    switch self {
    case .and(let terms), .or(let terms):
      terms.reduce(into: Set<String>()) { $0.formUnion($1.labelFields) }
    case .not(let term): term.labelFields
    case .compare(let left, _, let right), .within(let left, let right):
      left.labelFields.union(right.labelFields)
    case .exists(let path), .missing(let path): path.labelField.map { [$0] } ?? []
    }
  }

  /// Every path the expression reads (including those of `exists`, `missing`, `count`).
  package var paths: [QueryPath] {
    switch self {
    case .and(let terms), .or(let terms): terms.flatMap(\.paths)
    case .not(let term): term.paths
    case .compare(let left, _, let right), .within(let left, let right): left.paths + right.paths
    case .exists(let path), .missing(let path): [path]
    }
  }

  /// Whether the expression reads the sample record (anything but `labels.<field>`).
  package var readsRecord: Bool {
    switch self {
    case .and(let terms), .or(let terms): terms.contains { $0.readsRecord }
    case .not(let term): term.readsRecord
    case .compare(let left, _, let right), .within(let left, let right):
      left.readsRecord || right.readsRecord
    case .exists(let path), .missing(let path): path.labelField == nil
    }
  }
}

extension QueryOperand {
  var paths: [QueryPath] {
    switch self {
    case .path(let path), .count(let path): [path]
    case .literal, .list: []
    }
  }

  var labelFields: Set<String> {
    if case .count(let path) = self, let field = path.labelField { return [field] }
    return []
  }

  var readsRecord: Bool {
    switch self {
    case .path: true
    case .count(let path): path.labelField == nil
    case .literal, .list: false
    }
  }
}

// MARK: Evaluation

/// The values a query reads: a sample record with the labels loaded so far, or one label.
package struct QuerySubject {
  /// The sample record, or the label, as JSON.
  package var value: JSONValue
  /// Labels by field (sample context only); a field absent here has no labels.
  package var labels: [String: [JSONValue]]

  package init(value: JSONValue, labels: [String: [JSONValue]] = [:]) {
    self.value = value
    self.labels = labels
  }

  /// The value at `path`, or nil when it is missing.
  func resolve(_ path: QueryPath) -> JSONValue? {
    var current = value
    for segment in path.segments {
      guard let next = current[segment] else { return nil }
      current = next
    }
    return current
  }

  func resolve(_ operand: QueryOperand) -> JSONValue? {
    switch operand {
    case .path(let path): resolve(path)
    case .literal(let value): value
    case .list(let values): .array(values)
    case .count(let path):
      if let field = path.labelField {
        .int(Int64(labels[field]?.count ?? 0))
      } else if let value = resolve(path) {
        value.array.map { .int(Int64($0.count)) }
      } else {
        .int(0)
      }
    }
  }

  func exists(_ path: QueryPath) -> Bool {
    if let field = path.labelField { return !(labels[field]?.isEmpty ?? true) }
    return resolve(path) != nil
  }
}

extension QueryExpression {
  /// Whether `subject` satisfies the expression.
  ///
  /// A missing value makes every comparison false except `!=`, which is true.
  package func matches(_ subject: QuerySubject) -> Bool {
    switch self {
    case .and(let terms): terms.allSatisfy { $0.matches(subject) }
    case .or(let terms): terms.contains { $0.matches(subject) }
    case .not(let term): !term.matches(subject)
    case .compare(let left, let op, let right):
      QueryValues.compare(subject.resolve(left), op, subject.resolve(right))
    case .within(let left, let right):
      if let value = subject.resolve(left), let list = subject.resolve(right)?.array {
        list.contains { QueryValues.equal(value, $0) }
      } else {
        false
      }
    case .exists(let path): subject.exists(path)
    case .missing(let path): !subject.exists(path)
    }
  }
}

/// Comparison and ordering of JSON values in queries.
package enum QueryValues {
  /// Numbers compare by value (`1 == 1.0`), strings by their UTF-8 bytes, other values by
  /// equality only.
  static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
    if let x = a.number, let y = b.number {
      if case .int(let i) = a, case .int(let j) = b { return i == j }
      return x == y
    }
    if case .string(let s) = a, case .string(let t) = b { return s.utf8.elementsEqual(t.utf8) }
    return a == b
  }

  static func compare(_ a: JSONValue?, _ op: QueryComparison, _ b: JSONValue?) -> Bool {
    guard let a, let b else { return op == .notEqual }
    switch op {
    case .equal: return equal(a, b)
    case .notEqual: return !equal(a, b)
    default: break
    }
    let order: Int
    if let x = a.number, let y = b.number {
      if case .int(let i) = a, case .int(let j) = b {
        order = i < j ? -1 : (i == j ? 0 : 1)
      } else {
        order = x < y ? -1 : (x == y ? 0 : 1)
      }
    } else if case .string(let s) = a, case .string(let t) = b {
      order = byteOrder(s, t)
    } else {
      return false
    }
    switch op {
    case .less: return order < 0
    case .lessOrEqual: return order <= 0
    case .greater: return order > 0
    default: return order >= 0
    }
  }

  /// -1, 0 or 1 by the UTF-8 bytes of two strings.
  static func byteOrder(_ s: String, _ t: String) -> Int {
    if s.utf8.elementsEqual(t.utf8) { return 0 }
    return s.utf8.lexicographicallyPrecedes(t.utf8) ? -1 : 1
  }

  /// The sort rank of a value's kind: numbers, strings, booleans, other values, then missing
  /// and null (which stay last in both directions).
  static func rank(_ value: JSONValue?) -> Int {
    switch value {
    case .int, .double: 0
    case .string: 1
    case .bool: 2
    case .array, .object: 3
    case .null, nil: 4
    }
  }

  /// The order of two sort values of the same rank: -1, 0 or 1.
  static func order(_ a: JSONValue?, _ b: JSONValue?) -> Int {
    switch (a, b) {
    case (.int(let i), .int(let j)): return i < j ? -1 : (i == j ? 0 : 1)
    case (.string(let s), .string(let t)): return byteOrder(s, t)
    case (.bool(let p), .bool(let q)): return p == q ? 0 : (p ? 1 : -1)
    default:
      if let x = a?.number, let y = b?.number { return x < y ? -1 : (x == y ? 0 : 1) }
      return 0
    }
  }
}

extension JSONProjection {
  /// The members of an object that `paths` start with, each kept whole.
  static func members(reading paths: [QueryPath]) -> JSONProjection {
    var names: [String: JSONProjection] = [:]
    for path in paths {
      if let first = path.segments.first { names[first] = .all }
    }
    return .members(names)
  }
}
