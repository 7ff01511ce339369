/// Checks one tracked file against format v1.
package enum Validator {
  package enum Outcome: Sendable, Equatable {
    case valid
    /// Parseable and valid, but not byte-identical to its canonical form (given here).
    case notCanonical([UInt8])
    case invalid(String)
  }

  /// Checks the file at repository-relative `path` holding `bytes`.
  package static func check(path: String, bytes: [UInt8]) -> Outcome {
    let kind: FormatV1.PathKind
    switch FormatV1.classify(path) {
    case .success(let value): kind = value
    case .failure(let problem): return .invalid(problem.reason)
    }
    switch kind {
    case .embedding, .run:
      if path.hasSuffix(".json") { break }
      return .valid
    default: break
    }
    let value: JSONValue
    do {
      value = try JSONParser.parse(bytes)
    } catch {
      return .invalid("broken JSON at \(error.description)")
    }
    do {
      switch kind {
      case .manifest: _ = try Manifest(json: value)
      case .schema:
        guard value.object != nil, value["version"]?.int != nil, value["fields"]?.object != nil
        else {
          return .invalid(
            "schema.json is an object with an integer \"version\" and a \"fields\" object")
        }
      case .sample(let key):
        let record = try SampleRecord(json: value)
        if record.key != key {
          return .invalid("\"key\" is '\(record.key)' but the file name says '\(key)'")
        }
      case .label(let field, let key):
        let file = try LabelFile(json: value)
        if file.field != field {
          return .invalid("\"field\" is '\(file.field)' but the file lives under labels/\(field)")
        }
        if file.sample != key {
          return .invalid("\"sample\" is '\(file.sample)' but the file name says '\(key)'")
        }
      case .view:
        guard value.object != nil else { return .invalid("a view is a JSON object") }
      case .embedding, .run: break
      }
    } catch let problem {
      return .invalid(problem.reason)
    }
    let canonical = CanonicalJSON.encode(value)
    return canonical == bytes ? .valid : .notCanonical(canonical)
  }
}
