/// A 4×4 matrix of doubles, stored row-major: a transform of homogeneous 3D points.
///
/// Group calibration stores a sensor's extrinsics as one (`Docs/storage-format.md` §7.7).
package struct Matrix4x4: Sendable, Equatable {
  /// The 16 elements, row by row.
  package private(set) var elements: [Double]

  /// The identity: the extrinsics of the group's reference frame.
  package static let identity = Matrix4x4(
    unchecked: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])

  private init(unchecked elements: [Double]) { self.elements = elements }

  /// A matrix from 4 rows of 4 numbers; nil for any other shape.
  package init?(rows: [[Double]]) {
    guard rows.count == 4, rows.allSatisfy({ $0.count == 4 }) else { return nil }
    elements = rows.flatMap { $0 }
  }

  /// A 3×3 rotation (9 numbers, row-major) padded to 4×4 with no translation.
  package init?(rotation: [Double]) {
    guard rotation.count == 9 else { return nil }
    elements = [
      rotation[0], rotation[1], rotation[2], 0, rotation[3], rotation[4], rotation[5], 0,
      rotation[6], rotation[7], rotation[8], 0, 0, 0, 0, 1,
    ]
  }

  /// A 3×4 affine transform (12 numbers, row-major: rotation and translation) padded to 4×4
  /// with the row `[0, 0, 0, 1]`.
  package init?(affine: [Double]) {
    guard affine.count == 12 else { return nil }
    elements = affine + [0, 0, 0, 1]
  }

  /// The element at `row`, `column` (both 0-based).
  package subscript(row: Int, column: Int) -> Double { elements[row * 4 + column] }

  /// The rows, for JSON.
  package var rows: [[Double]] { (0..<4).map { Array(elements[$0 * 4..<$0 * 4 + 4]) } }

  /// The matrix product `lhs · rhs`.
  package static func * (lhs: Matrix4x4, rhs: Matrix4x4) -> Matrix4x4 {
    var out = [Double](repeating: 0, count: 16)
    for row in 0..<4 {
      for column in 0..<4 {
        var sum = 0.0
        for k in 0..<4 { sum += lhs[row, k] * rhs[k, column] }
        out[row * 4 + column] = sum
      }
    }
    return Matrix4x4(unchecked: out)
  }

  /// Applies the matrix to the homogeneous point `(p, 1)`.
  ///
  /// - Returns: The transformed point divided by its fourth coordinate (which is 1 for an
  ///   affine matrix, whose last row is `[0, 0, 0, 1]`).
  package func transform(_ point: SIMD3<Double>) -> SIMD3<Double> {
    var out = SIMD4<Double>(repeating: 0)
    for row in 0..<4 {
      out[row] =
        self[row, 0] * point.x + self[row, 1] * point.y + self[row, 2] * point.z + self[row, 3]
    }
    return SIMD3(out.x, out.y, out.z) / out.w
  }

  /// Whether the last row is `[0, 0, 0, 1]`, so the matrix is an affine map of points.
  package var isAffine: Bool { elements[12...] == [0, 0, 0, 1] }

  /// The inverse, or nil when the matrix is singular.
  ///
  /// Computed by Gauss–Jordan elimination with partial pivoting, for any invertible matrix. For
  /// a rigid transform `[R t; 0 1]` the result equals `[Rᵀ −Rᵀt; 0 1]` up to rounding; it is
  /// computed in general because stored rotations (KITTI's `R0_rect`, `Tr_velo_to_cam`) are
  /// orthonormal only to about 10⁻⁶, and the exact inverse keeps a round trip through the
  /// extrinsics exact to machine precision.
  ///
  /// - Complexity: O(1) (64 multiply-adds per pivot step).
  package func inverse() -> Matrix4x4? {
    var a = rows
    var b = Matrix4x4.identity.rows
    let scale = elements.map(abs).max() ?? 0
    guard scale > 0 else { return nil }
    for column in 0..<4 {
      var pivot = column
      for row in column + 1..<4 where abs(a[row][column]) > abs(a[pivot][column]) {
        pivot = row
      }
      // Relative threshold: a pivot this small against the largest element means singular.
      guard abs(a[pivot][column]) > scale * 1e-12 else { return nil }
      a.swapAt(column, pivot)
      b.swapAt(column, pivot)
      let divisor = a[column][column]
      for k in 0..<4 {
        a[column][k] /= divisor
        b[column][k] /= divisor
      }
      for row in 0..<4 where row != column {
        let factor = a[row][column]
        if factor == 0 { continue }
        for k in 0..<4 {
          a[row][k] -= factor * a[column][k]
          b[row][k] -= factor * b[column][k]
        }
      }
    }
    return Matrix4x4(rows: b)
  }

  /// The inverse of a rigid transform `[R t; 0 1]`: `[Rᵀ −Rᵀt; 0 1]`.
  ///
  /// Exact only when `R` is orthonormal; ``inverse()`` is used for stored calibration, this
  /// form serves to check that a matrix is rigid.
  package func rigidInverse() -> Matrix4x4 {
    var out = Matrix4x4.identity.elements
    for row in 0..<3 {
      for column in 0..<3 { out[row * 4 + column] = self[column, row] }
    }
    for row in 0..<3 {
      out[row * 4 + 3] = -(0..<3).reduce(0.0) { sum, k in sum + self[k, row] * self[k, 3] }
    }
    return Matrix4x4(unchecked: out)
  }
}

/// A 3×4 matrix of doubles, stored row-major: a camera matrix taking homogeneous 3D points to
/// homogeneous pixel coordinates.
package struct Matrix3x4: Sendable, Equatable {
  /// The 12 elements, row by row.
  package private(set) var elements: [Double]

  private init(unchecked elements: [Double]) { self.elements = elements }

  /// A matrix from 3 rows of 4 numbers; nil for any other shape.
  package init?(rows: [[Double]]) {
    guard rows.count == 3, rows.allSatisfy({ $0.count == 4 }) else { return nil }
    elements = rows.flatMap { $0 }
  }

  /// A matrix from 12 numbers, row by row (as KITTI's calibration files write `P2`); nil for
  /// any other count.
  package init?(elements: [Double]) {
    guard elements.count == 12 else { return nil }
    self.elements = elements
  }

  /// The element at `row`, `column` (both 0-based).
  package subscript(row: Int, column: Int) -> Double { elements[row * 4 + column] }

  /// The rows, for JSON.
  package var rows: [[Double]] { (0..<3).map { Array(elements[$0 * 4..<$0 * 4 + 4]) } }

  /// The product `lhs · rhs`: a camera matrix applied after a transform.
  package static func * (lhs: Matrix3x4, rhs: Matrix4x4) -> Matrix3x4 {
    var out = [Double](repeating: 0, count: 12)
    for row in 0..<3 {
      for column in 0..<4 {
        var sum = 0.0
        for k in 0..<4 { sum += lhs[row, k] * rhs[k, column] }
        out[row * 4 + column] = sum
      }
    }
    return Matrix3x4(unchecked: out)
  }

  /// Applies the matrix to the homogeneous point `(p, 1)`.
  ///
  /// - Returns: `(u·w, v·w, w)`: divide the first two by the third for the pixel `(u, v)`.
  package func apply(_ point: SIMD3<Double>) -> SIMD3<Double> {
    var out = SIMD3<Double>(repeating: 0)
    for row in 0..<3 {
      out[row] =
        self[row, 0] * point.x + self[row, 1] * point.y + self[row, 2] * point.z + self[row, 3]
    }
    return out
  }
}
