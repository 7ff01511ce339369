import CairnCore
import Testing

/// The bird's-eye view's frame and up axis (`BirdsEyeView`).
@Suite struct BirdsEyeViewTests {
  /// KITTI's LiDAR → rectified camera rotation, rounded: x_cam = −y_velo, y_cam = −z_velo,
  /// z_cam = x_velo, and a small offset.
  static let veloToCamera = [
    [0.0, -1, 0, 0], [0, 0, -1, -0.08], [1, 0, 0, -0.27], [0, 0, 0, 1],
  ]

  static func kittiGroup() throws -> GroupRecord {
    let toCamera = try #require(Matrix4x4(rows: Self.veloToCamera))
    let fromCamera: Matrix4x4 = try #require(toCamera.inverse())
    let projection = try #require(
      Matrix3x4(rows: [[700, 0, 600, 45], [0, 700, 180, 0], [0, 0, 1, 0.005]]))
    return GroupRecord(
      id: "000001",
      slices: [
        "left": GroupRecord.Slice(
          sample: "image_2/000001.png", calibration: SliceCalibration(projection: projection)),
        "pcd": GroupRecord.Slice(
          sample: "velodyne/000001.bin",
          calibration: SliceCalibration(extrinsics: fromCamera)),
      ], defaultSlice: "left")
  }

  @Test func cuboidsInTheCameraFrameMakeAYDownView() throws {
    let record = try Self.kittiGroup()
    let view = BirdsEyeView(
      record: record, order: ["left", "pcd"],
      kinds: ["left": "image", "pcd": "point_cloud"], cuboidFrames: ["left": ["left", "left"]])
    #expect(view.frame == "left" && view.sample == "image_2/000001.png")
    #expect(view.upAxis == 1 && view.upSign == -1)
    #expect(view.up == SIMD3(0, -1, 0))
    #expect(view.forward == SIMD3(0, 0, 1))
    #expect(view.right == SIMD3(1, 0, 0))
    #expect(view.pointCloud == "pcd")
    #expect(view.problems.isEmpty)
    // A LiDAR point 10 m ahead lands 10 m ahead (z) in the view frame.
    let ahead = try #require(view.transforms["pcd"]).transform(SIMD3(10, 0, 0))
    #expect(abs(ahead.z - (10 - 0.27)) < 1e-9 && abs(ahead.x) < 1e-9)
    #expect(view.cameras["left"] != nil && view.cameras["pcd"] == nil)
  }

  @Test func withoutCuboidsTheViewIsThePointCloudsFrame() throws {
    let record = try Self.kittiGroup()
    let view = BirdsEyeView(
      record: record, order: ["left", "pcd"],
      kinds: ["left": "image", "pcd": "point_cloud"], cuboidFrames: [:])
    #expect(view.frame == "pcd" && view.sample == "velodyne/000001.bin")
    #expect(view.upAxis == 2 && view.upSign == 1)
    #expect(view.forward == SIMD3(1, 0, 0))
    #expect(view.right == SIMD3(0, -1, 0), "y points left in a LiDAR frame")
    // A cuboid frame the group does not know is passed over.
    let unknown = BirdsEyeView(
      record: record, order: ["left", "pcd"],
      kinds: ["left": "image", "pcd": "point_cloud"], cuboidFrames: ["left": ["lidar_top"]])
    #expect(unknown.frame == "pcd")
  }

  @Test func aCameraWithoutPointCloudIsTakenAsYDown() throws {
    var record = try Self.kittiGroup()
    record.slices["pcd"] = nil
    let view = BirdsEyeView(
      record: record, order: ["left"], kinds: ["left": "image"], cuboidFrames: [:])
    #expect(view.frame == "left" && view.upAxis == 1 && view.upSign == -1)
    #expect(view.pointCloud == nil)
  }
}
