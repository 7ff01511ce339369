package import GitStore

/// One step of a view's pipeline; stages run in order, each on the previous one's samples.
package enum ViewStage: Sendable, Equatable {
  /// Keeps the samples whose key is listed (in the current order; unknown keys are ignored).
  case keys([String])
  /// Keeps the samples the predicate matches.
  case match(QueryExpression)
  /// Keeps the labels of `field` the predicate matches, and the samples left with at least one.
  case filterLabels(field: String, predicate: QueryExpression)
  /// Orders the samples by a value; ties and missing values are ordered by key.
  case sort(by: QueryOperand, descending: Bool)
  /// Drops the first `count` samples.
  case skip(Int)
  /// Keeps the first `count` samples.
  case limit(Int)
  /// Keeps `count` samples drawn at random with `seed` (deterministic), in their current order.
  case take(count: Int, seed: Int64)

  /// The stage names, as stored in `"stage"`.
  static let names = ["keys", "match", "filter_labels", "sort", "skip", "limit", "take"]

  /// The stage as stored in a view file.
  package var json: JSONValue {
    switch self {
    case .keys(let keys):
      .object(["stage": .string("keys"), "keys": .array(keys.map { .string($0) })])
    case .match(let predicate):
      .object(["stage": .string("match"), "where": .string(predicate.description)])
    case .filterLabels(let field, let predicate):
      .object([
        "stage": .string("filter_labels"), "field": .string(field),
        "where": .string(predicate.description),
      ])
    case .sort(let operand, let descending):
      .object([
        "stage": .string("sort"), "by": .string(operand.description),
        "order": .string(descending ? "desc" : "asc"),
      ])
    case .skip(let count): .object(["stage": .string("skip"), "count": .int(Int64(count))])
    case .limit(let count): .object(["stage": .string("limit"), "count": .int(Int64(count))])
    case .take(let count, let seed):
      .object(["stage": .string("take"), "count": .int(Int64(count)), "seed": .int(seed)])
    }
  }

  /// The stage as the command-line options that make it (for `cairn view show`).
  package var optionText: String {
    switch self {
    case .keys(let keys): keys.map { "--key " + Self.quoted($0) }.joined(separator: " ")
    case .match(let predicate): "--match " + Self.quoted(predicate.description)
    case .filterLabels(let field, let predicate):
      "--filter " + Self.quoted(field + ": " + predicate.description)
    case .sort(let operand, let descending):
      "--sort " + Self.quoted(operand.description) + (descending ? " --desc" : "")
    case .skip(let count): "--skip \(count)"
    case .limit(let count): "--limit \(count)"
    case .take(let count, let seed): "--take \(count) --seed \(seed)"
    }
  }

  private static func quoted(_ text: String) -> String {
    let plain = text.unicodeScalars.allSatisfy {
      ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9")
        || "._-/".unicodeScalars.contains($0)
    }
    if plain && !text.isEmpty { return text }
    var out = "'"
    for character in text { out += character == "'" ? "'\\''" : String(character) }
    return out + "'"
  }

  /// Reads a stage, reporting the first rule it breaks; `location` names it (`stages[2]`).
  package init(json: JSONValue, location: String) throws(RecordProblem) {
    guard let object = json.object else {
      throw RecordProblem("\(location) must be an object with a \"stage\" member")
    }
    guard let name = object["stage"]?.string else {
      throw RecordProblem("\(location).stage must be a string: one of \(Self.nameList)")
    }
    func members(_ allowed: Set<String>) throws(RecordProblem) {
      if let extra = unknownKey(in: object, known: allowed.union(["stage"])) {
        let list = allowed.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
        throw RecordProblem(
          "unknown member \"\(extra)\" in \(location) (a \(name) stage has \"stage\" and \(list))")
      }
    }
    func count(_ member: String) throws(RecordProblem) -> Int {
      guard let value = object[member]?.int, value >= 0, value <= Int64(Int32.max) else {
        throw RecordProblem("\(location).\(member) must be an integer from 0 to 2147483647")
      }
      return Int(value)
    }
    func predicate(_ context: QueryContext) throws(RecordProblem) -> QueryExpression {
      guard let text = object["where"]?.string else {
        throw RecordProblem("\(location).where must be a string (a query expression)")
      }
      do {
        return try QueryParser.parse(text, context: context)
      } catch {
        throw RecordProblem("\(location).where: \(error.description)")
      }
    }
    switch name {
    case "keys":
      try members(["keys"])
      guard let values = object["keys"]?.array else {
        throw RecordProblem("\(location).keys must be an array of sample keys")
      }
      self = .keys(try Self.keyList(values, location: "\(location).keys"))
    case "match":
      try members(["where"])
      self = .match(try predicate(.sample))
    case "filter_labels":
      try members(["field", "where"])
      guard let field = object["field"]?.string else {
        throw RecordProblem("\(location).field must be a string (a label field)")
      }
      if let reason = FormatV1.fieldProblem(field) {
        throw RecordProblem("\(location).field '\(field)': \(reason)")
      }
      self = .filterLabels(field: field, predicate: try predicate(.label))
    case "sort":
      try members(["by", "order"])
      guard let text = object["by"]?.string else {
        throw RecordProblem("\(location).by must be a string (a path or count(…))")
      }
      let operand: QueryOperand
      do {
        operand = try QueryParser.parseOperand(text, context: .sample)
      } catch {
        throw RecordProblem("\(location).by: \(error.description)")
      }
      var descending = false
      if let order = object["order"] {
        guard let text = order.string, text == "asc" || text == "desc" else {
          throw RecordProblem("\(location).order must be \"asc\" or \"desc\"")
        }
        descending = text == "desc"
      }
      self = .sort(by: operand, descending: descending)
    case "skip":
      try members(["count"])
      self = .skip(try count("count"))
    case "limit":
      try members(["count"])
      self = .limit(try count("count"))
    case "take":
      try members(["count", "seed"])
      let taken = try count("count")
      var seed: Int64 = 0
      if let value = object["seed"] {
        guard let number = value.int, number >= 0 else {
          throw RecordProblem("\(location).seed must be a non-negative integer")
        }
        seed = number
      }
      self = .take(count: taken, seed: seed)
    default:
      throw RecordProblem("\(location): unknown stage \"\(name)\" (one of \(Self.nameList))")
    }
  }

  private static var nameList: String { names.joined(separator: ", ") }

  /// Checks a list of sample keys: strings, valid, unique.
  static func keyList(_ values: [JSONValue], location: String) throws(RecordProblem) -> [String] {
    var keys: [String] = []
    var seen: Set<String> = []
    keys.reserveCapacity(values.count)
    for (index, value) in values.enumerated() {
      guard let key = value.string else {
        throw RecordProblem("\(location)[\(index)] must be a string (a sample key)")
      }
      if let reason = FormatV1.keyProblem(key) {
        throw RecordProblem("\(location)[\(index)]: invalid sample key '\(key)': \(reason)")
      }
      guard seen.insert(key).inserted else {
        throw RecordProblem("\(location)[\(index)]: sample key '\(key)' is listed twice")
      }
      keys.append(key)
    }
    return keys
  }
}

/// The keys a pinned view resolved to, and the commit they were resolved at.
package struct PinnedKeys: Sendable, Equatable {
  package var commit: ObjectID
  /// In the order the view produced them.
  package var keys: [String]

  package init(commit: ObjectID, keys: [String]) {
    self.commit = commit
    self.keys = keys
  }
}

/// A saved view: the file `views/<name>.json` (format §7.5, language in `Docs/views.md`).
package struct ViewDefinition: Sendable, Equatable {
  static let knownKeys: Set<String> = ["version", "description", "stages", "pinned"]
  /// The version of the view format and its language.
  package static let version: Int64 = 1

  package var description: String?
  package var stages: [ViewStage]
  /// Set for a pinned view: its keys no longer depend on the data.
  package var pinned: PinnedKeys?

  package init(description: String? = nil, stages: [ViewStage], pinned: PinnedKeys? = nil) {
    self.description = description
    self.stages = stages
    self.pinned = pinned
  }

  package var json: JSONValue {
    var members: [String: JSONValue] = [
      "version": .int(Self.version), "stages": .array(stages.map(\.json)),
    ]
    if let description { members["description"] = .string(description) }
    if let pinned {
      members["pinned"] = .object([
        "commit": .string(pinned.commit.hex), "keys": .array(pinned.keys.map { .string($0) }),
      ])
    }
    return .object(members)
  }

  /// Canonical bytes of the view file.
  package var encoded: [UInt8] { CanonicalJSON.encode(json) }

  /// Reads a view file, reporting the first rule it breaks with its location in the file.
  package init(json: JSONValue) throws(RecordProblem) {
    guard let object = json.object else { throw RecordProblem("a view is a JSON object") }
    if let extra = unknownKey(in: object, known: Self.knownKeys) {
      throw RecordProblem(
        "unknown member \"\(extra)\" in a view (allowed: description, pinned, stages, version)")
    }
    guard object["version"]?.int == Self.version else {
      throw RecordProblem("\"version\" must be the integer 1")
    }
    if let value = object["description"] {
      guard let text = value.string else { throw RecordProblem("\"description\" must be a string") }
      description = text
    }
    guard let stageValues = object["stages"]?.array else {
      throw RecordProblem("\"stages\" must be an array (empty: every sample)")
    }
    var stages: [ViewStage] = []
    for (index, value) in stageValues.enumerated() {
      stages.append(try ViewStage(json: value, location: "stages[\(index)]"))
    }
    self.stages = stages
    if let value = object["pinned"] {
      guard let members = value.object else {
        throw RecordProblem("\"pinned\" must be an object {\"commit\", \"keys\"}")
      }
      if let extra = unknownKey(in: members, known: ["commit", "keys"]) {
        throw RecordProblem("unknown member \"pinned.\(extra)\" (allowed: commit, keys)")
      }
      guard let hex = members["commit"]?.string, hex.utf8.count == 40,
        hex.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
        let commit = ObjectID(hex: hex)
      else {
        throw RecordProblem("pinned.commit must be a commit id: 40 lowercase hexadecimal digits")
      }
      guard let keyValues = members["keys"]?.array else {
        throw RecordProblem("pinned.keys must be an array of sample keys")
      }
      pinned = PinnedKeys(
        commit: commit, keys: try ViewStage.keyList(keyValues, location: "pinned.keys"))
    }
  }

  /// Checks a view name (`views/<name>.json`); returns why it is invalid, or nil.
  package static func nameProblem(_ name: String) -> String? {
    if name.isEmpty || name.utf8.count > 64 { return "a view name has 1 to 64 characters" }
    let allowed = name.utf8.allSatisfy { byte in
      (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
        || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }
    if !allowed { return "a view name uses only letters, digits, '_', '-' and '.'" }
    if name.hasPrefix(".") || name.hasPrefix("-") {
      return "a view name does not start with '.' or '-'"
    }
    return nil
  }

  /// `views/<name>.json`.
  package static func path(_ name: String) -> String { "views/" + name + ".json" }
}
