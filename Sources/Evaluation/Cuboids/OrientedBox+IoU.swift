extension OrientedBox {
  /// The area shared by the two boxes' footprints in the bird's-eye plane.
  ///
  /// The footprints are clipped about the midpoint of the two centres, so boxes far from the
  /// frame's origin (KITTI cars 70 m ahead) keep full precision.
  ///
  /// - Parameter other: A box with the same ``up`` axis.
  /// - Returns: The intersection's area; 0 when either footprint has no area.
  package func footprintIntersection(with other: OrientedBox) -> Double {
    precondition(up == other.up, "boxes about different up axes cannot be compared")
    guard hasFootprint, other.hasFootprint else { return 0 }
    let origin = (planeCenter + other.planeCenter) / 2
    let shared = ConvexPolygon.intersectionArea(
      footprint(relativeTo: origin), other.footprint(relativeTo: origin))
    return min(shared, footprintArea, other.footprintArea)
  }

  /// Whether the footprint has an area: length and width positive (and not NaN).
  private var hasFootprint: Bool {
    let (length, width, _) = extents
    return length > 0 && width > 0 && length.isFinite && width.isFinite
  }

  /// The length shared by the two boxes' extents along ``up``.
  ///
  /// - Parameter other: A box with the same ``up`` axis.
  /// - Returns: The overlap's length; 0 when the extents are disjoint or only touch.
  package func verticalOverlap(with other: OrientedBox) -> Double {
    precondition(up == other.up, "boxes about different up axes cannot be compared")
    let (a, b) = (verticalRange, other.verticalRange)
    return max(0, min(a.upper, b.upper) - max(a.lower, b.lower))
  }

  /// Bird's-eye-view intersection over union: the two footprints' shared area over the area
  /// they cover together.
  ///
  /// Heights and vertical positions are ignored. Identical boxes give 1; disjoint or touching
  /// boxes, and a box whose footprint has no area, give 0.
  ///
  /// - Parameters:
  ///   - a: A box.
  ///   - b: A box with the same ``up`` axis as `a`.
  /// - Returns: The IoU in 0…1.
  package static func birdsEyeIoU(_ a: OrientedBox, _ b: OrientedBox) -> Double {
    let shared = a.footprintIntersection(with: b)
    let union = a.footprintArea + b.footprintArea - shared
    guard shared > 0, union > 0 else { return 0 }
    return min(1, shared / union)
  }

  /// 3D intersection over union: the shared footprint area times the vertical overlap, over
  /// the volume the two boxes cover together.
  ///
  /// Exact for upright boxes, whose intersection is a prism. A box of zero volume gives 0.
  ///
  /// - Parameters:
  ///   - a: A box.
  ///   - b: A box with the same ``up`` axis as `a`.
  /// - Returns: The IoU in 0…1.
  package static func iou3D(_ a: OrientedBox, _ b: OrientedBox) -> Double {
    guard a.extents.height > 0, b.extents.height > 0 else { return 0 }
    let height = a.verticalOverlap(with: b)
    guard height > 0 else { return 0 }
    let shared = a.footprintIntersection(with: b) * height
    let union = a.volume + b.volume - shared
    guard shared > 0, union > 0 else { return 0 }
    return min(1, shared / union)
  }
}
