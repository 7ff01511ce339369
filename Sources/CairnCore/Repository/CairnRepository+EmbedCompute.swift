internal import GitStore

/// What `cairn embed compute` made.
package struct EmbeddingComputation: Sendable {
  /// The set written.
  package var set: EmbeddingSet
  /// Whether a set of that name was replaced.
  package var replaced: Bool
  /// Samples left out, each with why (a point cloud, a missing or undecodable file).
  package var skipped: [(key: String, reason: String)]
  /// How many samples were read.
  package var samples: Int
}

/// The outcome of describing one sample.
private enum DescribedSample: Sendable {
  case rows([(key: EmbeddingKey, vector: [Float])])
  case skipped(String)
}

extension CairnRepository {
  /// Computes ``ImageDescriptor`` vectors of every sample (or of every detection box of
  /// `field`) and writes them as set `name` into the working tree.
  ///
  /// Sample records and labels come from `source`; media files from their URIs (relative to
  /// the working tree, or `file://`). Point clouds and files that are missing or cannot be
  /// decoded are skipped and reported, not fatal. Images are decoded and described on all
  /// cores.
  ///
  /// - Parameters:
  ///   - name: The set's name.
  ///   - field: A detections field: one vector per box, of the box's pixels; nil for one
  ///     vector per image.
  ///   - source: Where to read samples and labels from.
  ///   - replace: Overwrite an existing set instead of refusing.
  /// - Returns: The set written, what was skipped, and whether a set was replaced.
  /// - Throws: `CairnError` `.alreadyExists` when the set exists and `replace` is false
  ///   (checked before any work), `.notFound` for an unknown revision or field,
  ///   `.invalidInput` for a field that does not hold detections or an unreadable record.
  package func computeEmbeddings(
    name: String, field: String?, in source: DataSource, replace: Bool
  ) throws(CairnError) -> EmbeddingComputation {
    let root = try requireRoot(for: "computing embeddings")
    if let problem = FormatV1.embeddingNameProblem(name) {
      throw CairnError(.invalidInput, "invalid embedding set name '\(name)': \(problem)")
    }
    let folder = EmbeddingSet.folder(name)
    if !replace && FileStat.of(root + "/" + folder) != nil {
      throw CairnError(
        .alreadyExists,
        "embedding set '\(name)' already exists (\(folder)); use --force to replace it")
    }
    if let field { try requireDetections(field, in: source, root: root) }
    let (table, _, tableRoot) = try sampleTable(source, includeExcluded: true)
    let gitDirectory = git.gitDirectory
    let outcomes = parallelMap(
      count: table.keys.count, grain: 1,
      state: ContentReader(gitDirectory: gitDirectory, root: tableRoot)
    ) { reader, index -> Result<DescribedSample, CairnError.Violation> in
      Self.describeCatching(table: table, index: index, field: field, reader: reader, root: root)
    }
    var keys: [EmbeddingKey] = []
    var vectors: [Float] = []
    var skipped: [(key: String, reason: String)] = []
    for (index, outcome) in outcomes.enumerated() {
      switch outcome {
      case .failure(let violation):
        throw CairnError(.invalidInput, "\(violation.location): \(violation.reason)")
      case .success(.skipped(let reason)):
        skipped.append((table.keys[index], reason))
      case .success(.rows(let rows)):
        for row in rows {
          keys.append(row.key)
          vectors += row.vector
        }
      }
    }
    let set = EmbeddingSet(
      name: name, model: ImageDescriptor.model, kind: field == nil ? .sample : .object,
      field: field, keys: keys, dimension: ImageDescriptor.dimension, dtype: .float32,
      vectors: vectors
    ).sorted()
    let replaced = try saveEmbeddings(set, replace: replace)
    return EmbeddingComputation(
      set: set, replaced: replaced, skipped: skipped, samples: table.keys.count)
  }

  /// Refuses a field the schema of `source` lacks or that does not hold detections.
  private func requireDetections(_ field: String, in source: DataSource, root: String)
    throws(CairnError)
  {
    let schema: Schema
    switch source {
    case .revision(let revision): schema = try self.schema(at: revision)
    case .workingTree:
      let bytes = try CairnError.wrap { try FileIO.read(root + "/schema.json") }
      do {
        schema = try Schema.parse(bytes)
      } catch {
        throw CairnError(.invalidInput, "schema.json: \(error.reason)")
      }
    }
    guard let definition = schema.fields[field] else {
      throw CairnError(.notFound, "field '\(field)' is not in the schema")
    }
    guard definition.type == .detections else {
      throw CairnError(
        .invalidInput,
        "field '\(field)' holds \(definition.type.rawValue), not detections: object "
          + "embeddings describe the pixels of detection boxes")
    }
  }

  /// ``describe(table:index:field:reader:root:)`` with its failure as a value.
  private static func describeCatching(
    table: SampleTable, index: Int, field: String?, reader: ContentReader, root: String
  ) -> Result<DescribedSample, CairnError.Violation> {
    do {
      return .success(
        try describe(table: table, index: index, field: field, reader: reader, root: root))
    } catch let violation {
      return .failure(violation)
    }
  }

  /// The rows of one sample: its image's descriptor, or one per detection box of `field`.
  private static func describe(
    table: SampleTable, index: Int, field: String?, reader: ContentReader, root: String
  ) throws(CairnError.Violation) -> DescribedSample {
    let key = table.keys[index]
    let recordPath = FormatV1.samplePath(key)
    let record: SampleRecord
    do {
      record = try SampleRecord(json: try reader.json(table.records[index], path: recordPath))
    } catch let violation as CairnError.Violation {
      throw violation
    } catch let problem as RecordProblem {
      throw CairnError.Violation(recordPath, problem.reason)
    } catch {
      throw CairnError.Violation(recordPath, "\(error)")
    }
    if record.media.kind != MediaKind.image.rawValue {
      return .skipped(
        "\(record.media.format) \(record.media.kind.replacingUnderscores), not an image")
    }
    var boxes: [(id: String, bbox: [Double])] = []
    if let field {
      guard let reference = table.labels[field]?[index] ?? nil else { return .rows([]) }
      let path = FormatV1.labelPath(field: field, key: key)
      for label in try reader.labels(reference, path: path) {
        guard let id = label["id"]?.string, let values = label["bbox"]?.array else { continue }
        let bbox = values.compactMap(\.number)
        if bbox.count == 4 { boxes.append((id, bbox)) }
      }
      if boxes.isEmpty { return .rows([]) }
    }
    guard let path = Self.localPath(of: record.media.uri, root: root) else {
      return .skipped("media '\(record.media.uri)' is not a local file")
    }
    guard FileStat.of(path) != nil, let bytes = try? FileIO.read(path) else {
      return .skipped("media file \(path) is missing")
    }
    let image: RGBImage
    do {
      image = try ImageDecoder.decode(bytes)
    } catch {
      return .skipped("\(path): \(error.reason)")
    }
    guard field != nil else {
      return .rows([(EmbeddingKey(sample: key), ImageDescriptor.describe(image))])
    }
    return .rows(
      boxes.map { box in
        let region = PixelRegion.covering(box: box.bbox, width: image.width, height: image.height)
        return (
          EmbeddingKey(sample: key, label: box.id),
          ImageDescriptor.describe(image, region: region)
        )
      })
  }
}

extension String {
  /// With `_` shown as a space (`point_cloud` → `point cloud`).
  fileprivate var replacingUnderscores: String {
    String(map { $0 == "_" ? " " : $0 })
  }
}
