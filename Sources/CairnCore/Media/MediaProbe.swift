/// The broad category of a probed media file.
package enum MediaKind: String, Sendable, Codable {
  case image
  case pointCloud = "point_cloud"
}

/// Header-level facts about a media file, gathered without decoding pixels or points.
package struct MediaInfo: Sendable, Equatable {
  /// Whether the file is an image or a point cloud.
  package var kind: MediaKind
  /// The container format: `"png"`, `"jpeg"`, `"kitti-bin"` or `"pcd"`.
  package var format: String
  /// Image width in pixels; `nil` for point clouds.
  package var width: Int?
  /// Image height in pixels; `nil` for point clouds.
  package var height: Int?
  /// Number of points; `nil` for images.
  package var points: Int?

  /// Creates a media description.
  package init(
    kind: MediaKind,
    format: String,
    width: Int? = nil,
    height: Int? = nil,
    points: Int? = nil
  ) {
    self.kind = kind
    self.format = format
    self.width = width
    self.height = height
    self.points = points
  }
}

/// A media file failed a structural check; `reason` names the rule that broke.
package struct MediaProbeError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Human-readable explanation naming the violated rule and where it happened.
  package var reason: String

  /// Creates an error with the given reason.
  package init(reason: String) {
    self.reason = reason
  }

  /// The reason, verbatim.
  package var description: String { reason }
}

/// Pure-Swift structural probe of media file headers; never decodes pixels or points.
package enum MediaProbe {
  /// Extensions (lowercased, without dot) that import recognises: jpg, jpeg, png, bin, pcd.
  package static let supportedExtensions: Set<String> = ["jpg", "jpeg", "png", "bin", "pcd"]

  /// Probes `bytes` (the whole file) whose file extension is `ext` (lowercased).
  package static func probe(
    _ bytes: UnsafeRawBufferPointer,
    extension ext: String
  ) throws(MediaProbeError) -> MediaInfo {
    guard supportedExtensions.contains(ext) else {
      let supported = supportedExtensions.sorted().joined(separator: ", ")
      throw MediaProbeError(
        reason: "unsupported extension '.\(ext)': expected one of \(supported)"
      )
    }
    guard bytes.count > 0 else {
      throw MediaProbeError(reason: "empty file: '.\(ext)' media must not be 0 bytes")
    }
    switch ext {
    case "png":
      return try probePNG(bytes)
    case "jpg", "jpeg":
      return try probeJPEG(bytes)
    case "bin":
      return try probeKittiBin(bytes)
    default:
      return try probePCD(bytes)
    }
  }
}

// MARK: - PNG

extension MediaProbe {
  private static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  /// Validates the signature, IHDR and chunk framing of a PNG, up to and including IEND.
  private static func probePNG(_ b: UnsafeRawBufferPointer) throws(MediaProbeError) -> MediaInfo {
    let size = b.count
    guard b.starts(with: pngSignature) else {
      if size < pngSignature.count && pngSignature.starts(with: b) {
        throw MediaProbeError(
          reason: "truncated PNG: file is \(size) bytes, shorter than the 8-byte signature"
        )
      }
      let found = b.prefix(8).map(hex).joined(separator: " ")
      throw MediaProbeError(
        reason: "not a PNG: bad signature (expected 89 50 4E 47 0D 0A 1A 0A, found \(found))"
      )
    }

    var offset = pngSignature.count
    var isFirstChunk = true
    var width = 0
    var height = 0
    var sawIDAT = false
    while true {
      guard offset + 8 <= size else {
        if offset == size {
          throw MediaProbeError(
            reason: "truncated PNG: file ends at byte \(size) without an IEND chunk"
          )
        }
        throw MediaProbeError(
          reason: "truncated PNG: chunk header at byte \(offset) runs past end of file "
            + "(size \(size))"
        )
      }
      let length = Int(b.probeBE32(at: offset))
      let typeBytes = (offset + 4..<offset + 8).map { b[$0] }
      guard typeBytes.allSatisfy(isASCIILetter) else {
        let found = typeBytes.map(hex).joined(separator: " ")
        throw MediaProbeError(
          reason: "corrupt PNG: chunk at byte \(offset) has invalid type bytes \(found) "
            + "(must be ASCII letters)"
        )
      }
      let type = String(decoding: typeBytes, as: UTF8.self)
      guard length <= 0x7FFF_FFFF else {
        throw MediaProbeError(
          reason: "corrupt PNG: chunk '\(type)' at byte \(offset) declares length \(length), "
            + "over the 2^31-1 limit"
        )
      }
      let end = offset + 12 + length
      guard end <= size else {
        throw MediaProbeError(
          reason: "truncated PNG: chunk '\(type)' at byte \(offset) runs past end of file "
            + "(size \(size))"
        )
      }

      if isFirstChunk {
        guard type == "IHDR" else {
          throw MediaProbeError(
            reason: "corrupt PNG: first chunk is '\(type)', expected 'IHDR'"
          )
        }
        guard length == 13 else {
          throw MediaProbeError(
            reason: "corrupt PNG: IHDR chunk length is \(length), expected 13"
          )
        }
        width = Int(b.probeBE32(at: offset + 8))
        height = Int(b.probeBE32(at: offset + 12))
        guard width > 0, height > 0, width <= 0x7FFF_FFFF, height <= 0x7FFF_FFFF else {
          throw MediaProbeError(
            reason: "corrupt PNG: IHDR dimensions \(width)x\(height) must both be in "
              + "1...2^31-1"
          )
        }
        isFirstChunk = false
      } else if type == "IHDR" {
        throw MediaProbeError(
          reason: "corrupt PNG: second IHDR chunk at byte \(offset)"
        )
      }

      if type == "IDAT" {
        sawIDAT = true
      } else if type == "IEND" {
        guard sawIDAT else {
          throw MediaProbeError(
            reason: "corrupt PNG: IEND chunk at byte \(offset) with no IDAT chunk before it"
          )
        }
        return MediaInfo(kind: .image, format: "png", width: width, height: height)
      }
      offset = end
    }
  }

  private static func isASCIILetter(_ byte: UInt8) -> Bool {
    (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
  }
}

// MARK: - JPEG

extension MediaProbe {
  /// Start-of-frame markers that carry the image dimensions (excludes DHT C4, JPG C8, DAC CC).
  private static let jpegSOFMarkers: Set<UInt8> = [
    0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF,
  ]

  /// How far back from the end of file the EOI marker is searched for.
  private static let jpegEOIWindow = 64

  /// Walks JPEG marker segments up to SOS, reading the SOF dimensions, then checks for EOI.
  private static func probeJPEG(_ b: UnsafeRawBufferPointer) throws(MediaProbeError) -> MediaInfo {
    let size = b.count
    guard size >= 2, b[0] == 0xFF, b[1] == 0xD8 else {
      throw MediaProbeError(reason: "not a JPEG: missing SOI marker FF D8 at byte 0")
    }

    var pos = 2
    var dimensions: (width: Int, height: Int)?
    scan: while true {
      guard pos < size else {
        throw MediaProbeError(
          reason: "truncated JPEG: file ends at byte \(size) before the SOS marker"
        )
      }
      guard b[pos] == 0xFF else {
        throw MediaProbeError(
          reason: "corrupt JPEG: expected a marker (FF xx) at byte \(pos), "
            + "found 0x\(hex(b[pos]))"
        )
      }
      let markerStart = pos
      while pos < size && b[pos] == 0xFF {
        pos += 1  // 0xFF fill bytes may precede any marker.
      }
      guard pos < size else {
        throw MediaProbeError(
          reason: "truncated JPEG: file ends inside marker fill bytes at byte \(markerStart)"
        )
      }
      let marker = b[pos]
      let name = "FF \(hex(marker))"
      pos += 1

      switch marker {
      case 0x01, 0xD0...0xD7:
        continue scan  // TEM and RSTn are standalone: no length field.
      case 0x00:
        throw MediaProbeError(
          reason: "corrupt JPEG: invalid marker FF 00 at byte \(markerStart) outside scan data"
        )
      case 0xD8:
        throw MediaProbeError(
          reason: "corrupt JPEG: unexpected second SOI marker at byte \(markerStart)"
        )
      case 0xD9:
        throw MediaProbeError(
          reason: "corrupt JPEG: EOI marker at byte \(markerStart) before any SOS (no image data)"
        )
      default:
        break
      }

      guard pos + 2 <= size else {
        throw MediaProbeError(
          reason: "truncated JPEG: marker \(name) at byte \(markerStart) has no segment length "
            + "before end of file (size \(size))"
        )
      }
      let length = Int(b.probeBE16(at: pos))
      guard length >= 2 else {
        throw MediaProbeError(
          reason: "corrupt JPEG: segment \(name) at byte \(markerStart) has length \(length), "
            + "minimum is 2"
        )
      }
      guard pos + length <= size else {
        throw MediaProbeError(
          reason: "truncated JPEG: segment \(name) at byte \(markerStart) runs past end of file "
            + "(size \(size))"
        )
      }

      if jpegSOFMarkers.contains(marker), dimensions == nil {
        guard length >= 8 else {
          throw MediaProbeError(
            reason: "corrupt JPEG: SOF segment \(name) at byte \(markerStart) has length "
              + "\(length), need at least 8"
          )
        }
        let height = Int(b.probeBE16(at: pos + 3))
        let width = Int(b.probeBE16(at: pos + 5))
        guard width > 0, height > 0 else {
          throw MediaProbeError(
            reason: "corrupt JPEG: SOF segment \(name) at byte \(markerStart) declares "
              + "dimensions \(width)x\(height); both must be positive"
          )
        }
        dimensions = (width, height)
      }
      pos += length
      if marker == 0xDA {
        break scan
      }
    }

    guard let dimensions else {
      throw MediaProbeError(
        reason: "corrupt JPEG: SOS marker reached without a preceding SOF frame header"
      )
    }
    let tailStart = max(pos, size - jpegEOIWindow)
    var sawEOI = false
    var i = tailStart
    while i + 1 < size {
      if b[i] == 0xFF && b[i + 1] == 0xD9 {
        sawEOI = true
        break
      }
      i += 1
    }
    guard sawEOI else {
      throw MediaProbeError(
        reason: "truncated JPEG: no EOI marker FF D9 in the last \(jpegEOIWindow) bytes "
          + "(size \(size))"
      )
    }
    return MediaInfo(
      kind: .image,
      format: "jpeg",
      width: dimensions.width,
      height: dimensions.height
    )
  }
}

// MARK: - KITTI velodyne .bin

extension MediaProbe {
  /// Bytes per KITTI record: float32 x, y, z, reflectance.
  private static let kittiRecordSize = 16

  /// Checks that a KITTI velodyne scan is a whole number of 16-byte records.
  private static func probeKittiBin(
    _ b: UnsafeRawBufferPointer
  ) throws(MediaProbeError) -> MediaInfo {
    guard b.count % kittiRecordSize == 0 else {
      throw MediaProbeError(
        reason: "corrupt KITTI .bin: size \(b.count) is not a multiple of \(kittiRecordSize) "
          + "bytes (float32 x, y, z, reflectance records)"
      )
    }
    return MediaInfo(kind: .pointCloud, format: "kitti-bin", points: b.count / kittiRecordSize)
  }
}

// MARK: - PCD

extension MediaProbe {
  /// Longest header line accepted before the file is judged not to be a PCD.
  private static let pcdMaxLineLength = 65_536

  /// Header values collected from a PCD file.
  private struct PCDHeader {
    var fields: [Substring]?
    var sizes: [Int]?
    var types: [Substring]?
    var counts: [Int]?
    var width: Int?
    var height: Int?
    var points: Int?
    var data: String?
  }

  /// Parses the ASCII header of a PCD file and checks the payload is large enough.
  private static func probePCD(_ b: UnsafeRawBufferPointer) throws(MediaProbeError) -> MediaInfo {
    let size = b.count
    var header = PCDHeader()
    var pos = 0
    while header.data == nil {
      guard pos < size else {
        throw MediaProbeError(
          reason: "corrupt PCD: header ends at byte \(size) without a DATA line"
        )
      }
      let lineStart = pos
      var lineEnd = pos
      while lineEnd < size && b[lineEnd] != 0x0A {
        lineEnd += 1
        if lineEnd - lineStart > pcdMaxLineLength {
          throw MediaProbeError(
            reason: "corrupt PCD: header line at byte \(lineStart) is longer than "
              + "\(pcdMaxLineLength) bytes"
          )
        }
      }
      pos = min(lineEnd + 1, size)
      let line = String(decoding: b[lineStart..<lineEnd], as: UTF8.self)
      let tokens = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
      guard let keyword = tokens.first, !keyword.hasPrefix("#") else {
        continue  // Blank line or comment.
      }
      try parsePCDLine(
        keyword: keyword.uppercased(),
        values: Array(tokens.dropFirst()),
        at: lineStart,
        into: &header
      )
    }

    let points: Int
    if let declared = header.points {
      points = declared
    } else if let width = header.width, let height = header.height {
      let (product, overflow) = width.multipliedReportingOverflow(by: height)
      guard !overflow else {
        throw MediaProbeError(
          reason: "corrupt PCD: WIDTH \(width) x HEIGHT \(height) overflows"
        )
      }
      points = product
    } else {
      throw MediaProbeError(
        reason: "corrupt PCD: header has neither POINTS nor both WIDTH and HEIGHT"
      )
    }

    let fieldCount = header.fields?.count ?? header.sizes?.count
    if let fieldCount {
      let lists: [(String, Int?)] = [
        ("SIZE", header.sizes?.count),
        ("TYPE", header.types?.count),
        ("COUNT", header.counts?.count),
      ]
      for case (let keyword, let count?) in lists where count != fieldCount {
        throw MediaProbeError(
          reason: "corrupt PCD: \(keyword) has \(count) entries but there are \(fieldCount) fields"
        )
      }
    }

    let dataStart = pos
    let dataBytes = size - dataStart
    let info = MediaInfo(kind: .pointCloud, format: "pcd", points: points)
    switch header.data {
    case "ascii":
      try checkPCDASCII(b, from: dataStart, points: points)
    case "binary":
      let needed = try pcdPayloadSize(header, points: points)
      guard dataBytes >= needed.total else {
        throw MediaProbeError(
          reason: "truncated PCD: binary data is \(dataBytes) bytes, expected at least "
            + "\(needed.total) (\(points) points x \(needed.record) bytes per point)"
        )
      }
    default:  // binary_compressed
      let needed = try pcdPayloadSize(header, points: points)
      guard dataBytes >= 8 else {
        throw MediaProbeError(
          reason: "truncated PCD: binary_compressed data is \(dataBytes) bytes, missing its "
            + "8-byte size header"
        )
      }
      let compressed = Int(b.probeLE32(at: dataStart))
      let uncompressed = Int(b.probeLE32(at: dataStart + 4))
      guard 8 + compressed <= dataBytes else {
        throw MediaProbeError(
          reason: "truncated PCD: binary_compressed block of \(compressed) bytes runs past end "
            + "of file (size \(size))"
        )
      }
      guard uncompressed >= needed.total else {
        throw MediaProbeError(
          reason: "corrupt PCD: binary_compressed uncompressed size \(uncompressed) is less "
            + "than \(needed.total) (\(points) points x \(needed.record) bytes per point)"
        )
      }
    }
    return info
  }

  /// Records one header line in `header`, validating its values.
  private static func parsePCDLine(
    keyword: String,
    values: [Substring],
    at offset: Int,
    into header: inout PCDHeader
  ) throws(MediaProbeError) {
    switch keyword {
    case "VERSION", "VIEWPOINT":
      break
    case "FIELDS":
      guard !values.isEmpty else {
        throw MediaProbeError(reason: "corrupt PCD: FIELDS line at byte \(offset) is empty")
      }
      header.fields = values
    case "SIZE":
      var sizes: [Int] = []
      for value in values {
        guard let size = Int(value), [1, 2, 4, 8].contains(size) else {
          throw MediaProbeError(
            reason: "corrupt PCD: SIZE value '\(value)' must be 1, 2, 4 or 8"
          )
        }
        sizes.append(size)
      }
      header.sizes = sizes
    case "TYPE":
      for value in values where !["I", "U", "F"].contains(value.uppercased()) {
        throw MediaProbeError(reason: "corrupt PCD: TYPE value '\(value)' must be I, U or F")
      }
      header.types = values
    case "COUNT":
      var counts: [Int] = []
      for value in values {
        guard let count = Int(value), count >= 1 else {
          throw MediaProbeError(
            reason: "corrupt PCD: COUNT value '\(value)' must be a positive integer"
          )
        }
        counts.append(count)
      }
      header.counts = counts
    case "WIDTH":
      header.width = try pcdCount(values, keyword: keyword)
    case "HEIGHT":
      header.height = try pcdCount(values, keyword: keyword)
    case "POINTS":
      header.points = try pcdCount(values, keyword: keyword)
    case "DATA":
      let mode = values.first.map { $0.lowercased() } ?? ""
      guard values.count == 1, ["ascii", "binary", "binary_compressed"].contains(mode) else {
        let found = values.joined(separator: " ")
        throw MediaProbeError(
          reason: "corrupt PCD: DATA '\(found)' must be ascii, binary or binary_compressed"
        )
      }
      header.data = mode
    default:
      throw MediaProbeError(
        reason: "corrupt PCD: unknown header keyword '\(keyword)' at byte \(offset)"
      )
    }
  }

  /// Parses the single non-negative integer of a WIDTH, HEIGHT or POINTS line.
  private static func pcdCount(
    _ values: [Substring],
    keyword: String
  ) throws(MediaProbeError) -> Int {
    guard values.count == 1, let value = values.first, let count = Int(value), count >= 0 else {
      let found = values.joined(separator: " ")
      throw MediaProbeError(
        reason: "corrupt PCD: \(keyword) '\(found)' must be one non-negative integer"
      )
    }
    return count
  }

  /// Bytes per point (sum of SIZE x COUNT) and for the whole cloud, for binary payloads.
  private static func pcdPayloadSize(
    _ header: PCDHeader,
    points: Int
  ) throws(MediaProbeError) -> (record: Int, total: Int) {
    guard let sizes = header.sizes, !sizes.isEmpty else {
      throw MediaProbeError(
        reason: "corrupt PCD: DATA \(header.data ?? "binary") requires a SIZE line"
      )
    }
    let counts = header.counts ?? Array(repeating: 1, count: sizes.count)
    let record = zip(sizes, counts).reduce(0) { $0 + $1.0 * $1.1 }
    let (total, overflow) = points.multipliedReportingOverflow(by: record)
    guard !overflow else {
      throw MediaProbeError(
        reason: "corrupt PCD: \(points) points x \(record) bytes per point overflows"
      )
    }
    return (record, total)
  }

  /// Requires at least `points` non-blank lines after the header of an ASCII PCD.
  private static func checkPCDASCII(
    _ b: UnsafeRawBufferPointer,
    from start: Int,
    points: Int
  ) throws(MediaProbeError) {
    var lines = 0
    var lineHasContent = false
    var i = start
    while i < b.count && lines < points {
      let byte = b[i]
      if byte == 0x0A {
        if lineHasContent { lines += 1 }
        lineHasContent = false
      } else if byte != 0x20 && byte != 0x09 && byte != 0x0D {
        lineHasContent = true
      }
      i += 1
    }
    if lineHasContent { lines += 1 }
    guard lines >= points else {
      throw MediaProbeError(
        reason: "truncated PCD: ascii data has \(lines) point lines, expected \(points) (POINTS)"
      )
    }
  }
}

// MARK: - Byte helpers

extension MediaProbe {
  /// Two uppercase hex digits for `byte`.
  fileprivate static func hex(_ byte: UInt8) -> String {
    let digits = String(byte, radix: 16, uppercase: true)
    return byte < 0x10 ? "0" + digits : digits
  }
}

extension UnsafeRawBufferPointer {
  /// Big-endian `UInt16` at `offset`; the caller guarantees two bytes are in range.
  fileprivate func probeBE16(at offset: Int) -> UInt16 {
    UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
  }

  /// Big-endian `UInt32` at `offset`; the caller guarantees four bytes are in range.
  fileprivate func probeBE32(at offset: Int) -> UInt32 {
    UInt32(self[offset]) << 24 | UInt32(self[offset + 1]) << 16
      | UInt32(self[offset + 2]) << 8 | UInt32(self[offset + 3])
  }

  /// Little-endian `UInt32` at `offset`; the caller guarantees four bytes are in range.
  fileprivate func probeLE32(at offset: Int) -> UInt32 {
    UInt32(self[offset]) | UInt32(self[offset + 1]) << 8
      | UInt32(self[offset + 2]) << 16 | UInt32(self[offset + 3]) << 24
  }
}
