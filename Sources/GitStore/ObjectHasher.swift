internal import Crypto

/// Computes git object ids: SHA-1 over `"<type> <size>\0"` followed by the content.
package enum ObjectHasher {
  /// The id git gives to `bytes` stored as an object of `type`.
  package static func id(of type: ObjectType, _ bytes: UnsafeRawBufferPointer) -> ObjectID {
    var hasher = Insecure.SHA1()
    let header = Array("\(type.name) \(bytes.count)\0".utf8)
    header.withUnsafeBytes { hasher.update(bufferPointer: $0) }
    hasher.update(bufferPointer: bytes)
    return hasher.finalize().withUnsafeBytes { ObjectID(raw: $0) }
  }

  /// The id git gives to `bytes` stored as an object of `type`.
  package static func id(of type: ObjectType, _ bytes: [UInt8]) -> ObjectID {
    bytes.withUnsafeBytes { id(of: type, $0) }
  }
}
