/// The top-down view of a group: the frame it is drawn in, that frame's up axis, and how every
/// other frame and camera relates to it (`Docs/app.md`, "Group view").
///
/// The view is drawn in the frame of the cuboids being edited, so that an edit in the view is
/// exact in the coordinates the label file stores: a move changes `center` along the two
/// ground axes, a rotation changes the one angle of `rotation` about the up axis, a resize the
/// two ground `dimensions`. Points and cuboids of other frames are carried into it with the
/// group's calibration.
///
/// The up axis is the point cloud's `+z` (LiDAR frames point z up, as KITTI's Velodyne,
/// nuScenes and Waymo do) carried into the view frame and snapped to the nearest signed
/// coordinate axis: `−y` for KITTI's rectified camera frame. Without a point cloud, a camera
/// frame (a slice with a `projection`) is taken to be y down, any other frame z up.
package struct BirdsEyeView: Sendable, Equatable {
  /// The frame the view is drawn in: a slice name, or `group`.
  package var frame: String
  /// The sample whose label file holds the editable cuboids (those in `frame`).
  package var sample: String
  /// Index (0 = x, 1 = y, 2 = z) of the frame axis that points up or down.
  package var upAxis: Int
  /// +1 when that axis points up, −1 when it points down.
  package var upSign: Double
  /// The unit vectors of the view in `frame`: up, forward (screen up), right (screen right).
  ///
  /// `(right, forward, up)` is right-handed, so a counter-clockwise turn on screen is a
  /// positive rotation about `up`.
  package var up: SIMD3<Double>
  package var forward: SIMD3<Double>
  package var right: SIMD3<Double>
  /// The transform from each frame (every slice and `group`) into `frame`.
  package var transforms: [String: Matrix4x4]
  /// For each camera slice, the matrix from `frame` to its homogeneous pixels.
  package var cameras: [String: Matrix3x4]
  /// The point-cloud slice drawn in the view, if the group has one.
  package var pointCloud: String?
  /// What could not be related (a frame whose calibration is unusable).
  package var problems: [String]

  /// Chooses the view for a group.
  ///
  /// - Parameters:
  ///   - record: The group record.
  ///   - order: The slice names in display order (the default slice first).
  ///   - kinds: The media kind (`image`, `point_cloud`) of each slice's sample.
  ///   - cuboidFrames: Per slice, the frames of the cuboids of the edited field in its label
  ///     file, in file order.
  package init(
    record: GroupRecord, order: [String], kinds: [String: String],
    cuboidFrames: [String: [String]]
  ) {
    let geometry = GroupGeometry(record: record)
    let cloud = order.first { kinds[$0] == "point_cloud" }
    var chosen: (frame: String, slice: String)?
    for slice in order {
      for frame in cuboidFrames[slice] ?? [] {
        let known = (try? geometry.extrinsics(of: frame)) != nil
        if known {
          chosen = (frame, slice)
          break
        }
      }
      if chosen != nil { break }
    }
    let fallback = cloud ?? record.defaultSlice
    let frame = chosen?.frame ?? fallback
    let slice = chosen?.slice ?? fallback
    self.frame = frame
    sample = record.slices[slice]?.sample ?? ""
    pointCloud = cloud
    problems = []

    var upVector = SIMD3<Double>(0, 0, 1)
    if let cloud, cloud != frame, let toView = try? geometry.transform(from: cloud, to: frame) {
      upVector = toView.transform(SIMD3(0, 0, 1)) - toView.transform(.zero)
    } else if cloud == nil, record.slices[frame]?.calibration?.projection != nil {
      upVector = SIMD3(0, -1, 0)
    }
    let magnitudes = [abs(upVector.x), abs(upVector.y), abs(upVector.z)]
    let axis = magnitudes.indices.max { magnitudes[$0] < magnitudes[$1] } ?? 2
    upAxis = axis
    upSign = upVector[axis] < 0 ? -1 : 1
    var unit = SIMD3<Double>(0, 0, 0)
    unit[axis] = upSign
    up = unit
    var ahead = SIMD3<Double>(0, 0, 0)
    ahead[axis == 2 ? 0 : 2] = 1
    forward = ahead
    right = Self.cross(ahead, unit)

    var transforms: [String: Matrix4x4] = [:]
    for name in order + [FormatV1.groupFrame] {
      do {
        transforms[name] = try geometry.transform(from: name, to: frame)
      } catch {
        problems.append(error.reason)
      }
    }
    self.transforms = transforms
    var cameras: [String: Matrix3x4] = [:]
    for name in order where record.slices[name]?.calibration?.projection != nil {
      if let camera = try? geometry.camera(from: frame, onto: name) { cameras[name] = camera }
    }
    self.cameras = cameras
  }

  private static func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
  }

  /// The view as JSON for the app: `frame`, `sample`, `up_axis`, `up_sign`, `up`, `forward`,
  /// `right`, `transforms` (4×4 rows), `cameras` (3×4 rows), `point_cloud`, `problems`.
  package var json: JSONValue {
    func vector(_ value: SIMD3<Double>) -> JSONValue {
      .array([.double(value.x), .double(value.y), .double(value.z)])
    }
    func rows(_ rows: [[Double]]) -> JSONValue {
      .array(rows.map { .array($0.map { .double($0) }) })
    }
    return .object([
      "frame": .string(frame), "sample": .string(sample),
      "up_axis": .int(Int64(upAxis)), "up_sign": .int(Int64(upSign)),
      "up": vector(up), "forward": vector(forward), "right": vector(right),
      "transforms": .object(transforms.mapValues { rows($0.rows) }),
      "cameras": .object(cameras.mapValues { rows($0.rows) }),
      "point_cloud": pointCloud.map { .string($0) } ?? .null,
      "problems": .array(problems.map { .string($0) }),
    ])
  }
}
