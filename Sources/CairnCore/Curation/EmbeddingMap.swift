internal import Curation
internal import GitStore

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
  package var method: String
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
      "method": .string(method), "points": .object(coordinates),
    ])
  }
}

extension CairnRepository {
  /// Projects a sample embedding set of the working tree to 2-D (PCA) and stores the
  /// coordinates in `runs/map/<name>/coordinates.json`.
  ///
  /// - Parameters:
  ///   - name: The embedding set.
  ///   - colorBy: `fields.NAME` (a sample field), `labels.FIELD` (the class of the sample's
  ///     first label there, `(none)` without one) or `eval:KEY` (the sample's outcome in an
  ///     evaluation run: `missed`, `false alarm`, `correct` or `(none)`).
  ///   - highlight: A view whose samples are highlighted (a selected batch).
  /// - Returns: The map.
  /// - Throws: `CairnError` `.notFound` for an unknown set, view or run; `.invalidInput` for a
  ///   bad `colorBy` or an object set.
  package func map(embeddings name: String, colorBy: String?, highlight: String?)
    throws(CairnError) -> EmbeddingMap
  {
    let root = try requireRoot(for: "mapping embeddings")
    let set = try embeddings(named: name, in: .workingTree)
    guard set.kind == .sample else {
      throw CairnError(.invalidInput, "embedding set '\(name)' holds objects, not samples")
    }
    let matrix = EmbeddingMatrix(
      count: set.keys.count, dimension: set.dimension, values: set.vectors)
    let projected = PCA.project(matrix)
    let values = try mapValues(colorBy, keys: set.keys.map(\.sample))
    var highlighted: Set<String> = []
    if let highlight {
      highlighted = Set(
        try evaluate(try view(named: highlight, in: .workingTree), in: .workingTree).keys)
    }
    let points = set.keys.indices.map { index in
      EmbeddingMap.Point(
        key: set.keys[index].sample, x: projected[index].x, y: projected[index].y,
        value: values[set.keys[index].sample],
        highlighted: highlighted.contains(set.keys[index].sample))
    }
    let map = EmbeddingMap(embeddings: name, method: "pca", colorBy: colorBy, points: points)
    let lock = try WriterLock(path: lockPath)
    defer { lock.release() }
    try CairnError.wrap {
      try FileIO.makeDirectories(root + "/runs/map/" + name)
      try FileIO.writeAtomically(
        CanonicalJSON.encode(map.record), to: root + "/runs/map/" + name + "/coordinates.json")
    }
    return map
  }

  private func mapValues(_ colorBy: String?, keys: [String]) throws(CairnError)
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
