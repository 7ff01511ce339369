internal import CairnCore

extension AppStore {
  /// The group of sample `key`: its slices with their samples, the cuboid fields, the
  /// bird's-eye view (frame, axes, transforms, cameras) and where to fetch the point cloud.
  ///
  /// - Parameters:
  ///   - key: Any sample of the group.
  ///   - field: The cuboid field to edit, or nil for the default one.
  /// - Returns: The group as JSON (`Docs/app.md`, `GET /api/group`).
  /// - Throws: `APIError` 404 for a sample outside any group, 422 for an unreadable record.
  func group(key: String, field: String?) throws(APIError) -> JSONValue {
    let repository = try open()
    let group: WorkingGroup
    do {
      group = try repository.workingGroup(ofSample: key, field: field)
    } catch {
      throw APIError(error)
    }
    var points: JSONValue = .null
    var slices: [JSONValue] = []
    for slice in group.slices {
      var entry: [String: JSONValue] = ["name": .string(slice.name), "key": .string(slice.key)]
      if let sample = slice.sample {
        entry["sample"] = sampleJSON(key: slice.key, repository: repository)
        let media = sample.record.media
        if slice.name == group.view.pointCloud, media.format == "kitti-bin",
          let url = MediaFiles.urlPath(forURI: media.uri)
        {
          points = .object([
            "slice": .string(slice.name),
            "url": .string("/points/" + url.dropFirst("/media/".count)),
          ])
        }
      } else {
        entry["problem"] = .string(slice.problem ?? "unreadable")
      }
      slices.append(.object(entry))
    }
    return .object([
      "id": .string(group.record.id),
      "default_slice": .string(group.record.defaultSlice),
      "slices": .array(slices),
      "cuboid_fields": .array(group.cuboidFields.map { .string($0) }),
      "field": group.field.map { .string($0) } ?? .null,
      "view": group.view.json,
      "points": points,
    ])
  }
}
