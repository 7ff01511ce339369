import CairnCore
import Testing

/// Group records (`groups/…`) and the `group` member of sample records.
@Suite struct GroupRecordTests {
  static let projection: JSONValue = .array([
    .array([.double(100), .int(0), .double(50), .int(0)]),
    .array([.int(0), .double(100), .double(40), .int(0)]),
    .array([.int(0), .int(0), .int(1), .int(0)]),
  ])
  static let extrinsics: JSONValue = .array([
    .array([.int(0), .int(-1), .int(0), .double(0.5)]),
    .array([.int(0), .int(0), .int(-1), .double(-0.25)]),
    .array([.int(1), .int(0), .int(0), .double(2)]),
    .array([.int(0), .int(0), .int(0), .int(1)]),
  ])

  /// A valid record: a camera slice and a LiDAR slice.
  static func record(id: String = "scene/000001") -> JSONValue {
    .object([
      "id": .string(id), "default_slice": .string("left"),
      "slices": .object([
        "left": .object([
          "sample": .string("image_2/000001.png"),
          "calibration": .object(["projection": projection]),
        ]),
        "pcd": .object([
          "sample": .string("velodyne/000001.bin"),
          "calibration": .object(["extrinsics": extrinsics]),
        ]),
      ]),
    ])
  }

  /// `record()` with the member at `path` (object members, by name) replaced, or removed when
  /// `value` is nil.
  static func edited(_ path: [String], _ value: JSONValue?) -> JSONValue {
    func edit(_ node: JSONValue, _ rest: ArraySlice<String>) -> JSONValue {
      guard var members = node.object, let name = rest.first else { return value ?? .null }
      if rest.count == 1 {
        members[name] = value
      } else {
        members[name] = edit(members[name] ?? .object([:]), rest.dropFirst())
      }
      return .object(members)
    }
    return edit(record(), path[...])
  }

  @Test func validRecordsRoundTripAndPassTheValidator() throws {
    let id = "scene/000001"
    let parsed = try GroupRecord(json: Self.record(id: id))
    #expect(parsed.sliceNames == ["left", "pcd"])
    #expect(parsed.defaultSlice == "left")
    #expect(parsed.slices["pcd"]?.calibration?.extrinsics?[2, 3] == 2)
    #expect(parsed.slices["left"]?.calibration?.projection?[0, 2] == 50)
    // Integers in stored matrices stay integers: an untouched record keeps its bytes.
    #expect(parsed.encoded == CanonicalJSON.encode(Self.record(id: id)))
    let path = FormatV1.groupPath(id)
    #expect(path.hasPrefix("groups/") && path.hasSuffix("/scene%2F000001.json"))
    #expect(try FormatV1.classify(path).get() == .group(id: id))
    #expect(Validator.check(path: path, bytes: parsed.encoded) == .valid)
    #expect(
      Validator.check(path: FormatV1.groupPath("other"), bytes: parsed.encoded)
        == .invalid("\"id\" is 'scene/000001' but the file name says 'other'"))
  }

  @Test(arguments: [
    (["extra"], JSONValue.int(1), "unknown member \"extra\" in a group record"),
    (["slices"], JSONValue.object([:]), "\"slices\" must name at least one slice"),
    (["default_slice"], JSONValue.string("right"), "'right', which is not one of the slices"),
    (["default_slice"], nil, "\"default_slice\" must be a string"),
    (["slices", "group"], JSONValue.object(["sample": .string("x.png")]), "reserved"),
    (["slices", "pcd", "sample"], JSONValue.string("image_2/000001.png"), "named by two slices"),
    (["slices", "pcd", "sample"], JSONValue.string("../x"), "is not a valid sample key"),
    (["slices", "pcd", "size"], JSONValue.int(3), "unknown member \"size\" in slices.pcd"),
    (["slices", "pcd", "calibration"], JSONValue.object([:]), "calibration is empty"),
    (
      ["slices", "pcd", "calibration", "intrinsics"], JSONValue.int(1),
      "unknown member \"intrinsics\" in slices.pcd.calibration"
    ),
    (
      ["slices", "left", "calibration", "projection"],
      JSONValue.array([.array([.int(1), .int(0), .int(0), .int(0)])]),
      "slices.left.calibration.projection must be a 3×4 matrix: an array of 3 rows of 4 numbers; it has 1 rows"
    ),
    (
      ["slices", "pcd", "calibration", "extrinsics"],
      JSONValue.array(Array(repeating: .array([.int(1), .int(0), .int(0)]), count: 4)),
      "slices.pcd.calibration.extrinsics must be a 4×4 matrix: an array of 4 rows of 4 numbers; row 1 has 3 entries"
    ),
    (
      ["slices", "pcd", "calibration", "extrinsics"],
      JSONValue.array(
        Array(repeating: .array([.int(1), .string("0"), .int(0), .int(0)]), count: 4)),
      "row 1 holds a value that is not a number"
    ),
    (
      ["slices", "pcd", "calibration", "extrinsics"],
      JSONValue.array(Array(repeating: .array([.int(1), .int(0), .int(0), .int(0)]), count: 4)),
      "must end with the row [0, 0, 0, 1]"
    ),
    (
      ["slices", "pcd", "calibration", "extrinsics"],
      JSONValue.array(
        [
          .array([.int(1), .int(2), .int(0), .int(0)]),
          .array([.int(2), .int(4), .int(0), .int(0)]),
          .array([.int(0), .int(0), .int(1), .int(0)]),
          .array([.int(0), .int(0), .int(0), .int(1)]),
        ]),
      "slices.pcd.calibration.extrinsics is singular"
    ),
  ])
  func invalidRecordsAreRefusedWithTheRule(path: [String], value: JSONValue?, message: String) {
    let id = "scene/000001"
    let bytes = CanonicalJSON.encode(Self.edited(path, value))
    guard case .invalid(let reason) = Validator.check(path: FormatV1.groupPath(id), bytes: bytes)
    else {
      Issue.record("accepted a group record with \(path) = \(String(describing: value))")
      return
    }
    #expect(reason.contains(message), "\(reason)")
  }

  @Test func groupPathsAreShardedLikeKeys() {
    let (a, b) = FormatV1.shard(of: "000001")
    #expect(FormatV1.groupPath("000001") == "groups/\(a)/\(b)/000001.json")
    let other = a == "00" ? "01" : "00"
    guard case .failure(let problem) = FormatV1.classify("groups/\(other)/\(b)/000001.json") else {
      Issue.record("accepted a group in the wrong shard")
      return
    }
    #expect(problem.reason == "group id '000001' belongs in shard \(a)/\(b), not \(other)/\(b)")
    #expect(throws: PathProblem.self) { try FormatV1.classify("groups/000001.json").get() }
    #expect(FormatV1.isTracked("groups/00/00/x.json"))
    #expect(FormatV1.trackedRoots.contains("groups"))
  }

  @Test func sampleRecordsKeepTheirBytesWithoutAGroup() throws {
    // The complete file of storage-format.md §7.3, which has no group.
    let stored =
      "{\"fields\":{},\"key\":\"0001.png\",\"media\":{\"format\":\"png\",\"height\":120,\"kind\":\"image\",\"sha256\":\"ffbd21869c9aad37ce0bf64f22fe92caad5992a75884215069eddae11345ecc5\",\"size\":39395,\"uri\":\"media/images/0001.png\",\"width\":160},\"tags\":[]}\n"
    let record = try SampleRecord(json: try JSONParser.parse(stored))
    #expect(record.group == nil)
    #expect(record.encoded == Array(stored.utf8))
    var grouped = record
    grouped.group = SampleGroup(id: "000001", slice: "left")
    let text = String(decoding: grouped.encoded, as: UTF8.self)
    #expect(text.contains("\"group\":{\"id\":\"000001\",\"slice\":\"left\"},\"key\""))
    #expect(try SampleRecord(json: try JSONParser.parse(grouped.encoded)) == grouped)
  }

  @Test(arguments: [
    (JSONValue.string("000001"), "\"group\" must be an object"),
    (JSONValue.object(["id": .string("g")]), "\"group.slice\" must be a string"),
    (JSONValue.object(["id": .string("g"), "slice": .string("a b")]), "letters, digits"),
    (JSONValue.object(["id": .string("/g"), "slice": .string("left")]), "not a valid group id"),
    (
      JSONValue.object(["id": .string("g"), "slice": .string("left"), "x": .int(1)]),
      "unknown member \"group.x\""
    ),
  ])
  func invalidGroupMembersAreRefused(group: JSONValue, message: String) throws {
    let media = MediaRecord(
      uri: "a.png", sha256: String(repeating: "a", count: 64), size: 1, kind: "image",
      format: "png")
    guard var members = SampleRecord(key: "a.png", media: media).json.object else { return }
    members["group"] = group
    let outcome = Validator.check(
      path: FormatV1.samplePath("a.png"), bytes: CanonicalJSON.encode(.object(members)))
    guard case .invalid(let reason) = outcome else {
      Issue.record("accepted group \(group)")
      return
    }
    #expect(reason.contains(message), "\(reason)")
  }

  @Test func kittiCalibrationFilesAreReadStrictly() throws {
    let good = """
      P2: 1 0 2 3 0 1 4 5 0 0 1 0.5
      R0_rect: 1 0 0 0 1 0 0 0 1
      Tr_velo_to_cam: 0 -1 0 0 0 0 -1 0 1 0 0 -0.25

      """
    let calibration = try KITTICalibration(bytes: Array(good.utf8))
    #expect(try calibration.projection(camera: 2)[1, 3] == 5)
    #expect(throws: RecordProblem.self) { try calibration.projection(camera: 3) }
    // (R0_rect · Tr_velo_to_cam)⁻¹ with R0_rect = I: the camera's origin is at x = 0.25 in the
    // LiDAR's frame, since the camera sees LiDAR point (x, y, z) at (−y, −z, x − 0.25).
    let lidar = try calibration.lidarExtrinsics()
    let origin = lidar.transform(SIMD3(0, 0, 0))
    #expect(abs(origin.x - 0.25) < 1e-12 && abs(origin.y) < 1e-12 && abs(origin.z) < 1e-12)
    func problem(_ text: String) -> String? {
      do {
        _ = try KITTICalibration(bytes: Array(text.utf8))
        return nil
      } catch {
        return error.reason
      }
    }
    #expect(problem("P2: 1 2 3\n") == "line 1: P2 has 3 numbers, expected 12")
    #expect(problem("R0_rect: 1 0 0 0 1 0 0 0 x\n") == "line 1 (R0_rect): 'x' is not a number")
    #expect(
      problem("P0: 1 0 0 0 0 1 0 0 0 0 1 0\nnot a line\n") == "line 2: expected 'NAME: numbers'")
    #expect(
      problem("R0_rect: 1 0 0 0 1 0 0 0 1\nR0_rect: 1 0 0 0 1 0 0 0 1\n")
        == "line 2: R0_rect appears twice")
  }
}
