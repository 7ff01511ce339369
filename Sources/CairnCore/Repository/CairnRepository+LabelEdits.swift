internal import GitStore

/// What `cairn label copy` did.
package struct LabelCopyResult: Sendable {
  package var samples: Int
  package var copied: Int
  /// Labels skipped because the target already holds a copy of them.
  package var alreadyCopied: Int
}

extension CairnRepository {
  /// Edits the labels of `field` for sample `key` in the working tree, through the same checks
  /// as a commit (label format and schema); nothing is written when they fail.
  ///
  /// - Parameters:
  ///   - key: The sample key.
  ///   - field: The label field.
  ///   - body: Changes the labels; returns a value handed back to the caller.
  /// - Returns: What `body` returned.
  /// - Throws: `CairnError` `.notFound` for an unknown sample, `.validationFailed` listing
  ///   every broken rule.
  package func editLabels<Result>(
    key: String, field: String,
    _ body: (inout [JSONValue], Schema) throws(CairnError) -> Result
  ) throws(CairnError) -> Result {
    let root = try requireRoot(for: "editing labels")
    let schema = try workingSchema()
    guard schema.fields[field] != nil else {
      throw CairnError(
        .notFound,
        "field '\(field)' is not in schema.json (add it with 'cairn schema add-field')")
    }
    if let problem = FormatV1.keyProblem(key) {
      throw CairnError(.invalidInput, "invalid sample key '\(key)': \(problem)")
    }
    guard FileStat.of(root + "/" + FormatV1.samplePath(key)) != nil else {
      throw CairnError(.notFound, "no sample '\(key)' in the working tree")
    }
    let path = FormatV1.labelPath(field: field, key: key)
    var labels = try readLabels(field: field, key: key)?.labels ?? []
    let result = try body(&labels, schema)
    let file = LabelFile(field: field, sample: key, labels: labels)
    let bytes = file.encoded
    switch Validator.check(path: path, bytes: bytes, schema: schema) {
    case .valid: break
    case .invalid(let reason):
      throw CairnError(
        .validationFailed, "label edit refused; nothing was written",
        violations: [CairnError.Violation(path, reason)])
    case .breaksSchema(let reasons):
      throw CairnError(
        .validationFailed, "label edit refused: it breaks the schema; nothing was written",
        violations: reasons.map { CairnError.Violation(path, $0) })
    case .notCanonical:
      throw CairnError(.validationFailed, "internal: labels did not encode canonically")
    }
    try writeLabels(field: field, key: key, labels: labels)
    return result
  }

  /// Copies labels from one field into another for `keys` (every sample with labels in
  /// `source` when nil), giving each copy a new id and its provenance; labels already copied
  /// (same source field and id) are skipped, so running it again copies nothing.
  ///
  /// - Parameters:
  ///   - source: The field to copy from.
  ///   - target: The field to copy into; its type must hold the same label type.
  ///   - keys: The samples; nil for every sample with labels in `source`.
  ///   - minimumConfidence: Copy only labels at least this confident (labels without a
  ///     confidence are copied).
  ///   - classes: Copy only labels of these classes.
  /// - Returns: How many labels were copied, for how many samples.
  /// - Throws: `CairnError` `.notFound` for an undeclared field, `.invalidInput` for fields of
  ///   different label types, `.validationFailed` when a copy breaks the schema (nothing is
  ///   written then).
  package func copyLabels(
    from source: String, to target: String, keys: [String]?, minimumConfidence: Double?,
    classes: Set<String>?
  ) throws(CairnError) -> LabelCopyResult {
    let root = try requireRoot(for: "copying labels")
    let schema = try workingSchema()
    guard let from = schema.fields[source] else {
      throw CairnError(.notFound, "field '\(source)' is not in schema.json")
    }
    guard let to = schema.fields[target] else {
      throw CairnError(.notFound, "field '\(target)' is not in schema.json")
    }
    guard from.type.labelType == to.type.labelType else {
      throw CairnError(
        .invalidInput,
        "cannot copy \(from.type.rawValue) labels into a \(to.type.rawValue) field")
    }
    if source == target { throw CairnError(.invalidInput, "--from and --to are the same field") }
    let selected: [String]
    if let keys {
      selected = keys
    } else {
      selected = labelFiles(field: source, root: root).compactMap { path in
        if case .success(.label(_, let key)) = FormatV1.classify(path) { return key }
        return nil
      }
    }
    // Check everything first, then write: a refused copy writes nothing.
    var planned: [(key: String, labels: [JSONValue])] = []
    var result = LabelCopyResult(samples: 0, copied: 0, alreadyCopied: 0)
    var violations: [CairnError.Violation] = []
    for key in selected {
      guard let labels = try readLabels(field: source, key: key)?.labels else { continue }
      var existing = try readLabels(field: target, key: key)?.labels ?? []
      let copiedIDs = Set(
        existing.compactMap { label -> String? in
          guard label["provenance"]?["field"]?.string == source else { return nil }
          return label["provenance"]?["label"]?.string
        })
      var added = 0
      for label in labels {
        guard var members = label.object, let id = members["id"]?.string else { continue }
        if let classes, !classes.contains(members["label"]?.string ?? "") { continue }
        if let minimumConfidence, let confidence = members["confidence"]?.number,
          confidence < minimumConfidence
        {
          continue
        }
        if copiedIDs.contains(id) {
          result.alreadyCopied += 1
          continue
        }
        members["id"] = .string(LabelID.make())
        members["confidence"] = nil
        members["provenance"] = .object(["field": .string(source), "label": .string(id)])
        existing.append(.object(members))
        added += 1
      }
      guard added > 0 else { continue }
      let path = FormatV1.labelPath(field: target, key: key)
      let bytes = LabelFile(field: target, sample: key, labels: existing).encoded
      switch Validator.check(path: path, bytes: bytes, schema: schema) {
      case .valid: break
      case .invalid(let reason): violations.append(CairnError.Violation(path, reason))
      case .breaksSchema(let reasons):
        violations += reasons.map { CairnError.Violation(path, $0) }
      case .notCanonical: violations.append(CairnError.Violation(path, "not canonical"))
      }
      planned.append((key, existing))
      result.samples += 1
      result.copied += added
    }
    if !violations.isEmpty {
      throw CairnError(
        .validationFailed,
        "label copy refused: the copies would break the schema; "
          + "nothing was written", violations: violations)
    }
    for (key, labels) in planned { try writeLabels(field: target, key: key, labels: labels) }
    return result
  }
}
