/// Checks one tracked file against format v1.
package enum Validator {
  package enum Outcome: Sendable, Equatable {
    case valid
    /// Parseable and valid, but not byte-identical to its canonical form (given here).
    case notCanonical([UInt8])
    case invalid(String)
    /// Valid format, but the content breaks the schema: one message per broken rule.
    case breaksSchema([String])
  }

  /// Checks the file at repository-relative `path` holding `bytes`.
  package static func check(path: String, bytes: [UInt8], schema: Schema? = nil) -> Outcome {
    inspect(path: path, bytes: bytes, schema: schema).0
  }

  /// Checks the file like ``check(path:bytes:schema:)`` and also returns what the path holds.
  ///
  /// With a `schema`, label files and sample records are also checked against it.
  package static func inspect(path: String, bytes: [UInt8], schema: Schema? = nil) -> (
    Outcome, FormatV1.PathKind?
  ) {
    let kind: FormatV1.PathKind
    switch FormatV1.classify(path) {
    case .success(let value): kind = value
    case .failure(let problem): return (.invalid(problem.reason), nil)
    }
    return (check(kind: kind, bytes: bytes, schema: schema, shortcuts: true), kind)
  }

  /// Checks the file like ``check(path:bytes:schema:)`` but always parses it in full, without
  /// ``FastValidator``'s shortcut for the common shapes (tests compare the two).
  package static func checkInFull(path: String, bytes: [UInt8], schema: Schema? = nil) -> Outcome {
    switch FormatV1.classify(path) {
    case .success(let kind):
      return check(kind: kind, bytes: bytes, schema: schema, shortcuts: false)
    case .failure(let problem): return .invalid(problem.reason)
    }
  }

  private static func check(
    kind: FormatV1.PathKind, bytes: [UInt8], schema: Schema?, shortcuts: Bool
  ) -> Outcome {
    switch kind {
    case .run(let isJSON):
      if !isJSON { return .valid }
    case .embedding(_, .vectors):
      // Its size is checked against meta.json and keys.json with the rules across files.
      return .valid
    // The common shapes are accepted in place; everything else, and every refusal, takes the
    // full path below.
    case .label(let field, let key) where shortcuts:
      if FastValidator.acceptsLabelFile(bytes, field: field, sample: key, schema: schema) {
        return .valid
      }
    case .sample(let key) where shortcuts:
      if FastValidator.acceptsSampleRecord(bytes, key: key, schema: schema) { return .valid }
    default: break
    }
    let value: JSONValue
    let certainlyCanonical: Bool
    do {
      (value, certainlyCanonical) = try JSONParser.parseCheckingCanonical(bytes)
    } catch {
      return .invalid("broken JSON at \(error.description)")
    }
    do {
      switch kind {
      case .manifest: _ = try Manifest(json: value)
      case .schema: _ = try Schema(json: value)
      case .sample(let key):
        let record = try SampleRecord(json: value)
        if record.key != key {
          return .invalid("\"key\" is '\(record.key)' but the file name says '\(key)'")
        }
        if let schema {
          let found = schema.violations(of: record)
          if !found.isEmpty { return .breaksSchema(found) }
        }
      case .label(let field, let key):
        let file = try LabelFile(json: value)
        if file.field != field {
          return .invalid("\"field\" is '\(file.field)' but the file lives under labels/\(field)")
        }
        if file.sample != key {
          return .invalid("\"sample\" is '\(file.sample)' but the file name says '\(key)'")
        }
        if let schema {
          let found = schema.violations(of: file)
          if !found.isEmpty { return .breaksSchema(found) }
        }
      case .group(let id):
        let record = try GroupRecord(json: value)
        if record.id != id {
          return .invalid("\"id\" is '\(record.id)' but the file name says '\(id)'")
        }
      case .view(let name):
        if let problem = ViewDefinition.nameProblem(name) {
          return .invalid("invalid view name '\(name)': \(problem)")
        }
        _ = try ViewDefinition(json: value)
      case .embedding(let name, .meta):
        let meta = try EmbeddingMeta(json: value)
        if meta.name != name {
          return .invalid("\"name\" is '\(meta.name)' but the folder says '\(name)'")
        }
      case .embedding(_, .keys): _ = try EmbeddingKeys(json: value)
      case .embedding(_, .vectors), .run: break
      }
    } catch let problem {
      return .invalid(problem.reason)
    }
    if certainlyCanonical { return .valid }
    let canonical = CanonicalJSON.encode(value)
    return canonical == bytes ? .valid : .notCanonical(canonical)
  }
}
