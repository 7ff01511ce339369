/// Why geometry cannot be carried from one frame of a group to another.
package struct ProjectionProblem: Error, Sendable, CustomStringConvertible {
  package var reason: String
  package init(_ reason: String) { self.reason = reason }
  package var description: String { reason }
}

/// An axis-aligned rectangle in pixels: `x0 ≤ x1`, `y0 ≤ y1`, origin at the image's top-left
/// corner.
package struct PixelRect: Sendable, Equatable {
  package var x0: Double
  package var y0: Double
  package var x1: Double
  package var y1: Double

  package init(x0: Double, y0: Double, x1: Double, y1: Double) {
    self.x0 = x0
    self.y0 = y0
    self.x1 = x1
    self.y1 = y1
  }

  /// The smallest rectangle holding every point; nil for none.
  package init?(enclosing points: [SIMD2<Double>]) {
    guard let first = points.first else { return nil }
    var low = first
    var high = first
    for point in points.dropFirst() {
      low = pointwiseMin(low, point)
      high = pointwiseMax(high, point)
    }
    self.init(x0: low.x, y0: low.y, x1: high.x, y1: high.y)
  }

  package var area: Double { max(0, x1 - x0) * max(0, y1 - y0) }

  /// The overlap of two rectangles; nil when they do not overlap (touching edges count as no
  /// overlap).
  package func intersection(_ other: PixelRect) -> PixelRect? {
    let rect = PixelRect(
      x0: max(x0, other.x0), y0: max(y0, other.y0), x1: min(x1, other.x1), y1: min(y1, other.y1))
    return rect.x0 < rect.x1 && rect.y0 < rect.y1 ? rect : nil
  }

  /// Intersection over union of two rectangles, in 0…1.
  package func iou(_ other: PixelRect) -> Double {
    let common = intersection(other)?.area ?? 0
    let union = area + other.area - common
    return union > 0 ? common / union : 0
  }

  /// `[x0, y0, x1, y1]`.
  package var json: JSONValue { .array([x0, y0, x1, y1].map { .double($0) }) }
}

/// A cuboid drawn on an image.
package struct ProjectedCuboid: Sendable, Equatable {
  /// The eight corners in pixels, in the order of ``Cuboid/corners``; nil for a corner behind
  /// the camera (w < ``Projection/nearDepth``, in practice w ≤ 0).
  package var corners: [SIMD2<Double>?]
  /// The rectangle enclosing the part of the box in front of the camera, or nil.
  ///
  /// Nil when the whole box is behind the camera. Not limited to the image: it may extend past
  /// the image's edges.
  package var rect: PixelRect?
  /// Whether part of the box is behind the camera (at least one corner has no pixel), so that
  /// `rect` encloses only the part in front of it.
  package var clipped: Bool

  /// `rect` limited to an image of `width` × `height` pixels; nil when it lies outside.
  package func rect(inImageOfWidth width: Double, height: Double) -> PixelRect? {
    rect?.intersection(PixelRect(x0: 0, y0: 0, x1: width, y1: height))
  }
}

/// Frames and projections of one group (`Docs/storage-format.md` §7.7).
///
/// A point `p` in the frame of slice `F` is drawn on image slice `S` at
/// `projection_S · extrinsics_S · extrinsics_F⁻¹ · p`, divided by its third coordinate; frame
/// `group` (the reference frame) and a slice without extrinsics have the identity.
package struct GroupGeometry: Sendable {
  package var record: GroupRecord

  package init(record: GroupRecord) { self.record = record }

  /// The extrinsics of `frame`: a slice's, or the identity for `group`.
  ///
  /// - Throws: `ProjectionProblem` when `frame` is neither `group` nor a slice.
  package func extrinsics(of frame: String) throws(ProjectionProblem) -> Matrix4x4 {
    if frame == FormatV1.groupFrame { return .identity }
    guard let slice = record.slices[frame] else {
      throw ProjectionProblem(
        "frame '\(frame)' is neither '\(FormatV1.groupFrame)' nor a slice of group "
          + "'\(record.id)' (\(record.sliceNames.joined(separator: ", ")))")
    }
    return slice.calibration?.extrinsics ?? .identity
  }

  /// The transform taking points in `frame` to points in `target`'s frame:
  /// `extrinsics_target · extrinsics_frame⁻¹`.
  package func transform(from frame: String, to target: String) throws(ProjectionProblem)
    -> Matrix4x4
  {
    let source = try extrinsics(of: frame)
    let destination = try extrinsics(of: target)
    if frame == target { return .identity }
    guard let inverse = source.inverse() else {
      throw ProjectionProblem("the extrinsics of '\(frame)' are singular")
    }
    return destination * inverse
  }

  /// The camera matrix taking points in `frame` to homogeneous pixels of image slice `slice`:
  /// `projection_slice · extrinsics_slice · extrinsics_frame⁻¹`.
  ///
  /// - Throws: `ProjectionProblem` when `slice` is not a slice or has no `projection` (not a
  ///   camera), or `frame` is unknown.
  package func camera(from frame: String, onto slice: String) throws(ProjectionProblem)
    -> Matrix3x4
  {
    guard let entry = record.slices[slice] else {
      throw ProjectionProblem(
        "group '\(record.id)' has no slice '\(slice)' (\(record.sliceNames.joined(separator: ", ")))"
      )
    }
    guard let projection = entry.calibration?.projection else {
      throw ProjectionProblem(
        "slice '\(slice)' of group '\(record.id)' has no calibration.projection (not a camera)")
    }
    return projection * (try transform(from: frame, to: slice))
  }

  /// Projects a cuboid onto image slice `slice`.
  package func project(_ cuboid: Cuboid, onto slice: String) throws(ProjectionProblem)
    -> ProjectedCuboid
  {
    Projection.project(cuboid, camera: try camera(from: cuboid.frame, onto: slice))
  }
}

/// Projection of cuboids through a camera matrix.
package enum Projection {
  /// Homogeneous depth below which a point counts as behind the camera when edges are cut.
  ///
  /// For a camera matrix `K·[R t]` with `K[2][2] = 1` the third homogeneous coordinate `w` is
  /// the depth along the optical axis; edges are cut at this small positive depth so that the
  /// division by `w` stays finite.
  package static let nearDepth = 1e-6

  /// Projects a cuboid with a camera matrix that takes points of the cuboid's frame to
  /// homogeneous pixels.
  ///
  /// Each corner `p` maps to `(u, v) = (q₀/q₂, q₁/q₂)` with `q = camera · (p, 1)`. A corner with
  /// `q₂ < nearDepth` (in practice `q₂ ≤ 0`) is behind the camera: it has no pixel position and
  /// the result is `clipped`. The
  /// rectangle encloses every corner in front of the camera and, for each of the 12 edges that
  /// crosses the plane `w = nearDepth`, the point where it does; so it encloses exactly the
  /// image of the part of the box in front of the camera.
  package static func project(_ cuboid: Cuboid, camera: Matrix3x4) -> ProjectedCuboid {
    let homogeneous = cuboid.corners.map { camera.apply($0) }
    let pixels: [SIMD2<Double>?] = homogeneous.map { q in
      q.z >= nearDepth ? SIMD2(q.x / q.z, q.y / q.z) : nil
    }
    let clipped = pixels.contains { $0 == nil }
    var points = pixels.compactMap { $0 }
    if clipped {
      // The camera map is linear in homogeneous coordinates, so cutting an edge at w = nearDepth
      // can interpolate the projected homogeneous endpoints directly.
      for (a, b) in Cuboid.edges {
        let qa = homogeneous[a]
        let qb = homogeneous[b]
        guard (qa.z < nearDepth) != (qb.z < nearDepth) else { continue }
        let t = (nearDepth - qa.z) / (qb.z - qa.z)
        let q = qa + (qb - qa) * t
        points.append(SIMD2(q.x / q.z, q.y / q.z))
      }
    }
    return ProjectedCuboid(
      corners: pixels, rect: PixelRect(enclosing: points), clipped: clipped)
  }
}
