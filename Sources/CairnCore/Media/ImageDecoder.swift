internal import CPNG
internal import CTurboJPEG

#if canImport(Glibc)
internal import Glibc
#endif

/// An 8-bit RGB image, rows top to bottom, 3 bytes per pixel.
package struct RGBImage: Sendable, Equatable {
  package var width: Int
  package var height: Int
  /// `width × height × 3` bytes.
  package var pixels: [UInt8]

  /// Creates an image from its pixels.
  ///
  /// - Parameters:
  ///   - width: Columns.
  ///   - height: Rows.
  ///   - pixels: `width × height × 3` bytes, RGB, row-major.
  package init(width: Int, height: Int, pixels: [UInt8]) {
    self.width = width
    self.height = height
    self.pixels = pixels
  }
}

/// Decodes PNG (libpng) and JPEG (libjpeg-turbo) files to 8-bit RGB.
package enum ImageDecoder {
  /// Decodes a PNG or JPEG file's bytes, told apart by their signature.
  ///
  /// PNG with alpha is composited on black by libpng's simplified API; 16-bit PNG is reduced
  /// to 8 bits; grey and palette images become RGB. JPEG uses the accurate integer DCT, so the
  /// same file gives the same pixels everywhere.
  ///
  /// - Parameter bytes: The whole file.
  /// - Returns: The image.
  /// - Throws: `MediaProbeError` naming the format and the decoder's reason.
  package static func decode(_ bytes: [UInt8]) throws(MediaProbeError) -> RGBImage {
    if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) {
      return try run(bytes, format: "PNG", cairn_png_decode_rgb)
    }
    if bytes.starts(with: [0xFF, 0xD8]) {
      return try run(bytes, format: "JPEG", cairn_jpeg_decode_rgb)
    }
    throw MediaProbeError(reason: "not a PNG or JPEG file")
  }

  private typealias Decoder = (
    UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?,
    UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<CChar>?, Int
  ) -> Int32

  private static func run(_ bytes: [UInt8], format: String, _ decoder: Decoder)
    throws(MediaProbeError) -> RGBImage
  {
    var pixels: UnsafeMutablePointer<UInt8>?
    var width: Int32 = 0
    var height: Int32 = 0
    var message = [CChar](repeating: 0, count: 200)
    let status = bytes.withUnsafeBufferPointer { buffer in
      message.withUnsafeMutableBufferPointer { text in
        decoder(
          buffer.baseAddress, buffer.count, &pixels, &width, &height, text.baseAddress, text.count)
      }
    }
    defer { free(pixels) }
    guard status == 0, let pixels, width > 0, height > 0 else {
      let reason = String(
        decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) },
        as: UTF8.self)
      throw MediaProbeError(
        reason: "cannot decode \(format): \(reason.isEmpty ? "out of memory" : reason)")
    }
    let count = Int(width) * Int(height) * 3
    return RGBImage(
      width: Int(width), height: Int(height),
      pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
  }
}
