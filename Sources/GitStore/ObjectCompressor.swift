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
/// Owns zlib streams that are reset between objects: initialising a stream per object
/// allocates its window every time. Small objects (most sample and label records) use a stream
/// with a 4 KiB window and a 512-entry hash table, because resetting a stream clears its hash
/// table and the default 64 KiB table made resets, not compression, the cost of bulk writes.
/// Not thread-safe; use one compressor per thread.
package final class ObjectCompressor {
  private static let smallLimit = 4096
  private var small = z_stream()
  private var large = z_stream()
  private var largeReady = false
  private let level: Int32
  private var output: [UInt8] = []

  /// Creates a compressor at zlib `level` (1 is fastest; packs stay readable by any git).
  package init(level: Int32 = 1) {
    self.level = level
    let status = cairn_deflate_init2(&small, level, 12, 1)
    precondition(status == Z_OK, "deflateInit2 failed: \(status)")
  }

  deinit {
    deflateEnd(&small)
    if largeReady { deflateEnd(&large) }
  }

  /// Hashes and compresses `bytes` as an object of `type`.
  package func prepare(_ type: ObjectType, _ bytes: UnsafeRawBufferPointer) -> PreparedObject {
    let id = ObjectHasher.id(of: type, bytes)
    if bytes.count <= Self.smallLimit {
      return PreparedObject(
        id: id, type: type, size: bytes.count, compressed: deflate(bytes, &small))
    }
    if !largeReady {
      let status = cairn_deflate_init(&large, level)
      precondition(status == Z_OK, "deflateInit failed: \(status)")
      largeReady = true
    }
    return PreparedObject(id: id, type: type, size: bytes.count, compressed: deflate(bytes, &large))
  }

  private func deflate(_ bytes: UnsafeRawBufferPointer, _ stream: inout z_stream) -> [UInt8] {
    deflateReset(&stream)
    let bound = Int(deflateBound(&stream, uLong(bytes.count))) + 16
    if output.count < bound { output = [UInt8](repeating: 0, count: bound) }
    let produced = output.withUnsafeMutableBufferPointer { out -> Int in
      stream.next_in = UnsafeMutablePointer(
        mutating: bytes.baseAddress?.assumingMemoryBound(to: Bytef.self))
      stream.avail_in = uInt(bytes.count)
      stream.next_out = out.baseAddress
      stream.avail_out = uInt(out.count)
      let status = CZlib.deflate(&stream, Z_FINISH)
      precondition(status == Z_STREAM_END, "deflate did not finish: \(status)")
      return out.count - Int(stream.avail_out)
    }
    return Array(output[0..<produced])
  }

  /// Hashes and compresses `bytes` as an object of `type`.
  package func prepare(_ type: ObjectType, _ bytes: [UInt8]) -> PreparedObject {
    bytes.withUnsafeBytes { prepare(type, $0) }
  }
}
