internal import GitStore

/// A group of the working tree read whole, as the app's group view shows it: the record, every
/// slice's sample, and the bird's-eye view chosen for the edited cuboid field.
package struct WorkingGroup: Sendable {
  /// One slice and its sample.
  package struct Slice: Sendable {
    package var name: String
    package var key: String
    /// The sample, or nil when it cannot be read (`problem` says why).
    package var sample: WorkingSample?
    package var problem: String?
  }

  package var record: GroupRecord
  /// The slices in display order: the default slice first, then by name.
  package var slices: [Slice]
  /// The `cuboids` fields of the schema, sorted.
  package var cuboidFields: [String]
  /// The cuboid field the view edits, nil when the schema has none.
  package var field: String?
  package var view: BirdsEyeView
}

extension CairnRepository {
  /// Reads the group of sample `key` from the working tree: its record, the samples of every
  /// slice and the bird's-eye view for cuboid field `field`.
  ///
  /// - Parameters:
  ///   - key: Any sample of the group.
  ///   - field: The cuboid field to edit; nil (or a field that is not a `cuboids` field) picks
  ///     the first one whose name does not contain `pred`, else the first one.
  /// - Returns: The record, the slices' samples in display order and the view.
  /// - Throws: `CairnError` `.notFound` when the sample is unknown or in no group,
  ///   `.invalidInput` when the group record cannot be read.
  package func workingGroup(ofSample key: String, field: String?) throws(CairnError)
    -> WorkingGroup
  {
    let root = try requireRoot(for: "reading a group")
    let details = try sampleDetails(key: key)
    guard let membership = details.record.group else {
      throw CairnError(.notFound, "sample '\(key)' belongs to no group")
    }
    let path = FormatV1.groupPath(membership.id)
    guard let bytes = try? FileIO.read(root + "/" + path) else {
      throw CairnError(.notFound, "group '\(membership.id)' has no record (\(path))")
    }
    let record: GroupRecord
    do {
      record = try GroupRecord(json: try JSONParser.parse(bytes))
    } catch {
      throw CairnError(.invalidInput, "\(path): \(error)")
    }
    let schema = try workingSchema()
    let cuboidFields = schema.fields.filter { $0.value.type == .cuboids }.keys.sorted()
    let chosen: String?
    if let field, cuboidFields.contains(field) {
      chosen = field
    } else {
      chosen =
        cuboidFields.first { !$0.lowercased().contains("pred") } ?? cuboidFields.first
    }
    let order =
      [record.defaultSlice] + record.sliceNames.filter { $0 != record.defaultSlice }.sorted()
    var slices: [WorkingGroup.Slice] = []
    var kinds: [String: String] = [:]
    var frames: [String: [String]] = [:]
    for name in order {
      guard let entry = record.slices[name] else { continue }
      var slice = WorkingGroup.Slice(name: name, key: entry.sample)
      do {
        let sample = entry.sample == key ? details : try sampleDetails(key: entry.sample)
        slice.sample = sample
        kinds[name] = sample.record.media.kind
        if let chosen {
          frames[name] = (sample.labels[chosen] ?? []).compactMap { label in
            label["type"]?.string == "cuboid" ? label["frame"]?.string : nil
          }
        }
      } catch {
        slice.problem = error.message
      }
      slices.append(slice)
    }
    let view = BirdsEyeView(record: record, order: order, kinds: kinds, cuboidFrames: frames)
    return WorkingGroup(
      record: record, slices: slices, cuboidFields: cuboidFields, field: chosen, view: view)
  }
}
