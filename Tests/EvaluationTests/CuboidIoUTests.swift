import Testing

@testable import Evaluation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The heading (the box's own x axis, column 0 of R = Rz·Ry·Rx) for a yaw about each up axis,
/// written from the rotation matrices rather than from the code under test.
private func heading(yaw: Double, up: UpAxis) -> SIMD3<Double> {
  switch up {
  case .y: SIMD3(cos(yaw), 0, -sin(yaw))  // Ry(yaw)·(1, 0, 0)
  case .z: SIMD3(cos(yaw), sin(yaw), 0)  // Rz(yaw)·(1, 0, 0)
  }
}

/// The unit vector of the frame's up axis.
private func upVector(_ up: UpAxis) -> SIMD3<Double> {
  up == .y ? SIMD3(0, 1, 0) : SIMD3(0, 0, 1)
}

/// A box of the given length, width and height (placed in `dimensions` as the up axis wants).
private func box(
  _ center: SIMD3<Double>, length: Double, width: Double, height: Double, yaw: Double,
  up: UpAxis
) -> OrientedBox {
  let dimensions =
    up == .y ? SIMD3(length, height, width) : SIMD3(length, width, height)
  return OrientedBox(center: center, dimensions: dimensions, yaw: yaw, up: up)
}

private func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool {
  abs(a - b) <= tolerance
}

@Suite struct CuboidIoUTests {
  static let axes: [UpAxis] = [.y, .z]

  @Test(arguments: axes) func identicalBoxesGiveOne(up: UpAxis) {
    let a = box(SIMD3(3, -1, 40), length: 4.2, width: 1.8, height: 1.5, yaw: 0.7, up: up)
    #expect(close(OrientedBox.birdsEyeIoU(a, a), 1))
    #expect(close(OrientedBox.iou3D(a, a), 1))
  }

  @Test(arguments: axes) func shiftAlongHeadingGivesAnalyticIoU(up: UpAxis) {
    // Two l×w boxes offset by f·l along their common heading overlap in (1−f)·l×w:
    // IoU = (1−f)lw / (2lw − (1−f)lw) = (1−f)/(1+f), in bird's-eye view and in 3D alike.
    for yaw in [0, 0.4, -1.2, 2.5, .pi / 2] {
      for f in [0.1, 0.25, 0.6] {
        let a = box(SIMD3(5, 0.8, 20), length: 4, width: 1.5, height: 1.6, yaw: yaw, up: up)
        var b = a
        b.center += heading(yaw: yaw, up: up) * (f * 4)
        let expected = (1 - f) / (1 + f)
        #expect(close(OrientedBox.birdsEyeIoU(a, b), expected), "yaw \(yaw) f \(f)")
        #expect(close(OrientedBox.iou3D(a, b), expected), "yaw \(yaw) f \(f)")
      }
    }
  }

  @Test(arguments: axes) func shiftAcrossHeadingUsesTheWidth(up: UpAxis) {
    // Across the heading (perpendicular to it and to up) the overlap shrinks along the width.
    let yaw = 0.9
    let a = box(SIMD3(0, 0, 0), length: 4, width: 2, height: 1, yaw: yaw, up: up)
    var b = a
    let across = simdCross(upVector(up), heading(yaw: yaw, up: up))
    b.center += across * 0.5
    #expect(close(OrientedBox.birdsEyeIoU(a, b), 1.5 / 2.5))
  }

  @Test(arguments: axes) func squaresAtFortyFiveDegrees(up: UpAxis) {
    // Two squares of side 2 about one centre, turned 45° apart: the intersection is a regular
    // octagon of area 8(√2−1), so IoU = 8(√2−1) / (4 + 4 − 8(√2−1)).
    let octagon = 8 * (2.0.squareRoot() - 1)
    let expected = octagon / (8 - octagon)
    for base in [0, 0.3, -2] {
      let a = box(SIMD3(1, 2, 3), length: 2, width: 2, height: 1, yaw: base, up: up)
      let b = box(SIMD3(1, 2, 3), length: 2, width: 2, height: 1, yaw: base + .pi / 4, up: up)
      #expect(close(OrientedBox.birdsEyeIoU(a, b), expected))
      #expect(close(OrientedBox.iou3D(a, b), expected))
      #expect(close(a.footprintIntersection(with: b), octagon))
    }
  }

  @Test(arguments: axes) func disjointAndTouchingBoxesGiveZero(up: UpAxis) {
    let a = box(SIMD3(0, 0, 0), length: 2, width: 2, height: 2, yaw: 0.3, up: up)
    var far = a
    far.center += heading(yaw: 0.3, up: up) * 5
    #expect(OrientedBox.birdsEyeIoU(a, far) == 0)
    #expect(OrientedBox.iou3D(a, far) == 0)
    var touching = a
    touching.center += heading(yaw: 0.3, up: up) * 2
    #expect(close(OrientedBox.birdsEyeIoU(a, touching), 0, 1e-12))
    var above = a
    above.center += upVector(up) * 2
    #expect(close(OrientedBox.birdsEyeIoU(a, above), 1))
    #expect(OrientedBox.iou3D(a, above) == 0)
  }

  @Test(arguments: axes) func containedBoxGivesAreaRatio(up: UpAxis) {
    // A 1×1×1 cube turned 30° inside a 4×2×2 box about the same centre: IoU = 1/16 in 3D and
    // 1/8 in bird's-eye view.
    let big = box(SIMD3(2, 1, 7), length: 4, width: 2, height: 2, yaw: 1, up: up)
    let small = box(SIMD3(2, 1, 7), length: 1, width: 1, height: 1, yaw: 1 + .pi / 6, up: up)
    #expect(close(OrientedBox.birdsEyeIoU(big, small), 1.0 / 8))
    #expect(close(OrientedBox.birdsEyeIoU(small, big), 1.0 / 8))
    #expect(close(OrientedBox.iou3D(big, small), 1.0 / 16))
  }

  @Test(arguments: axes) func verticalOffsetMultipliesTheOverlaps(up: UpAxis) {
    // Shifted by f·l along the heading and by d along up: the intersection is
    // (1−f)·l·w·(h−d), the union 2·l·w·h minus it.
    let (l, w, h, f, d) = (4.0, 2.0, 1.5, 0.25, 0.5)
    let a = box(SIMD3(-3, 1, 12), length: l, width: w, height: h, yaw: -0.8, up: up)
    var b = a
    b.center += heading(yaw: -0.8, up: up) * (f * l) + upVector(up) * d
    let shared = (1 - f) * l * w * (h - d)
    #expect(close(OrientedBox.iou3D(a, b), shared / (2 * l * w * h - shared)))
    #expect(close(OrientedBox.birdsEyeIoU(a, b), (1 - f) / (1 + f)))
  }

  @Test(arguments: axes) func degenerateBoxesGiveZero(up: UpAxis) {
    let a = box(SIMD3(0, 0, 0), length: 2, width: 2, height: 2, yaw: 0, up: up)
    let flat = box(SIMD3(0, 0, 0), length: 2, width: 0, height: 2, yaw: 0, up: up)
    let point = box(SIMD3(0, 0, 0), length: 0, width: 0, height: 0, yaw: 0, up: up)
    let thin = box(SIMD3(0, 0, 0), length: 2, width: 2, height: 0, yaw: 0, up: up)
    #expect(OrientedBox.birdsEyeIoU(a, flat) == 0)
    #expect(OrientedBox.birdsEyeIoU(flat, flat) == 0)
    #expect(OrientedBox.birdsEyeIoU(point, point) == 0)
    #expect(OrientedBox.iou3D(a, thin) == 0)
    #expect(close(OrientedBox.birdsEyeIoU(a, thin), 1))
  }

  @Test func footprintPutsTheLengthAlongTheHeading() {
    // KITTI: dimensions [l, h, w]; ry = π/2 turns the heading from +x to −z (Ry·x = (0, 0, −1)).
    let kitti = OrientedBox(
      center: SIMD3(1, 5, 10), dimensions: SIMD3(4, 1.5, 2), yaw: .pi / 2, up: .y)
    let corners = kitti.footprint()
    #expect(corners.map(\.x).min().map { close($0, 0) } == true)
    #expect(corners.map(\.x).max().map { close($0, 2) } == true)
    #expect(corners.map(\.y).min().map { close($0, 8) } == true)
    #expect(corners.map(\.y).max().map { close($0, 12) } == true)
    // The front corners (first and last) lie on the heading's side, towards −z.
    #expect(close(corners[0].y, 8) && close(corners[3].y, 8))
    #expect(kitti.verticalRange == (4.25, 5.75))
    // LiDAR: dimensions [l, w, h]; rz = π/2 turns the heading from +x to +y.
    let lidar = OrientedBox(
      center: SIMD3(1, 5, 10), dimensions: SIMD3(4, 2, 1.5), yaw: .pi / 2, up: .z)
    let plane = lidar.footprint()
    #expect(close(plane[0].y, 7) && close(plane[3].y, 7))
    #expect(plane.map(\.x).max().map { close($0, 2) } == true)
    #expect(lidar.verticalRange == (9.25, 10.75))
    #expect(ConvexPolygon.area(corners) > 0 && ConvexPolygon.area(plane) > 0)
  }

  @Test func rotationGivesTheYawAboutTheUpAxis() throws {
    let kitti = try OrientedBox(
      center: SIMD3(0, 0, 0), dimensions: SIMD3(4, 1.5, 2), rotation: SIMD3(0, 0.4, 0), up: .y)
    #expect(close(kitti.yaw, 0.4))
    let lidar = try OrientedBox(
      center: SIMD3(0, 0, 0), dimensions: SIMD3(4, 2, 1.5), rotation: SIMD3(0, 0, -2), up: .z)
    #expect(close(lidar.yaw, -2))
    let turned = try OrientedBox(
      center: SIMD3(0, 0, 0), dimensions: SIMD3(4, 1.5, 2), rotation: SIMD3(0, 0.4 + 2 * .pi, 0),
      up: .y)
    #expect(close(turned.yaw, 0.4))
    let nearlyUpright = try OrientedBox(
      center: SIMD3(0, 0, 0), dimensions: SIMD3(4, 1.5, 2), rotation: SIMD3(1e-7, 0.4, -1e-7),
      up: .y)
    #expect(close(nearlyUpright.yaw, 0.4, 1e-6))
    // Rz(π)·Ry(π − 2.5)·Rx(π) = Ry(2.5): the Euler angles a frame change recovers for a box
    // turned by 2.5 about y (asin keeps ry within ±π/2). Still upright, with yaw 2.5.
    let recovered = try OrientedBox(
      center: SIMD3(0, 0, 0), dimensions: SIMD3(4, 1.5, 2), rotation: SIMD3(.pi, .pi - 2.5, .pi),
      up: .y)
    #expect(close(recovered.yaw, 2.5))
  }

  @Test func tiltedOrMalformedBoxesAreRefused() {
    let dimensions = SIMD3(4.0, 1.5, 2)
    #expect(throws: CuboidProblem.self) {
      try OrientedBox(
        center: .zero, dimensions: dimensions, rotation: SIMD3(0.01, 0.4, 0), up: .y)
    }
    #expect(throws: CuboidProblem.self) {
      try OrientedBox(center: .zero, dimensions: dimensions, rotation: SIMD3(0, 0, 1e-5), up: .y)
    }
    // A yaw about y is a tilt for a z-up frame.
    #expect(throws: CuboidProblem.self) {
      try OrientedBox(center: .zero, dimensions: dimensions, rotation: SIMD3(0, 0.4, 0), up: .z)
    }
    #expect(throws: CuboidProblem.self) {
      try OrientedBox(center: .zero, dimensions: SIMD3(4, -1, 2), rotation: .zero, up: .z)
    }
    #expect(throws: CuboidProblem.self) {
      try OrientedBox(
        center: SIMD3(.nan, 0, 0), dimensions: dimensions, rotation: .zero, up: .z)
    }
  }
}

private func simdCross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
  SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}
