internal import CDeflate
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
/// Objects up to 4 KiB (most sample and label files) go through ``FixedCodeDeflater``: one
/// block with deflate's fixed codes and no per-object setup. Larger ones go through libdeflate,
/// which works on whole buffers: no stream to reset per object, and tables built faster than
/// zlib's, to the same size at level 1. The output is always an ordinary zlib stream that every
/// git reads. Trees are stored, not deflated (see ``stored(_:)``). Not thread-safe; use one
/// compressor per thread.
package final class ObjectCompressor {
  private let compressor: OpaquePointer
  private var output: [UInt8] = []
  private var fixedCodes = FixedCodeDeflater()

  /// Creates a compressor at `level` (1 is fastest; packs stay readable by any git).
  package init(level: Int32 = 1) {
    guard let compressor = libdeflate_alloc_compressor(level) else {
      preconditionFailure("libdeflate_alloc_compressor(\(level)) failed")
    }
    self.compressor = compressor
  }

  deinit {
    libdeflate_free_compressor(compressor)
  }

  /// Hashes and compresses `bytes` as an object of `type`.
  package func prepare(_ type: ObjectType, _ bytes: UnsafeRawBufferPointer) -> PreparedObject {
    let id = ObjectHasher.id(of: type, bytes)
    if type == .tree {
      return PreparedObject(id: id, type: type, size: bytes.count, compressed: Self.stored(bytes))
    }
    let compressed =
      bytes.count <= FixedCodeDeflater.limit ? fixedCodes.deflate(bytes) : deflate(bytes)
    return PreparedObject(id: id, type: type, size: bytes.count, compressed: compressed)
  }

  private func deflate(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
    let bound = libdeflate_zlib_compress_bound(compressor, bytes.count)
    if output.count < bound { output = [UInt8](repeating: 0, count: bound) }
    let produced = output.withUnsafeMutableBytes { out in
      libdeflate_zlib_compress(
        compressor, bytes.baseAddress, bytes.count, out.baseAddress, out.count)
    }
    // The bound is libdeflate's own worst case, so the output always fits.
    precondition(produced > 0, "libdeflate_zlib_compress found no room within its own bound")
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
    let checksum = libdeflate_adler32(1, bytes.baseAddress, bytes.count)
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
