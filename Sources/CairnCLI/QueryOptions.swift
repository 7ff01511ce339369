internal import ArgumentParser
internal import CairnCore

/// The options that select samples, shared by `view save`, `view apply` and `tags`.
///
/// They become view stages in a fixed order: keys, label filters, match (with `--exists` and
/// `--missing`), take, sort, skip, limit (see `Docs/views.md`).
struct QueryOptions: ParsableArguments {
  @Option(
    name: .customLong("key"),
    help: ArgumentHelp("Select the sample with this key (repeatable).", valueName: "key"))
  var keys: [String] = []

  @Option(
    name: .customLong("filter"),
    help: ArgumentHelp(
      "Keep the labels of <field> that match <expr>, and only the samples left with at least one (repeatable).",
      valueName: "field: expr"))
  var filters: [String] = []

  @Option(
    help: ArgumentHelp(
      "Keep the samples that match the expression (repeatable: all must match).",
      valueName: "expr"))
  var match: [String] = []

  @Option(
    help: ArgumentHelp(
      "Keep the samples that have this value (labels.<field>: at least one label; repeatable).",
      valueName: "path"))
  var exists: [String] = []

  @Option(
    help: ArgumentHelp(
      "Keep the samples that do not have this value (labels.<field>: no label; repeatable).",
      valueName: "path"))
  var missing: [String] = []

  @Option(
    help: ArgumentHelp(
      "Keep <n> samples drawn at random (deterministic for a --seed).", valueName: "n"))
  var take: Int?

  @Option(help: ArgumentHelp("The seed of --take (default 0).", valueName: "seed"))
  var seed: Int64?

  @Option(
    help: ArgumentHelp(
      "Sort by a path (fields.score, media.width, key…) or count(labels.<field>).",
      valueName: "path"))
  var sort: String?

  @Flag(help: "Sort in descending order (with --sort).")
  var desc = false

  @Option(help: ArgumentHelp("Drop the first <n> samples.", valueName: "n"))
  var skip: Int?

  @Option(help: ArgumentHelp("Keep the first <n> samples.", valueName: "n"))
  var limit: Int?

  func validate() throws {
    if desc && sort == nil { throw ValidationError("--desc needs --sort") }
    if seed != nil && take == nil { throw ValidationError("--seed needs --take") }
    if let seed, seed < 0 { throw ValidationError("--seed must be 0 or more") }
    for (name, value) in [("--take", take), ("--skip", skip), ("--limit", limit)] {
      if let value, value < 0 || value > Int(Int32.max) {
        throw ValidationError("\(name) must be from 0 to 2147483647")
      }
    }
  }

  /// Whether no option was given.
  var isEmpty: Bool {
    keys.isEmpty && filters.isEmpty && match.isEmpty && exists.isEmpty && missing.isEmpty
      && take == nil && sort == nil && skip == nil && limit == nil
  }

  /// The options as view stages.
  ///
  /// - Throws: `CairnError` `.invalidInput` naming the option, the column and the problem,
  ///   with the expression and a caret under the column.
  func stages() throws(CairnError) -> [ViewStage] {
    var stages: [ViewStage] = []
    if !keys.isEmpty {
      var seen: Set<String> = []
      for key in keys {
        if let problem = FormatV1.keyProblem(key) {
          throw CairnError(.invalidInput, "invalid sample key '\(key)' in --key: \(problem)")
        }
        seen.insert(key)
      }
      stages.append(.keys(keys.filter { seen.remove($0) != nil }))
    }
    for filter in filters {
      guard let colon = filter.firstIndex(of: ":") else {
        throw CairnError(
          .invalidInput,
          "invalid --filter '\(filter)': expected '<field>: <expression>', for example 'ground_truth: label == \"car\"'"
        )
      }
      let field = String(filter[..<colon]).trimmingSpaces
      if let problem = FormatV1.fieldProblem(field) {
        throw CairnError(.invalidInput, "invalid --filter field '\(field)': \(problem)")
      }
      let text = String(filter[filter.index(after: colon)...])
      let predicate = try Self.parse(text, option: "--filter \(field):") {
        text throws(QueryError) in
        try QueryParser.parse(text, context: .label)
      }
      stages.append(.filterLabels(field: field, predicate: predicate))
    }
    var conditions: [QueryExpression] = []
    for text in match {
      conditions.append(
        try Self.parse(text, option: "--match") { text throws(QueryError) in
          try QueryParser.parse(text, context: .sample)
        })
    }
    for text in exists {
      conditions.append(
        .exists(
          try Self.parse(text, option: "--exists") { text throws(QueryError) in
            try QueryParser.parsePath(text, context: .sample)
          }))
    }
    for text in missing {
      conditions.append(
        .missing(
          try Self.parse(text, option: "--missing") { text throws(QueryError) in
            try QueryParser.parsePath(text, context: .sample)
          }))
    }
    if !conditions.isEmpty {
      stages.append(.match(conditions.count == 1 ? conditions[0] : .and(conditions)))
    }
    if let take { stages.append(.take(count: take, seed: seed ?? 0)) }
    if let sort {
      let operand = try Self.parse(sort, option: "--sort") { text throws(QueryError) in
        try QueryParser.parseOperand(text, context: .sample)
      }
      stages.append(.sort(by: operand, descending: desc))
    }
    if let skip { stages.append(.skip(skip)) }
    if let limit { stages.append(.limit(limit)) }
    return stages
  }

  private static func parse<T>(
    _ text: String, option: String, _ body: (String) throws(QueryError) -> T
  ) throws(CairnError) -> T {
    do {
      return try body(text)
    } catch {
      let caret = String(repeating: " ", count: max(0, error.column - 1)) + "^"
      throw CairnError(
        .invalidInput,
        "invalid \(option) expression at column \(error.column): \(error.reason)\n  \(text)\n  \(caret)"
      )
    }
  }
}

/// `--rev`: read views and data from a revision instead of the working tree.
struct RevisionOption: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Read the view and the data from this revision instead of the working tree.",
      valueName: "rev"))
  var rev: String?

  var source: DataSource { rev.map { .revision($0) } ?? .workingTree }
}

extension String {
  /// Without leading and trailing spaces and tabs.
  var trimmingSpaces: String {
    var text = Substring(self)
    while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
    while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
    return String(text)
  }
}
