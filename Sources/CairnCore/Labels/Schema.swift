/// The label schema stored in `schema.json` (format v1, `Docs/storage-format.md` §7.2).
package struct Schema: Sendable, Equatable {
  /// The label fields by name.
  package var fields: [String: FieldDefinition]
  /// The typed fields of sample records by name.
  package var sampleFields: [String: AttributeDefinition]

  /// A schema with no fields.
  package static let empty = Schema(fields: [:], sampleFields: [:])

  package init(fields: [String: FieldDefinition], sampleFields: [String: AttributeDefinition]) {
    self.fields = fields
    self.sampleFields = sampleFields
  }

  package var json: JSONValue {
    .object([
      "version": .int(1),
      "fields": .object(fields.mapValues(\.json)),
      "sample_fields": .object(sampleFields.mapValues(\.json)),
    ])
  }

  /// Canonical bytes of the schema.
  package var encoded: [UInt8] { CanonicalJSON.encode(json) }

  /// Reads a schema, reporting the first rule it breaks.
  package init(json: JSONValue) throws(RecordProblem) {
    guard let object = json.object else { throw RecordProblem("schema.json is a JSON object") }
    if let extra = unknownKey(in: object, known: ["version", "fields", "sample_fields"]) {
      throw RecordProblem("unknown member \"\(extra)\" in schema.json")
    }
    guard object["version"]?.int == 1 else {
      throw RecordProblem("schema.json needs \"version\": 1")
    }
    guard let fieldValues = object["fields"]?.object else {
      throw RecordProblem("schema.json needs a \"fields\" object")
    }
    var fields: [String: FieldDefinition] = [:]
    for name in fieldValues.keys.sorted() {
      if let reason = FormatV1.fieldProblem(name) {
        throw RecordProblem("field '\(name)': \(reason)")
      }
      do {
        fields[name] = try FieldDefinition(json: fieldValues[name] ?? .null)
      } catch {
        throw RecordProblem("field '\(name)': \(error.reason)")
      }
    }
    var sampleFields: [String: AttributeDefinition] = [:]
    if let value = object["sample_fields"] {
      guard let members = value.object else {
        throw RecordProblem("\"sample_fields\" must be an object")
      }
      for name in members.keys.sorted() {
        if let reason = Schema.attributeNameProblem(name) {
          throw RecordProblem("sample field '\(name)': \(reason)")
        }
        do {
          sampleFields[name] = try AttributeDefinition(json: members[name] ?? .null)
        } catch {
          throw RecordProblem("sample field '\(name)': \(error.reason)")
        }
      }
    }
    self.fields = fields
    self.sampleFields = sampleFields
  }

  /// Parses `schema.json` bytes.
  package static func parse(_ bytes: [UInt8]) throws(RecordProblem) -> Schema {
    let value: JSONValue
    do {
      value = try JSONParser.parse(bytes)
    } catch {
      throw RecordProblem("schema.json: broken JSON at \(error.description)")
    }
    return try Schema(json: value)
  }

  /// Why an attribute or sample-field name is invalid, or nil.
  package static func attributeNameProblem(_ name: String) -> String? {
    if name.isEmpty || name.utf8.count > 64 { return "a name has 1 to 64 characters" }
    let allowed = name.utf8.allSatisfy { byte in
      (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
        || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }
    return allowed ? nil : "a name uses only letters, digits, '_' and '-'"
  }
}

/// The kinds of label field, each holding one label type.
package enum FieldType: String, Sendable, CaseIterable {
  case classification
  case classifications
  case detections
  case polylines
  case keypoints
  case cuboids
  case segmentation

  /// The `type` of the labels of this field.
  package var labelType: String {
    switch self {
    case .classification, .classifications: "classification"
    case .detections: "detection"
    case .polylines: "polyline"
    case .keypoints: "keypoints"
    case .cuboids: "cuboid"
    case .segmentation: "segmentation"
    }
  }

  /// Whether a sample holds at most one label of this field.
  package var isSingle: Bool { self == .classification || self == .segmentation }
}

/// One label field of the schema.
package struct FieldDefinition: Sendable, Equatable {
  package var type: FieldType
  /// The allowed classes; nil allows any class.
  package var classes: [String]?
  package var attributes: [String: AttributeDefinition]
  package var classAttributes: [String: [String: AttributeDefinition]]
  /// `cairn check` expects a label file in this field for every sample.
  package var coverage: Bool
  /// `cairn check` expects at least this many labels per sample.
  package var minLabels: Int?

  package init(
    type: FieldType, classes: [String]? = nil, attributes: [String: AttributeDefinition] = [:],
    classAttributes: [String: [String: AttributeDefinition]] = [:], coverage: Bool = false,
    minLabels: Int? = nil
  ) {
    self.type = type
    self.classes = classes
    self.attributes = attributes
    self.classAttributes = classAttributes
    self.coverage = coverage
    self.minLabels = minLabels
  }

  static let knownKeys: Set<String> = [
    "type", "classes", "attributes", "class_attributes", "coverage", "min_labels",
  ]

  package var json: JSONValue {
    var members: [String: JSONValue] = ["type": .string(type.rawValue)]
    if let classes { members["classes"] = .array(classes.map { .string($0) }) }
    if !attributes.isEmpty { members["attributes"] = .object(attributes.mapValues(\.json)) }
    if !classAttributes.isEmpty {
      members["class_attributes"] = .object(
        classAttributes.mapValues { .object($0.mapValues(\.json)) })
    }
    if coverage { members["coverage"] = .bool(true) }
    if let minLabels { members["min_labels"] = .int(Int64(minLabels)) }
    return .object(members)
  }

  package init(json: JSONValue) throws(RecordProblem) {
    guard let object = json.object else { throw RecordProblem("a field definition is an object") }
    if let extra = unknownKey(in: object, known: Self.knownKeys) {
      throw RecordProblem("unknown member \"\(extra)\"")
    }
    guard let typeName = object["type"]?.string, let type = FieldType(rawValue: typeName) else {
      let names = FieldType.allCases.map(\.rawValue).joined(separator: ", ")
      throw RecordProblem("\"type\" must be one of \(names)")
    }
    self.type = type
    if let value = object["classes"] {
      guard let values = value.array else {
        throw RecordProblem("\"classes\" must be an array of strings")
      }
      var seen: Set<String> = []
      var classes: [String] = []
      for value in values {
        guard let name = value.string, !name.isEmpty else {
          throw RecordProblem("\"classes\" holds non-empty strings only")
        }
        guard seen.insert(name).inserted else {
          throw RecordProblem("class '\(name)' is listed twice")
        }
        classes.append(name)
      }
      self.classes = classes
    } else {
      classes = nil
    }
    attributes = try Self.attributeTable(object["attributes"], what: "\"attributes\"")
    var classAttributes: [String: [String: AttributeDefinition]] = [:]
    if let value = object["class_attributes"] {
      guard let members = value.object else {
        throw RecordProblem("\"class_attributes\" must be an object")
      }
      for name in members.keys.sorted() {
        if let classes, !classes.contains(name) {
          throw RecordProblem(
            "\"class_attributes\" names class '\(name)', which is not in \"classes\"")
        }
        let table = try Self.attributeTable(members[name], what: "class '\(name)' attributes")
        for attribute in table.keys.sorted() where attributes[attribute] != nil {
          throw RecordProblem(
            "class '\(name)' redefines attribute '\(attribute)', already a field attribute")
        }
        classAttributes[name] = table
      }
    }
    self.classAttributes = classAttributes
    if let value = object["coverage"] {
      guard let flag = value.bool else { throw RecordProblem("\"coverage\" must be a boolean") }
      coverage = flag
    } else {
      coverage = false
    }
    if let value = object["min_labels"] {
      guard let count = value.int, count >= 0 else {
        throw RecordProblem("\"min_labels\" must be a non-negative integer")
      }
      minLabels = Int(count)
    } else {
      minLabels = nil
    }
  }

  private static func attributeTable(_ value: JSONValue?, what: String) throws(RecordProblem)
    -> [String: AttributeDefinition]
  {
    guard let value else { return [:] }
    guard let members = value.object else { throw RecordProblem("\(what) must be an object") }
    var table: [String: AttributeDefinition] = [:]
    for name in members.keys.sorted() {
      if let reason = Schema.attributeNameProblem(name) {
        throw RecordProblem("attribute '\(name)': \(reason)")
      }
      do {
        table[name] = try AttributeDefinition(json: members[name] ?? .null)
      } catch {
        throw RecordProblem("attribute '\(name)': \(error.reason)")
      }
    }
    return table
  }

  /// The attribute definition `name` for a label of class `label`, or nil when undeclared.
  package func attribute(_ name: String, forClass label: String?) -> AttributeDefinition? {
    if let definition = attributes[name] { return definition }
    if let label, let definition = classAttributes[label]?[name] { return definition }
    return nil
  }
}

/// The type and allowed values of a label attribute or a sample field.
package struct AttributeDefinition: Sendable, Equatable {
  package enum Kind: String, Sendable, CaseIterable {
    case bool
    case int
    case float
    case string
  }

  package var kind: Kind
  package var values: [JSONValue]?
  package var minimum: Double?
  package var maximum: Double?
  package var defaultValue: JSONValue?
  package var required: Bool

  package init(
    kind: Kind, values: [JSONValue]? = nil, minimum: Double? = nil, maximum: Double? = nil,
    defaultValue: JSONValue? = nil, required: Bool = false
  ) {
    self.kind = kind
    self.values = values
    self.minimum = minimum
    self.maximum = maximum
    self.defaultValue = defaultValue
    self.required = required
  }

  static let knownKeys: Set<String> = ["type", "values", "min", "max", "default", "required"]

  package var json: JSONValue {
    var members: [String: JSONValue] = ["type": .string(kind.rawValue)]
    if let values { members["values"] = .array(values) }
    if let minimum { members["min"] = Self.number(minimum, kind) }
    if let maximum { members["max"] = Self.number(maximum, kind) }
    if let defaultValue { members["default"] = defaultValue }
    if required { members["required"] = .bool(true) }
    return .object(members)
  }

  private static func number(_ value: Double, _ kind: Kind) -> JSONValue {
    if kind == .int, let exact = Int64(exactly: value) { return .int(exact) }
    return .double(value)
  }

  package init(json: JSONValue) throws(RecordProblem) {
    guard let object = json.object else {
      throw RecordProblem("an attribute definition is an object")
    }
    if let extra = unknownKey(in: object, known: Self.knownKeys) {
      throw RecordProblem("unknown member \"\(extra)\"")
    }
    guard let name = object["type"]?.string, let kind = Kind(rawValue: name) else {
      throw RecordProblem("\"type\" must be bool, int, float or string")
    }
    self.kind = kind
    required = false
    if let value = object["required"] {
      guard let flag = value.bool else { throw RecordProblem("\"required\" must be a boolean") }
      required = flag
    }
    for bound in ["min", "max"] where object[bound] != nil {
      guard kind == .int || kind == .float else {
        throw RecordProblem("\"\(bound)\" applies to int and float attributes only")
      }
      guard object[bound]?.number != nil else {
        throw RecordProblem("\"\(bound)\" must be a number")
      }
    }
    minimum = object["min"]?.number
    maximum = object["max"]?.number
    if let minimum, let maximum, minimum > maximum {
      throw RecordProblem("\"min\" is greater than \"max\"")
    }
    if let value = object["values"] {
      guard let list = value.array, !list.isEmpty else {
        throw RecordProblem("\"values\" must be a non-empty array")
      }
      values = nil
      for element in list {
        if let reason = problem(element, checkValues: false) {
          throw RecordProblem("\"values\" holds \(element.brief), which \(reason)")
        }
      }
      values = list
    } else {
      values = nil
    }
    if let value = object["default"] {
      if let reason = problem(value) { throw RecordProblem("\"default\" \(reason)") }
      defaultValue = value
    } else {
      defaultValue = nil
    }
  }

  /// Why `value` does not satisfy this definition (a phrase after "the value …"), or nil.
  package func problem(_ value: JSONValue, checkValues: Bool = true) -> String? {
    switch kind {
    case .bool:
      if value.bool == nil { return "is not a boolean" }
    case .int:
      if value.int == nil { return "is not an integer" }
    case .float:
      if value.number == nil { return "is not a number" }
    case .string:
      if value.string == nil { return "is not a string" }
    }
    if let number = value.number {
      if let minimum, number < minimum { return "is below the minimum \(value.brief(minimum))" }
      if let maximum, number > maximum { return "is above the maximum \(value.brief(maximum))" }
    }
    if checkValues, let values, !values.contains(where: { $0.sameValue(as: value) }) {
      return "is not one of the allowed values (\(values.map(\.brief).joined(separator: ", ")))"
    }
    return nil
  }
}

extension JSONValue {
  /// A short rendering for messages: strings quoted, numbers and booleans as written.
  package var brief: String {
    switch self {
    case .string(let text): "'\(text)'"
    default: String(decoding: CanonicalJSON.encode(self).dropLast(), as: UTF8.self)
    }
  }

  fileprivate func brief(_ number: Double) -> String {
    if let exact = Int64(exactly: number) { return String(exact) }
    return String(number)
  }

  /// Equality where an integer equals a float of the same value.
  package func sameValue(as other: JSONValue) -> Bool {
    if let a = number, let b = other.number { return a == b }
    return self == other
  }
}
