/// What one row of an embedding set describes.
package enum EmbeddingKind: String, Sendable, Equatable {
  /// One row per sample.
  case sample
  /// One row per label (an object) of a label field.
  case object
}

/// How the numbers of `vectors.bin` are stored.
package enum EmbeddingDType: String, Sendable, Equatable {
  case float32
  case float16

  /// Bytes per number.
  package var size: Int { self == .float32 ? 4 : 2 }
}

/// Whose vector a row is: a sample, or one label of a sample.
package struct EmbeddingKey: Sendable, Hashable {
  /// The sample key.
  package var sample: String
  /// The label id, for object rows; nil for sample rows.
  package var label: String?

  /// Creates a row key.
  ///
  /// - Parameters:
  ///   - sample: The sample key.
  ///   - label: The label id, for an object row.
  package init(sample: String, label: String? = nil) {
    self.sample = sample
    self.label = label
  }

  /// Whether `self` sorts before `other`: by the UTF-8 bytes of the sample key, then of the
  /// label id (`Docs/storage-format.md` §7.6).
  package func precedes(_ other: EmbeddingKey) -> Bool {
    let order = ByteOrder.compare(sample, other.sample)
    if order != 0 { return order < 0 }
    return ByteOrder.precedes(label ?? "", other.label ?? "")
  }

  /// `key` or `key#label` for messages.
  package var text: String { label.map { "\(sample)#\($0)" } ?? sample }
}

/// `embeddings/<name>/meta.json`: what the vectors of a set are.
///
/// The members and their rules are those of `Docs/storage-format.md` §7.6.
package struct EmbeddingMeta: Sendable, Equatable {
  static let knownKeys: Set<String> = [
    "version", "name", "model", "dimension", "count", "dtype", "kind", "field",
  ]
  /// The largest dimension a set may have.
  package static let maximumDimension = 65_536

  package var name: String
  package var model: String
  package var dimension: Int
  package var count: Int
  package var dtype: EmbeddingDType
  package var kind: EmbeddingKind
  /// The label field of an object set.
  package var field: String?

  /// Creates the metadata of a set.
  ///
  /// - Parameters:
  ///   - name: The set's name (its folder).
  ///   - model: What made the vectors.
  ///   - dimension: Numbers per row.
  ///   - count: Rows.
  ///   - dtype: How the numbers are stored.
  ///   - kind: Whether rows are samples or objects.
  ///   - field: The label field of an object set.
  package init(
    name: String, model: String, dimension: Int, count: Int, dtype: EmbeddingDType,
    kind: EmbeddingKind, field: String?
  ) {
    self.name = name
    self.model = model
    self.dimension = dimension
    self.count = count
    self.dtype = dtype
    self.kind = kind
    self.field = field
  }

  /// Reads `meta.json`, reporting the first rule it breaks.
  ///
  /// - Parameter json: The parsed file.
  /// - Throws: `RecordProblem` naming the member and the rule.
  package init(json: JSONValue) throws(RecordProblem) {
    guard let object = json.object else { throw RecordProblem("meta.json is a JSON object") }
    if let extra = unknownKey(in: object, known: Self.knownKeys) {
      throw RecordProblem("unknown member \"\(extra)\" in meta.json")
    }
    guard object["version"] == .int(1) else { throw RecordProblem("\"version\" must be 1") }
    guard let name = object["name"]?.string else {
      throw RecordProblem("\"name\" must be a string")
    }
    if let problem = FormatV1.embeddingNameProblem(name) {
      throw RecordProblem("\"name\": \(problem)")
    }
    guard let model = object["model"]?.string, !model.isEmpty, model.utf8.count <= 200 else {
      throw RecordProblem("\"model\" must be a string of 1 to 200 bytes")
    }
    guard let dimension = object["dimension"]?.int, dimension >= 1,
      dimension <= Self.maximumDimension
    else {
      throw RecordProblem("\"dimension\" must be an integer from 1 to \(Self.maximumDimension)")
    }
    guard let count = object["count"]?.int, count >= 0, count <= Int64(Int32.max) else {
      throw RecordProblem("\"count\" must be an integer ≥ 0")
    }
    guard let dtype = object["dtype"]?.string.flatMap(EmbeddingDType.init(rawValue:)) else {
      throw RecordProblem("\"dtype\" must be \"float32\" or \"float16\"")
    }
    guard let kind = object["kind"]?.string.flatMap(EmbeddingKind.init(rawValue:)) else {
      throw RecordProblem("\"kind\" must be \"sample\" or \"object\"")
    }
    var field: String?
    switch (kind, object["field"]) {
    case (.sample, nil): break
    case (.sample, _): throw RecordProblem("\"field\" is only allowed with \"kind\": \"object\"")
    case (.object, let value):
      guard let name = value?.string else {
        throw RecordProblem("\"field\" must name the label field of an object set")
      }
      if let problem = FormatV1.fieldProblem(name) { throw RecordProblem("\"field\": \(problem)") }
      field = name
    }
    self.init(
      name: name, model: model, dimension: Int(dimension), count: Int(count), dtype: dtype,
      kind: kind, field: field)
  }

  /// The file's value.
  package var json: JSONValue {
    var members: [String: JSONValue] = [
      "version": .int(1), "name": .string(name), "model": .string(model),
      "dimension": .int(Int64(dimension)), "count": .int(Int64(count)),
      "dtype": .string(dtype.rawValue), "kind": .string(kind.rawValue),
    ]
    if let field { members["field"] = .string(field) }
    return .object(members)
  }

  /// The size `vectors.bin` must have.
  package var vectorBytes: Int { count * dimension * dtype.size }
}

/// `embeddings/<name>/keys.json`: the row keys of a set, in row order.
package struct EmbeddingKeys: Sendable, Equatable {
  package var kind: EmbeddingKind
  package var keys: [EmbeddingKey]

  /// Reads `keys.json`: all sample keys, or all `[key, label id]` pairs, strictly increasing.
  ///
  /// An empty array is a valid set of either kind (its kind is then `.sample`; callers compare
  /// kinds only when there are rows).
  ///
  /// - Parameter json: The parsed file.
  /// - Throws: `RecordProblem` naming the entry and the rule.
  package init(json: JSONValue) throws(RecordProblem) {
    guard let entries = json.array else {
      throw RecordProblem("keys.json is an array of sample keys or [key, label id] pairs")
    }
    var keys: [EmbeddingKey] = []
    keys.reserveCapacity(entries.count)
    let objects = entries.first?.array != nil
    for (index, entry) in entries.enumerated() {
      let key: EmbeddingKey
      if objects {
        guard let pair = entry.array, pair.count == 2, let sample = pair[0].string,
          let label = pair[1].string
        else {
          throw RecordProblem("entry \(index) must be a [sample key, label id] pair, as entry 0")
        }
        if let problem = FormatV1.labelIDProblem(label) {
          throw RecordProblem("entry \(index): \(problem)")
        }
        key = EmbeddingKey(sample: sample, label: label)
      } else {
        guard let sample = entry.string else {
          throw RecordProblem("entry \(index) must be a sample key, as entry 0")
        }
        key = EmbeddingKey(sample: sample)
      }
      if let problem = FormatV1.keyProblem(key.sample) {
        throw RecordProblem("entry \(index): \(problem)")
      }
      if let last = keys.last, !last.precedes(key) {
        throw RecordProblem(
          "entry \(index) ('\(key.text)') is not after entry \(index - 1) ('\(last.text)'): "
            + "entries are sorted by key bytes, each once")
      }
      keys.append(key)
    }
    self.kind = objects ? .object : .sample
    self.keys = keys
  }

  /// Creates the keys of a set.
  ///
  /// - Parameters:
  ///   - kind: Whether rows are samples or objects.
  ///   - keys: The row keys, sorted.
  package init(kind: EmbeddingKind, keys: [EmbeddingKey]) {
    self.kind = kind
    self.keys = keys
  }

  /// The file's value.
  package var json: JSONValue {
    .array(
      keys.map { key in
        switch kind {
        case .sample: .string(key.sample)
        case .object: .array([.string(key.sample), .string(key.label ?? "")])
        }
      })
  }
}

/// A set of vectors, one per sample or per object, as stored under `embeddings/<name>/`.
///
/// Vectors are held as `Float` whatever the stored dtype: `float16` files are converted on
/// read, and converted back on write.
package struct EmbeddingSet: Sendable, Equatable {
  package var name: String
  package var model: String
  package var kind: EmbeddingKind
  /// The label field of an object set.
  package var field: String?
  /// Row keys, sorted by key bytes (then label id).
  package var keys: [EmbeddingKey]
  package var dimension: Int
  /// How the numbers are stored.
  package var dtype: EmbeddingDType
  /// `keys.count × dimension` numbers, row-major.
  package var vectors: [Float]

  /// Creates a set; rows need not be sorted yet (see ``sorted()``).
  ///
  /// - Parameters:
  ///   - name: The set's name.
  ///   - model: What made the vectors.
  ///   - kind: Whether rows are samples or objects.
  ///   - field: The label field of an object set.
  ///   - keys: Row keys.
  ///   - dimension: Numbers per row.
  ///   - dtype: How the numbers are stored.
  ///   - vectors: `keys.count × dimension` numbers, row-major.
  package init(
    name: String, model: String, kind: EmbeddingKind, field: String?, keys: [EmbeddingKey],
    dimension: Int, dtype: EmbeddingDType, vectors: [Float]
  ) {
    self.name = name
    self.model = model
    self.kind = kind
    self.field = field
    self.keys = keys
    self.dimension = dimension
    self.dtype = dtype
    self.vectors = vectors
  }

  /// The folder of set `name`: `embeddings/<name>`.
  package static func folder(_ name: String) -> String { "embeddings/" + name }

  /// The metadata written into `meta.json`.
  package var meta: EmbeddingMeta {
    EmbeddingMeta(
      name: name, model: model, dimension: dimension, count: keys.count, dtype: dtype,
      kind: kind, field: field)
  }

  /// Row `index`.
  package func vector(at index: Int) -> ArraySlice<Float> {
    vectors[index * dimension..<(index + 1) * dimension]
  }

  /// The set with its rows in key order (the order `keys.json` requires).
  package func sorted() -> EmbeddingSet {
    let order = keys.indices.sorted { keys[$0].precedes(keys[$1]) }
    var copy = self
    copy.keys = order.map { keys[$0] }
    copy.vectors = []
    copy.vectors.reserveCapacity(vectors.count)
    for row in order { copy.vectors += vector(at: row) }
    return copy
  }

  /// The bytes of the three files: `meta.json`, `keys.json`, `vectors.bin`.
  package func encoded() -> (meta: [UInt8], keys: [UInt8], vectors: [UInt8]) {
    (
      CanonicalJSON.encode(meta.json),
      CanonicalJSON.encode(EmbeddingKeys(kind: kind, keys: keys).json),
      VectorCoding.encode(vectors, as: dtype)
    )
  }

  /// Reads a set from its three files.
  ///
  /// - Parameters:
  ///   - meta: The bytes of `meta.json`.
  ///   - keys: The bytes of `keys.json`.
  ///   - vectors: The bytes of `vectors.bin`.
  ///   - folder: The set's folder, for messages.
  /// - Returns: The set, its numbers converted to `Float`.
  /// - Throws: `CairnError` `.invalidInput` naming the file and the rule the files break.
  package static func decode(
    meta: [UInt8], keys: [UInt8], vectors: [UInt8], folder: String
  ) throws(CairnError) -> EmbeddingSet {
    let info: EmbeddingMeta
    let rows: EmbeddingKeys
    do {
      info = try EmbeddingMeta(json: try parse(meta, path: folder + "/meta.json"))
    } catch {
      throw CairnError(.invalidInput, "\(folder)/meta.json: \(error.reason)")
    }
    do {
      rows = try EmbeddingKeys(json: try parse(keys, path: folder + "/keys.json"))
    } catch {
      throw CairnError(.invalidInput, "\(folder)/keys.json: \(error.reason)")
    }
    if let problem = consistencyProblem(meta: info, keys: rows, vectorBytes: vectors.count) {
      throw CairnError(.invalidInput, "\(folder): \(problem)")
    }
    return EmbeddingSet(
      name: info.name, model: info.model, kind: info.kind, field: info.field, keys: rows.keys,
      dimension: info.dimension, dtype: info.dtype,
      vectors: VectorCoding.decode(vectors, as: info.dtype))
  }

  private static func parse(_ bytes: [UInt8], path: String) throws(RecordProblem) -> JSONValue {
    do {
      return try JSONParser.parse(bytes)
    } catch {
      throw RecordProblem("broken JSON at \(error.description)")
    }
  }

  /// Why the files of a set that has at least one of them break the rule across files of
  /// §7.6, or nil.
  ///
  /// A file that breaks its own rules (broken JSON, a bad member) is not reported here: the
  /// check of each file reports it.
  ///
  /// - Parameters:
  ///   - meta: The bytes of `meta.json`, nil when absent.
  ///   - keys: The bytes of `keys.json`, nil when absent.
  ///   - vectorBytes: The size of `vectors.bin`, nil when absent.
  /// - Returns: The first problem, or nil.
  package static func filesProblem(meta: [UInt8]?, keys: [UInt8]?, vectorBytes: Int?) -> String? {
    var missing: [String] = []
    if meta == nil { missing.append("meta.json") }
    if keys == nil { missing.append("keys.json") }
    if vectorBytes == nil { missing.append("vectors.bin") }
    if !missing.isEmpty {
      return "an embedding set has meta.json, keys.json and vectors.bin; "
        + missing.joined(separator: " and ") + " missing"
    }
    guard let meta, let keys, let vectorBytes,
      let metaValue = try? JSONParser.parse(meta),
      let info = try? EmbeddingMeta(json: metaValue),
      let keyValue = try? JSONParser.parse(keys),
      let rows = try? EmbeddingKeys(json: keyValue)
    else { return nil }
    return consistencyProblem(meta: info, keys: rows, vectorBytes: vectorBytes)
  }

  /// Why a set's three files disagree, or nil (the rule across files of §7.6).
  ///
  /// - Parameters:
  ///   - meta: The parsed `meta.json`.
  ///   - keys: The parsed `keys.json`.
  ///   - vectorBytes: The size of `vectors.bin`.
  /// - Returns: The first disagreement, or nil.
  package static func consistencyProblem(
    meta: EmbeddingMeta, keys: EmbeddingKeys, vectorBytes: Int
  ) -> String? {
    if keys.keys.count != meta.count {
      return "meta.json says count \(meta.count) but keys.json has \(keys.keys.count) entries"
    }
    if !keys.keys.isEmpty && keys.kind != meta.kind {
      return keys.kind == .object
        ? "keys.json holds [key, label id] pairs but meta.json says kind \"sample\""
        : "keys.json holds sample keys but meta.json says kind \"object\""
    }
    if vectorBytes != meta.vectorBytes {
      return "vectors.bin has \(vectorBytes) bytes, but count \(meta.count) × dimension "
        + "\(meta.dimension) × \(meta.dtype.size) bytes (\(meta.dtype.rawValue)) is "
        + "\(meta.vectorBytes)"
    }
    return nil
  }
}
