package import Curation
internal import GitStore

/// How `cairn map` projects an embedding set to 2-D.
package enum MapProjection: Sendable, Equatable {
  /// The first two principal components (deterministic, no parameter).
  case pca
  /// t-SNE, at most `TSNE.maximumCount` samples.
  case tsne(TSNEParameters)
  /// UMAP.
  case umap(UMAPParameters)

  /// The name stored as the map's `method`.
  package var name: String {
    switch self {
    case .pca: "pca"
    case .tsne: "tsne"
    case .umap: "umap"
    }
  }

  /// The parameters a map of `count` samples is computed with, defaults resolved, for the
  /// map's record.
  ///
  /// - Parameters:
  ///   - count: The number of samples.
  ///   - seed: The seed of the random choices (not recorded for PCA, which has none).
  /// - Returns: A JSON object.
  package func record(count: Int, seed: UInt64) -> JSONValue {
    switch self {
    case .pca:
      return .object([:])
    case .tsne(let parameters):
      return .object([
        "perplexity": .double(parameters.perplexity(for: count)),
        "iterations": .int(Int64(parameters.iterations)),
        "early_exaggeration": .double(parameters.earlyExaggeration),
        "exaggeration_iterations": .int(Int64(parameters.exaggerationIterations)),
        "learning_rate": .double(parameters.learningRate(for: count)),
        "init": .string("pca"), "seed": .int(Int64(bitPattern: seed)),
      ])
    case .umap(let parameters):
      let (a, b) = UMAP.curve(
        minimumDistance: parameters.minimumDistance, spread: parameters.spread)
      return .object([
        "neighbours": .int(Int64(parameters.neighbours)),
        "min_dist": .double(parameters.minimumDistance), "spread": .double(parameters.spread),
        "epochs": .int(Int64(parameters.epochs(for: count))),
        "learning_rate": .double(parameters.learningRate),
        "negative_samples": .int(Int64(parameters.negativeSamples)),
        "repulsion": .double(parameters.repulsion), "a": .double(a), "b": .double(b),
        "metric": .string("euclidean"), "init": .string("pca"),
        "seed": .int(Int64(bitPattern: seed)),
      ])
    }
  }
}

/// A 2-D map of an embedding set, with a colour value and a highlight per point.
package struct EmbeddingMap: Sendable {
  package struct Point: Sendable {
    package var key: String
    package var x: Double
    package var y: Double
    /// What the point is coloured by (a class, an outcome, a field value), or nil.
    package var value: JSONValue?
    package var highlighted: Bool
  }

  package var embeddings: String
  /// `pca`, `tsne` or `umap`.
  package var method: String
  /// The projection's parameters, defaults resolved (an empty object for PCA).
  package var parameters: JSONValue
  package var colorBy: String?
  package var points: [Point]

  /// `runs/map/<embeddings>/coordinates.json`.
  package var record: JSONValue {
    var coordinates: [String: JSONValue] = [:]
    for point in points {
      coordinates[point.key] = .array([
        EvaluationRun.number(point.x), EvaluationRun.number(point.y),
      ])
    }
    return .object([
      "version": .int(1), "kind": .string("map"), "embeddings": .string(embeddings),
      "method": .string(method), "parameters": parameters, "points": .object(coordinates),
    ])
  }
}

/// A map stored under `runs/map/<name>/coordinates.json`, or why it cannot be read.
package struct StoredMapListing: Sendable {
  package var name: String
  package var map: EmbeddingMap?
  package var problem: String?
}

extension EmbeddingMap {
  /// Reads a `coordinates.json` record (points in key order, without colour values).
  ///
  /// - Throws: `RecordProblem` naming what is malformed.
  package init(record: JSONValue) throws(RecordProblem) {
    guard record["kind"]?.string == "map", let members = record["points"]?.object else {
      throw RecordProblem("not a map record (kind \"map\" with \"points\")")
    }
    var points: [Point] = []
    points.reserveCapacity(members.count)
    for key in members.keys.sorted(by: ByteOrder.precedes) {
      guard let pair = members[key]?.array, pair.count == 2, let x = pair[0].number,
        let y = pair[1].number
      else { throw RecordProblem("points.\(key) must be [x, y]") }
      points.append(Point(key: key, x: x, y: y, value: nil, highlighted: false))
    }
    self.init(
      embeddings: record["embeddings"]?.string ?? "", method: record["method"]?.string ?? "?",
      parameters: record["parameters"] ?? .object([:]), colorBy: nil, points: points)
  }
}

extension CairnRepository {
  /// The maps `cairn map` stored in the working tree, by name (`runs/map/<name>/`).
  ///
  /// - Returns: One listing per folder holding a `coordinates.json`, sorted by name.
  /// - Throws: `CairnError` without a working tree.
  package func storedMaps() throws(CairnError) -> [StoredMapListing] {
    let root = try requireRoot(for: "reading maps")
    let names = (FileIO.list(root + "/runs/map") ?? []).sorted(by: ByteOrder.precedes)
    var listings: [StoredMapListing] = []
    for name in names {
      let path = root + "/runs/map/" + name + "/coordinates.json"
      guard FileStat.of(path) != nil else { continue }
      do {
        let record = try JSONParser.parse(try FileIO.read(path))
        listings.append(StoredMapListing(name: name, map: try EmbeddingMap(record: record)))
      } catch {
        listings.append(StoredMapListing(name: name, problem: "\(error)"))
      }
    }
    return listings
  }

  /// Projects a sample embedding set of the working tree to 2-D (PCA, t-SNE or UMAP) and
  /// stores the coordinates, with the method and its parameters, in
  /// `runs/map/<name>/coordinates.json`.
  ///
  /// - Parameters:
  ///   - name: The embedding set.
  ///   - projection: The method and its parameters.
  ///   - seed: Fixes the random choices of t-SNE and UMAP.
  ///   - colorBy: `fields.NAME` (a sample field), `labels.FIELD` (the class of the sample's
  ///     first label there, `(none)` without one) or `eval:KEY` (the sample's outcome in an
  ///     evaluation run: `missed`, `false alarm`, `correct` or `(none)`).
  ///   - highlight: A view whose samples are highlighted (a selected batch).
  /// - Returns: The map.
  /// - Throws: `CairnError` `.notFound` for an unknown set, view or run; `.invalidInput` for a
  ///   bad `colorBy`, an object set, or a t-SNE of more than `TSNE.maximumCount` samples.
  package func map(
    embeddings name: String, projection: MapProjection = .pca, seed: UInt64 = 0,
    colorBy: String?, highlight: String?
  ) throws(CairnError) -> EmbeddingMap {
    let root = try requireRoot(for: "mapping embeddings")
    let set = try embeddings(named: name, in: .workingTree)
    guard set.kind == .sample else {
      throw CairnError(.invalidInput, "embedding set '\(name)' holds objects, not samples")
    }
    if case .tsne = projection, set.keys.count > TSNE.maximumCount {
      throw CairnError(
        .invalidInput,
        "t-SNE is limited to \(TSNE.maximumCount) samples (its exact gradient visits every "
          + "pair in each of its steps); embedding set '\(name)' has \(set.keys.count): use "
          + "--method umap or pca")
    }
    let values = try mapValues(colorBy, keys: set.keys.map(\.sample))
    var highlighted: Set<String> = []
    if let highlight {
      highlighted = Set(
        try evaluate(try view(named: highlight, in: .workingTree), in: .workingTree).keys)
    }
    let matrix = EmbeddingMatrix(
      count: set.keys.count, dimension: set.dimension, values: set.vectors)
    let projected =
      switch projection {
      case .pca: PCA.project(matrix)
      case .tsne(let parameters): TSNE.embed(matrix, parameters: parameters, seed: seed)
      case .umap(let parameters): UMAP.embed(matrix, parameters: parameters, seed: seed)
      }
    let points = set.keys.indices.map { index in
      EmbeddingMap.Point(
        key: set.keys[index].sample, x: projected[index].x, y: projected[index].y,
        value: values[set.keys[index].sample],
        highlighted: highlighted.contains(set.keys[index].sample))
    }
    let map = EmbeddingMap(
      embeddings: name, method: projection.name,
      parameters: projection.record(count: matrix.count, seed: seed), colorBy: colorBy,
      points: points)
    let lock = try WriterLock(path: lockPath)
    defer { lock.release() }
    try CairnError.wrap {
      try FileIO.makeDirectories(root + "/runs/map/" + name)
      try FileIO.writeAtomically(
        CanonicalJSON.encode(map.record), to: root + "/runs/map/" + name + "/coordinates.json")
    }
    return map
  }

  /// What each of `keys` is coloured by in a map: the values `cairn map --color-by` draws.
  ///
  /// - Parameters:
  ///   - colorBy: `fields.NAME`, `labels.FIELD` or `eval:KEY` (see
  ///     ``map(embeddings:projection:seed:colorBy:highlight:)``); nil gives no values.
  ///   - keys: The samples of the map.
  /// - Returns: A value per sample key (samples without one are absent).
  /// - Throws: `CairnError` `.notFound` for an unknown run, `.invalidInput` for a bad `colorBy`.
  package func mapValues(_ colorBy: String?, keys: [String]) throws(CairnError)
    -> [String: JSONValue]
  {
    guard let colorBy else { return [:] }
    var values: [String: JSONValue] = [:]
    if colorBy.hasPrefix("eval:") {
      let run = try self.run(String(colorBy.dropFirst(5)), in: .workingTree)
      let samples = run.samples["samples"]?.object ?? [:]
      for key in keys {
        guard let entry = samples[key] else {
          values[key] = .string("(none)")
          continue
        }
        let outcome =
          (entry["fn"]?.int ?? 0) > 0
          ? "missed" : (entry["fp"]?.int ?? 0) > 0 ? "false alarm" : "correct"
        values[key] = .string(outcome)
      }
      return values
    }
    let parts = colorBy.split(separator: ".", maxSplits: 1).map(String.init)
    guard parts.count == 2, parts[0] == "fields" || parts[0] == "labels" else {
      throw CairnError(
        .invalidInput, "--color-by takes fields.NAME, labels.FIELD or eval:KEY, not '\(colorBy)'")
    }
    let fields: Set<String> = parts[0] == "labels" ? [parts[1]] : []
    for sample in try evaluate(ViewDefinition(stages: []), in: .workingTree).samples(fields: fields)
    {
      if parts[0] == "fields" {
        values[sample.key] = sample.record["fields"]?[parts[1]]
      } else {
        values[sample.key] = sample.labels[parts[1]]?.first?["label"] ?? .string("(none)")
      }
    }
    return values
  }
}
