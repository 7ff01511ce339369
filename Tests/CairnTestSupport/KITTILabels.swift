package import CairnCore
internal import Foundation

/// One object of a KITTI `label_2` file: class, 2D box in pixels and 3D box in the rectified
/// reference camera's frame.
package struct KITTIObject: Sendable {
  package var type: String
  /// left, top, right, bottom in pixels.
  package var box: PixelRect
  /// Height, width and length in metres.
  package var height: Double
  package var width: Double
  package var length: Double
  /// The centre of the box's bottom face.
  package var location: SIMD3<Double>
  /// Rotation around the camera's y axis, in radians.
  package var rotationY: Double

  /// The object as a Cairn cuboid: dimensions `[l, h, w]` (KITTI's box has its length along
  /// x, height along y, width along z), centre = location − (0, h/2, 0) (y points down),
  /// rotation `[0, ry, 0]`.
  package func cuboid(id: String, frame: String) -> Cuboid {
    Cuboid(
      id: id, label: type.lowercased(), center: location - SIMD3(0, height / 2, 0),
      dimensions: SIMD3(length, height, width), rotation: SIMD3(0, rotationY, 0), frame: frame)
  }

  /// The objects of a label file, without `DontCare` regions.
  package static func read(_ path: String) throws -> [KITTIObject] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    return text.split(separator: "\n").compactMap { line -> KITTIObject? in
      let fields = line.split(separator: " ")
      guard fields.count >= 15, fields[0] != "DontCare" else { return nil }
      let numbers = fields[1...14].compactMap { Double($0) }
      guard numbers.count == 14 else { return nil }
      return KITTIObject(
        type: String(fields[0]),
        box: PixelRect(x0: numbers[3], y0: numbers[4], x1: numbers[5], y1: numbers[6]),
        height: numbers[7], width: numbers[8], length: numbers[9],
        location: SIMD3(numbers[10], numbers[11], numbers[12]), rotationY: numbers[13])
    }
  }
}
