import CZlib

/// Encodes 8-bit RGB rasters as PNG files using zlib for deflate and CRC-32.
package enum PNGEncoder {
  /// Largest IDAT payload written in a single chunk.
  private static let maxIDATChunk = 1 << 20

  /// Encodes `pixels` (row-major RGB, 3 bytes per pixel) as a PNG with filter type 0 per row.
  ///
  /// - Precondition: `width` and `height` are positive and `pixels.count == width * height * 3`.
  package static func encodeRGB(width: Int, height: Int, pixels: [UInt8]) -> [UInt8] {
    precondition(width > 0 && height > 0, "PNG dimensions must be positive")
    precondition(width <= 0x7FFF_FFFF && height <= 0x7FFF_FFFF, "PNG dimensions too large")
    let rowBytes = width * 3
    precondition(pixels.count == rowBytes * height, "pixel buffer must hold width*height*3 bytes")

    var scanlines: [UInt8] = []
    scanlines.reserveCapacity((rowBytes + 1) * height)
    for row in 0..<height {
      scanlines.append(0)  // Filter type 0 (None).
      scanlines.append(contentsOf: pixels[row * rowBytes..<(row + 1) * rowBytes])
    }
    let compressed = deflate(scanlines)

    var ihdr: [UInt8] = []
    appendBigEndian(UInt32(width), to: &ihdr)
    appendBigEndian(UInt32(height), to: &ihdr)
    ihdr.append(contentsOf: [8, 2, 0, 0, 0])  // Bit depth 8, RGB, deflate, filter 0, no interlace.

    var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    appendChunk("IHDR", ihdr, to: &png)
    var start = 0
    repeat {
      let end = min(start + maxIDATChunk, compressed.count)
      appendChunk("IDAT", compressed[start..<end], to: &png)
      start = end
    } while start < compressed.count
    appendChunk("IEND", [], to: &png)
    return png
  }

  /// Appends a length-prefixed chunk with its CRC-32 over type and data.
  private static func appendChunk(
    _ type: StaticString,
    _ data: some Collection<UInt8>,
    to png: inout [UInt8]
  ) {
    var body: [UInt8] = []
    body.reserveCapacity(4 + data.count)
    type.withUTF8Buffer { body.append(contentsOf: $0) }
    body.append(contentsOf: data)
    let crc = body.withUnsafeBufferPointer { buffer in
      CZlib.crc32(CZlib.crc32(0, nil, 0), buffer.baseAddress, uInt(buffer.count))
    }
    appendBigEndian(UInt32(data.count), to: &png)
    png.append(contentsOf: body)
    appendBigEndian(UInt32(truncatingIfNeeded: crc), to: &png)
  }

  /// Compresses `input` into a zlib stream at the default compression level.
  private static func deflate(_ input: [UInt8]) -> [UInt8] {
    var bound = compressBound(uLong(input.count))
    var output = [UInt8](repeating: 0, count: Int(bound))
    let status = output.withUnsafeMutableBufferPointer { out in
      input.withUnsafeBufferPointer { src in
        compress2(
          out.baseAddress, &bound, src.baseAddress, uLong(src.count), Z_DEFAULT_COMPRESSION)
      }
    }
    // compress2 with a compressBound-sized buffer only fails on memory exhaustion.
    precondition(status == Z_OK, "zlib compress2 failed with status \(status)")
    output.removeSubrange(Int(bound)...)
    return output
  }
}

extension PNGEncoder {
  /// Appends `value` to `bytes` as four big-endian bytes.
  private static func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
    bytes.append(UInt8(truncatingIfNeeded: value >> 24))
    bytes.append(UInt8(truncatingIfNeeded: value >> 16))
    bytes.append(UInt8(truncatingIfNeeded: value >> 8))
    bytes.append(UInt8(truncatingIfNeeded: value))
  }
}
