#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A 3D box label (`"type": "cuboid"`, `Docs/storage-format.md` §7.4).
///
/// `center` is the box centre in `frame`; `dimensions` its extent along its own x, y and z axes;
/// the box's axes in `frame` are the columns of R = Rz(rz)·Ry(ry)·Rx(rx), from `rotation`
/// `[rx, ry, rz]` in radians.
package struct Cuboid: Sendable, Equatable {
  package var id: String
  /// The class name.
  package var label: String
  package var center: SIMD3<Double>
  package var dimensions: SIMD3<Double>
  package var rotation: SIMD3<Double>
  /// A slice of the sample's group, or `group` for the group's reference frame.
  package var frame: String

  package init(
    id: String, label: String, center: SIMD3<Double>, dimensions: SIMD3<Double>,
    rotation: SIMD3<Double>, frame: String
  ) {
    self.id = id
    self.label = label
    self.center = center
    self.dimensions = dimensions
    self.rotation = rotation
    self.frame = frame
  }

  /// Reads the geometry of one cuboid label.
  ///
  /// Only the members the geometry needs are checked here (the label envelope — id rules,
  /// attributes, classes — is the label file's and the schema's business).
  ///
  /// - Throws: `RecordProblem` naming the member that is missing or malformed.
  package init(label: JSONValue) throws(RecordProblem) {
    let id = label["id"]?.string ?? "?"
    guard label["type"]?.string == "cuboid" else {
      throw RecordProblem("label \(id) is not a cuboid")
    }
    guard let name = label["label"]?.string else {
      throw RecordProblem("label \(id): a cuboid needs a string \"label\" (its class)")
    }
    func vector(_ member: String, _ what: String) throws(RecordProblem) -> SIMD3<Double> {
      guard let array = label[member]?.array, array.count == 3 else {
        throw RecordProblem("label \(id): \"\(member)\" must be \(what)")
      }
      let numbers = array.compactMap(\.number)
      guard numbers.count == 3 else {
        throw RecordProblem("label \(id): \"\(member)\" must be \(what)")
      }
      return SIMD3(numbers[0], numbers[1], numbers[2])
    }
    let center = try vector("center", "[x, y, z] numbers")
    let dimensions = try vector("dimensions", "[dx, dy, dz] numbers")
    if dimensions.min() < 0 {
      throw RecordProblem("label \(id): \"dimensions\" must not be negative")
    }
    let rotation = try vector("rotation", "[rx, ry, rz] numbers (radians)")
    guard let frame = label["frame"]?.string, !frame.isEmpty else {
      throw RecordProblem(
        "label \(id): a cuboid needs a string \"frame\" (a slice of its group, or \"group\")")
    }
    self.init(
      id: id, label: name, center: center, dimensions: dimensions, rotation: rotation,
      frame: frame)
  }

  /// The cuboid as a label object (without attributes, tags or confidence).
  package var json: JSONValue {
    func array(_ vector: SIMD3<Double>) -> JSONValue {
      .array([.double(vector.x), .double(vector.y), .double(vector.z)])
    }
    return .object([
      "id": .string(id), "type": .string("cuboid"), "label": .string(label),
      "center": array(center), "dimensions": array(dimensions), "rotation": array(rotation),
      "frame": .string(frame),
    ])
  }

  /// The rotation R = Rz(rz)·Ry(ry)·Rx(rx) as its three columns: the box's x, y and z axes
  /// expressed in `frame`.
  package var axes: (x: SIMD3<Double>, y: SIMD3<Double>, z: SIMD3<Double>) {
    let (sx, cx) = (sin(rotation.x), cos(rotation.x))
    let (sy, cy) = (sin(rotation.y), cos(rotation.y))
    let (sz, cz) = (sin(rotation.z), cos(rotation.z))
    // Rz·Ry·Rx written out; row r, column c is R[r][c].
    let r00 = cz * cy
    let r01 = cz * sy * sx - sz * cx
    let r02 = cz * sy * cx + sz * sx
    let r10 = sz * cy
    let r11 = sz * sy * sx + cz * cx
    let r12 = sz * sy * cx - cz * sx
    let r20 = -sy
    let r21 = cy * sx
    let r22 = cy * cx
    return (SIMD3(r00, r10, r20), SIMD3(r01, r11, r21), SIMD3(r02, r12, r22))
  }

  /// The eight corners in `frame`.
  ///
  /// Corner `i` is `center + R·(sx·dx/2, sy·dy/2, sz·dz/2)` with `sx` = + when bit 0 of `i` is
  /// set (− otherwise), `sy` from bit 1 and `sz` from bit 2: 0 = (−,−,−), 1 = (+,−,−),
  /// 2 = (−,+,−), 3 = (+,+,−), 4 = (−,−,+), … 7 = (+,+,+). Two corners share an edge when their
  /// indices differ in one bit (``edges``).
  package var corners: [SIMD3<Double>] {
    let (ax, ay, az) = axes
    let half = dimensions / 2
    return (0..<8).map { index in
      let sx: Double = index & 1 == 0 ? -1 : 1
      let sy: Double = index & 2 == 0 ? -1 : 1
      let sz: Double = index & 4 == 0 ? -1 : 1
      return center + ax * (sx * half.x) + ay * (sy * half.y) + az * (sz * half.z)
    }
  }

  /// The twelve edges as pairs of corner indices (see ``corners``).
  package static let edges: [(Int, Int)] = (0..<8).flatMap { index in
    [1, 2, 4].compactMap { bit in index & bit == 0 ? (index, index | bit) : nil }
  }

  /// The same box expressed in another frame: `transform` maps points of `frame` to points of
  /// `newFrame` and must be rigid (a rotation and a translation).
  ///
  /// The new rotation angles are recovered from the rotated axes (R = Rz·Ry·Rx; at ry = ±90°,
  /// where rx and rz are not separable, rx is set to 0).
  package func transformed(by transform: Matrix4x4, into newFrame: String) -> Cuboid {
    let (ax, ay, az) = axes
    let origin = transform.transform(.zero)
    let newCenter = transform.transform(center)
    let bx = transform.transform(ax) - origin
    let by = transform.transform(ay) - origin
    let bz = transform.transform(az) - origin
    // R = [bx by bz]; R[2][0] = -sin(ry).
    let ry = asin(max(-1, min(1, -bx.z)))
    let rx: Double
    let rz: Double
    if abs(bx.z) < 1 - 1e-12 {
      rx = atan2(by.z, bz.z)
      rz = atan2(bx.y, bx.x)
    } else {
      rx = 0
      rz = atan2(-by.x, by.y)
    }
    return Cuboid(
      id: id, label: label, center: newCenter, dimensions: dimensions,
      rotation: SIMD3(rx, ry, rz), frame: newFrame)
  }
}
