internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "schema",
      abstract: "Show or change the label schema (schema.json).",
      discussion: """
        The schema declares each label field (its type, classes and attributes) and the typed \
        sample fields; every commit is checked against it. Changes are committed at once, \
        which needs a clean working tree; pass --no-commit to only write the files.
        """,
      subcommands: [
        Show.self, AddField.self, AddClass.self, SetAttribute.self, RenameClass.self,
        RemoveClass.self,
      ])
  }
}

/// Options shared by the commands that change the schema.
struct SchemaChangeOptions: ParsableArguments {
  @Flag(help: "Only write the files; do not commit.")
  var noCommit = false

  @Option(name: .shortAndLong, help: "The commit message (default: describes the change).")
  var message: String?

  @Flag(help: "Print the result as JSON (envelope cairn.schema-change/v1).")
  var json = false

  /// Runs `change` and reports it.
  func apply(
    _ repo: CairnRepository, defaultMessage: String,
    edit: (inout Schema) throws(CairnError) -> Void,
    relabel: (field: String, rewrite: ([String: JSONValue]) -> [String: JSONValue]?)? = nil
  ) throws {
    let text = message ?? defaultMessage
    let change = try repo.changeSchema(
      message: text, commit: !noCommit, now: currentTime(), edit: edit, relabel: relabel)
    if json {
      var body: [String: JSONValue] = [
        "message": .string(text), "label_files_rewritten": .int(Int64(change.labelFilesRewritten)),
        "labels_changed": .int(Int64(change.labelsChanged)),
      ]
      if let commit = change.commit { body["commit"] = .string(commit.id.hex) }
      Output.json("cairn.schema-change/v1", .object(body))
      return
    }
    if let commit = change.commit {
      Output.line("[\(commit.branch ?? "detached HEAD") \(commit.id.short)] \(text)")
    } else {
      Output.line("schema.json written (not committed): \(text)")
    }
    if change.labelsChanged > 0 {
      Output.line(
        "  \(change.labelsChanged) label(s) in \(change.labelFilesRewritten) file(s) rewritten")
    }
  }
}

/// `--type`, `--values`, `--min`, `--max`, `--default`, `--required` of an attribute.
struct AttributeOptions: ParsableArguments {
  @Option(help: "The value type: bool, int, float or string.")
  var type: String

  @Option(help: "The allowed values, comma-separated.")
  var values: String?

  @Option(help: "The smallest allowed value (int and float).")
  var min: Double?

  @Option(help: "The largest allowed value (int and float).")
  var max: Double?

  @Option(name: .customLong("default"), help: "The value assumed when the attribute is absent.")
  var defaultValue: String?

  @Flag(help: "Every label (or sample) must carry the attribute.")
  var required = false

  func definition() throws -> AttributeDefinition {
    guard let kind = AttributeDefinition.Kind(rawValue: type) else {
      throw CairnError(.invalidInput, "--type must be bool, int, float or string, not '\(type)'")
    }
    var json: [String: JSONValue] = ["type": .string(type)]
    if let values {
      json["values"] = .array(
        try values.split(separator: ",").map { try Self.value(String($0), kind) })
    }
    if let min { json["min"] = kind == .int ? .int(Int64(min)) : .double(min) }
    if let max { json["max"] = kind == .int ? .int(Int64(max)) : .double(max) }
    if let defaultValue { json["default"] = try Self.value(defaultValue, kind) }
    if required { json["required"] = .bool(true) }
    do {
      return try AttributeDefinition(json: .object(json))
    } catch {
      throw CairnError(.invalidInput, "invalid attribute definition: \(error.reason)")
    }
  }

  /// Parses a command-line value as `kind`.
  static func value(_ text: String, _ kind: AttributeDefinition.Kind) throws -> JSONValue {
    switch kind {
    case .bool:
      if text == "true" { return .bool(true) }
      if text == "false" { return .bool(false) }
    case .int:
      if let number = Int64(text) { return .int(number) }
    case .float:
      if let number = Int64(text) { return .int(number) }
      if let number = Double(text), number.isFinite { return .double(number) }
    case .string:
      if !text.isEmpty { return .string(text) }
    }
    throw CairnError(.invalidInput, "'\(text)' is not a valid \(kind.rawValue) value")
  }
}

extension Cairn.SchemaCommand {
  struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "show",
      abstract: "Print the schema of the working tree or of a revision.")

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "A revision (default: the working tree).")
    var revision: String?

    @Flag(help: "Print schema.json itself (envelope cairn.schema/v1).")
    var json = false

    func run() async throws {
      let repo = try repository.open()
      let schema = try revision.map { try repo.schema(at: $0) } ?? repo.workingSchema()
      if json {
        Output.json("cairn.schema/v1", .object(["schema": schema.json]))
        return
      }
      if schema.fields.isEmpty { Output.line("no label fields") }
      for name in schema.fields.keys.sorted() {
        guard let field = schema.fields[name] else { continue }
        var line = "\(name): \(field.type.rawValue)"
        if field.coverage { line += ", coverage" }
        if let minimum = field.minLabels { line += ", at least \(minimum) label(s)" }
        Output.line(line)
        if let classes = field.classes {
          Output.line(
            "  classes: " + (classes.isEmpty ? "(none)" : classes.joined(separator: ", ")))
        } else {
          Output.line("  classes: any")
        }
        for attribute in field.attributes.keys.sorted() {
          Output.line("  attribute \(attribute): \(Self.describe(field.attributes[attribute]))")
        }
        for className in field.classAttributes.keys.sorted() {
          let table = field.classAttributes[className] ?? [:]
          for attribute in table.keys.sorted() {
            Output.line(
              "  attribute \(attribute) (class \(className)): \(Self.describe(table[attribute]))")
          }
        }
      }
      for name in schema.sampleFields.keys.sorted() {
        Output.line("sample field \(name): \(Self.describe(schema.sampleFields[name]))")
      }
    }

    static func describe(_ definition: AttributeDefinition?) -> String {
      guard let definition else { return "" }
      var parts = [definition.kind.rawValue]
      if let values = definition.values {
        parts.append("one of " + values.map(\.brief).joined(separator: ", "))
      }
      if let minimum = definition.minimum { parts.append("≥ \(minimum)") }
      if let maximum = definition.maximum { parts.append("≤ \(maximum)") }
      if let value = definition.defaultValue { parts.append("default \(value.brief)") }
      if definition.required { parts.append("required") }
      return parts.joined(separator: ", ")
    }
  }

  struct AddField: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "add-field",
      abstract: "Declare a label field.",
      discussion: """
        Types: classification, classifications, detections, polylines, keypoints, cuboids, \
        segmentation. Without --classes any class is allowed.
        """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var change: SchemaChangeOptions

    @Argument(help: "The field name (letters, digits, '_' and '-').")
    var name: String

    @Option(help: "The field type.")
    var type: String

    @Option(help: "The allowed classes, comma-separated.")
    var classes: String?

    @Flag(help: "'cairn check' expects a label file in this field for every sample.")
    var coverage = false

    @Option(help: "'cairn check' expects at least this many labels per sample.")
    var minLabels: Int?

    func run() async throws {
      guard let fieldType = FieldType(rawValue: type) else {
        throw CairnError(
          .invalidInput,
          "--type must be one of \(FieldType.allCases.map(\.rawValue).joined(separator: ", "))")
      }
      if let minLabels, minLabels < 0 {
        throw CairnError(.invalidInput, "--min-labels must not be negative")
      }
      let list = classes.map { $0.split(separator: ",").map(String.init) }
      try change.apply(
        try repository.open(), defaultMessage: "Add label field \(name) (\(type))",
        edit: { (schema: inout Schema) throws(CairnError) in
          try SchemaEdits.addField(
            &schema, name: name, type: fieldType, classes: list, coverage: coverage,
            minLabels: minLabels)
        })
    }
  }

  struct AddClass: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "add-class", abstract: "Add classes to a label field.")

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var change: SchemaChangeOptions

    @Argument(help: "The label field.")
    var field: String

    @Argument(help: "The classes to add.")
    var classes: [String]

    func run() async throws {
      try change.apply(
        try repository.open(),
        defaultMessage: "Add class(es) \(classes.joined(separator: ", ")) to \(field)",
        edit: { (schema: inout Schema) throws(CairnError) in
          try SchemaEdits.addClasses(&schema, field: field, classes: classes)
        })
    }
  }

  struct SetAttribute: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "set-attribute",
      abstract: "Declare or replace an attribute of a field's labels, or a sample field.",
      discussion: """
        'cairn schema set-attribute FIELD NAME --type T' declares an attribute of every label \
        of FIELD; add --class C to declare it for class C only. \
        'cairn schema set-attribute --sample NAME --type T' declares a typed sample field.
        """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var change: SchemaChangeOptions
    @OptionGroup var attribute: AttributeOptions

    @Argument(help: "FIELD NAME, or NAME with --sample.")
    var names: [String]

    @Option(name: .customLong("class"), help: "Declare the attribute for this class only.")
    var className: String?

    @Flag(help: "Declare a sample field instead of a label attribute.")
    var sample = false

    func validate() throws {
      if sample && names.count != 1 {
        throw ValidationError("with --sample, give one name: the sample field")
      }
      if !sample && names.count != 2 { throw ValidationError("give FIELD and the attribute NAME") }
      if sample && className != nil { throw ValidationError("--class applies to label fields") }
    }

    func run() async throws {
      let definition = try attribute.definition()
      let field = sample ? nil : names[0]
      let name = names[names.count - 1]
      let what =
        sample
        ? "sample field \(name)"
        : "attribute \(name) of \(names[0])" + (className.map { " (class \($0))" } ?? "")
      try change.apply(
        try repository.open(), defaultMessage: "Set \(what): \(definition.kind.rawValue)",
        edit: { (schema: inout Schema) throws(CairnError) in
          try SchemaEdits.setAttribute(
            &schema, field: field, className: className, name: name, definition: definition)
        })
    }
  }

  struct RenameClass: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "rename-class",
      abstract: "Rename a class, rewriting every label of that class in one commit.")

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var change: SchemaChangeOptions

    @Argument(help: "The label field.")
    var field: String

    @Argument(help: "The current class name.")
    var from: String

    @Argument(help: "The new class name.")
    var to: String

    func run() async throws {
      let (from, to) = (self.from, self.to)
      try change.apply(
        try repository.open(), defaultMessage: "Rename class \(from) to \(to) in \(field)",
        edit: { (schema: inout Schema) throws(CairnError) in
          try SchemaEdits.renameClass(&schema, field: field, from: from, to: to)
        },
        relabel: (
          field,
          { members in
            guard members["label"]?.string == from else { return nil }
            var copy = members
            copy["label"] = .string(to)
            return copy
          }
        ))
    }
  }

  struct RemoveClass: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "remove-class",
      abstract: "Remove a class; labels still using it need --migrate-to.",
      discussion: """
        A class still used by labels is not removed unless --migrate-to names the class \
        they move to; migrated labels lose the attributes declared for the removed class only.
        """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var change: SchemaChangeOptions

    @Argument(help: "The label field.")
    var field: String

    @Argument(help: "The class to remove.")
    var name: String

    @Option(help: "The class that labels of the removed class move to.")
    var migrateTo: String?

    func run() async throws {
      let repo = try repository.open()
      let used = try repo.classCounts(field: field)[name] ?? 0
      if used > 0 && migrateTo == nil {
        throw CairnError(
          .validationFailed,
          "class '\(name)' is used by \(used) label(s) in '\(field)'; "
            + "pass --migrate-to CLASS to move them, or relabel them first")
      }
      let schema = try repo.workingSchema()
      let dropped = Set(schema.fields[field]?.classAttributes[name]?.keys.map { $0 } ?? [])
      let (name, target) = (self.name, migrateTo)
      try change.apply(
        repo,
        defaultMessage: "Remove class \(name) from \(field)"
          + (target.map { ", migrating its labels to \($0)" } ?? ""),
        edit: { (schema: inout Schema) throws(CairnError) in
          try SchemaEdits.removeClass(&schema, field: field, name: name, migrateTo: target)
        },
        relabel: target.map { target in
          (
            field,
            { members in
              guard members["label"]?.string == name else { return nil }
              var copy = members
              copy["label"] = .string(target)
              if var attributes = copy["attributes"]?.object {
                for key in dropped { attributes[key] = nil }
                copy["attributes"] = attributes.isEmpty ? nil : .object(attributes)
              }
              return copy
            }
          )
        })
    }
  }
}
