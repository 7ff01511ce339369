/// The vertical axis of a cuboid's frame: the axis an upright box turns about.
///
/// The bird's-eye plane is spanned by the two other axes. Which way the axis points (up or
/// down) does not change any intersection, so KITTI's downward y and LiDAR's upward z are
/// handled alike.
package enum UpAxis: Sendable, Equatable {
  /// KITTI's rectified camera frame (Cairn's `left` frame of imported `label_2` boxes): y points
  /// down, the yaw is the rotation about y (KITTI's `rotation_y`, the `ry` of a cuboid's
  /// `rotation`), and the bird's-eye plane is x–z.
  ///
  /// A box's own x axis is its heading, its own y axis is vertical and its own z axis is its
  /// width: a KITTI object `h w l` is stored as `dimensions` `[l, h, w]`.
  case y
  /// LiDAR and nuScenes frames: z points up, the yaw is the rotation about z (the `rz` of a
  /// cuboid's `rotation`), and the bird's-eye plane is x–y.
  ///
  /// A box's own x axis is its heading, its own y axis is its width and its own z axis is
  /// vertical: `dimensions` are `[length, width, height]`.
  case z
}
