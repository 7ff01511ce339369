internal import GitStore

/// What a schema change did.
package struct SchemaChange: Sendable {
  /// The commit, when the change was committed.
  package var commit: CommitResult?
  /// Label files rewritten (renamed or migrated classes).
  package var labelFilesRewritten: Int
  /// Labels whose class changed.
  package var labelsChanged: Int
}

extension CairnRepository {
  /// The schema in the working tree.
  ///
  /// - Throws: `CairnError` `.validationFailed` when `schema.json` is missing or invalid.
  package func workingSchema() throws(CairnError) -> Schema {
    let root = try requireRoot(for: "reading the schema")
    let bytes: [UInt8]
    do {
      bytes = try FileIO.read(root + "/schema.json")
    } catch {
      throw CairnError(.validationFailed, "schema.json: cannot be read: \(error.message)")
    }
    do throws(RecordProblem) {
      return try Schema.parse(bytes)
    } catch {
      throw CairnError(.validationFailed, "schema.json: \(error.reason)")
    }
  }

  /// The schema at `revision`, or nil when the revision has no valid `schema.json`.
  package func schema(at revision: String) throws(CairnError) -> Schema {
    let bytes = try CairnError.wrap { () throws -> [UInt8]? in
      let commit = try git.resolveCommit(revision)
      let tree = try git.readCommit(commit).tree
      guard let entry = try TreeWalk(repository: git).entry(at: "schema.json", in: tree) else {
        return nil
      }
      return try git.readBlob(entry.id)
    }
    guard let bytes else { throw CairnError(.notFound, "\(revision) has no schema.json") }
    do throws(RecordProblem) {
      return try Schema.parse(bytes)
    } catch {
      throw CairnError(.validationFailed, "schema.json at \(revision): \(error.reason)")
    }
  }

  /// Changes the schema (and, through `relabel`, the labels of one field), and commits the
  /// result unless `commit` is false.
  ///
  /// A committing change needs a clean working tree, so that the commit holds this change
  /// alone; when the commit is refused every file is put back as it was.
  ///
  /// - Parameters:
  ///   - message: The commit message.
  ///   - commit: Whether to commit; otherwise the files are only written.
  ///   - now: The commit time.
  ///   - edit: Changes the schema; may throw to refuse.
  ///   - relabel: The field whose labels to rewrite and the rewrite of one label (return nil to
  ///     keep it as it is).
  /// - Returns: The commit (when committing) and how many labels were rewritten.
  /// - Throws: `CairnError` `.uncommittedChanges` when committing from a dirty tree, what
  ///   `edit` throws, or what the commit throws (the files are restored then).
  package func changeSchema(
    message: String, commit: Bool, now: Int64,
    edit: (inout Schema) throws(CairnError) -> Void,
    relabel: (field: String, rewrite: ([String: JSONValue]) -> [String: JSONValue]?)? = nil
  ) throws(CairnError) -> SchemaChange {
    let root = try requireRoot(for: "changing the schema")
    if commit {
      let status = try status()
      if !status.changes.isEmpty {
        throw CairnError(
          .uncommittedChanges,
          "the working tree has \(status.changes.count) uncommitted change(s); commit them "
            + "first, or pass --no-commit")
      }
    }
    var schema = try workingSchema()
    try edit(&schema)
    var writes: [(path: String, bytes: [UInt8])] = [("schema.json", schema.encoded)]
    var labelsChanged = 0
    if let relabel {
      for path in labelFiles(field: relabel.field, root: root) {
        let bytes = try CairnError.wrap { try FileIO.read(root + "/" + path) }
        let file: LabelFile
        do {
          file = try LabelFile(json: try JSONParser.parse(bytes))
        } catch {
          throw CairnError(.validationFailed, "\(path): \(error)")
        }
        var changed = false
        var labels = file.labels
        for (index, label) in labels.enumerated() {
          guard let members = label.object, let rewritten = relabel.rewrite(members) else {
            continue
          }
          labels[index] = .object(rewritten)
          changed = true
          labelsChanged += 1
        }
        if changed {
          writes.append(
            (path, LabelFile(field: file.field, sample: file.sample, labels: labels).encoded))
        }
      }
    }
    // Keep the originals, so a refused commit leaves the files as they were.
    var originals: [(String, [UInt8])] = []
    for write in writes {
      let bytes = try CairnError.wrap { try FileIO.read(root + "/" + write.path) }
      originals.append((write.path, bytes))
    }
    func restore() {
      for (path, bytes) in originals { try? FileIO.writeAtomically(bytes, to: root + "/" + path) }
    }
    do {
      for write in writes { try FileIO.writeAtomically(write.bytes, to: root + "/" + write.path) }
    } catch {
      restore()
      throw CairnError(.io, "cannot write \(error.message)")
    }
    var result: CommitResult?
    if commit {
      do {
        result = try self.commit(message: message, now: now)
      } catch {
        restore()
        throw error
      }
    }
    return SchemaChange(
      commit: result, labelFilesRewritten: writes.count - 1, labelsChanged: labelsChanged)
  }

  /// How many labels of each class `field` holds in the working tree.
  package func classCounts(field: String) throws(CairnError) -> [String: Int] {
    let root = try requireRoot(for: "counting labels")
    var counts: [String: Int] = [:]
    for path in labelFiles(field: field, root: root) {
      guard let bytes = try? FileIO.read(root + "/" + path),
        let value = try? JSONParser.parse(bytes), let labels = value["labels"]?.array
      else { continue }
      for label in labels {
        if let name = label["label"]?.string { counts[name, default: 0] += 1 }
      }
    }
    return counts
  }

  /// The working-tree paths of every label file of `field`, sorted.
  func labelFiles(field: String, root: String) -> [String] {
    let base = "labels/" + field
    var paths: [String] = []
    for first in (FileIO.list(root + "/" + base) ?? []).sorted() {
      for second in (FileIO.list(root + "/" + base + "/" + first) ?? []).sorted() {
        let folder = base + "/" + first + "/" + second
        for name in (FileIO.list(root + "/" + folder) ?? []).sorted() where name.hasSuffix(".json")
        {
          paths.append(folder + "/" + name)
        }
      }
    }
    return paths
  }
}

/// The schema edits behind `cairn schema`, each refusing what would leave the schema invalid.
package enum SchemaEdits {
  /// Declares a new label field.
  package static func addField(
    _ schema: inout Schema, name: String, type: FieldType, classes: [String]?, coverage: Bool,
    minLabels: Int?
  ) throws(CairnError) {
    if let problem = FormatV1.fieldProblem(name) {
      throw CairnError(.invalidInput, "invalid field name '\(name)': \(problem)")
    }
    if schema.fields[name] != nil {
      throw CairnError(.alreadyExists, "field '\(name)' is already in the schema")
    }
    if let classes { try checkNewClasses(classes, existing: []) }
    schema.fields[name] = FieldDefinition(
      type: type, classes: classes, coverage: coverage, minLabels: minLabels)
  }

  /// Adds classes to a field.
  package static func addClasses(_ schema: inout Schema, field: String, classes: [String])
    throws(CairnError)
  {
    var definition = try self.field(field, in: schema)
    try checkNewClasses(classes, existing: definition.classes ?? [])
    definition.classes = (definition.classes ?? []) + classes
    schema.fields[field] = definition
  }

  /// Declares (or replaces) an attribute of a field, of one class, or a sample field.
  package static func setAttribute(
    _ schema: inout Schema, field: String?, className: String?, name: String,
    definition: AttributeDefinition
  ) throws(CairnError) {
    if let problem = Schema.attributeNameProblem(name) {
      throw CairnError(.invalidInput, "invalid attribute name '\(name)': \(problem)")
    }
    guard let field else {
      schema.sampleFields[name] = definition
      return
    }
    var table = try self.field(field, in: schema)
    if let className {
      if let classes = table.classes, !classes.contains(className) {
        throw CairnError(.notFound, "class '\(className)' is not in field '\(field)'")
      }
      if table.attributes[name] != nil {
        throw CairnError(
          .alreadyExists, "'\(name)' is already an attribute of every label of '\(field)'")
      }
      table.classAttributes[className, default: [:]][name] = definition
    } else {
      for (className, attributes) in table.classAttributes where attributes[name] != nil {
        throw CairnError(
          .alreadyExists, "'\(name)' is already an attribute of class '\(className)'")
      }
      table.attributes[name] = definition
    }
    schema.fields[field] = table
  }

  /// Renames a class in the schema.
  package static func renameClass(_ schema: inout Schema, field: String, from: String, to: String)
    throws(CairnError)
  {
    var definition = try self.field(field, in: schema)
    guard let classes = definition.classes, let index = classes.firstIndex(of: from) else {
      throw CairnError(.notFound, "class '\(from)' is not in field '\(field)'")
    }
    try checkNewClasses([to], existing: classes)
    definition.classes?[index] = to
    if let attributes = definition.classAttributes.removeValue(forKey: from) {
      definition.classAttributes[to] = attributes
    }
    schema.fields[field] = definition
  }

  /// Removes a class from the schema (labels are handled by the caller).
  package static func removeClass(
    _ schema: inout Schema, field: String, name: String, migrateTo: String?
  ) throws(CairnError) {
    var definition = try self.field(field, in: schema)
    guard let classes = definition.classes, classes.contains(name) else {
      throw CairnError(.notFound, "class '\(name)' is not in field '\(field)'")
    }
    if let migrateTo, migrateTo == name || !classes.contains(migrateTo) {
      throw CairnError(
        .invalidInput, "--migrate-to must name another class of '\(field)', not '\(migrateTo)'")
    }
    definition.classes = classes.filter { $0 != name }
    definition.classAttributes[name] = nil
    schema.fields[field] = definition
  }

  private static func field(_ name: String, in schema: Schema) throws(CairnError)
    -> FieldDefinition
  {
    guard let definition = schema.fields[name] else {
      throw CairnError(.notFound, "field '\(name)' is not in the schema")
    }
    return definition
  }

  private static func checkNewClasses(_ classes: [String], existing: [String]) throws(CairnError) {
    var seen = Set(existing)
    for name in classes {
      if name.isEmpty { throw CairnError(.invalidInput, "a class name cannot be empty") }
      guard seen.insert(name).inserted else {
        throw CairnError(.alreadyExists, "class '\(name)' is already in the field")
      }
    }
  }
}
