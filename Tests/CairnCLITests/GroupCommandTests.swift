import CairnCore
import CairnTestSupport
import Foundation
import Testing

/// Grouped import, group records across a commit, and `show --project`, through the built
/// binary.
@Suite struct GroupCommandTests {
  static let kitti = "kitti_object_3frames_public/training"

  /// The fixture folder, read in place; nil (after recording an issue under CI) when absent.
  static func kittiFolder() -> String? {
    guard let path = Fixtures.path(kitti) else {
      if Fixtures.isCI { Issue.record("fixtures folder missing under CI") }
      return nil
    }
    return path
  }

  /// A repository with the three KITTI frames imported as groups and committed.
  static func kittiRepository(_ folder: String) throws -> TemporaryDirectory {
    let dir = try TemporaryDirectory()
    #expect(try cairn("init", dir.path, in: "/").exitCode == 0)
    let imported = try cairn(
      "import", "images", folder, "--slices", "left=image_2,pcd=velodyne", "--calibration",
      "kitti=calib", in: dir.path)
    #expect(imported.exitCode == 0, "\(imported)")
    try declareGroundTruth(in: dir, type: .cuboids)
    let committed = try cairn("commit", "-m", "KITTI frames", in: dir.path)
    #expect(committed.exitCode == 0, "\(committed)")
    return dir
  }

  /// The numbers of one line of a KITTI calibration file.
  static func calibrationLine(_ folder: String, _ frame: String, _ name: String) throws
    -> [Double]
  {
    let text = try String(contentsOfFile: "\(folder)/calib/\(frame).txt", encoding: .utf8)
    let line = try #require(text.split(separator: "\n").first { $0.hasPrefix(name + ":") })
    return line.split(separator: " ").dropFirst().compactMap { Double($0) }
  }

  @Test func kittiFramesImportAsGroups() throws {
    guard let folder = Self.kittiFolder() else { return }
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try cairn("init", dir.path, in: "/").exitCode == 0)
    let arguments = [
      "import", "images", folder, "--slices", "left=image_2,pcd=velodyne", "--calibration",
      "kitti=calib", "--json",
    ]
    let imported = try CommandRunner.cairn(arguments, in: dir.path)
    #expect(imported.exitCode == 0, "\(imported)")
    let body = try envelope(imported, "cairn.import/v1")
    #expect(
      body["added"]?.array?.compactMap(\.string).sorted() == [
        "image_2/000000.png", "image_2/000001.png", "image_2/000002.png",
        "velodyne/000000.bin", "velodyne/000001.bin", "velodyne/000002.bin",
      ])
    #expect(
      body["groups"]?["added"] == .array([.string("000000"), .string("000001"), .string("000002")]))
    #expect(body["groups"]?["incomplete"] == .array([]))
    #expect(body["calibration"]?["left"] == .string("projection=P2"))
    #expect(imported.stderr.isEmpty)
    let commit = try cairn("commit", "-m", "KITTI frames", "--json", in: dir.path)
    #expect(commit.exitCode == 0, "\(commit)")
    #expect(try envelope(commit, "cairn.commit/v1")["added"] == .int(9))
    try expectFsckClean(dir.path)

    // The sample records point at their group and slice.
    let image = try envelope(
      try cairn("show", "HEAD:image_2/000001.png", "--json", in: dir.path), "cairn.sample/v1")
    #expect(
      image["sample"]?["group"] == .object(["id": .string("000001"), "slice": .string("left")]))
    #expect(image["sample"]?["media"]?["width"] == .int(1242))
    let cloud = try envelope(
      try cairn("show", "HEAD:velodyne/000001.bin", "--json", in: dir.path), "cairn.sample/v1")
    #expect(
      cloud["sample"]?["group"] == .object(["id": .string("000001"), "slice": .string("pcd")]))

    // The group record, as git stores it.
    let stored = try git("show", "HEAD:" + FormatV1.groupPath("000001"), in: dir.path)
    #expect(stored.exitCode == 0, "\(stored)")
    let group = try GroupRecord(json: try JSONParser.parse(stored.stdout))
    #expect(group.id == "000001" && group.defaultSlice == "left")
    #expect(group.slices["left"]?.sample == "image_2/000001.png")
    #expect(group.slices["pcd"]?.sample == "velodyne/000001.bin")
    #expect(group.slices["left"]?.calibration?.extrinsics == nil)
    #expect(
      group.slices["left"]?.calibration?.projection?.elements
        == (try Self.calibrationLine(folder, "000001", "P2")))
    #expect(group.slices["pcd"]?.calibration?.projection == nil)
    // The LiDAR's extrinsics undo R0_rect · Tr_velo_to_cam.
    let extrinsics = try #require(group.slices["pcd"]?.calibration?.extrinsics)
    let rect = try #require(
      Matrix4x4(rotation: try Self.calibrationLine(folder, "000001", "R0_rect")))
    let velo = try #require(
      Matrix4x4(affine: try Self.calibrationLine(folder, "000001", "Tr_velo_to_cam")))
    let product = extrinsics * rect * velo
    for row in 0..<4 {
      for column in 0..<4 {
        #expect(abs(product[row, column] - (row == column ? 1 : 0)) < 1e-12)
      }
    }

    // Re-importing changes nothing.
    let again = try CommandRunner.cairn(arguments, in: dir.path)
    let second = try envelope(again, "cairn.import/v1")
    #expect(second["unchanged"] == .int(6) && second["added"] == .array([]))
    #expect(second["groups"]?["unchanged"] == .int(3) && second["groups"]?["updated"] == .array([]))
    #expect(
      try envelope(try cairn("status", "--json", in: dir.path), "cairn.status/v1")["clean"]
        == .bool(true))
    #expect(try cairn("commit", "-m", "again", in: dir.path).exitCode == 10)
  }

  @Test func stemsMissingFromASliceMakeSmallerGroups() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try cairn("init", dir.path, in: "/").exitCode == 0)
    try writeImages(3, into: dir, folder: "media/cam_l")
    try writeImages(2, into: dir, folder: "media/cam_r")
    let result = try cairn(
      "import", "images", "media", "--slices", "left=cam_l,right=cam_r", "--prefix", "rig",
      "--json", in: dir.path)
    #expect(result.exitCode == 0, "\(result)")
    let groups = try #require(try envelope(result, "cairn.import/v1")["groups"])
    #expect(groups["added"] == .array(["rig/img0", "rig/img1", "rig/img2"].map { .string($0) }))
    #expect(
      groups["incomplete"]
        == .array([.object(["id": .string("rig/img2"), "missing": .array([.string("right")])])]))
    #expect(result.stderr.contains("warning: 1 group(s) lack some slices"), "\(result.stderr)")
    let record = try GroupRecord(
      json: try JSONParser.parse(Array(try dir.read(FormatV1.groupPath("rig/img2")).utf8)))
    #expect(record.sliceNames == ["left"])
    #expect(record.slices["left"]?.sample == "rig/cam_l/img2.png")
    #expect(try cairn("commit", "-m", "rig", in: dir.path).exitCode == 0)
    try expectFsckClean(dir.path)

    // The missing image arrives later: the group gains the slice, nothing else changes.
    try writeImages(3, into: dir, folder: "media/cam_r")
    let later = try cairn(
      "import", "images", "media", "--slices", "left=cam_l,right=cam_r", "--prefix", "rig",
      "--json", in: dir.path)
    let body = try envelope(later, "cairn.import/v1")
    #expect(body["added"] == .array([.string("rig/cam_r/img2.png")]))
    #expect(body["groups"]?["updated"] == .array([.string("rig/img2")]))
    #expect(body["groups"]?["unchanged"] == .int(2))
    #expect(try cairn("commit", "-m", "right img2", in: dir.path).exitCode == 0)
  }

  @Test func cuboidsProjectOntoTheLeftImage() throws {
    guard let folder = Self.kittiFolder() else { return }
    let dir = try Self.kittiRepository(folder)
    defer { dir.remove() }
    let objects = try KITTIObject.read(folder + "/label_2/000000.txt")
    let pedestrian = try #require(objects.first)
    // Ground truth in the camera frame on the image sample, the same box in the LiDAR frame
    // (converted through the stored extrinsics) on the point-cloud sample.
    let camera = pedestrian.cuboid(id: "p1", frame: "left")
    let group = try GroupRecord(
      json: try JSONParser.parse(Array(try dir.read(FormatV1.groupPath("000000")).utf8)))
    let geometry = GroupGeometry(record: group)
    var lidar = camera.transformed(
      by: try geometry.transform(from: "left", to: "pcd"), into: "pcd")
    lidar.id = "p1-lidar"
    for (key, cuboid) in [("image_2/000000.png", camera), ("velodyne/000000.bin", lidar)] {
      try dir.write(
        LabelFile(field: "ground_truth", sample: key, labels: [cuboid.json]).encoded,
        to: FormatV1.labelPath(field: "ground_truth", key: key))
    }
    let committed = try cairn("commit", "-m", "cuboids", in: dir.path)
    #expect(committed.exitCode == 0, "\(committed)")

    let text = try cairn("show", "HEAD:velodyne/000000.bin", "--project", "left", in: dir.path)
    #expect(text.exitCode == 0, "\(text)")
    #expect(text.stdout.contains("group 000000 at "), "\(text.stdout)")
    #expect(text.stdout.contains("2 cuboids on slice left (image_2/000000.png 1224x370)"))
    #expect(text.stdout.contains("p1  pedestrian  x0 y0 x1 y1 = "))

    let result = try cairn(
      "show", "HEAD:image_2/000000.png", "--project", "left", "--json", in: dir.path)
    let body = try envelope(result, "cairn.projection/v1")
    #expect(body["group"] == .string("000000") && body["slice"] == .string("left"))
    let cuboids = try #require(body["cuboids"]?.array)
    #expect(cuboids.compactMap { $0["id"]?.string } == ["p1", "p1-lidar"])
    func rect(_ value: JSONValue) throws -> PixelRect {
      let numbers = value["rect"]?.array?.compactMap { $0.number } ?? []
      try #require(numbers.count == 4)
      return PixelRect(x0: numbers[0], y0: numbers[1], x1: numbers[2], y1: numbers[3])
    }
    let fromCamera = try rect(cuboids[0])
    let fromLidar = try rect(cuboids[1])
    // The projected box matches KITTI's own 2D box for this pedestrian.
    #expect(fromCamera.iou(pedestrian.box) > 0.7, "\(fromCamera) vs \(pedestrian.box)")
    #expect(fromLidar.iou(fromCamera) > 0.9999)
    #expect(cuboids[0]["corners"]?.array?.count == 8)
    #expect(cuboids[0]["clipped"] == .bool(false))
    #expect(cuboids[1]["frame"] == .string("pcd"))

    // A point cloud is not a camera; a sample outside any group cannot be projected.
    let notCamera = try cairn("show", "HEAD:image_2/000000.png", "--project", "pcd", in: dir.path)
    #expect(notCamera.exitCode == 5)
    #expect(
      notCamera.stderr.contains("slice 'pcd' of group '000000' has no calibration.projection"))
    #expect(try cairn("show", "HEAD", "--project", "left", in: dir.path).exitCode == 64)
  }

  @Test func helpDescribesGroupOptions() throws {
    let importHelp = try CommandRunner.cairn(["import", "images", "--help"], in: "/")
    for option in ["--slices", "--group-prefix", "--calibration", "image_2/000001.png"] {
      #expect(importHelp.stdout.contains(option), "\(option)")
    }
    let showHelp = try CommandRunner.cairn(["show", "--help"], in: "/")
    #expect(showHelp.stdout.contains("--project <slice>"))
  }

  @Test func groupImportRefusalsWriteNothing() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try cairn("init", dir.path, in: "/").exitCode == 0)
    try writeImages(2, into: dir, folder: "media/image_2")
    try writeImages(2, into: dir, folder: "media/image_3")
    try dir.write("P2: 1 0 0 0 0 1 0 0 0 0 1 0\nP3: 1 0 0 0 0 1 0\n", to: "media/calib/img0.txt")
    let listing = { () throws -> [String] in
      try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }
    let before = try listing()

    // A calibration file with a short P3 and another missing entirely.
    let calibration = try cairn(
      "import", "images", "media", "--slices", "left=image_2,right=image_3", "--calibration",
      "kitti=calib", in: dir.path)
    #expect(calibration.exitCode == 5, "\(calibration)")
    #expect(
      calibration.stderr.contains(
        "calib/img0.txt: KITTI calibration: line 2: P3 has 7 numbers, expected 12"),
      "\(calibration.stderr)")
    #expect(calibration.stderr.contains("calib/img1.txt: no calibration file for group 'img1'"))
    #expect(calibration.stderr.contains("nothing was written"))
    #expect(try listing() == before)

    let missing = try cairn("import", "images", "media", "--slices", "left=image_9", in: dir.path)
    #expect(missing.exitCode == 4)
    #expect(missing.stderr.contains("slice 'left': folder not found"))
    let reserved = try cairn("import", "images", "media", "--slices", "group=image_2", in: dir.path)
    #expect(reserved.exitCode == 5)
    #expect(reserved.stderr.contains("reserved"))
    let malformed = try cairn("import", "images", "media", "--slices", "left", in: dir.path)
    #expect(malformed.exitCode == 64)
    let alone = try cairn("import", "images", "media", "--calibration", "kitti=calib", in: dir.path)
    #expect(alone.exitCode == 64)
    #expect(try listing() == before)

    // A sample cannot change slices (or groups) by importing it again under another name.
    #expect(
      try cairn("import", "images", "media", "--slices", "left=image_2", in: dir.path).exitCode == 0
    )
    let status = try cairn("status", "--json", in: dir.path).stdout
    let moved = try cairn("import", "images", "media", "--slices", "right=image_2", in: dir.path)
    #expect(moved.exitCode == 5)
    #expect(
      moved.stderr.contains(
        "sample 'image_2/img0.png' already belongs to group 'img0' as slice 'left'; the import "
          + "would make it slice 'right' of group 'img0'"), "\(moved.stderr)")
    #expect(try cairn("status", "--json", in: dir.path).stdout == status)
  }
}
