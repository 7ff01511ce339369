package import GitStore

/// One cuboid of a group drawn on an image slice.
package struct CuboidProjection: Sendable {
  package var cuboid: Cuboid
  /// The label field and the sample whose label file holds the cuboid.
  package var field: String
  package var sample: String
  package var projected: ProjectedCuboid
  /// The rectangle limited to the image, when the image's size is recorded; nil when the box
  /// falls outside the image or the size is unknown.
  package var imageRect: PixelRect?
}

/// The cuboids of a sample's group projected onto one image slice of it.
package struct GroupProjection: Sendable {
  package var commit: ObjectID
  /// The sample asked about.
  package var key: String
  package var group: String
  package var slice: String
  /// The sample of `slice`: the image the cuboids are drawn on.
  package var image: String
  package var width: Int64?
  package var height: Int64?
  package var cuboids: [CuboidProjection]
  /// Cuboids that could not be read or projected, with the reason.
  package var skipped: [CairnError.Violation]
}

extension CairnRepository {
  /// Projects every cuboid label of the group of sample `key`, as stored in `revision`, onto
  /// the image slice `slice`.
  ///
  /// Cuboids are collected from the label files (every field) of every sample of the group, in
  /// slice-name, field and file order; each is mapped from its `frame` with
  /// `projection_slice · extrinsics_slice · extrinsics_frame⁻¹` (`Docs/storage-format.md` §7.7).
  ///
  /// - Throws: `CairnError` `.notFound` for an unknown revision, sample or group record;
  ///   `.invalidInput` when the sample has no group, or `slice` is not a slice of it with a
  ///   `projection`.
  package func projectCuboids(of key: String, at revision: String, onto slice: String)
    throws(CairnError) -> GroupProjection
  {
    if let problem = FormatV1.keyProblem(key) {
      throw CairnError(.invalidInput, "invalid sample key '\(key)': \(problem)")
    }
    let id = try resolve(revision)
    return try CairnError.wrap { () throws -> GroupProjection in
      let walk = TreeWalk(repository: git)
      let tree = try git.readCommit(id).tree
      func record(at path: String) throws -> JSONValue? {
        guard let entry = try walk.entry(at: path, in: tree) else { return nil }
        do {
          return try JSONParser.parse(try git.readBlob(entry.id))
        } catch let error as JSONParseError {
          throw CairnError(.invalidInput, "\(path): broken JSON at \(error.description)")
        }
      }
      func parsed<T>(_ path: String, _ value: JSONValue, _ make: (JSONValue) throws -> T) throws
        -> T
      {
        do {
          return try make(value)
        } catch let problem as RecordProblem {
          throw CairnError(.invalidInput, "\(path): \(problem.reason)")
        }
      }
      let samplePath = FormatV1.samplePath(key)
      guard let sampleValue = try record(at: samplePath) else {
        throw CairnError(.notFound, "no sample '\(key)' in \(revision) (\(id.short))")
      }
      let sample = try parsed(samplePath, sampleValue, SampleRecord.init(json:))
      guard let membership = sample.group else {
        throw CairnError(
          .invalidInput, "sample '\(key)' belongs to no group; --project needs a grouped sample")
      }
      let groupPath = FormatV1.groupPath(membership.id)
      guard let groupValue = try record(at: groupPath) else {
        throw CairnError(
          .notFound, "group '\(membership.id)' of sample '\(key)' has no record (\(groupPath))")
      }
      let group = try parsed(groupPath, groupValue, GroupRecord.init(json:))
      let geometry = GroupGeometry(record: group)
      do throws(ProjectionProblem) {
        _ = try geometry.camera(from: FormatV1.groupFrame, onto: slice)
      } catch {
        throw CairnError(.invalidInput, "cannot project onto '\(slice)': \(error.reason)")
      }
      let imageKey = group.slices[slice]?.sample ?? key
      let imagePath = FormatV1.samplePath(imageKey)
      let image = try record(at: imagePath).map {
        try parsed(imagePath, $0, SampleRecord.init(json:))
      }

      var fields: [String] = []
      if let labels = try walk.entry(at: "labels", in: tree), labels.isTree {
        fields = try git.readTree(labels.id).filter(\.isTree).map(\.name)
      }
      var cuboids: [CuboidProjection] = []
      var skipped: [CairnError.Violation] = []
      for name in group.sliceNames {
        guard let member = group.slices[name]?.sample else { continue }
        for field in fields {
          let path = FormatV1.labelPath(field: field, key: member)
          let value: JSONValue?
          do {
            value = try record(at: path)
          } catch let error as CairnError {
            skipped.append(CairnError.Violation(path, error.message))
            continue
          }
          guard let value else { continue }
          for label in value["labels"]?.array ?? [] where label["type"]?.string == "cuboid" {
            do {
              let cuboid = try Cuboid(label: label)
              let projected = try geometry.project(cuboid, onto: slice)
              let imageRect = image.flatMap { image -> PixelRect? in
                guard let width = image.media.width, let height = image.media.height else {
                  return nil
                }
                return projected.rect(inImageOfWidth: Double(width), height: Double(height))
              }
              cuboids.append(
                CuboidProjection(
                  cuboid: cuboid, field: field, sample: member, projected: projected,
                  imageRect: imageRect))
            } catch let problem as RecordProblem {
              skipped.append(CairnError.Violation(path, problem.reason))
            } catch let problem as ProjectionProblem {
              let label = label["id"]?.string ?? "?"
              skipped.append(CairnError.Violation(path, "cuboid \(label): \(problem.reason)"))
            }
          }
        }
      }
      return GroupProjection(
        commit: id, key: key, group: group.id, slice: slice, image: imageKey,
        width: image?.media.width, height: image?.media.height, cuboids: cuboids,
        skipped: skipped)
    }
  }
}
