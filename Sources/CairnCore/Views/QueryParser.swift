/// Why a query could not be parsed, and where.
package struct QueryError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The 1-based position (in characters) in the expression text.
  package var column: Int
  package var reason: String

  package var description: String { "column \(column): \(reason)" }
}

/// Parses the view language's predicates and operands (grammar in `Docs/views.md`).
///
/// ```
/// expression := or
/// or         := and ("or" and)*
/// and        := unary ("and" unary)*
/// unary      := "not" unary | "(" expression ")" | test
/// test       := ("exists" | "missing") "(" path ")"
///             | operand ("==" | "!=" | "<" | "<=" | ">" | ">=") operand
///             | operand "in" (list | path)
/// operand    := path | literal | "count" "(" path ")"
/// ```
package struct QueryParser {
  private enum Kind: Equatable {
    case word(String)
    case string(String)
    case number(JSONValue)
    case symbol(String)
    case end
  }

  private struct Token {
    var kind: Kind
    var column: Int
    var text: String
  }

  private static let keywords: Set<String> = [
    "and", "or", "not", "in", "true", "false", "null", "exists", "missing", "count",
  ]

  private let context: QueryContext
  private var tokens: [Token] = []
  private var position = 0

  /// Parses a predicate.
  ///
  /// - Parameters:
  ///   - text: The expression, for example `label == "car" and confidence > 0.5`.
  ///   - context: What the expression is evaluated against; it fixes the allowed paths.
  /// - Returns: The parsed expression.
  /// - Throws: `QueryError` naming the column and the problem.
  package static func parse(_ text: String, context: QueryContext) throws(QueryError)
    -> QueryExpression
  {
    var parser = try QueryParser(text: text, context: context)
    let expression = try parser.parseOr()
    try parser.expectEnd()
    return expression
  }

  /// Parses a single operand (a sort key): a path or `count(path)`.
  package static func parseOperand(_ text: String, context: QueryContext) throws(QueryError)
    -> QueryOperand
  {
    var parser = try QueryParser(text: text, context: context)
    let start = parser.current
    let operand = try parser.parseOperand()
    switch operand {
    case .path, .count: break
    default:
      throw QueryError(column: start.column, reason: "expected a path or count(…) to sort by")
    }
    try parser.expectEnd()
    return operand
  }

  /// Parses a single path, as `--exists` and `--missing` take it.
  package static func parsePath(_ text: String, context: QueryContext) throws(QueryError)
    -> QueryPath
  {
    var parser = try QueryParser(text: text, context: context)
    let path = try parser.parsePath(inFunction: true)
    try parser.expectEnd()
    return path
  }

  private init(text: String, context: QueryContext) throws(QueryError) {
    self.context = context
    tokens = try Self.tokenize(Array(text.unicodeScalars))
  }

  private var current: Token { tokens[position] }

  private mutating func advance() -> Token {
    let token = tokens[position]
    if position < tokens.count - 1 { position += 1 }
    return token
  }

  private func error(_ reason: String, at token: Token? = nil) -> QueryError {
    QueryError(column: (token ?? current).column, reason: reason)
  }

  private func describe(_ token: Token) -> String {
    token.kind == .end ? "the end of the expression" : "'\(token.text)'"
  }

  private mutating func expectEnd() throws(QueryError) {
    guard current.kind == .end else {
      throw error("unexpected \(describe(current)); expected 'and', 'or' or the end")
    }
  }

  private mutating func expectSymbol(_ symbol: String, after what: String) throws(QueryError) {
    guard current.kind == .symbol(symbol) else {
      throw error("expected '\(symbol)' \(what), found \(describe(current))")
    }
    _ = advance()
  }

  // MARK: Grammar

  private mutating func parseOr() throws(QueryError) -> QueryExpression {
    var terms = [try parseAnd()]
    while current.kind == .word("or") {
      _ = advance()
      terms.append(try parseAnd())
    }
    return terms.count == 1 ? terms[0] : .or(terms)
  }

  private mutating func parseAnd() throws(QueryError) -> QueryExpression {
    var terms = [try parseUnary()]
    while current.kind == .word("and") {
      _ = advance()
      terms.append(try parseUnary())
    }
    return terms.count == 1 ? terms[0] : .and(terms)
  }

  private mutating func parseUnary() throws(QueryError) -> QueryExpression {
    switch current.kind {
    case .word("not"):
      _ = advance()
      return .not(try parseUnary())
    case .symbol("("):
      let open = advance()
      if current.kind == .symbol(")") { throw error("empty parentheses") }
      let inner = try parseOr()
      guard current.kind == .symbol(")") else {
        throw error(
          "expected ')' to close the '(' at column \(open.column), found \(describe(current))")
      }
      _ = advance()
      return inner
    case .word("exists"), .word("missing"):
      let name = advance()
      try expectSymbol("(", after: "after '\(name.text)'")
      let path = try parsePath(inFunction: true)
      try expectSymbol(")", after: "after the path of '\(name.text)'")
      return name.kind == .word("exists") ? .exists(path) : .missing(path)
    case .end:
      throw error("expected a condition, found the end of the expression")
    default:
      return try parseTest()
    }
  }

  private mutating func parseTest() throws(QueryError) -> QueryExpression {
    let start = current
    let left = try parseOperand()
    if case .list = left {
      throw error("a list can only follow 'in'", at: start)
    }
    let op = current
    switch op.kind {
    case .symbol(let symbol):
      guard let comparison = QueryComparison(rawValue: symbol) else {
        throw error("expected a comparison operator after \(describe(start)), found '\(symbol)'")
      }
      _ = advance()
      if current.kind == .end {
        throw error("expected a value after '\(symbol)', found the end of the expression")
      }
      let valueToken = current
      let right = try parseOperand()
      if case .list = right {
        throw error("a list can only follow 'in'; use '\(left) in […]'", at: valueToken)
      }
      return .compare(left, comparison, right)
    case .word("in"):
      _ = advance()
      let listToken = current
      let right = try parseOperand()
      switch right {
      case .list, .path: break
      default:
        throw error("expected a list [a, b, …] or a path after 'in'", at: listToken)
      }
      return .within(left, right)
    case .word("not") where tokens[min(position + 1, tokens.count - 1)].kind == .word("in"):
      throw error("write 'not (x in [...])' instead of 'x not in [...]'")
    case .end:
      throw error(
        "expected a comparison operator (==, !=, <, <=, >, >=, in) after \(describe(start))")
    default:
      throw error(
        "expected a comparison operator (==, !=, <, <=, >, >=, in) after \(describe(start)), found \(describe(op))"
      )
    }
  }

  private mutating func parseOperand() throws(QueryError) -> QueryOperand {
    let token = current
    switch token.kind {
    case .string(let text):
      _ = advance()
      return .literal(.string(text))
    case .number(let value):
      _ = advance()
      return .literal(value)
    case .word("true"):
      _ = advance()
      return .literal(.bool(true))
    case .word("false"):
      _ = advance()
      return .literal(.bool(false))
    case .word("null"):
      _ = advance()
      return .literal(.null)
    case .word("count"):
      _ = advance()
      try expectSymbol("(", after: "after 'count'")
      let path = try parsePath(inFunction: true)
      try expectSymbol(")", after: "after the path of 'count'")
      return .count(path)
    case .symbol("["):
      _ = advance()
      var values: [JSONValue] = []
      if current.kind == .symbol("]") {
        _ = advance()
        return .list(values)
      }
      while true {
        let element = current
        guard case .literal(let value) = try parseOperand() else {
          throw error(
            "a list holds only literal values (strings, numbers, true, false, null)", at: element)
        }
        values.append(value)
        if current.kind == .symbol(",") {
          _ = advance()
          continue
        }
        if current.kind == .symbol("]") {
          _ = advance()
          return .list(values)
        }
        throw error("expected ',' or ']' in a list, found \(describe(current))")
      }
    case .word(let word) where Self.keywords.contains(word):
      throw error("expected a value, found the keyword '\(word)'")
    case .word:
      return .path(try parsePath(inFunction: false))
    case .end:
      throw error("expected a value, found the end of the expression")
    case .symbol(let symbol):
      throw error("expected a value, found '\(symbol)'")
    }
  }

  /// A path, checked against the context's names.
  private mutating func parsePath(inFunction: Bool) throws(QueryError) -> QueryPath {
    let token = current
    guard case .word(let word) = token.kind, !Self.keywords.contains(word) else {
      throw error("expected a path such as fields.<name>, found \(describe(token))")
    }
    _ = advance()
    let segments = word.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    if let empty = segments.firstIndex(where: \.isEmpty) {
      throw error(
        empty == segments.count - 1 ? "a path cannot end with '.'" : "a path has an empty segment",
        at: token)
    }
    if segments.contains(where: { $0.hasPrefix("-") }) {
      throw error("a path segment cannot start with '-'", at: token)
    }
    let path = QueryPath(segments)
    guard context == .sample else { return path }
    let problem: String?
    switch segments[0] {
    case "key", "tags":
      problem = segments.count == 1 ? nil : "'\(segments[0])' has no members"
    case "fields", "media":
      problem = segments.count >= 2 ? nil : "name a member: \(segments[0]).<name>"
    case "group":
      let member = segments.count == 2 && (segments[1] == "id" || segments[1] == "slice")
      problem =
        member || (segments.count == 1 && inFunction)
        ? nil : "a group has 'group.id' and 'group.slice'"
    case "labels":
      if !inFunction {
        problem = "'labels.<field>' can only be used in exists(…), missing(…) or count(…)"
      } else if segments.count != 2 {
        problem = "write labels.<field>"
      } else if let reason = FormatV1.fieldProblem(segments[1]) {
        problem = "invalid label field '\(segments[1])': \(reason)"
      } else {
        problem = nil
      }
    default:
      problem =
        "unknown name '\(segments[0])'; a sample has key, tags, fields.<name>, media.<name>, group.id, group.slice and labels.<field>"
    }
    if let problem { throw error(problem, at: token) }
    return path
  }

  // MARK: Tokens

  private static func isWordStart(_ c: Unicode.Scalar) -> Bool {
    (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_"
  }

  private static func isWordPart(_ c: Unicode.Scalar) -> Bool {
    isWordStart(c) || (c >= "0" && c <= "9") || c == "-" || c == "."
  }

  private static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }

  private static func tokenize(_ scalars: [Unicode.Scalar]) throws(QueryError) -> [Token] {
    var tokens: [Token] = []
    var at = 0
    func text(_ range: Range<Int>) -> String {
      var out = ""
      out.unicodeScalars.append(contentsOf: scalars[range])
      return out
    }
    while at < scalars.count {
      let c = scalars[at]
      let column = at + 1
      if c == " " || c == "\t" || c == "\n" || c == "\r" {
        at += 1
        continue
      }
      if isWordStart(c) {
        var end = at + 1
        while end < scalars.count && isWordPart(scalars[end]) { end += 1 }
        let word = text(at..<end)
        tokens.append(Token(kind: .word(word), column: column, text: word))
        at = end
        continue
      }
      if isDigit(c) || (c == "-" && at + 1 < scalars.count && isDigit(scalars[at + 1])) {
        let (value, end) = try number(scalars, from: at)
        tokens.append(Token(kind: .number(value), column: column, text: text(at..<end)))
        at = end
        continue
      }
      if c == "\"" || c == "'" {
        let (value, end) = try string(scalars, from: at)
        tokens.append(Token(kind: .string(value), column: column, text: text(at..<end)))
        at = end
        continue
      }
      let next: Unicode.Scalar? = at + 1 < scalars.count ? scalars[at + 1] : nil
      switch c {
      case "=", "!", "<", ">":
        if next == "=" {
          let symbol = text(at..<(at + 2))
          tokens.append(Token(kind: .symbol(symbol), column: column, text: symbol))
          at += 2
          continue
        }
        if c == "=" { throw QueryError(column: column, reason: "use '==' to compare, not '='") }
        if c == "!" { throw QueryError(column: column, reason: "use 'not' instead of '!'") }
        tokens.append(Token(kind: .symbol(String(c)), column: column, text: String(c)))
        at += 1
      case "(", ")", "[", "]", ",":
        tokens.append(Token(kind: .symbol(String(c)), column: column, text: String(c)))
        at += 1
      case "&":
        throw QueryError(column: column, reason: "use 'and' instead of '&&'")
      case "|":
        throw QueryError(column: column, reason: "use 'or' instead of '||'")
      default:
        throw QueryError(column: column, reason: "unexpected character '\(c)'")
      }
    }
    tokens.append(Token(kind: .end, column: scalars.count + 1, text: ""))
    return tokens
  }

  /// A JSON number at `start`: an integer when it has no fraction or exponent and fits 64 bits.
  private static func number(_ s: [Unicode.Scalar], from start: Int) throws(QueryError) -> (
    JSONValue, Int
  ) {
    var at = start
    if s[at] == "-" { at += 1 }
    if s[at] == "0" && at + 1 < s.count && isDigit(s[at + 1]) {
      throw QueryError(column: start + 1, reason: "a number cannot have a leading zero")
    }
    while at < s.count && isDigit(s[at]) { at += 1 }
    var isInteger = true
    if at < s.count && s[at] == "." {
      isInteger = false
      at += 1
      guard at < s.count, isDigit(s[at]) else {
        throw QueryError(column: start + 1, reason: "missing digits after '.' in a number")
      }
      while at < s.count && isDigit(s[at]) { at += 1 }
    }
    if at < s.count && (s[at] == "e" || s[at] == "E") {
      isInteger = false
      at += 1
      if at < s.count && (s[at] == "+" || s[at] == "-") { at += 1 }
      guard at < s.count, isDigit(s[at]) else {
        throw QueryError(column: start + 1, reason: "missing exponent digits in a number")
      }
      while at < s.count && isDigit(s[at]) { at += 1 }
    }
    if at < s.count && (isWordStart(s[at]) || s[at] == ".") {
      throw QueryError(column: at + 1, reason: "unexpected '\(s[at])' after a number")
    }
    var literal = ""
    literal.unicodeScalars.append(contentsOf: s[start..<at])
    if isInteger, let value = Int64(literal) { return (.int(value), at) }
    guard let value = Double(literal), value.isFinite else {
      throw QueryError(column: start + 1, reason: "number out of range")
    }
    return (.double(value), at)
  }

  /// A string in double or single quotes, with JSON's escapes (and `\'`).
  private static func string(_ s: [Unicode.Scalar], from start: Int) throws(QueryError) -> (
    String, Int
  ) {
    let quote = s[start]
    var out = String.UnicodeScalarView()
    var at = start + 1
    while at < s.count {
      let c = s[at]
      if c == quote { return (String(out), at + 1) }
      if c.value < 0x20 {
        throw QueryError(column: at + 1, reason: "control character in a string")
      }
      if c != "\\" {
        out.append(c)
        at += 1
        continue
      }
      guard at + 1 < s.count else { break }
      let escape = s[at + 1]
      switch escape {
      case "\"", "'", "\\", "/": out.append(escape)
      case "b": out.append("\u{08}")
      case "f": out.append("\u{0C}")
      case "n": out.append("\n")
      case "r": out.append("\r")
      case "t": out.append("\t")
      case "u":
        guard at + 6 <= s.count,
          let code = UInt32(String(String.UnicodeScalarView(s[(at + 2)..<(at + 6)])), radix: 16),
          let scalar = Unicode.Scalar(code)
        else {
          throw QueryError(
            column: at + 1, reason: "invalid \\u escape (surrogates are not allowed)")
        }
        out.append(scalar)
        at += 6
        continue
      default:
        throw QueryError(column: at + 1, reason: "invalid escape '\\\(escape)'")
      }
      at += 2
    }
    throw QueryError(column: start + 1, reason: "unterminated string")
  }
}
