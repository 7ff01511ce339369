#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// An upright 3D box for evaluation: a centre, an extent along each of the box's own axes and a
/// yaw about the frame's up axis.
///
/// The box follows the cuboid label of `Docs/storage-format.md` §7.4 restricted to rotations
/// about `up`: its own x axis is its heading, and the box's axes in the frame are the columns of
/// R = Ry(yaw) for ``UpAxis/y`` and R = Rz(yaw) for ``UpAxis/z``. So for ``UpAxis/y`` (KITTI)
/// `dimensions` are `[length, height, width]` and the heading in the x–z plane is
/// `(cos yaw, −sin yaw)`; for ``UpAxis/z`` they are `[length, width, height]` and the heading in
/// the x–y plane is `(cos yaw, sin yaw)`.
package struct OrientedBox: Sendable, Equatable {
  /// The box centre (not the bottom centre KITTI's `location` gives).
  package var center: SIMD3<Double>
  /// The extent along the box's own x, y and z axes.
  package var dimensions: SIMD3<Double>
  /// The rotation about `up`, in radians.
  package var yaw: Double
  package var up: UpAxis

  /// How far, in radians, a box's vertical axis may lean away from `up` and still count as
  /// upright.
  package static let tiltTolerance = 1e-6

  package init(center: SIMD3<Double>, dimensions: SIMD3<Double>, yaw: Double, up: UpAxis) {
    self.center = center
    self.dimensions = dimensions
    self.yaw = yaw
    self.up = up
  }

  /// Makes the box of a cuboid label: `center`, `dimensions` and `rotation` `[rx, ry, rz]` as
  /// stored, with R = Rz(rz)·Ry(ry)·Rx(rx).
  ///
  /// Bird's-eye and 3D IoU as computed here need upright boxes: the box's vertical axis (its own
  /// y axis for ``UpAxis/y``, its own z axis for ``UpAxis/z``) must lie within
  /// ``tiltTolerance`` of `up`, up to a half turn (a box turned upside down is still upright).
  /// A KITTI box, `rotation` `[0, ry, 0]`, gives `yaw` = `ry` with ``UpAxis/y``; a LiDAR box,
  /// `[0, 0, rz]`, gives `yaw` = `rz` with ``UpAxis/z``. The tilt and the yaw are read from the
  /// box's axes rather than from the angles, so angles differing by whole turns give the same
  /// box, and so do other Euler angles of the same rotation: a change of frame recovers a KITTI
  /// yaw beyond ±90° as `[π, π − ry, π]`, which gives `yaw` = `ry`.
  ///
  /// - Parameters:
  ///   - center: The box centre in its frame.
  ///   - dimensions: The extent along the box's own x, y and z axes; none negative.
  ///   - rotation: `[rx, ry, rz]` in radians.
  ///   - up: The frame's vertical axis.
  /// - Throws: `CuboidProblem` when a value is not finite, a dimension is negative, or the box
  ///   is tilted.
  package init(
    center: SIMD3<Double>, dimensions: SIMD3<Double>, rotation: SIMD3<Double>, up: UpAxis
  ) throws(CuboidProblem) {
    let values = [center.x, center.y, center.z, dimensions.x, dimensions.y, dimensions.z]
    guard values.allSatisfy(\.isFinite) else {
      throw CuboidProblem("the cuboid centre \(center) or dimensions \(dimensions) is not finite")
    }
    guard dimensions.min() >= 0 else {
      throw CuboidProblem("the cuboid dimensions \(dimensions) must not be negative")
    }
    guard rotation.x.isFinite, rotation.y.isFinite, rotation.z.isFinite else {
      throw CuboidProblem("the cuboid rotation \(rotation) is not finite")
    }
    let (ax, ay, az) = Self.axes(rotation)
    // The box's own vertical axis, and how far its horizontal part leans it: sin(tilt).
    let vertical = up == .y ? ay : az
    let lean =
      up == .y
      ? (vertical.x * vertical.x + vertical.z * vertical.z).squareRoot()
      : (vertical.x * vertical.x + vertical.y * vertical.y).squareRoot()
    guard lean <= sin(Self.tiltTolerance) else {
      let turn = up == .y ? "y" : "z"
      throw CuboidProblem(
        "the cuboid rotation \(rotation) tilts the box by \(asin(min(lean, 1))) rad away from "
          + "the \(turn) axis; bird's-eye and 3D IoU need boxes turned about \(turn) only")
    }
    // Ry(yaw) takes the x axis to (cos, 0, −sin); Rz(yaw) to (cos, sin, 0).
    let yaw = up == .y ? atan2(-ax.z, ax.x) : atan2(ax.y, ax.x)
    self.init(center: center, dimensions: dimensions, yaw: yaw, up: up)
  }

  /// The columns of R = Rz(rz)·Ry(ry)·Rx(rx): the box's own axes in its frame.
  private static func axes(_ rotation: SIMD3<Double>) -> (
    x: SIMD3<Double>, y: SIMD3<Double>, z: SIMD3<Double>
  ) {
    let (sx, cx) = (sin(rotation.x), cos(rotation.x))
    let (sy, cy) = (sin(rotation.y), cos(rotation.y))
    let (sz, cz) = (sin(rotation.z), cos(rotation.z))
    let x = SIMD3(cz * cy, sz * cy, -sy)
    let y = SIMD3(cz * sy * sx - sz * cx, sz * sy * sx + cz * cx, cy * sx)
    let z = SIMD3(cz * sy * cx + sz * sx, sz * sy * cx - cz * sx, cy * cx)
    return (x, y, z)
  }

  /// The extent along the heading, across it in the bird's-eye plane, and along `up`.
  package var extents: (length: Double, width: Double, height: Double) {
    switch up {
    case .y: (dimensions.x, dimensions.z, dimensions.y)
    case .z: (dimensions.x, dimensions.y, dimensions.z)
    }
  }

  /// The centre projected on the bird's-eye plane: `(x, z)` for ``UpAxis/y``, `(x, y)` for
  /// ``UpAxis/z``.
  package var planeCenter: SIMD2<Double> {
    switch up {
    case .y: SIMD2(center.x, center.z)
    case .z: SIMD2(center.x, center.y)
    }
  }

  /// The lowest and highest coordinate along `up`.
  package var verticalRange: (lower: Double, upper: Double) {
    let middle = up == .y ? center.y : center.z
    let half = extents.height / 2
    return (middle - half, middle + half)
  }

  /// The unit heading (the box's own x axis) and the unit across it (its own z axis for
  /// ``UpAxis/y``, its own y axis for ``UpAxis/z``), in bird's-eye plane coordinates.
  ///
  /// Both pairs form a rotation of the plane (determinant +1), so the footprint built from them
  /// runs counter-clockwise in the plane's coordinates.
  package var planeAxes: (heading: SIMD2<Double>, across: SIMD2<Double>) {
    let (s, c) = (sin(yaw), cos(yaw))
    switch up {
    // Ry(yaw): x → (cos, 0, −sin), z → (sin, 0, cos); plane coordinates (x, z).
    case .y: return (SIMD2(c, -s), SIMD2(s, c))
    // Rz(yaw): x → (cos, sin, 0), y → (−sin, cos, 0); plane coordinates (x, y).
    case .z: return (SIMD2(c, s), SIMD2(-s, c))
    }
  }

  /// The four corners of the box's footprint in the bird's-eye plane, counter-clockwise.
  ///
  /// - Parameter origin: Subtracted from every corner; evaluating two boxes about a point near
  ///   them keeps the clipping arithmetic small when the boxes are far from the frame's origin.
  /// - Returns: Front-left, back-left, back-right, front-right (left being +across).
  package func footprint(relativeTo origin: SIMD2<Double> = .zero) -> [SIMD2<Double>] {
    let (heading, across) = planeAxes
    let (length, width, _) = extents
    let centre = planeCenter - origin
    let front = heading * (length / 2)
    let side = across * (width / 2)
    return [
      centre + front + side, centre - front + side, centre - front - side, centre + front - side,
    ]
  }

  /// The footprint's area.
  package var footprintArea: Double {
    let (length, width, _) = extents
    return length * width
  }

  /// The box's volume.
  package var volume: Double { dimensions.x * dimensions.y * dimensions.z }
}
