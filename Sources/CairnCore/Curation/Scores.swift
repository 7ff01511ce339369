package import Curation
internal import GitStore

/// The per-sample scores `cairn score` computes.
package enum ScoreKind: String, Sendable, CaseIterable {
  /// FiftyOne's uniqueness (mean-centred cosine distance to the 3 nearest neighbours).
  case uniqueness
  /// ZCore coverage-minus-redundancy scores.
  case zcore
  /// k-center distance: cosine distance to the nearest labelled sample (larger: less covered).
  case kcenter
  /// The predictions' uncertainty: entropy (classifications) or the mean binary entropy of
  /// the boxes' confidences (detections).
  case hardness
  /// Exact duplicates (same media SHA-256) and near duplicates (embeddings within a
  /// threshold): the key of the sample each duplicates.
  case duplicates
}

/// What `cairn score` computed and wrote.
package struct ScoreResult: Sendable {
  /// The sample field written into every scored sample's record.
  package var field: String
  /// Values by sample key (numbers, or for duplicates the key duplicated).
  package var values: [(key: String, value: JSONValue)]
  /// The run record written under `runs/score/<field>/run.json`.
  package var record: JSONValue
}

/// Options of `cairn score`.
package struct ScoreOptions: Sendable {
  package var kind: ScoreKind
  package var embeddings: String?
  /// hardness: the predictions field; kcenter: the field whose labelled samples count as
  /// covered.
  package var field: String?
  /// The sample field to write (default: the kind's name, `duplicate_of` for duplicates).
  package var name: String?
  package var seed: UInt64
  package var zcore: ZCoreParameters
  /// duplicates: the cosine distance under which two samples are near duplicates.
  package var threshold: Double

  package init(
    kind: ScoreKind, embeddings: String?, field: String?, name: String? = nil, seed: UInt64 = 0,
    zcore: ZCoreParameters = ZCoreParameters(), threshold: Double = 0.2
  ) {
    self.kind = kind
    self.embeddings = embeddings
    self.field = field
    self.name = name
    self.seed = seed
    self.zcore = zcore
    self.threshold = threshold
  }
}

extension CairnRepository {
  /// Computes one score for every sample and writes it as a sample field of the working
  /// tree (declared in `schema.json`), plus a run record `runs/score/<field>/run.json`.
  ///
  /// Views can then use it (`fields.uniqueness > 0.8`); record it with a commit.
  ///
  /// - Throws: `CairnError` `.notFound` for an unknown embedding set or field,
  ///   `.invalidInput` when a needed option is missing or the set holds objects.
  package func score(_ options: ScoreOptions) throws(CairnError) -> ScoreResult {
    let root = try requireRoot(for: "scoring samples")
    let field =
      options.name ?? (options.kind == .duplicates ? "duplicate_of" : options.kind.rawValue)
    if let problem = Schema.attributeNameProblem(field) {
      throw CairnError(.invalidInput, "invalid sample field name '\(field)': \(problem)")
    }
    var values: [(key: String, value: JSONValue)] = []
    switch options.kind {
    case .hardness:
      guard let predictions = options.field else {
        throw CairnError(.invalidInput, "score hardness needs --field (the predictions field)")
      }
      let samples = try evaluate(ViewDefinition(stages: []), in: .workingTree)
        .samples(fields: [predictions])
      for sample in samples {
        let confidences = (sample.labels[predictions] ?? []).compactMap {
          $0["confidence"]?.number
        }
        guard !confidences.isEmpty else { continue }
        let hardness =
          (sample.labels[predictions]?.first?["type"]?.string == "classification")
          ? Hardness.scores(probabilities: confidences).entropy
          : Hardness.detections(confidences: confidences).meanEntropy
        values.append((sample.key, .double(hardness)))
      }
    default:
      guard let name = options.embeddings else {
        throw CairnError(
          .invalidInput, "score \(options.kind.rawValue) needs --embeddings (a sample set)")
      }
      let set = try embeddings(named: name, in: .workingTree)
      guard set.kind == .sample else {
        throw CairnError(.invalidInput, "embedding set '\(name)' holds objects, not samples")
      }
      let matrix = EmbeddingMatrix(
        count: set.keys.count, dimension: set.dimension, values: set.vectors)
      let keys = set.keys.map(\.sample)
      switch options.kind {
      case .uniqueness:
        values = zip(keys, Uniqueness.scores(matrix)).map { ($0, .double($1)) }
      case .zcore:
        values = zip(keys, ZCore.scores(matrix, parameters: options.zcore, seed: options.seed))
          .map { ($0, .double($1)) }
      case .kcenter:
        values = try kcenterDistances(matrix, keys: keys, field: options.field)
      default:
        values = try duplicates(matrix, keys: keys, threshold: options.threshold)
      }
    }
    let kind: AttributeDefinition.Kind = options.kind == .duplicates ? .string : .float
    _ = try changeSchema(
      message: "", commit: false, now: 0,
      edit: { (schema: inout Schema) throws(CairnError) in
        if schema.sampleFields[field]?.kind != kind {
          try SchemaEdits.setAttribute(
            &schema, field: nil, className: nil, name: field,
            definition: AttributeDefinition(kind: kind))
        }
      })
    var parameters: [String: JSONValue] = ["kind": .string(options.kind.rawValue)]
    if let name = options.embeddings { parameters["embeddings"] = .string(name) }
    if let labels = options.field { parameters["field"] = .string(labels) }
    if options.kind == .zcore {
      parameters["seed"] = .int(Int64(bitPattern: options.seed))
      parameters["draws"] = options.zcore.sampleCount.map { .int(Int64($0)) } ?? .null
      parameters["redund_nn"] = .int(Int64(options.zcore.redundancyNeighbours))
    }
    if options.kind == .duplicates { parameters["threshold"] = .double(options.threshold) }
    var scores: [String: JSONValue] = [:]
    for (key, value) in values { scores[key] = value }
    let record: JSONValue = .object([
      "version": .int(1), "kind": .string("score"), "field": .string(field),
      "commit": .string(try resolve("HEAD").hex), "parameters": .object(parameters),
      "scores": .object(scores),
    ])
    try writeScores(field: field, values: values, record: record, root: root)
    return ScoreResult(field: field, values: values, record: record)
  }

  /// Cosine distance from each sample to its nearest sample labelled in `field`.
  private func kcenterDistances(_ matrix: EmbeddingMatrix, keys: [String], field: String?)
    throws(CairnError) -> [(key: String, value: JSONValue)]
  {
    guard let field else {
      throw CairnError(.invalidInput, "score kcenter needs --field (the labelled field)")
    }
    let samples = try evaluate(ViewDefinition(stages: []), in: .workingTree)
      .samples(fields: [field])
    let labelled = Set(samples.filter { !($0.labels[field] ?? []).isEmpty }.map(\.key))
    let rows = keys.indices.filter { labelled.contains(keys[$0]) }
    guard !rows.isEmpty else {
      return keys.map { ($0, .double(1)) }
    }
    let nearest = Neighbours.nearest(
      queries: Array(keys.indices), in: rows, of: matrix, k: 1, centred: true)
    return zip(keys, nearest).map { key, list in
      (key, .double(labelled.contains(key) ? 0 : (list.first?.distance ?? 1)))
    }
  }

  /// Exact duplicates by media SHA-256, then near duplicates by embedding distance.
  private func duplicates(_ matrix: EmbeddingMatrix, keys: [String], threshold: Double)
    throws(CairnError) -> [(key: String, value: JSONValue)]
  {
    let samples = try evaluate(ViewDefinition(stages: []), in: .workingTree).samples(fields: [])
    var hashOf: [String: String] = [:]
    for sample in samples {
      if let sha = sample.record["media"]?["sha256"]?.string { hashOf[sample.key] = sha }
    }
    var duplicateOf: [String: String] = [:]
    var firstWithHash: [String: String] = [:]
    for sample in samples {
      guard let hash = hashOf[sample.key] else { continue }
      if let first = firstWithHash[hash] {
        duplicateOf[sample.key] = first
      } else {
        firstWithHash[hash] = sample.key
      }
    }
    for pair in NearDuplicates.groups(matrix, threshold: threshold).pairs
    where duplicateOf[keys[pair.duplicate]] == nil {
      duplicateOf[keys[pair.duplicate]] = keys[pair.kept]
    }
    return duplicateOf.keys.sorted().map { ($0, .string(duplicateOf[$0] ?? "")) }
  }

  /// Writes the values into the records of the working tree and the run record.
  private func writeScores(
    field: String, values: [(key: String, value: JSONValue)], record: JSONValue, root: String
  ) throws(CairnError) {
    let lock = try WriterLock(path: lockPath)
    defer { lock.release() }
    var writes: [(path: String, bytes: [UInt8])] = []
    for (key, value) in values {
      let path = FormatV1.samplePath(key)
      guard FileStat.of(root + "/" + path) != nil else { continue }
      let bytes = try CairnError.wrap { try FileIO.read(root + "/" + path) }
      guard case .object(var members) = (try? JSONParser.parse(bytes)) ?? .null,
        case .object(var fields) = members["fields"] ?? .object([:])
      else {
        throw CairnError(.invalidInput, "\(path): a sample record is a JSON object")
      }
      fields[field] = value
      members["fields"] = .object(fields)
      writes.append((path, CanonicalJSON.encode(.object(members))))
    }
    try CairnError.wrap {
      for write in writes { try FileIO.writeAtomically(write.bytes, to: root + "/" + write.path) }
      try FileIO.makeDirectories(root + "/runs/score/" + field)
      try FileIO.writeAtomically(
        CanonicalJSON.encode(record), to: root + "/runs/score/" + field + "/run.json")
    }
  }
}
