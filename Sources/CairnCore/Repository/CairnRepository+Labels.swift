internal import GitStore

/// Label ids: 32 lowercase hexadecimal digits (128 random bits), stable once written.
package enum LabelID {
  /// A new random id.
  package static func make() -> String {
    var generator = SystemRandomNumberGenerator()
    return make(using: &generator)
  }

  /// A new id drawn from `generator` (deterministic generators make reproducible demos).
  package static func make(using generator: inout some RandomNumberGenerator) -> String {
    hexString(
      (0..<2).flatMap { _ -> [UInt8] in
        let value = generator.next()
        return (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
      })
  }
}

extension CairnRepository {
  /// Writes the label file of `field` for sample `key` into the working tree.
  ///
  /// - Throws: `CairnError` `.invalidInput` for an invalid field name or key.
  package func writeLabels(field: String, key: String, labels: [JSONValue]) throws(CairnError) {
    let root = try requireRoot(for: "writing labels")
    if let problem = FormatV1.fieldProblem(field) {
      throw CairnError(.invalidInput, "invalid field '\(field)': \(problem)")
    }
    if let problem = FormatV1.keyProblem(key) {
      throw CairnError(.invalidInput, "invalid sample key '\(key)': \(problem)")
    }
    let file = LabelFile(field: field, sample: key, labels: labels)
    let full = root + "/" + FormatV1.labelPath(field: field, key: key)
    try CairnError.wrap {
      if let slash = full.lastIndex(of: "/") { try FileIO.makeDirectories(String(full[..<slash])) }
      try FileIO.writeAtomically(file.encoded, to: full)
    }
  }

  /// Reads the label file of `field` for sample `key` from the working tree; nil when absent.
  package func readLabels(field: String, key: String) throws(CairnError) -> LabelFile? {
    let root = try requireRoot(for: "reading labels")
    let full = root + "/" + FormatV1.labelPath(field: field, key: key)
    guard let bytes = try? FileIO.read(full) else { return nil }
    do {
      return try LabelFile(json: try JSONParser.parse(bytes))
    } catch {
      throw CairnError(.invalidInput, "\(FormatV1.labelPath(field: field, key: key)): \(error)")
    }
  }
}
