import CZlib
import CairnCore
import Foundation
import Testing

/// Probes `bytes` as a file with extension `ext`.
private func probeMedia(_ bytes: [UInt8], _ ext: String) throws -> MediaInfo {
  try bytes.withUnsafeBytes { try MediaProbe.probe($0, extension: ext) }
}

/// The probe error for `bytes`, or `nil` if probing succeeded.
private func mediaProbeError(_ bytes: [UInt8], _ ext: String) -> MediaProbeError? {
  do {
    _ = try probeMedia(bytes, ext)
    return nil
  } catch let error as MediaProbeError {
    return error
  } catch {
    Issue.record("unexpected error type: \(error)")
    return nil
  }
}

/// Access to the shared real-world fixtures next to the package root.
private enum MediaFixtures {
  /// `<package root>/../shared/fixtures`; the package root is three levels above this file.
  static let root: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .appendingPathComponent("../shared/fixtures")
    .standardizedFileURL

  /// The fixtures folder, or `nil` (recording an issue on CI) when it is absent.
  static func directory() -> URL? {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory),
      isDirectory.boolValue
    {
      return root
    }
    if ProcessInfo.processInfo.environment["CI"] == "true" {
      Issue.record("fixtures folder missing at \(root.path); CI=true requires it")
    } else {
      print("skipping fixture test: no fixtures folder at \(root.path)")
    }
    return nil
  }

  /// Bytes of the fixture at `relativePath`, or `nil` when the fixtures folder is absent.
  static func bytes(_ relativePath: String) throws -> [UInt8]? {
    guard let directory = directory() else { return nil }
    return [UInt8](try Data(contentsOf: directory.appendingPathComponent(relativePath)))
  }

  static let kittiPNG = "kitti_object_3frames_public/training/image_2/000000.png"
  static let cocoJPEG = "coco8_yolo/images/train/000000000009.jpg"
  static let kittiBin = "kitti_object_3frames_public/training/velodyne/000000.bin"
}

/// A structurally valid baseline JPEG (no real entropy data): SOI, APP0, SOF0, SOS, data, EOI.
private func syntheticJPEG(width: UInt16, height: UInt16) -> [UInt8] {
  var bytes: [UInt8] = [0xFF, 0xD8]
  bytes += [0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]
  bytes += [0xFF, 0xFF]  // Fill byte before the next marker.
  bytes += [0xFF, 0xC0, 0x00, 0x11, 0x08]
  bytes += [UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF)]
  bytes += [0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]
  bytes += [0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3F, 0x00]
  bytes +=
    [UInt8](repeating: 0x5A, count: 100) + [0xFF, 0x00] + [UInt8](repeating: 0xA5, count: 100)
  bytes += [0xFF, 0xD9]
  return bytes
}

/// Offset of the first `FF marker` byte pair in `bytes`.
private func markerOffset(_ bytes: [UInt8], _ marker: UInt8) -> Int? {
  for i in 0..<bytes.count - 1 where bytes[i] == 0xFF && bytes[i + 1] == marker {
    return i
  }
  return nil
}

/// Splits a PNG into its chunks as (type, data, stored CRC).
private func pngChunks(_ png: [UInt8]) -> [(type: String, data: [UInt8], crc: UInt32)] {
  func be32(_ i: Int) -> UInt32 {
    png[i..<i + 4].reduce(0) { $0 << 8 | UInt32($1) }
  }
  var chunks: [(type: String, data: [UInt8], crc: UInt32)] = []
  var offset = 8
  while offset + 12 <= png.count {
    let length = Int(be32(offset))
    let type = String(decoding: png[offset + 4..<offset + 8], as: UTF8.self)
    let data = Array(png[offset + 8..<offset + 8 + length])
    chunks.append((type, data, be32(offset + 8 + length)))
    offset += 12 + length
  }
  return chunks
}

/// Zlib CRC-32 of `bytes`.
private func zlibCRC32(_ bytes: [UInt8]) -> UInt32 {
  bytes.withUnsafeBufferPointer { buffer in
    UInt32(truncatingIfNeeded: CZlib.crc32(0, buffer.baseAddress, uInt(buffer.count)))
  }
}

/// Inflates a complete zlib stream with CZlib, or returns `nil` if zlib reports an error.
private func zlibInflate(_ compressed: [UInt8]) -> [UInt8]? {
  var input = compressed
  var stream = z_stream()
  guard cairn_inflate_init(&stream) == Z_OK else { return nil }
  defer { inflateEnd(&stream) }
  var output: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 64 * 1024)
  return input.withUnsafeMutableBufferPointer { inBuffer -> [UInt8]? in
    stream.next_in = inBuffer.baseAddress
    stream.avail_in = uInt(inBuffer.count)
    while true {
      let (status, produced) = chunk.withUnsafeMutableBufferPointer { outBuffer in
        stream.next_out = outBuffer.baseAddress
        stream.avail_out = uInt(outBuffer.count)
        let status = CZlib.inflate(&stream, Z_NO_FLUSH)
        return (status, outBuffer.count - Int(stream.avail_out))
      }
      output.append(contentsOf: chunk[0..<produced])
      if status == Z_STREAM_END { return output }
      guard status == Z_OK else { return nil }
    }
  }
}

/// Deterministic pseudo-random RGB bytes.
private func patternPixels(width: Int, height: Int) -> [UInt8] {
  (0..<(width * height * 3)).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 7) }
}

@Suite struct MediaProbeFixtureTests {
  @Test func kittiPNGDimensions() throws {
    guard let bytes = try MediaFixtures.bytes(MediaFixtures.kittiPNG) else { return }
    let info = try probeMedia(bytes, "png")
    #expect(info == MediaInfo(kind: .image, format: "png", width: 1224, height: 370))
  }

  @Test func cocoJPEGDimensions() throws {
    guard let bytes = try MediaFixtures.bytes(MediaFixtures.cocoJPEG) else { return }
    let info = try probeMedia(bytes, "jpg")
    #expect(info == MediaInfo(kind: .image, format: "jpeg", width: 640, height: 480))
    #expect(try probeMedia(bytes, "jpeg") == info)
  }

  @Test func kittiVelodynePointCount() throws {
    guard let bytes = try MediaFixtures.bytes(MediaFixtures.kittiBin) else { return }
    #expect(bytes.count == 1_846_144)
    let info = try probeMedia(bytes, "bin")
    #expect(info == MediaInfo(kind: .pointCloud, format: "kitti-bin", points: bytes.count / 16))
  }

  @Test func truncatedFixturePNGThrows() throws {
    guard let bytes = try MediaFixtures.bytes(MediaFixtures.kittiPNG) else { return }
    let half = Array(bytes.prefix(bytes.count / 2))
    let error = try #require(mediaProbeError(half, "png"))
    #expect(error.reason.hasPrefix("truncated PNG"), "\(error)")
    #expect(error.reason.contains("IDAT"), "\(error)")
    // Losing only the IEND chunk is still truncation.
    let noIEND = Array(bytes.dropLast(12))
    #expect(try #require(mediaProbeError(noIEND, "png")).reason.contains("without an IEND chunk"))
  }

  @Test func truncatedFixtureJPEGThrows() throws {
    guard let bytes = try MediaFixtures.bytes(MediaFixtures.cocoJPEG) else { return }
    let half = Array(bytes.prefix(bytes.count / 2))
    let error = try #require(mediaProbeError(half, "jpg"))
    #expect(error.reason.hasPrefix("truncated JPEG"), "\(error)")
    #expect(error.reason.contains("EOI"), "\(error)")
    let headerOnly = Array(bytes.prefix(100))
    #expect(try #require(mediaProbeError(headerOnly, "jpg")).reason.hasPrefix("truncated JPEG"))
  }

  @Test func fixturePNGWithBadSignatureThrows() throws {
    guard var bytes = try MediaFixtures.bytes(MediaFixtures.kittiPNG) else { return }
    bytes[1] = 0x51  // 'P' -> 'Q'
    let error = try #require(mediaProbeError(bytes, "png"))
    #expect(error.reason.contains("bad signature"), "\(error)")
  }

  @Test func fixtureExtensionMismatchThrows() throws {
    guard let png = try MediaFixtures.bytes(MediaFixtures.kittiPNG) else { return }
    #expect(try #require(mediaProbeError(png, "jpg")).reason.contains("SOI"))
  }
}

@Suite struct MediaProbeSyntheticTests {
  @Test func supportedExtensions() {
    #expect(MediaProbe.supportedExtensions == ["jpg", "jpeg", "png", "bin", "pcd"])
  }

  @Test func unsupportedExtensionThrows() throws {
    let error = try #require(mediaProbeError([1, 2, 3], "gif"))
    #expect(error.reason.contains("unsupported extension"))
  }

  @Test(arguments: ["png", "jpg", "jpeg", "bin", "pcd"])
  func emptyFileThrows(ext: String) throws {
    let error = try #require(mediaProbeError([], ext))
    #expect(error.reason.hasPrefix("empty file"))
  }

  @Test func pngBadSignatureThrows() throws {
    var png = PNGEncoder.encodeRGB(width: 2, height: 2, pixels: [UInt8](repeating: 9, count: 12))
    png[0] = 0x88
    #expect(try #require(mediaProbeError(png, "png")).reason.contains("bad signature"))
    #expect(
      try #require(mediaProbeError(Array("GIF89a-not-png".utf8), "png")).reason.contains("PNG"))
    #expect(
      try #require(mediaProbeError([0x89, 0x50, 0x4E], "png")).reason.hasPrefix("truncated PNG"))
  }

  @Test func pngStructuralRules() throws {
    let png = PNGEncoder.encodeRGB(width: 3, height: 2, pixels: patternPixels(width: 3, height: 2))
    #expect(
      try probeMedia(png, "png") == MediaInfo(kind: .image, format: "png", width: 3, height: 2))

    // Every proper prefix is truncated.
    for cut in [9, 20, 33, 40, png.count - 13, png.count - 1] {
      let error = try #require(mediaProbeError(Array(png.prefix(cut)), "png"), "cut at \(cut)")
      #expect(error.reason.hasPrefix("truncated PNG"), "cut at \(cut): \(error)")
    }

    var zeroWidth = png
    zeroWidth[16..<20] = [0, 0, 0, 0]
    #expect(try #require(mediaProbeError(zeroWidth, "png")).reason.contains("IHDR dimensions"))

    var notIHDR = png
    notIHDR[12..<16] = Array("tEXt".utf8)[...]
    #expect(try #require(mediaProbeError(notIHDR, "png")).reason.contains("expected 'IHDR'"))

    var badType = png
    badType[14] = 0x00
    #expect(try #require(mediaProbeError(badType, "png")).reason.contains("invalid type bytes"))

    // Trailing bytes after IEND are tolerated.
    #expect(try probeMedia(png + [0, 0, 0], "png").width == 3)
  }

  @Test func jpegStructuralRules() throws {
    let jpeg = syntheticJPEG(width: 320, height: 200)
    let info = try probeMedia(jpeg, "jpeg")
    #expect(info == MediaInfo(kind: .image, format: "jpeg", width: 320, height: 200))

    // Trailing zero padding after EOI is allowed (EOI still within the last 64 bytes).
    #expect(try probeMedia(jpeg + [UInt8](repeating: 0, count: 20), "jpg").height == 200)

    let noEOI = Array(jpeg.dropLast(2))
    #expect(try #require(mediaProbeError(noEOI, "jpg")).reason.contains("no EOI marker"))

    let cutInSegment = Array(jpeg.prefix(30))
    #expect(try #require(mediaProbeError(cutInSegment, "jpg")).reason.contains("runs past end"))

    var noSOI = jpeg
    noSOI[1] = 0xD9
    #expect(try #require(mediaProbeError(noSOI, "jpg")).reason.contains("SOI"))

    let sof = try #require(markerOffset(jpeg, 0xC0))
    var zeroHeight = jpeg
    zeroHeight[sof + 5] = 0
    zeroHeight[sof + 6] = 0
    #expect(try #require(mediaProbeError(zeroHeight, "jpg")).reason.contains("must be positive"))

    // Dropping the SOF segment leaves SOS without dimensions.
    let sofLength = 2 + 0x11
    var noSOF = jpeg
    noSOF.removeSubrange(sof..<sof + sofLength)
    #expect(try #require(mediaProbeError(noSOF, "jpg")).reason.contains("without a preceding SOF"))
  }

  @Test func kittiBinRules() throws {
    let bin = [UInt8](repeating: 0, count: 16 * 7)
    #expect(
      try probeMedia(bin, "bin") == MediaInfo(kind: .pointCloud, format: "kitti-bin", points: 7))
    let ragged = [UInt8](repeating: 0, count: 16 * 7 + 5)
    let error = try #require(mediaProbeError(ragged, "bin"))
    #expect(error.reason.contains("not a multiple of 16"), "\(error)")
  }
}

@Suite struct PCDProbeTests {
  private static func header(data: String, points: Int) -> String {
    """
    # .PCD v0.7 - Point Cloud Data file format
    VERSION 0.7
    FIELDS x y z intensity
    SIZE 4 4 4 4
    TYPE F F F F
    COUNT 1 1 1 1
    WIDTH \(points)
    HEIGHT 1
    VIEWPOINT 0 0 0 1 0 0 0
    POINTS \(points)
    DATA \(data)

    """
  }

  @Test func asciiPCD() throws {
    let text = Self.header(data: "ascii", points: 3) + "1 2 3 0.5\n4 5 6 0.25\r\n7 8 9 1\n"
    let info = try probeMedia(Array(text.utf8), "pcd")
    #expect(info == MediaInfo(kind: .pointCloud, format: "pcd", points: 3))
  }

  @Test func asciiPCDMissingLinesThrows() throws {
    let text = Self.header(data: "ascii", points: 3) + "1 2 3 0.5\n\n4 5 6 0.25\n"
    let error = try #require(mediaProbeError(Array(text.utf8), "pcd"))
    #expect(error.reason.contains("ascii data has 2 point lines, expected 3"), "\(error)")
  }

  @Test func binaryPCD() throws {
    let bytes =
      Array(Self.header(data: "binary", points: 5).utf8) + [UInt8](repeating: 1, count: 80)
    #expect(try probeMedia(bytes, "pcd") == MediaInfo(kind: .pointCloud, format: "pcd", points: 5))
  }

  @Test func binaryPCDWithCountsAndMixedSizes() throws {
    let text = """
      FIELDS x y z rgb normal
      SIZE 8 8 8 1 4
      TYPE F F F U F
      COUNT 1 1 1 4 3
      WIDTH 2
      HEIGHT 3
      DATA binary

      """
    // Record = 8 + 8 + 8 + 1*4 + 4*3 = 40 bytes; POINTS absent so WIDTH x HEIGHT = 6.
    let exact = Array(text.utf8) + [UInt8](repeating: 0, count: 240)
    #expect(try probeMedia(exact, "pcd").points == 6)
    let short = Array(exact.dropLast())
    let error = try #require(mediaProbeError(short, "pcd"))
    #expect(error.reason.contains("binary data is 239 bytes, expected at least 240"), "\(error)")
  }

  @Test func binaryPCDTooFewBytesThrows() throws {
    let bytes =
      Array(Self.header(data: "binary", points: 5).utf8) + [UInt8](repeating: 1, count: 79)
    let error = try #require(mediaProbeError(bytes, "pcd"))
    #expect(error.reason.hasPrefix("truncated PCD"), "\(error)")
    #expect(error.reason.contains("5 points x 16 bytes per point"), "\(error)")
  }

  @Test func binaryCompressedPCD() throws {
    let head = Array(Self.header(data: "binary_compressed", points: 4).utf8)
    let sizes: [UInt8] = [10, 0, 0, 0, 64, 0, 0, 0]  // compressed 10, uncompressed 64
    #expect(try probeMedia(head + sizes + [UInt8](repeating: 0, count: 10), "pcd").points == 4)
    let cut = head + sizes + [UInt8](repeating: 0, count: 9)
    #expect(try #require(mediaProbeError(cut, "pcd")).reason.contains("runs past end"))
  }

  @Test func pcdHeaderRules() throws {
    let noData = "VERSION 0.7\nFIELDS x\nSIZE 4\nTYPE F\nPOINTS 1\n"
    #expect(try #require(mediaProbeError(Array(noData.utf8), "pcd")).reason.contains("DATA"))

    let noPoints = "FIELDS x\nSIZE 4\nTYPE F\nDATA ascii\n1\n"
    #expect(try #require(mediaProbeError(Array(noPoints.utf8), "pcd")).reason.contains("POINTS"))

    let badData = "POINTS 1\nDATA jpeg\n"
    #expect(
      try #require(mediaProbeError(Array(badData.utf8), "pcd")).reason.contains("DATA 'jpeg'"))

    let mismatch = "FIELDS x y\nSIZE 4\nPOINTS 1\nDATA binary\n12345678"
    #expect(
      try #require(mediaProbeError(Array(mismatch.utf8), "pcd")).reason.contains("SIZE has 1"))

    let garbage = [UInt8](repeating: 0x00, count: 64)
    #expect(try #require(mediaProbeError(garbage, "pcd")).reason.contains("unknown header keyword"))
  }
}

@Suite struct PNGEncoderTests {
  @Test func roundTripsThroughProbeAndZlib() throws {
    let (width, height) = (7, 5)
    let pixels = patternPixels(width: width, height: height)
    let png = PNGEncoder.encodeRGB(width: width, height: height, pixels: pixels)
    #expect(
      try probeMedia(png, "png") == MediaInfo(kind: .image, format: "png", width: 7, height: 5))

    let chunks = pngChunks(png)
    #expect(chunks.map(\.type) == ["IHDR", "IDAT", "IEND"])
    #expect(chunks.first?.data == [0, 0, 0, 7, 0, 0, 0, 5, 8, 2, 0, 0, 0])
    for chunk in chunks {
      #expect(chunk.crc == zlibCRC32(Array(chunk.type.utf8) + chunk.data), "CRC of \(chunk.type)")
    }

    let idat = chunks.filter { $0.type == "IDAT" }.flatMap(\.data)
    let raw = try #require(zlibInflate(idat))
    var expected: [UInt8] = []
    for row in 0..<height {
      expected.append(0)
      expected += pixels[row * width * 3..<(row + 1) * width * 3]
    }
    #expect(raw == expected)
  }

  @Test func largeImageSplitsIDAT() throws {
    var canvas = Canvas(width: 800, height: 600, background: (128, 128, 128))
    canvas.addNoise(seed: 42, amplitude: 127)
    let png = canvas.png()
    #expect(
      try probeMedia(png, "png") == MediaInfo(kind: .image, format: "png", width: 800, height: 600))
    let chunks = pngChunks(png)
    #expect(chunks.filter { $0.type == "IDAT" }.count > 1)
    let raw = try #require(zlibInflate(chunks.filter { $0.type == "IDAT" }.flatMap(\.data)))
    #expect(raw.count == (800 * 3 + 1) * 600)
  }
}

@Suite struct CanvasTests {
  @Test func fillRectChangesExactlyTheInsidePixels() {
    let background: (UInt8, UInt8, UInt8) = (10, 20, 30)
    var canvas = Canvas(width: 12, height: 9, background: background)
    let before = canvas.pixels
    #expect(before.count == 12 * 9 * 3)
    canvas.fillRect(x: 3, y: 2, w: 4, h: 5, color: (200, 100, 50))
    for y in 0..<9 {
      for x in 0..<12 {
        let i = (y * 12 + x) * 3
        let pixel = Array(canvas.pixels[i..<i + 3])
        let inside = (3..<7).contains(x) && (2..<7).contains(y)
        #expect(pixel == (inside ? [200, 100, 50] : [10, 20, 30]), "pixel (\(x), \(y))")
      }
    }
  }

  @Test func drawingClipsAtBorders() {
    var canvas = Canvas(width: 4, height: 3, background: (0, 0, 0))
    canvas.fillRect(x: -5, y: -5, w: 100, h: 100, color: (1, 2, 3))
    #expect(canvas.pixels == Array(repeating: [UInt8]([1, 2, 3]), count: 12).flatMap { $0 })

    var off = Canvas(width: 4, height: 3, background: (0, 0, 0))
    off.fillRect(x: 10, y: 10, w: 3, h: 3, color: (9, 9, 9))
    off.fillCircle(cx: 50, cy: -50, r: 5, color: (9, 9, 9))
    off.fillTriangle(x0: -10, y0: -10, x1: -5, y1: -10, x2: -7, y2: -3, color: (9, 9, 9))
    #expect(off.pixels.allSatisfy { $0 == 0 })
  }

  @Test func circleAndTriangleCoverage() {
    var canvas = Canvas(width: 21, height: 21, background: (0, 0, 0))
    canvas.fillCircle(cx: 10, cy: 10, r: 3, color: (255, 0, 0))
    func red(_ x: Int, _ y: Int) -> Bool { canvas.pixels[(y * 21 + x) * 3] == 255 }
    #expect(red(10, 10) && red(13, 10) && red(10, 7))
    #expect(!red(13, 13) && !red(14, 10))
    let disc = (0..<21 * 21).filter { canvas.pixels[$0 * 3] == 255 }.count
    #expect(disc == 29)  // Lattice points with dx² + dy² <= 9.

    var tri = Canvas(width: 10, height: 10, background: (0, 0, 0))
    tri.fillTriangle(x0: 0, y0: 0, x1: 9, y1: 0, x2: 0, y2: 9, color: (0, 255, 0))
    let covered = (0..<100).filter { tri.pixels[$0 * 3 + 1] == 255 }.count
    #expect(covered == 55)  // x + y <= 9.
    var reversed = Canvas(width: 10, height: 10, background: (0, 0, 0))
    reversed.fillTriangle(x0: 0, y0: 9, x1: 9, y1: 0, x2: 0, y2: 0, color: (0, 255, 0))
    #expect(reversed.pixels == tri.pixels)
  }

  @Test func noiseIsDeterministicAndBounded() {
    var a = Canvas(width: 16, height: 16, background: (100, 100, 100))
    var b = a
    a.addNoise(seed: 7, amplitude: 5)
    b.addNoise(seed: 7, amplitude: 5)
    #expect(a.pixels == b.pixels)
    #expect(a.pixels.allSatisfy { (95...105).contains($0) })
    #expect(Set(a.pixels).count > 1)
    var c = Canvas(width: 16, height: 16, background: (100, 100, 100))
    c.addNoise(seed: 8, amplitude: 5)
    #expect(c.pixels != a.pixels)
  }
}
