import CairnCore
import CairnTestSupport
import Foundation
import Testing

/// Commits that break the group rules are refused with the file and the rule, exit 6, and
/// leave the repository as it was.
@Suite struct GroupBadInputTests {
  /// Everything a refused commit must leave as it was.
  struct State: Equatable {
    var head: String
    var packs: Int
    var status: String
  }

  func state(_ dir: TemporaryDirectory) throws -> State {
    State(
      head: try revParse("HEAD", in: dir.path), packs: packCount(dir),
      status: try cairn("status", "--json", in: dir.path).stdout)
  }

  /// Two groups `img0`, `img1` with slices `left` (a camera) and `right`, committed.
  func groupedRepository() throws -> TemporaryDirectory {
    let dir = try TemporaryDirectory()
    #expect(try cairn("init", dir.path, in: "/").exitCode == 0)
    try writeImages(2, into: dir, folder: "media/l")
    try writeImages(2, into: dir, folder: "media/r")
    let imported = try cairn(
      "import", "images", "media", "--slices", "left=l,right=r", in: dir.path)
    #expect(imported.exitCode == 0, "\(imported)")
    var group = try readGroup(dir, "img0")
    group.slices["left"]?.calibration = SliceCalibration(
      projection: Matrix3x4(rows: [[100, 0, 16, 0], [0, 100, 12, 0], [0, 0, 1, 0]]))
    try dir.write(group.encoded, to: FormatV1.groupPath("img0"))
    try declareGroundTruth(in: dir, type: .cuboids)
    let committed = try cairn("commit", "-m", "groups", in: dir.path)
    #expect(committed.exitCode == 0, "\(committed)")
    return dir
  }

  func readGroup(_ dir: TemporaryDirectory, _ id: String) throws -> GroupRecord {
    try GroupRecord(json: try JSONParser.parse(Array(try dir.read(FormatV1.groupPath(id)).utf8)))
  }

  func readSample(_ dir: TemporaryDirectory, _ key: String) throws -> SampleRecord {
    try SampleRecord(json: try JSONParser.parse(Array(try dir.read(FormatV1.samplePath(key)).utf8)))
  }

  /// Commits, expecting a refusal whose stderr holds every `expected` line.
  func expectRefused(
    _ dir: TemporaryDirectory, _ expected: [String],
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let before = try state(dir)
    let result = try cairn("commit", "-m", "bad", in: dir.path)
    #expect(result.exitCode == 6, "\(result)", sourceLocation: sourceLocation)
    for line in expected {
      #expect(result.stderr.contains(line), "\(result.stderr)", sourceLocation: sourceLocation)
    }
    #expect(result.stderr.contains("nothing was written"), sourceLocation: sourceLocation)
    #expect(try state(dir) == before, sourceLocation: sourceLocation)
    try expectFsckClean(dir.path, sourceLocation: sourceLocation)
  }

  @Test func groupRecordNamingAMissingSample() throws {
    let dir = try groupedRepository()
    defer { dir.remove() }
    let ghost = GroupRecord(
      id: "extra", slices: ["left": .init(sample: "ghost.png")], defaultSlice: "left")
    let path = FormatV1.groupPath("extra")
    try dir.write(ghost.encoded, to: path)
    try expectRefused(
      dir, ["\(path): slice 'left' of group 'extra' names sample 'ghost.png', which does not exist"]
    )
  }

  @Test func sampleWhoseGroupRecordIsMissing() throws {
    let dir = try groupedRepository()
    defer { dir.remove() }
    let path = FormatV1.groupPath("img1")
    try FileManager.default.removeItem(atPath: dir.appending(path))
    try expectRefused(
      dir,
      [
        "\(FormatV1.samplePath("l/img1.png")): sample 'l/img1.png' belongs to group 'img1', "
          + "whose record \(path) does not exist",
        "\(FormatV1.samplePath("r/img1.png")): sample 'r/img1.png' belongs to group 'img1'",
      ])
    // A new sample pointing to a group that never existed is refused the same way.
    try git("checkout", "--", path, in: dir.path)
    var sample = try readSample(dir, "l/img0.png")
    sample.key = "l/new.png"
    sample.group = SampleGroup(id: "nowhere", slice: "left")
    try dir.write(sample.encoded, to: FormatV1.samplePath("l/new.png"))
    try expectRefused(
      dir, ["sample 'l/new.png' belongs to group 'nowhere', whose record"])
  }

  @Test func malformedMatrix() throws {
    let dir = try groupedRepository()
    defer { dir.remove() }
    let path = FormatV1.groupPath("img0")
    let text = try dir.read(path)
    // Drop the last number of the projection's first row.
    let broken = text.replacingOccurrences(of: "[100.0,0.0,16.0,0.0]", with: "[100.0,0.0,16.0]")
    #expect(broken != text)
    try dir.write(broken, to: path)
    try expectRefused(
      dir,
      [
        "\(path): slices.left.calibration.projection must be a 3×4 matrix: an array of 3 rows of "
          + "4 numbers; row 1 has 3 entries"
      ])
  }

  @Test func membershipsMustAgreeBothWays() throws {
    let dir = try groupedRepository()
    defer { dir.remove() }
    // The sample leaves its group while the group still names it.
    var sample = try readSample(dir, "r/img0.png")
    sample.group = nil
    try dir.write(sample.encoded, to: FormatV1.samplePath("r/img0.png"))
    try expectRefused(
      dir,
      [
        "\(FormatV1.groupPath("img0")): slice 'right' of group 'img0' names sample 'r/img0.png', "
          + "whose record says no group"
      ])
    // The sample claims a slice the group does not have.
    sample.group = SampleGroup(id: "img0", slice: "pcd")
    try dir.write(sample.encoded, to: FormatV1.samplePath("r/img0.png"))
    try expectRefused(
      dir,
      [
        "sample 'r/img0.png' is slice 'pcd' of group 'img0', but \(FormatV1.groupPath("img0")) "
          + "has no slice 'pcd' (left, right)"
      ])
  }

  @Test func cuboidFramesMustBeSlicesOfTheGroup() throws {
    let dir = try groupedRepository()
    defer { dir.remove() }
    let cuboid = Cuboid(
      id: "b1", label: "car", center: SIMD3(0, 0, 10), dimensions: SIMD3(4, 1.5, 1.8),
      rotation: .zero, frame: "lidar")
    let path = FormatV1.labelPath(field: "ground_truth", key: "l/img0.png")
    try dir.write(
      LabelFile(field: "ground_truth", sample: "l/img0.png", labels: [cuboid.json]).encoded,
      to: path)
    try expectRefused(
      dir,
      ["\(path): cuboid b1 is in frame 'lidar', which is not a slice of group 'img0' (left, right)"]
    )
    // In a slice's frame it is accepted, and drawn on the camera slice.
    var fixed = cuboid
    fixed.frame = "right"
    try dir.write(
      LabelFile(field: "ground_truth", sample: "l/img0.png", labels: [fixed.json]).encoded,
      to: path)
    let committed = try cairn("commit", "-m", "cuboid", in: dir.path)
    #expect(committed.exitCode == 0, "\(committed)")
    let shown = try cairn("show", "HEAD:r/img0.png", "--project", "left", "--json", in: dir.path)
    let body = try envelope(shown, "cairn.projection/v1")
    // 'right' has no extrinsics, so its frame is the reference frame: a box centred on the
    // optical axis is drawn centred on the principal point (16, 12).
    let rect = body["cuboids"]?.array?.first?["rect"]?.array?.compactMap { $0.number } ?? []
    try #require(rect.count == 4)
    #expect(abs((rect[0] + rect[2]) / 2 - 16) < 1e-9 && abs((rect[1] + rect[3]) / 2 - 12) < 1e-9)
  }
}
