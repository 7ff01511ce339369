internal import CairnCore
internal import Foundation

/// The embedding map page: stored maps, their colours, and what a selection on them becomes
/// (the grid's selection filter, tags, a saved view).
extension AppStore {
  /// The maps `cairn map` stored in the working tree: name, embedding set, method, parameters
  /// and number of points.
  func maps() throws(APIError) -> JSONValue {
    let listings = try attempt { (repository) throws(CairnError) -> [StoredMapListing] in
      try repository.storedMaps()
    }
    return .array(
      listings.map { listing in
        guard let map = listing.map else {
          return .object([
            "name": .string(listing.name), "problem": .string(listing.problem ?? "unreadable"),
          ])
        }
        return .object([
          "name": .string(listing.name), "embeddings": .string(map.embeddings),
          "method": .string(map.method), "parameters": map.parameters,
          "points": .int(Int64(map.points.count)),
        ])
      })
  }

  /// One stored map's points as parallel arrays (`keys`, `x`, `y`) and, with `colorBy`, a
  /// value per point (`values`, null where a sample has none).
  ///
  /// - Parameters:
  ///   - name: The map (`runs/map/<name>`).
  ///   - colorBy: `fields.NAME`, `labels.FIELD` or `eval:KEY`, as `cairn map --color-by`.
  /// - Returns: `{name, embeddings, method, parameters, keys, x, y}` and, with `colorBy`,
  ///   `color_by` and `values`.
  /// - Throws: `APIError` 404 for an unknown map or run, 422 for an unreadable map or a bad
  ///   `colorBy`.
  func map(name: String, colorBy: String?) throws(APIError) -> JSONValue {
    let listings = try attempt { (repository) throws(CairnError) -> [StoredMapListing] in
      try repository.storedMaps()
    }
    guard let listing = listings.first(where: { $0.name == name }) else {
      throw APIError(status: 404, "no map '\(name)' in runs/map/ (make one with cairn map)")
    }
    guard let map = listing.map else {
      throw APIError(status: 422, "map '\(name)' cannot be read: \(listing.problem ?? "?")")
    }
    let keys = map.points.map(\.key)
    var body: [String: JSONValue] = [
      "name": .string(name), "embeddings": .string(map.embeddings),
      "method": .string(map.method), "parameters": map.parameters,
      "keys": .array(keys.map { .string($0) }),
      "x": .array(map.points.map { .double($0.x) }),
      "y": .array(map.points.map { .double($0.y) }),
    ]
    if let colorBy, !colorBy.isEmpty {
      let values = try attempt { (repository) throws(CairnError) -> [String: JSONValue] in
        try repository.mapValues(colorBy, keys: keys)
      }
      body["color_by"] = .string(colorBy)
      body["values"] = .array(keys.map { values[$0] ?? .null })
    }
    return .object(body)
  }

  /// Remembers `keys` as the selection the grid shows with `?selection=1`.
  ///
  /// - Returns: How many of them are samples of the working tree.
  func setSelection(_ keys: [String]) -> JSONValue {
    selection = Set(keys)
    filterCache = nil
    let known = selection.filter { index.position(of: $0) != nil }.count
    return .object(["selected": .int(Int64(known))])
  }

  /// Adds or removes `tags` on the samples `keys`, as `cairn tags add|remove --key …` does.
  func editTags(keys: [String], tags: [String], add: Bool) throws(APIError) -> JSONValue {
    guard !keys.isEmpty else { throw APIError(status: 422, "no samples selected") }
    let result = try attempt { (repository) throws(CairnError) -> TagEditResult in
      try repository.editTags(
        tags, add: add,
        selection: SampleSelection(stages: [.keys(keys)], requiredKeys: keys), labels: nil)
    }
    for key in keys { try refresh(key) }
    return .object([
      "selected": .int(Int64(result.samplesSelected)),
      "changed": .int(Int64(result.samplesChanged)),
    ])
  }

  /// Saves the view `name` selecting exactly `keys`, as `cairn view save NAME --key …` does.
  func saveView(name: String, keys: [String], replace: Bool) throws(APIError) -> JSONValue {
    guard !keys.isEmpty else { throw APIError(status: 422, "no samples selected") }
    for key in keys {
      if let problem = FormatV1.keyProblem(key) {
        throw APIError(status: 422, "invalid sample key '\(key)': \(problem)")
      }
    }
    let unique = Array(Set(keys)).sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    let definition = ViewDefinition(
      description: "\(unique.count) samples selected on the map", stages: [.keys(unique)])
    let replaced = try attempt { (repository) throws(CairnError) -> Bool in
      try repository.saveView(name, definition, replace: replace)
    }
    generation += 1
    return .object([
      "view": .string(name), "path": .string(ViewDefinition.path(name)),
      "samples": .int(Int64(unique.count)), "replaced": .bool(replaced),
    ])
  }

  /// Counters that show what the server did: how often the sample index was built and how
  /// many samples it holds.
  func stats() -> JSONValue {
    .object([
      "index_builds": .int(Int64(indexBuilds)), "indexed": .bool(indexed),
      "samples": .int(Int64(index.summaries.count)),
    ])
  }
}
