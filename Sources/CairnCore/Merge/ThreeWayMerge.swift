/// One conflict of a merge: a label, a member of a sample record, a schema field or a whole
/// file that both sides changed differently.
package struct MergeConflict: Sendable, Equatable {
  package enum Kind: String, Sendable {
    /// The same label edited differently on both sides (or added twice with one id).
    case label
    /// A label edited on one side and deleted on the other.
    case editDelete = "edit-delete"
    /// A member of a sample record (`media`, `group`, a sample field) changed differently.
    case sample
    /// A field of `schema.json` (or a sample field definition) changed differently.
    case schema
    /// Any other file (a view, a group record, a run) changed differently.
    case file
  }

  package var kind: Kind
  /// The repository path of the file.
  package var path: String
  /// The sample key, for label and sample conflicts.
  package var key: String?
  /// The label field, for label conflicts.
  package var field: String?
  /// The label id, record member or schema field the conflict is about.
  package var item: String?
  /// The three versions of the item (nil: absent on that side).
  ///
  /// For file conflicts: the blob ids as strings.
  package var base: JSONValue?
  package var ours: JSONValue?
  package var theirs: JSONValue?
  package var resolved = false

  package var json: JSONValue {
    var members: [String: JSONValue] = [
      "kind": .string(kind.rawValue), "path": .string(path), "resolved": .bool(resolved),
      "base": base ?? .null, "ours": ours ?? .null, "theirs": theirs ?? .null,
    ]
    if let key { members["key"] = .string(key) }
    if let field { members["field"] = .string(field) }
    if let item { members["item"] = .string(item) }
    return .object(members)
  }

  package init(
    kind: Kind, path: String, key: String? = nil, field: String? = nil, item: String? = nil,
    base: JSONValue?, ours: JSONValue?, theirs: JSONValue?, resolved: Bool = false
  ) {
    self.kind = kind
    self.path = path
    self.key = key
    self.field = field
    self.item = item
    self.base = base
    self.ours = ours
    self.theirs = theirs
    self.resolved = resolved
  }

  package init(json: JSONValue) throws(RecordProblem) {
    guard let kindName = json["kind"]?.string, let kind = Kind(rawValue: kindName),
      let path = json["path"]?.string
    else { throw RecordProblem("a conflict needs \"kind\" and \"path\"") }
    func value(_ name: String) -> JSONValue? {
      guard let member = json[name], member != .null else { return nil }
      return member
    }
    self.init(
      kind: kind, path: path, key: json["key"]?.string, field: json["field"]?.string,
      item: json["item"]?.string, base: value("base"), ours: value("ours"),
      theirs: value("theirs"), resolved: json["resolved"]?.bool ?? false)
  }
}

/// Three-way merges of Cairn's files at the level of what they hold: labels by id, sample
/// records by member, the schema by field.
///
/// Every function takes the base, ours and theirs versions (nil: the file is absent on that
/// side), returns the merged version and the conflicts; a conflicted item keeps ours in the
/// merged version until it is resolved.
package enum ThreeWayMerge {
  /// The three-way choice for one item: the side that changed it, or a conflict.
  static func choose(_ base: JSONValue?, _ ours: JSONValue?, _ theirs: JSONValue?) -> (
    JSONValue?, conflict: Bool
  ) {
    if ours == theirs { return (ours, false) }
    if ours == base { return (theirs, false) }
    if theirs == base { return (ours, false) }
    return (ours, true)
  }

  /// Merges label lists by label id.
  ///
  /// Labels keep ours' order; labels only theirs added follow in theirs' order.
  package static func labels(
    path: String, key: String, field: String, base: [JSONValue]?, ours: [JSONValue]?,
    theirs: [JSONValue]?
  ) -> (labels: [JSONValue]?, conflicts: [MergeConflict]) {
    func byID(_ labels: [JSONValue]?) -> [String: JSONValue] {
      Dictionary(
        (labels ?? []).compactMap { label in label["id"]?.string.map { ($0, label) } },
        uniquingKeysWith: { a, _ in a })
    }
    let (b, o, t) = (byID(base), byID(ours), byID(theirs))
    var order: [String] = []
    var seen: Set<String> = []
    for label in (ours ?? []) + (theirs ?? []) + (base ?? []) {
      if let id = label["id"]?.string, seen.insert(id).inserted { order.append(id) }
    }
    var merged: [JSONValue] = []
    var conflicts: [MergeConflict] = []
    for id in order {
      let (value, conflict) = choose(b[id], o[id], t[id])
      if conflict {
        let kind: MergeConflict.Kind = (o[id] == nil || t[id] == nil) ? .editDelete : .label
        conflicts.append(
          MergeConflict(
            kind: kind, path: path, key: key, field: field, item: id, base: b[id], ours: o[id],
            theirs: t[id]))
      }
      if let value { merged.append(value) }
    }
    // The file exists when a side that changed its existence says so, or labels remain.
    let exists =
      choose(
        base.map { _ in .bool(true) }, ours.map { _ in .bool(true) },
        theirs.map { _ in .bool(true) }
      ).0 != nil
    return (exists || !merged.isEmpty ? merged : nil, conflicts)
  }

  /// Merges sample records member by member: tags as sets, `fields` by field.
  package static func sample(
    path: String, key: String, base: JSONValue?, ours: JSONValue?, theirs: JSONValue?
  ) -> (record: JSONValue?, conflicts: [MergeConflict]) {
    guard let ours, let theirs else {
      // Created or deleted on one side: whole-record choice.
      let (value, conflict) = choose(base, ours, theirs)
      let conflicts =
        conflict
        ? [
          MergeConflict(
            kind: .sample, path: path, key: key, item: "record", base: base, ours: ours,
            theirs: theirs)
        ] : []
      return (value, conflicts)
    }
    var merged = ours.object ?? [:]
    var conflicts: [MergeConflict] = []
    let b = base?.object ?? [:]
    let o = ours.object ?? [:]
    let t = theirs.object ?? [:]
    for name in Set(o.keys).union(t.keys).union(b.keys).sorted() {
      switch name {
      case "tags":
        merged[name] = .array(
          setMerge(b[name]?.array ?? [], o[name]?.array ?? [], t[name]?.array ?? []))
      case "fields":
        let (fields, fieldConflicts) = members(
          b[name]?.object ?? [:], o[name]?.object ?? [:], t[name]?.object ?? [:])
        merged[name] = .object(fields)
        conflicts += fieldConflicts.map {
          MergeConflict(
            kind: .sample, path: path, key: key, item: "fields." + $0,
            base: b[name]?[$0], ours: o[name]?[$0], theirs: t[name]?[$0])
        }
      default:
        let (value, conflict) = choose(b[name], o[name], t[name])
        merged[name] = value
        if conflict {
          conflicts.append(
            MergeConflict(
              kind: .sample, path: path, key: key, item: name, base: b[name], ours: o[name],
              theirs: t[name]))
        }
      }
    }
    return (.object(merged), conflicts)
  }

  /// Merges `schema.json` by label field and by sample field.
  package static func schema(base: JSONValue?, ours: JSONValue?, theirs: JSONValue?) -> (
    schema: JSONValue?, conflicts: [MergeConflict]
  ) {
    guard let ours, let theirs else {
      let (value, _) = choose(base, ours, theirs)
      return (value, [])
    }
    var merged = ours.object ?? [:]
    var conflicts: [MergeConflict] = []
    for table in ["fields", "sample_fields"] {
      let (members, names) = members(
        base?[table]?.object ?? [:], ours[table]?.object ?? [:], theirs[table]?.object ?? [:])
      merged[table] = .object(members)
      conflicts += names.map {
        MergeConflict(
          kind: .schema, path: "schema.json", item: table + "." + $0, base: base?[table]?[$0],
          ours: ours[table]?[$0], theirs: theirs[table]?[$0])
      }
    }
    return (.object(merged), conflicts)
  }

  /// Three-way merge of object members; returns the merged members and the conflicting names.
  static func members(
    _ base: [String: JSONValue], _ ours: [String: JSONValue], _ theirs: [String: JSONValue]
  ) -> ([String: JSONValue], [String]) {
    var merged: [String: JSONValue] = [:]
    var conflicts: [String] = []
    for name in Set(ours.keys).union(theirs.keys).union(base.keys).sorted() {
      let (value, conflict) = choose(base[name], ours[name], theirs[name])
      if conflict { conflicts.append(name) }
      merged[name] = value
    }
    return (merged, conflicts)
  }

  /// Three-way merge of sets (tags): what either side added, minus what either side removed;
  /// sorted as the format requires.
  static func setMerge(_ base: [JSONValue], _ ours: [JSONValue], _ theirs: [JSONValue])
    -> [JSONValue]
  {
    let b = Set(base.compactMap(\.string))
    let o = Set(ours.compactMap(\.string))
    let t = Set(theirs.compactMap(\.string))
    let result = o.union(t).subtracting(b.subtracting(o)).subtracting(b.subtracting(t))
    return result.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { .string($0) }
  }
}
