internal import ArgumentParser
internal import CairnCore

extension Cairn {
  struct Label: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "label",
      abstract: "Add, change, remove or copy labels in the working tree.",
      discussion: """
        Edits go through the same checks as a commit (label format and schema.json) and are \
        refused whole, with nothing written, when they break a rule. Commit them with \
        'cairn commit'.
        """,
      subcommands: [Add.self, Set.self, Remove.self, Copy.self])
  }
}

/// The sample and field a label command edits.
struct LabelTarget: ParsableArguments {
  @Argument(help: "The sample key.")
  var key: String

  @Option(help: "The label field.")
  var field: String
}

/// The content of a label given on the command line.
struct LabelOptions: ParsableArguments {
  @Option(name: .customLong("class"), help: "The class (the label's \"label\").")
  var className: String?

  @Option(help: "A 2D box: x,y,w,h relative to the image (0–1), top-left origin.")
  var bbox: String?

  @Option(
    help: "Points: 'x,y;x,y;…' (keypoints; '-' for a hidden point), shapes split by '|'.")
  var points: String?

  @Flag(help: "A closed polyline.")
  var closed = false

  @Flag(help: "A filled polygon (needs --closed).")
  var filled = false

  @Option(help: "Cuboid centre: x,y,z in --frame.")
  var center: String?

  @Option(help: "Cuboid size: dx,dy,dz along the box's own axes.")
  var dimensions: String?

  @Option(help: "Cuboid rotation: rx,ry,rz in radians (R = Rz·Ry·Rx).")
  var rotation: String?

  @Option(help: "The cuboid's coordinate frame: a slice name, or 'group'.")
  var frame: String?

  @Option(help: "A mask image (segmentation, or an instance mask of a box): its URI.")
  var mask: String?

  @Option(help: "The confidence, 0–1.")
  var confidence: Double?

  @Option(name: .customLong("attr"), help: "An attribute: NAME=VALUE (repeatable).")
  var attributes: [String] = []

  @Option(name: .customLong("tag"), help: "A label tag (repeatable).")
  var tags: [String] = []

  /// Applies the given options to `members`, typed by the field's definition.
  func apply(to members: inout [String: JSONValue], field: FieldDefinition) throws {
    let type = field.type.labelType
    members["type"] = .string(type)
    if let className { members["label"] = .string(className) }
    if let bbox { members["bbox"] = .array(try Self.numbers(bbox, 4, "--bbox").map(Self.json)) }
    if let points {
      if type == "polyline" {
        members["points"] = .array(
          try points.split(separator: "|").map { shape in
            .array(try Self.pointList(String(shape)).map { $0 ?? .null })
          })
      } else {
        members["points"] = .array(try Self.pointList(points).map { $0 ?? .null })
      }
    }
    if type == "polyline" && (closed || filled || members["closed"] == nil) {
      members["closed"] = .bool(closed)
      members["filled"] = .bool(filled)
    }
    if let center {
      members["center"] = .array(try Self.numbers(center, 3, "--center").map(Self.json))
    }
    if let dimensions {
      members["dimensions"] = .array(try Self.numbers(dimensions, 3, "--dimensions").map(Self.json))
    }
    if let rotation {
      members["rotation"] = .array(try Self.numbers(rotation, 3, "--rotation").map(Self.json))
    } else if type == "cuboid" && members["rotation"] == nil {
      members["rotation"] = .array([.int(0), .int(0), .int(0)])
    }
    if let frame { members["frame"] = .string(frame) }
    if let mask { members["mask"] = .object(["uri": .string(mask)]) }
    if let confidence { members["confidence"] = Self.json(confidence) }
    if !attributes.isEmpty {
      var table = members["attributes"]?.object ?? [:]
      let label = members["label"]?.string
      for assignment in attributes {
        guard let equals = assignment.firstIndex(of: "=") else {
          throw CairnError(.invalidInput, "--attr takes NAME=VALUE, not '\(assignment)'")
        }
        let name = String(assignment[..<equals])
        let text = String(assignment[assignment.index(after: equals)...])
        if let definition = field.attribute(name, forClass: label) {
          table[name] = try AttributeOptions.value(text, definition.kind)
        } else {
          // Undeclared: kept as a string so the schema check names the attribute.
          table[name] = .string(text)
        }
      }
      members["attributes"] = .object(table)
    }
    if !tags.isEmpty {
      let current = members["tags"]?.array?.compactMap(\.string) ?? []
      members["tags"] = .array(
        Array(Swift.Set(current + tags)).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
          .map { .string($0) })
    }
  }

  static func trimmed(_ text: Substring) -> String {
    String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
  }

  static func json(_ number: Double) -> JSONValue {
    if let exact = Int64(exactly: number) { return .int(exact) }
    return .double(number)
  }

  static func numbers(_ text: String, _ count: Int, _ option: String) throws -> [Double] {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false)
    let values = parts.compactMap { Double(trimmed($0)) }
    guard values.count == count, parts.count == count, values.allSatisfy(\.isFinite) else {
      throw CairnError(.invalidInput, "\(option) takes \(count) comma-separated numbers")
    }
    return values
  }

  static func pointList(_ text: String) throws -> [JSONValue?] {
    try text.split(separator: ";").map { point -> JSONValue? in
      if trimmed(point) == "-" { return nil }
      return .array(try numbers(String(point), 2, "--points").map(json))
    }
  }
}

extension Cairn.Label {
  struct Add: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "add",
      abstract: "Add a label to a sample; prints its new id.",
      discussion: """
        The label's type follows the field's type in schema.json. Examples:
          cairn label add img/1.png --field ground_truth --class car --bbox 0.1,0.2,0.3,0.4
          cairn label add 000001.png --field cuboids --class car --center 1,1.5,8 \
        --dimensions 4,1.5,1.6 --rotation 0,0.2,0 --frame left
        """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var label: LabelOptions

    @OptionGroup var target: LabelTarget

    @Option(help: "The new label's id (default: 32 random hexadecimal digits).")
    var id: String?

    @Flag(help: "Print the result as JSON (envelope cairn.label/v1).")
    var json = false

    func run() async throws {
      let repo = try repository.open()
      let newID = id ?? LabelID.make()
      let (key, field, label) = (target.key, target.field, self.label)
      try repo.editLabels(key: key, field: field) {
        (labels: inout [JSONValue], schema: Schema) throws(CairnError) in
        guard let definition = schema.fields[field] else { return }
        if labels.contains(where: { $0["id"]?.string == newID }) {
          throw CairnError(.alreadyExists, "label \(newID) already exists in \(field) of \(key)")
        }
        var members: [String: JSONValue] = ["id": .string(newID)]
        try CairnError.wrap { try label.apply(to: &members, field: definition) }
        labels.append(.object(members))
      }
      if json {
        Output.json(
          "cairn.label/v1",
          .object(["key": .string(key), "field": .string(field), "id": .string(newID)]))
      } else {
        Output.line(newID)
      }
    }
  }

  struct Set: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "set",
      abstract: "Change a label, keeping its id.",
      discussion: "Only the given options change; --unset-attr removes an attribute.")

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var label: LabelOptions

    @OptionGroup var target: LabelTarget

    @Option(help: "The id of the label to change.")
    var id: String

    @Option(help: "Remove this attribute (repeatable).")
    var unsetAttr: [String] = []

    func run() async throws {
      let repo = try repository.open()
      let (field, label, id, unset, key) = (
        target.field, self.label, self.id, unsetAttr, target.key
      )
      try repo.editLabels(key: key, field: field) {
        (labels: inout [JSONValue], schema: Schema) throws(CairnError) in
        guard let definition = schema.fields[field] else { return }
        guard let index = labels.firstIndex(where: { $0["id"]?.string == id }),
          var members = labels[index].object
        else { throw CairnError(.notFound, "no label \(id) in \(field) of \(key)") }
        try CairnError.wrap { try label.apply(to: &members, field: definition) }
        if var table = members["attributes"]?.object {
          for name in unset { table[name] = nil }
          members["attributes"] = table.isEmpty ? nil : .object(table)
        }
        labels[index] = .object(members)
      }
      Output.line("updated \(id)")
    }
  }

  struct Remove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "rm", abstract: "Remove labels from a sample.")

    @OptionGroup var repository: RepositoryOptions

    @OptionGroup var target: LabelTarget

    @Option(help: "The id of a label to remove (repeatable).")
    var id: [String] = []

    @Flag(help: "Remove every label of the field from the sample.")
    var all = false

    func validate() throws {
      if id.isEmpty == !all { throw ValidationError("give --id (one or more) or --all") }
    }

    func run() async throws {
      let repo = try repository.open()
      let (field, ids, all, key) = (target.field, Swift.Set(id), self.all, target.key)
      let removed = try repo.editLabels(key: key, field: field) {
        (labels: inout [JSONValue], _: Schema) throws(CairnError) -> Int in
        let before = labels.count
        if all {
          labels = []
          return before
        }
        let present = Swift.Set(labels.compactMap { $0["id"]?.string })
        if let missing = ids.subtracting(present).sorted().first {
          throw CairnError(.notFound, "no label \(missing) in \(field) of \(key)")
        }
        labels.removeAll { ids.contains($0["id"]?.string ?? "") }
        return before - labels.count
      }
      Output.line("removed \(removed) label(s)")
    }
  }

  struct Copy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "copy",
      abstract: "Copy labels from one field into another, keeping their provenance.",
      discussion: """
        Each copy gets a new id, loses its confidence, and records {"field", "label"} of its \
        source in "provenance"; a label copied before is not copied again.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Option(help: "The source field.")
    var from: String

    @Option(help: "The target field.")
    var to: String

    @Option(help: "Only this sample (repeatable; default: every sample with source labels).")
    var key: [String] = []

    @Option(help: "Only the samples of this saved view (evaluated on the working tree).")
    var view: String?

    @Option(help: "Only labels at least this confident.")
    var minConfidence: Double?

    @Option(name: .customLong("class"), help: "Only labels of this class (repeatable).")
    var classes: [String] = []

    @Flag(help: "Print the result as JSON (envelope cairn.label-copy/v1).")
    var json = false

    func run() async throws {
      let repo = try repository.open()
      var keys: [String]? = key.isEmpty ? nil : key
      if let view {
        let selected = try repo.evaluate(
          try repo.view(named: view, in: .workingTree), in: .workingTree
        ).keys
        keys = keys.map { chosen in selected.filter { chosen.contains($0) } } ?? selected
      }
      let result = try repo.copyLabels(
        from: from, to: to, keys: keys, minimumConfidence: minConfidence,
        classes: classes.isEmpty ? nil : Swift.Set(classes))
      if json {
        Output.json(
          "cairn.label-copy/v1",
          .object([
            "samples": .int(Int64(result.samples)), "copied": .int(Int64(result.copied)),
            "already_copied": .int(Int64(result.alreadyCopied)),
          ]))
        return
      }
      Output.line(
        "copied \(result.copied) label(s) into \(to) for \(result.samples) sample(s)"
          + (result.alreadyCopied > 0 ? "; \(result.alreadyCopied) already copied" : ""))
    }
  }
}
