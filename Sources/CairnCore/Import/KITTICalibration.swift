/// A calibration file of the KITTI object benchmark (`calib/<frame>.txt`).
///
/// Each line is `NAME: v1 v2 …`: the camera matrices `P0`…`P3` (3×4, 12 numbers, taking points
/// in the rectified reference camera's frame to each camera's pixels), `R0_rect` (3×3, 9
/// numbers: the rectifying rotation of the reference camera) and `Tr_velo_to_cam` (3×4, 12
/// numbers: LiDAR to the unrectified reference camera). KITTI's tracking files spell the last
/// two `R_rect` and `Tr_velo_cam`; both spellings are read. Other lines (`Tr_imu_to_velo`) are
/// kept but not used.
package struct KITTICalibration: Sendable {
  /// The numbers of every line, by name.
  package var values: [String: [Double]]

  /// How many numbers each known matrix has.
  static let counts: [String: Int] = [
    "P0": 12, "P1": 12, "P2": 12, "P3": 12, "R0_rect": 9, "R_rect": 9, "Tr_velo_to_cam": 12,
    "Tr_velo_cam": 12, "Tr_imu_to_velo": 12,
  ]

  /// Parses a calibration file.
  ///
  /// - Throws: `RecordProblem` naming the line and what is wrong with it.
  package init(bytes: [UInt8]) throws(RecordProblem) {
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw RecordProblem("not UTF-8 text")
    }
    var values: [String: [Double]] = [:]
    for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false)
      .enumerated()
    {
      let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
      if line.allSatisfy(\.isWhitespace) { continue }
      guard let colon = line.firstIndex(of: ":") else {
        throw RecordProblem("line \(index + 1): expected 'NAME: numbers'")
      }
      let name = String(line[..<colon])
      var numbers: [Double] = []
      for token in line[line.index(after: colon)...].split(whereSeparator: \.isWhitespace) {
        guard let number = Double(token), number.isFinite else {
          throw RecordProblem("line \(index + 1) (\(name)): '\(token)' is not a number")
        }
        numbers.append(number)
      }
      if let expected = Self.counts[name], numbers.count != expected {
        throw RecordProblem(
          "line \(index + 1): \(name) has \(numbers.count) numbers, expected \(expected)")
      }
      if values.updateValue(numbers, forKey: name) != nil {
        throw RecordProblem("line \(index + 1): \(name) appears twice")
      }
    }
    self.values = values
  }

  /// The camera matrix `P<camera>`.
  package func projection(camera: Int) throws(RecordProblem) -> Matrix3x4 {
    guard let numbers = values["P\(camera)"], let matrix = Matrix3x4(elements: numbers) else {
      throw RecordProblem("no P\(camera) line")
    }
    return matrix
  }

  /// The LiDAR's extrinsics in the rectified reference frame.
  ///
  /// `(R0_rect · Tr_velo_to_cam)⁻¹`, both padded to 4×4: it takes points of the reference
  /// frame (where KITTI's `label_2` boxes are) to the LiDAR's frame.
  package func lidarExtrinsics() throws(RecordProblem) -> Matrix4x4 {
    guard let rect = values["R0_rect"] ?? values["R_rect"], let rotation = Matrix4x4(rotation: rect)
    else { throw RecordProblem("no R0_rect line") }
    guard let velo = values["Tr_velo_to_cam"] ?? values["Tr_velo_cam"],
      let veloToCamera = Matrix4x4(affine: velo)
    else { throw RecordProblem("no Tr_velo_to_cam line") }
    guard let inverse = (rotation * veloToCamera).inverse() else {
      throw RecordProblem("R0_rect · Tr_velo_to_cam is singular")
    }
    return inverse
  }

  /// Which calibration a slice folder gets, by the folder's last path component.
  ///
  /// `image_0` … `image_3` are KITTI's cameras: projection `P0` … `P3` and no extrinsics (every
  /// `P<n>` already maps the shared reference frame to camera n's pixels, its offset from the
  /// reference camera included); `velodyne` is the LiDAR: extrinsics
  /// `(R0_rect · Tr_velo_to_cam)⁻¹` and no projection. Any other folder gets no calibration.
  package enum SliceSource: Sendable, Equatable {
    case camera(Int)
    case lidar

    /// The source of a slice imported from `folder`, or nil.
    package init?(folder: String) {
      let name = folder.split(separator: "/").last.map(String.init) ?? folder
      switch name {
      case "image_0": self = .camera(0)
      case "image_1": self = .camera(1)
      case "image_2": self = .camera(2)
      case "image_3": self = .camera(3)
      case "velodyne": self = .lidar
      default: return nil
      }
    }

    /// How the calibration is made, for reports: `P2`, `inverse(R0_rect·Tr_velo_to_cam)`.
    package var description: String {
      switch self {
      case .camera(let index): "projection=P\(index)"
      case .lidar: "extrinsics=inverse(R0_rect*Tr_velo_to_cam)"
      }
    }
  }

  /// The calibration of a slice made from `source`.
  package func calibration(for source: SliceSource) throws(RecordProblem) -> SliceCalibration {
    switch source {
    case .camera(let index): SliceCalibration(projection: try projection(camera: index))
    case .lidar: SliceCalibration(extrinsics: try lidarExtrinsics())
    }
  }
}
