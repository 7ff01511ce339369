import CairnTestSupport
import Foundation
import Testing

@testable import Evaluation

/// One object of a KITTI `label_2` line: `type trunc occl alpha x1 y1 x2 y2 h w l x y z ry`.
///
/// The location is the bottom centre in the rectified camera frame (y points down); the box's
/// length lies along its heading (camera x turned by ry about y), its height along y and its
/// width across.
private struct KITTIBox {
  var type: String
  var height: Double
  var width: Double
  var length: Double
  var location: SIMD3<Double>
  var rotationY: Double

  /// The box as Cairn imports it: centre = location − (0, h/2, 0), dimensions [l, h, w],
  /// rotation [0, ry, 0], yaw about y.
  func box() throws -> OrientedBox {
    try OrientedBox(
      center: location - SIMD3(0, height / 2, 0), dimensions: SIMD3(length, height, width),
      rotation: SIMD3(0, rotationY, 0), up: .y)
  }

  /// The heading in the camera frame: Ry(ry)·(1, 0, 0).
  var heading: SIMD3<Double> { SIMD3(cos(rotationY), 0, -sin(rotationY)) }
}

/// The objects of every `label_2/*.txt` file of the fixture, without `DontCare` regions, or
/// nil when the fixtures are absent (a failure under CI).
private func kittiBoxes() throws -> [KITTIBox]? {
  guard let root = Fixtures.path("kitti_object_3frames_public") else {
    if Fixtures.isCI { Issue.record("the KITTI fixture is required under CI") }
    return nil
  }
  let folder = root + "/training/label_2"
  let names = try FileManager.default.contentsOfDirectory(atPath: folder)
    .filter { $0.hasSuffix(".txt") }.sorted()
  var boxes: [KITTIBox] = []
  for name in names {
    let text = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
    for line in text.split(whereSeparator: \.isNewline) {
      let fields = line.split(separator: " ")
      guard fields.count >= 15, fields[0] != "DontCare" else { continue }
      let numbers = fields[8...14].compactMap { Double($0) }
      guard numbers.count == 7 else {
        Issue.record("\(name): malformed line \(line)")
        continue
      }
      boxes.append(
        KITTIBox(
          type: String(fields[0]), height: numbers[0], width: numbers[1], length: numbers[2],
          location: SIMD3(numbers[3], numbers[4], numbers[5]), rotationY: numbers[6]))
    }
  }
  return boxes
}

@Suite struct KITTICuboidIoUTests {
  @Test func realBoxesAgainstThemselvesGiveOne() throws {
    guard let objects = try kittiBoxes() else { return }
    #expect(objects.count >= 6)
    for object in objects {
      let box = try object.box()
      #expect(abs(OrientedBox.birdsEyeIoU(box, box) - 1) < 1e-9, "\(object.type)")
      #expect(abs(OrientedBox.iou3D(box, box) - 1) < 1e-9, "\(object.type)")
    }
  }

  @Test func realBoxesShiftedAlongTheirHeading() throws {
    guard let objects = try kittiBoxes() else { return }
    for object in objects {
      let box = try object.box()
      for d in [0.1, 0.3 * object.length, 0.8 * object.length] {
        var shifted = box
        shifted.center += object.heading * d
        let expected = (object.length - d) / (object.length + d)
        #expect(
          abs(OrientedBox.birdsEyeIoU(box, shifted) - expected) < 1e-9,
          "\(object.type) ry \(object.rotationY) d \(d)")
        #expect(abs(OrientedBox.iou3D(box, shifted) - expected) < 1e-9, "\(object.type) d \(d)")
      }
    }
  }

  @Test func realBoxesShiftedVertically() throws {
    guard let objects = try kittiBoxes() else { return }
    for object in objects {
      let box = try object.box()
      for d in [0.05, 0.5 * object.height] {
        var shifted = box
        shifted.center.y -= d
        let expected = (object.height - d) / (object.height + d)
        #expect(abs(OrientedBox.iou3D(box, shifted) - expected) < 1e-9, "\(object.type) d \(d)")
        #expect(abs(OrientedBox.birdsEyeIoU(box, shifted) - 1) < 1e-9, "\(object.type)")
      }
    }
  }

  @Test func realBoxesShiftedAcrossTheirHeading() throws {
    guard let objects = try kittiBoxes() else { return }
    for object in objects {
      let box = try object.box()
      // The box's own z axis, Ry(ry)·(0, 0, 1), carries the width.
      let across = SIMD3(sin(object.rotationY), 0, cos(object.rotationY))
      let d = 0.25 * object.width
      var shifted = box
      shifted.center += across * d
      let expected = (object.width - d) / (object.width + d)
      #expect(abs(OrientedBox.birdsEyeIoU(box, shifted) - expected) < 1e-9, "\(object.type)")
    }
  }
}
