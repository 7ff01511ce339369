/// The `group` member of a sample record: which group the sample belongs to, and as which slice.
package struct SampleGroup: Sendable, Hashable {
  static let knownKeys: Set<String> = ["id", "slice"]
  /// The group id (sample-key rules, `Docs/storage-format.md` §4).
  package var id: String
  /// The slice name within the group.
  package var slice: String

  package init(id: String, slice: String) {
    self.id = id
    self.slice = slice
  }

  package var json: JSONValue { .object(["id": .string(id), "slice": .string(slice)]) }

  /// Reads the member, reporting the first rule it breaks.
  package init(json: JSONValue) throws(RecordProblem) {
    guard let object = json.object else {
      throw RecordProblem("\"group\" must be an object {\"id\": …, \"slice\": …}")
    }
    if let extra = unknownKey(in: object, known: Self.knownKeys) {
      throw RecordProblem("unknown member \"group.\(extra)\"")
    }
    guard let id = object["id"]?.string else {
      throw RecordProblem("\"group.id\" must be a string")
    }
    if let reason = FormatV1.keyProblem(id) {
      throw RecordProblem("\"group.id\" '\(id)' is not a valid group id: \(reason)")
    }
    guard let slice = object["slice"]?.string else {
      throw RecordProblem("\"group.slice\" must be a string")
    }
    if let reason = FormatV1.sliceProblem(slice) {
      throw RecordProblem("\"group.slice\" '\(slice)': \(reason)")
    }
    self.init(id: id, slice: slice)
  }
}

/// The calibration of one slice of a group.
///
/// `extrinsics` takes homogeneous points from the group's reference frame to the sensor's frame
/// (absent: identity); `projection` takes points in the sensor's frame to homogeneous pixel
/// coordinates (cameras only).
package struct SliceCalibration: Sendable, Equatable {
  static let knownKeys: Set<String> = ["extrinsics", "projection"]
  package var extrinsics: Matrix4x4?
  package var projection: Matrix3x4?
  /// The JSON the calibration was read from, written back unchanged (so integers stay
  /// integers and an untouched record keeps its bytes).
  private var source: JSONValue?

  package init(extrinsics: Matrix4x4? = nil, projection: Matrix3x4? = nil) {
    self.extrinsics = extrinsics
    self.projection = projection
  }

  /// Equal when they encode to the same JSON.
  package static func == (lhs: SliceCalibration, rhs: SliceCalibration) -> Bool {
    lhs.json == rhs.json
  }

  package var json: JSONValue {
    if let source { return source }
    var members: [String: JSONValue] = [:]
    if let extrinsics { members["extrinsics"] = Self.matrixJSON(extrinsics.rows) }
    if let projection { members["projection"] = Self.matrixJSON(projection.rows) }
    return .object(members)
  }

  private static func matrixJSON(_ rows: [[Double]]) -> JSONValue {
    .array(rows.map { .array($0.map { .double($0) }) })
  }

  /// Reads a slice's `calibration`; `context` names the slice in messages.
  package init(json: JSONValue, context: String) throws(RecordProblem) {
    guard let object = json.object else {
      throw RecordProblem("\(context).calibration must be an object")
    }
    if let extra = unknownKey(in: object, known: Self.knownKeys) {
      throw RecordProblem(
        "unknown member \"\(extra)\" in \(context).calibration (allowed: extrinsics, projection)")
    }
    if object.isEmpty {
      throw RecordProblem(
        "\(context).calibration is empty; leave it out instead (one encoding per meaning)")
    }
    if let value = object["extrinsics"] {
      let rows = try Self.matrix(value, rows: 4, name: "\(context).calibration.extrinsics")
      guard let matrix = Matrix4x4(rows: rows), matrix.isAffine else {
        throw RecordProblem(
          "\(context).calibration.extrinsics must end with the row [0, 0, 0, 1] (a rigid or "
            + "affine transform)")
      }
      guard matrix.inverse() != nil else {
        throw RecordProblem(
          "\(context).calibration.extrinsics is singular (it must be invertible to map points "
            + "between frames)")
      }
      extrinsics = matrix
    }
    if let value = object["projection"] {
      let rows = try Self.matrix(value, rows: 3, name: "\(context).calibration.projection")
      projection = Matrix3x4(rows: rows)
    }
    source = json
  }

  /// Checks that `value` is an array of `rows` arrays of 4 numbers.
  private static func matrix(_ value: JSONValue, rows: Int, name: String) throws(RecordProblem)
    -> [[Double]]
  {
    let shape = "a \(rows)×4 matrix: an array of \(rows) rows of 4 numbers"
    guard let array = value.array else { throw RecordProblem("\(name) must be \(shape)") }
    guard array.count == rows else {
      throw RecordProblem("\(name) must be \(shape); it has \(array.count) rows")
    }
    var result: [[Double]] = []
    for (index, row) in array.enumerated() {
      guard let entries = row.array else {
        throw RecordProblem("\(name) must be \(shape); row \(index + 1) is not an array")
      }
      guard entries.count == 4 else {
        throw RecordProblem(
          "\(name) must be \(shape); row \(index + 1) has \(entries.count) entries")
      }
      let numbers = entries.compactMap(\.number)
      guard numbers.count == 4 else {
        throw RecordProblem(
          "\(name) must be \(shape); row \(index + 1) holds a value that is not a number")
      }
      result.append(numbers)
    }
    return result
  }
}

/// The group record stored at `groups/<shard>/<shard>/<group id>.json`.
///
/// A group ties the samples of one scene together, one per slice (`left`, `right`, `pcd`…), with
/// each slice's calibration (`Docs/storage-format.md` §7.7).
package struct GroupRecord: Sendable, Equatable {
  static let knownKeys: Set<String> = ["id", "slices", "default_slice"]
  static let sliceKeys: Set<String> = ["sample", "calibration"]

  /// One slice: its sample and, optionally, its sensor's calibration.
  package struct Slice: Sendable, Equatable {
    package var sample: String
    package var calibration: SliceCalibration?

    package init(sample: String, calibration: SliceCalibration? = nil) {
      self.sample = sample
      self.calibration = calibration
    }
  }

  package var id: String
  /// Slices by name.
  package var slices: [String: Slice]
  /// The slice shown first; one of `slices`.
  package var defaultSlice: String

  package init(id: String, slices: [String: Slice], defaultSlice: String) {
    self.id = id
    self.slices = slices
    self.defaultSlice = defaultSlice
  }

  package var json: JSONValue {
    var members: [String: JSONValue] = [:]
    for (name, slice) in slices {
      var entry: [String: JSONValue] = ["sample": .string(slice.sample)]
      if let calibration = slice.calibration { entry["calibration"] = calibration.json }
      members[name] = .object(entry)
    }
    return .object([
      "id": .string(id), "slices": .object(members), "default_slice": .string(defaultSlice),
    ])
  }

  /// Canonical bytes of the record.
  package var encoded: [UInt8] { CanonicalJSON.encode(json) }

  /// Slice names in byte order.
  package var sliceNames: [String] {
    slices.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
  }

  /// Reads a record, reporting the first rule it breaks.
  package init(json: JSONValue) throws(RecordProblem) {
    guard let object = json.object else { throw RecordProblem("a group record is a JSON object") }
    if let extra = unknownKey(in: object, known: Self.knownKeys) {
      throw RecordProblem("unknown member \"\(extra)\" in a group record")
    }
    guard let id = object["id"]?.string else { throw RecordProblem("\"id\" must be a string") }
    guard let sliceObject = object["slices"]?.object else {
      throw RecordProblem("\"slices\" must be an object (slice name → slice entry)")
    }
    if sliceObject.isEmpty { throw RecordProblem("\"slices\" must name at least one slice") }
    var slices: [String: Slice] = [:]
    var owners: [String: String] = [:]
    for name in sliceObject.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
      if let reason = FormatV1.sliceProblem(name) {
        throw RecordProblem("slice '\(name)': \(reason)")
      }
      let context = "slices.\(name)"
      guard let entry = sliceObject[name]?.object else {
        throw RecordProblem("\(context) must be an object {\"sample\": …}")
      }
      if let extra = unknownKey(in: entry, known: Self.sliceKeys) {
        throw RecordProblem(
          "unknown member \"\(extra)\" in \(context) (allowed: sample, calibration)")
      }
      guard let sample = entry["sample"]?.string else {
        throw RecordProblem("\(context).sample must be a string (a sample key)")
      }
      if let reason = FormatV1.keyProblem(sample) {
        throw RecordProblem("\(context).sample '\(sample)' is not a valid sample key: \(reason)")
      }
      if let other = owners.updateValue(name, forKey: sample) {
        throw RecordProblem("sample '\(sample)' is named by two slices, '\(other)' and '\(name)'")
      }
      let calibration = try entry["calibration"].map { (value) throws(RecordProblem) in
        try SliceCalibration(json: value, context: context)
      }
      slices[name] = Slice(sample: sample, calibration: calibration)
    }
    guard let defaultSlice = object["default_slice"]?.string else {
      throw RecordProblem("\"default_slice\" must be a string")
    }
    guard slices[defaultSlice] != nil else {
      throw RecordProblem(
        "\"default_slice\" is '\(defaultSlice)', which is not one of the slices ("
          + slices.keys.sorted().joined(separator: ", ") + ")")
    }
    self.init(id: id, slices: slices, defaultSlice: defaultSlice)
  }
}
