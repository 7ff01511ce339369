/// How the label schema changed between two versions.
package struct SchemaDiff: Sendable, Equatable {
  /// What changed in one label field that exists on both sides.
  package struct FieldChange: Sendable, Equatable {
    package var field: String
    /// The field type, when it changed.
    package var type: ValueChange?
    package var classesAdded: [String] = []
    package var classesRemoved: [String] = []
    /// Classes that kept their place in the list under a new name (`cairn schema
    /// rename-class`), as (old, new); they are not listed as added or removed.
    package var classesRenamed: [(old: String, new: String)] = []
    /// Whether the class list was removed (any class allowed) or introduced.
    package var classesRestricted: ValueChange?
    /// Attributes by name; class attributes as `<class>.<name>`.
    package var attributesAdded: [String] = []
    package var attributesRemoved: [String] = []
    package var attributesChanged: [String] = []
    /// Other members of the definition (`coverage`, `min_labels`) that changed.
    package var other: [MemberChange] = []

    package static func == (lhs: FieldChange, rhs: FieldChange) -> Bool {
      lhs.field == rhs.field && lhs.type == rhs.type && lhs.classesAdded == rhs.classesAdded
        && lhs.classesRemoved == rhs.classesRemoved
        && lhs.classesRenamed.elementsEqual(rhs.classesRenamed, by: { $0 == $1 })
        && lhs.classesRestricted == rhs.classesRestricted
        && lhs.attributesAdded == rhs.attributesAdded
        && lhs.attributesRemoved == rhs.attributesRemoved
        && lhs.attributesChanged == rhs.attributesChanged && lhs.other == rhs.other
    }
  }

  /// Fields added, with their type.
  package var fieldsAdded: [(field: String, type: String)] = []
  package var fieldsRemoved: [String] = []
  package var fieldsChanged: [FieldChange] = []
  package var sampleFieldsAdded: [String] = []
  package var sampleFieldsRemoved: [String] = []
  package var sampleFieldsChanged: [String] = []
  /// Set when one side's `schema.json` could not be read: nothing else is compared.
  package var problem: String?

  package init() {}

  package static func == (lhs: SchemaDiff, rhs: SchemaDiff) -> Bool {
    lhs.fieldsAdded.elementsEqual(rhs.fieldsAdded, by: { $0 == $1 })
      && lhs.fieldsRemoved == rhs.fieldsRemoved && lhs.fieldsChanged == rhs.fieldsChanged
      && lhs.sampleFieldsAdded == rhs.sampleFieldsAdded
      && lhs.sampleFieldsRemoved == rhs.sampleFieldsRemoved
      && lhs.sampleFieldsChanged == rhs.sampleFieldsChanged && lhs.problem == rhs.problem
  }

  /// Whether nothing changed.
  package var isEmpty: Bool {
    fieldsAdded.isEmpty && fieldsRemoved.isEmpty && fieldsChanged.isEmpty
      && sampleFieldsAdded.isEmpty && sampleFieldsRemoved.isEmpty && sampleFieldsChanged.isEmpty
      && problem == nil
  }

  /// Compares two schemas.
  package init(old: Schema, new: Schema) {
    let oldNames = Set(old.fields.keys)
    let newNames = Set(new.fields.keys)
    fieldsAdded = newNames.subtracting(oldNames).sorted(by: ByteOrder.precedes).map {
      ($0, new.fields[$0]?.type.rawValue ?? "")
    }
    fieldsRemoved = oldNames.subtracting(newNames).sorted(by: ByteOrder.precedes)
    for name in oldNames.intersection(newNames).sorted(by: ByteOrder.precedes) {
      guard let a = old.fields[name], let b = new.fields[name], a != b else { continue }
      fieldsChanged.append(Self.compare(name, a, b))
    }
    let oldSample = Set(old.sampleFields.keys)
    let newSample = Set(new.sampleFields.keys)
    sampleFieldsAdded = newSample.subtracting(oldSample).sorted(by: ByteOrder.precedes)
    sampleFieldsRemoved = oldSample.subtracting(newSample).sorted(by: ByteOrder.precedes)
    sampleFieldsChanged = oldSample.intersection(newSample).filter {
      old.sampleFields[$0] != new.sampleFields[$0]
    }.sorted(by: ByteOrder.precedes)
  }

  /// Only the changes of one label field.
  package func restricted(to field: String) -> SchemaDiff {
    var copy = SchemaDiff()
    copy.fieldsAdded = fieldsAdded.filter { $0.field == field }
    copy.fieldsRemoved = fieldsRemoved.filter { $0 == field }
    copy.fieldsChanged = fieldsChanged.filter { $0.field == field }
    copy.problem = problem
    return copy
  }

  private static func compare(_ name: String, _ a: FieldDefinition, _ b: FieldDefinition)
    -> FieldChange
  {
    var change = FieldChange(field: name)
    if a.type != b.type {
      change.type = ValueChange(old: .string(a.type.rawValue), new: .string(b.type.rawValue))
    }
    switch (a.classes, b.classes) {
    case (let old?, let new?):
      let removed = old.filter { !new.contains($0) }
      let added = new.filter { !old.contains($0) }
      // A class replaced in place by a new one is a rename.
      var renamedOld: Set<String> = []
      var renamedNew: Set<String> = []
      for (index, previous) in old.enumerated() where index < new.count {
        if removed.contains(previous) && added.contains(new[index]) {
          change.classesRenamed.append((previous, new[index]))
          renamedOld.insert(previous)
          renamedNew.insert(new[index])
        }
      }
      change.classesRemoved = removed.filter { !renamedOld.contains($0) }
      change.classesAdded = added.filter { !renamedNew.contains($0) }
    case (nil, let new?):
      change.classesRestricted = ValueChange(old: nil, new: .array(new.map { .string($0) }))
    case (let old?, nil):
      change.classesRestricted = ValueChange(old: .array(old.map { .string($0) }), new: nil)
    case (nil, nil): break
    }
    func flat(_ definition: FieldDefinition) -> [String: AttributeDefinition] {
      var table = definition.attributes
      for (className, attributes) in definition.classAttributes {
        for (attribute, value) in attributes { table[className + "." + attribute] = value }
      }
      return table
    }
    // A class attribute that moved with its class on a rename is not a change.
    var oldAttributes = flat(a)
    for (old, new) in change.classesRenamed {
      for key in Array(oldAttributes.keys) where key.hasPrefix(old + ".") {
        oldAttributes[new + key.dropFirst(old.count)] = oldAttributes.removeValue(forKey: key)
      }
    }
    let newAttributes = flat(b)
    let oldKeys = Set(oldAttributes.keys)
    let newKeys = Set(newAttributes.keys)
    change.attributesAdded = newKeys.subtracting(oldKeys).sorted(by: ByteOrder.precedes)
    change.attributesRemoved = oldKeys.subtracting(newKeys).sorted(by: ByteOrder.precedes)
    change.attributesChanged = oldKeys.intersection(newKeys).filter {
      oldAttributes[$0] != newAttributes[$0]
    }.sorted(by: ByteOrder.precedes)
    if a.coverage != b.coverage {
      change.other.append(
        MemberChange(
          path: "coverage", change: ValueChange(old: .bool(a.coverage), new: .bool(b.coverage))))
    }
    if a.minLabels != b.minLabels {
      change.other.append(
        MemberChange(
          path: "min_labels",
          change: ValueChange(
            old: a.minLabels.map { .int(Int64($0)) }, new: b.minLabels.map { .int(Int64($0)) })))
    }
    return change
  }
}
