internal import CairnCore
internal import GitStore

/// JSON shapes of diff values (`cairn.diff/v1`, shared by `cairn.drift/v1`).
enum DiffJSON {
  static func change(_ change: ValueChange) -> JSONValue {
    .object(["old": change.old ?? .null, "new": change.new ?? .null])
  }

  static func members(_ changes: [MemberChange]) -> JSONValue {
    .array(
      changes.map { member in
        .object([
          "path": .string(member.path), "old": member.change.old ?? .null,
          "new": member.change.new ?? .null,
        ])
      })
  }

  /// `added`, `removed` or `modified`, as samples and labels are reported.
  static func sampleChange(_ kind: ChangeKind) -> String {
    kind == .deleted ? "removed" : kind.rawValue
  }

  static func geometry(_ geometry: GeometryChange) -> JSONValue {
    var members: [String: JSONValue] = [
      "kind": .string(geometry.kind.rawValue), "old": geometry.old, "new": geometry.new,
    ]
    switch geometry.kind {
    case .bbox:
      members["iou"] = geometry.iou.map { .double($0) } ?? .null
      members["area_ratio"] = geometry.sizeRatio.map { .double($0) } ?? .null
    case .cuboid:
      members["centre_distance"] = geometry.centreDistance.map { .double($0) } ?? .null
      members["volume_ratio"] = geometry.sizeRatio.map { .double($0) } ?? .null
      members["rotation_changed"] = .bool(geometry.rotationChanged)
    case .points:
      members["mean_displacement"] = geometry.meanDisplacement.map { .double($0) } ?? .null
      members["max_displacement"] = geometry.maxDisplacement.map { .double($0) } ?? .null
      members["old_points"] = .int(Int64(geometry.oldCount))
      members["new_points"] = .int(Int64(geometry.newCount))
    }
    return .object(members)
  }

  static func modification(_ modification: LabelModification) -> JSONValue {
    var members: [String: JSONValue] = [:]
    if let change = modification.classChange { members["class"] = self.change(change) }
    if let geometry = modification.geometry { members["geometry"] = self.geometry(geometry) }
    if !modification.attributes.isEmpty {
      var attributes: [String: JSONValue] = [:]
      for (name, change) in modification.attributes { attributes[name] = self.change(change) }
      members["attributes"] = .object(attributes)
    }
    if let change = modification.confidence { members["confidence"] = self.change(change) }
    if !modification.tagsAdded.isEmpty || !modification.tagsRemoved.isEmpty {
      members["tags"] = .object([
        "added": .array(modification.tagsAdded.map { .string($0) }),
        "removed": .array(modification.tagsRemoved.map { .string($0) }),
      ])
    }
    if !modification.other.isEmpty {
      var other: [String: JSONValue] = [:]
      for (member, change) in modification.other { other[member] = self.change(change) }
      members["other"] = .object(other)
    }
    return .object(members)
  }

  static func label(_ label: LabelDiff) -> JSONValue {
    var members: [String: JSONValue] = [
      "id": .string(label.id), "change": .string(label.change.rawValue),
      "class": label.currentClass.map { .string($0) } ?? .null,
    ]
    switch label.change {
    case .added: members["new"] = label.new ?? .null
    case .removed: members["old"] = label.old ?? .null
    case .modified:
      members["changes"] = label.modification.map(modification) ?? .object([:])
    }
    return .object(members)
  }

  static func sample(_ sample: SampleDiff) -> JSONValue {
    var record: JSONValue = .null
    switch sample.change {
    case .added: record = .object(["change": .string("added"), "new": sample.newRecord ?? .null])
    case .deleted:
      record = .object(["change": .string("removed"), "old": sample.oldRecord ?? .null])
    case .modified:
      if !sample.recordChanges.isEmpty {
        record = .object([
          "change": .string("modified"), "changes": members(sample.recordChanges),
        ])
      }
    }
    var body: [String: JSONValue] = [
      "key": .string(sample.key), "change": .string(sampleChange(sample.change)),
      "record": record,
      "fields": .array(
        sample.fields.map { field in
          var members: [String: JSONValue] = [
            "field": .string(field.field), "file": .string(field.file.rawValue),
            "labels": .array(field.labels.map(label)),
          ]
          if let problem = field.problem { members["problem"] = .string(problem) }
          return .object(members)
        }),
    ]
    if let problem = sample.problem { body["problem"] = .string(problem) }
    return .object(body)
  }

  static func schema(_ schema: SchemaDiff) -> JSONValue {
    func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }
    var body: [String: JSONValue] = [
      "fields_added": .array(
        schema.fieldsAdded.map { .object(["field": .string($0.field), "type": .string($0.type)]) }),
      "fields_removed": strings(schema.fieldsRemoved),
      "fields_changed": .array(
        schema.fieldsChanged.map { change in
          .object([
            "field": .string(change.field),
            "type": change.type.map(self.change) ?? .null,
            "classes_added": strings(change.classesAdded),
            "classes_removed": strings(change.classesRemoved),
            "classes_renamed": .array(
              change.classesRenamed.map {
                .object(["old": .string($0.old), "new": .string($0.new)])
              }
            ),
            "classes_restricted": change.classesRestricted.map(self.change) ?? .null,
            "attributes_added": strings(change.attributesAdded),
            "attributes_removed": strings(change.attributesRemoved),
            "attributes_changed": strings(change.attributesChanged),
            "other": members(change.other),
          ])
        }),
      "sample_fields_added": strings(schema.sampleFieldsAdded),
      "sample_fields_removed": strings(schema.sampleFieldsRemoved),
      "sample_fields_changed": strings(schema.sampleFieldsChanged),
    ]
    if let problem = schema.problem { body["problem"] = .string(problem) }
    return .object(body)
  }

  static func stat(_ stat: DiffStat) -> JSONValue {
    var fields: [String: JSONValue] = [:]
    for (field, classes) in stat.classes {
      var table: [String: JSONValue] = [:]
      for (name, counts) in classes {
        table[name] = .object([
          "added": .int(Int64(counts.added)), "removed": .int(Int64(counts.removed)),
          "modified": .int(Int64(counts.modified)),
        ])
      }
      fields[field] = .object(table)
    }
    return .object([
      "samples": .object([
        "added": .int(Int64(stat.samplesAdded)), "removed": .int(Int64(stat.samplesRemoved)),
        "modified": .int(Int64(stat.samplesModified)),
      ]),
      "labels": .object([
        "added": .int(Int64(stat.labelsAdded)), "removed": .int(Int64(stat.labelsRemoved)),
        "modified": .int(Int64(stat.labelsModified)),
      ]),
      "fields": .object(fields),
    ])
  }

  static func side(commit: ObjectID?, revision: String?) -> JSONValue {
    .object([
      "commit": commit.map { .string($0.hex) } ?? .null,
      "revision": revision.map { .string($0) } ?? .null,
      "working_tree": .bool(commit == nil),
    ])
  }

  /// The members of the `cairn.diff/v1` body other than `samples` and `stat`.
  static func header(_ header: DiffHeader) -> [String: JSONValue] {
    [
      "from": side(commit: header.fromCommit, revision: header.fromRevision),
      "to": side(commit: header.toCommit, revision: header.toRevision),
      "schema": header.schema.map(schema) ?? .null,
      "views": .array(
        header.views.map {
          .object(["name": .string($0.name), "change": .string($0.change.rawValue)])
        }),
      "groups": .array(
        header.groups.map {
          .object([
            "id": .string($0.id), "change": .string($0.change.rawValue),
            "changes": members($0.changes),
          ])
        }),
      "other": .array(
        header.other.map {
          .object(["path": .string($0.path), "change": .string($0.change.rawValue)])
        }),
    ]
  }
}

/// Words for diff values in text and HTML reports.
enum DiffText {
  /// A value as JSON text; `(unset)` for a missing one.
  static func value(_ value: JSONValue?) -> String {
    guard let value else { return "(unset)" }
    var bytes: [UInt8] = []
    CanonicalJSON.encodeFragment(value, into: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  /// `old → new`.
  static func arrow(_ change: ValueChange) -> String {
    value(change.old) + " → " + value(change.new)
  }

  /// A number list as `[0.1, 0.2]`.
  static func numbers(_ value: JSONValue) -> String {
    guard let elements = value.array else { return self.value(value) }
    return "[" + elements.map { self.value($0) }.joined(separator: ", ") + "]"
  }

  /// The parts of a label modification, in a fixed order.
  static func aspects(_ modification: LabelModification) -> [String] {
    var parts: [String] = []
    if let change = modification.classChange {
      parts.append(
        "class " + (change.old?.string ?? "(none)") + " → " + (change.new?.string ?? "(none)"))
    }
    if let geometry = modification.geometry { parts.append(self.geometry(geometry)) }
    for (name, change) in modification.attributes { parts.append(name + ": " + arrow(change)) }
    if let change = modification.confidence { parts.append("confidence " + arrow(change)) }
    if !modification.tagsAdded.isEmpty || !modification.tagsRemoved.isEmpty {
      parts.append("tags " + tags(added: modification.tagsAdded, removed: modification.tagsRemoved))
    }
    for (member, change) in modification.other { parts.append(member + ": " + arrow(change)) }
    return parts
  }

  static func tags(added: [String], removed: [String]) -> String {
    (added.map { "+" + $0 } + removed.map { "-" + $0 }).joined(separator: " ")
  }

  static func geometry(_ geometry: GeometryChange) -> String {
    switch geometry.kind {
    case .bbox:
      let area = geometry.sizeRatio.map { "area ×" + fixed($0, 3) } ?? "area from 0"
      return "bbox IoU " + fixed(geometry.iou ?? 0, 3) + ", " + area
    case .cuboid:
      var text = "cuboid centre moved " + fixed(geometry.centreDistance ?? 0, 3) + ", "
      text += geometry.sizeRatio.map { "volume ×" + fixed($0, 3) } ?? "volume from 0"
      if geometry.rotationChanged { text += ", rotated" }
      return text
    case .points:
      var parts: [String] = []
      if let mean = geometry.meanDisplacement, let largest = geometry.maxDisplacement {
        parts.append("moved " + fixed(mean, 3) + " on average, " + fixed(largest, 3) + " at most")
      }
      if geometry.oldCount != geometry.newCount {
        parts.append("\(geometry.oldCount) → \(geometry.newCount) points")
      }
      return "points " + parts.joined(separator: ", ")
    }
  }

  /// A short description of a label's geometry: `bbox [x, y, w, h]`, `centre [x, y, z]`,
  /// `3 points`.
  static func shape(_ label: JSONValue?) -> String? {
    guard let label else { return nil }
    if let box = label["bbox"] { return "bbox " + numbers(box) }
    if let centre = label["center"] { return "centre " + numbers(centre) }
    if let points = label["points"]?.array {
      var count = 0
      for element in points {
        if let shape = element.array, shape.first?.array != nil {
          count += shape.count
        } else {
          count += 1
        }
      }
      return "\(count) point" + (count == 1 ? "" : "s")
    }
    return nil
  }

  /// The lines describing a schema change (without indentation).
  static func schema(_ schema: SchemaDiff) -> [(sign: Character, text: String)] {
    var lines: [(Character, String)] = []
    if let problem = schema.problem { lines.append(("!", problem)) }
    for (field, type) in schema.fieldsAdded { lines.append(("+", "field \(field) (\(type))")) }
    for field in schema.fieldsRemoved { lines.append(("-", "field \(field)")) }
    for change in schema.fieldsChanged {
      var parts: [String] = []
      if let type = change.type { parts.append("type " + arrowText(type)) }
      for (old, new) in change.classesRenamed { parts.append("class \(old) renamed to \(new)") }
      if !change.classesAdded.isEmpty || !change.classesRemoved.isEmpty {
        parts.append("classes " + tags(added: change.classesAdded, removed: change.classesRemoved))
      }
      if let restricted = change.classesRestricted {
        parts.append(restricted.new == nil ? "any class allowed" : "classes now restricted")
      }
      let attributes =
        change.attributesAdded.map { "+" + $0 } + change.attributesRemoved.map { "-" + $0 }
        + change.attributesChanged.map { "~" + $0 }
      if !attributes.isEmpty { parts.append("attributes " + attributes.joined(separator: " ")) }
      for member in change.other { parts.append(member.path + " " + arrow(member.change)) }
      lines.append(("~", "field \(change.field): " + parts.joined(separator: "; ")))
    }
    for name in schema.sampleFieldsAdded { lines.append(("+", "sample field \(name)")) }
    for name in schema.sampleFieldsRemoved { lines.append(("-", "sample field \(name)")) }
    for name in schema.sampleFieldsChanged { lines.append(("~", "sample field \(name)")) }
    return lines
  }

  private static func arrowText(_ change: ValueChange) -> String {
    (change.old?.string ?? "(none)") + " → " + (change.new?.string ?? "(none)")
  }

  /// The lines of a record's member changes (without indentation).
  static func members(_ changes: [MemberChange]) -> [String] {
    changes.map { member in
      if member.path == "tags", let old = member.change.old?.array,
        let new = member.change.new?.array
      {
        let before = Set(old.compactMap(\.string))
        let after = Set(new.compactMap(\.string))
        return "tags: "
          + tags(
            added: after.subtracting(before).sorted(), removed: before.subtracting(after).sorted())
      }
      return member.path + ": " + arrow(member.change)
    }
  }

  static func sign(_ kind: ChangeKind) -> Character {
    switch kind {
    case .added: "+"
    case .deleted: "-"
    case .modified: "~"
    }
  }
}
