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
/// with a 4 KiB window and an 8 192-entry hash table: resetting a stream clears its hash table,
/// so the default 64 KiB table made resets the cost of bulk writes, while a 256-entry table
/// made hash chains long enough to halve deflate's speed on 1 KiB label files. Trees are
/// stored, not deflated (see ``stored(_:)``). Not thread-safe; use one compressor per thread.
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
    let status = cairn_deflate_init2(&small, level, 12, 6)
    precondition(status == Z_OK, "deflateInit2 failed: \(status)")
  }

  deinit {
    deflateEnd(&small)
    if largeReady { deflateEnd(&large) }
  }

  /// Hashes and compresses `bytes` as an object of `type`.
  package func prepare(_ type: ObjectType, _ bytes: UnsafeRawBufferPointer) -> PreparedObject {
    let id = ObjectHasher.id(of: type, bytes)
    if type == .tree {
      return PreparedObject(id: id, type: type, size: bytes.count, compressed: Self.stored(bytes))
    }
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

  /// A zlib stream of stored (uncompressed) blocks.
  ///
  /// Trees are mostly 20-byte object ids, which deflate cannot shrink; storing them costs about
  /// a third more space than deflating them, and makes every later walk a copy instead of an
  /// inflate (see ``PackReader``).
  static func stored(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
    let blockLimit = 65_535
    let blocks = max(1, (bytes.count + blockLimit - 1) / blockLimit)
    var out: [UInt8] = []
    out.reserveCapacity(2 + blocks * 5 + bytes.count + 4)
    out.append(0x78)
    out.append(0x01)
    var at = 0
    repeat {
      let length = min(blockLimit, bytes.count - at)
      let final: UInt8 = at + length == bytes.count ? 1 : 0
      out.append(final)
      out.append(UInt8(length & 0xFF))
      out.append(UInt8(length >> 8))
      out.append(UInt8(~length & 0xFF))
      out.append(UInt8((~length >> 8) & 0xFF))
      out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[at..<(at + length)]))
      at += length
    } while at < bytes.count
    let checksum = UInt32(
      adler32(1, bytes.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt(bytes.count)))
    out.append(UInt8(checksum >> 24))
    out.append(UInt8((checksum >> 16) & 0xFF))
    out.append(UInt8((checksum >> 8) & 0xFF))
    out.append(UInt8(checksum & 0xFF))
    return out
  }

  /// Hashes and compresses `bytes` as an object of `type`.
  package func prepare(_ type: ObjectType, _ bytes: [UInt8]) -> PreparedObject {
    bytes.withUnsafeBytes { prepare(type, $0) }
  }
}
