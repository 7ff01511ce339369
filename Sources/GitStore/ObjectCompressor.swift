internal import CZlib
internal import Crypto

/// An object hashed and deflated, ready to be appended to a pack.
package struct PreparedObject: Sendable {
  package var id: ObjectID
  package var type: ObjectType
  /// The size of the uncompressed content.
  package var size: Int
  /// The zlib stream of the content.
  package var compressed: [UInt8]
}

/// Hashes and deflates objects for a pack.
///
/// Owns one zlib stream that is reset between objects: initialising a stream per object
/// allocates its window every time and dominated the cost of bulk writes. Not thread-safe;
/// use one compressor per thread.
package final class ObjectCompressor {
  private var stream = z_stream()
  private var output: [UInt8] = []

  /// Creates a compressor at zlib `level` (1 is fastest; packs stay readable by any git).
  package init(level: Int32 = 1) {
    let status = cairn_deflate_init(&stream, level)
    precondition(status == Z_OK, "deflateInit failed: \(status)")
  }

  deinit { deflateEnd(&stream) }

  /// Hashes and compresses `bytes` as an object of `type`.
  package func prepare(_ type: ObjectType, _ bytes: UnsafeRawBufferPointer) -> PreparedObject {
    let id = ObjectHasher.id(of: type, bytes)
    deflateReset(&stream)
    let bound = Int(deflateBound(&stream, uLong(bytes.count))) + 16
    if output.count < bound { output = [UInt8](repeating: 0, count: bound) }
    let produced = output.withUnsafeMutableBufferPointer { out -> Int in
      stream.next_in = UnsafeMutablePointer(
        mutating: bytes.baseAddress?.assumingMemoryBound(to: Bytef.self))
      stream.avail_in = uInt(bytes.count)
      stream.next_out = out.baseAddress
      stream.avail_out = uInt(out.count)
      let status = deflate(&stream, Z_FINISH)
      precondition(status == Z_STREAM_END, "deflate did not finish: \(status)")
      return out.count - Int(stream.avail_out)
    }
    return PreparedObject(
      id: id, type: type, size: bytes.count, compressed: Array(output[0..<produced]))
  }

  /// Hashes and compresses `bytes` as an object of `type`.
  package func prepare(_ type: ObjectType, _ bytes: [UInt8]) -> PreparedObject {
    bytes.withUnsafeBytes { prepare(type, $0) }
  }
}
