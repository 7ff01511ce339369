/// Area computations on convex polygons given as counter-clockwise vertex lists.
///
/// Used for the bird's-eye footprints of boxes; kept apart so that the clipping can be tested
/// on its own.
enum ConvexPolygon {
  /// The area of the intersection of two convex, counter-clockwise polygons.
  ///
  /// Sutherland–Hodgman: `subject` is clipped by the half-plane to the left of each edge of
  /// `clip` in turn. A vertex on an edge counts as inside, and a crossing point is only computed
  /// between a vertex inside and one strictly outside, so the division never meets a zero
  /// denominator. Shared edges and touching corners leave a polygon of zero area; a zero-length
  /// edge of `clip` (a degenerate box) clips nothing, and the degenerate polygon itself has
  /// zero area, so the result is 0.
  ///
  /// - Parameters:
  ///   - subject: A convex polygon, counter-clockwise.
  ///   - clip: A convex polygon, counter-clockwise.
  /// - Returns: The intersection's area, never negative.
  /// - Complexity: O(*n*·*m*) for polygons of *n* and *m* vertices.
  static func intersectionArea(_ subject: [SIMD2<Double>], _ clip: [SIMD2<Double>]) -> Double {
    guard subject.count >= 3, clip.count >= 3 else { return 0 }
    var polygon = subject
    var clipped: [SIMD2<Double>] = []
    clipped.reserveCapacity(subject.count + clip.count)
    for index in clip.indices {
      let start = clip[index]
      let edge = clip[(index + 1) % clip.count] - start
      clipped.removeAll(keepingCapacity: true)
      guard var previous = polygon.last else { return 0 }
      var previousSide = cross(edge, previous - start)
      for current in polygon {
        let side = cross(edge, current - start)
        if side >= 0 {
          if previousSide < 0 {
            clipped.append(crossing(previous, previousSide, current, side))
          }
          clipped.append(current)
        } else if previousSide >= 0 {
          clipped.append(crossing(previous, previousSide, current, side))
        }
        previous = current
        previousSide = side
      }
      swap(&polygon, &clipped)
      if polygon.count < 3 { return 0 }
    }
    return max(0, area(polygon))
  }

  /// The signed area (positive for counter-clockwise vertices), by the shoelace formula.
  ///
  /// - Parameter polygon: The vertices in order; the last joins the first.
  /// - Returns: The signed area; 0 for fewer than three vertices.
  static func area(_ polygon: [SIMD2<Double>]) -> Double {
    guard polygon.count >= 3 else { return 0 }
    var twice = 0.0
    var previous = polygon[polygon.count - 1]
    for current in polygon {
      twice += cross(previous, current)
      previous = current
    }
    return twice / 2
  }

  /// The z component of the cross product of two plane vectors: positive when `b` lies to the
  /// left of `a`.
  static func cross(_ a: SIMD2<Double>, _ b: SIMD2<Double>) -> Double {
    a.x * b.y - a.y * b.x
  }

  /// Where the segment from `a` (at signed distance `sideA` from the clipping line) to `b` (at
  /// `sideB`, of the other sign) crosses the line.
  private static func crossing(
    _ a: SIMD2<Double>, _ sideA: Double, _ b: SIMD2<Double>, _ sideB: Double
  ) -> SIMD2<Double> {
    let t = sideA / (sideA - sideB)
    return a + (b - a) * t
  }
}
