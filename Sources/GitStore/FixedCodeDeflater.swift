internal import CDeflate

/// Deflates small objects into zlib streams of one block with deflate's fixed Huffman codes.
///
/// Most objects of a dataset are sample records and label files of a few hundred bytes to a
/// few KiB. A general compressor pays a fixed cost per call that dominates at that size
/// (libdeflate clears a 128 KiB hash table and builds Huffman codes for every object: about
/// 6 µs of the 9 µs a 1 KiB label file took), and a dynamic block's code tables are a
/// noticeable part of a small output. This one keeps a 4 096-entry hash table of positions
/// across objects (stale entries are told apart by a running base, so nothing is cleared),
/// finds matches greedily (4 bytes at least, the object itself as the window), and writes
/// them with the fixed codes of RFC 1951 §3.2.6. Readers build no tables for a fixed-code
/// block: libdeflate inflates one about twice as fast as a dynamic block of the same object.
/// The price is size: about a third larger than a dynamic block for JSON of that size.
///
/// Not thread-safe; one per thread (``ObjectCompressor`` owns one).
struct FixedCodeDeflater {
  /// Objects up to this size are deflated here; larger ones go to libdeflate.
  static let limit = 4096

  private static let hashBits = 12
  /// Per hash of 4 bytes: the last position with that hash, plus `base`.
  private var table = [UInt32](repeating: 0, count: 1 << hashBits)
  /// Added to positions of the current object; entries below it belong to earlier objects.
  private var base: UInt32 = 1

  /// Fixed codes of the literal/length alphabet, bit-reversed for LSB-first output, with
  /// their lengths (RFC 1951 §3.2.6).
  private static let literalCodes: [(code: UInt32, length: UInt32)] = (0..<288).map { symbol in
    let (code, length): (Int, Int)
    switch symbol {
    case 0...143: (code, length) = (0x30 + symbol, 8)
    case 144...255: (code, length) = (0x190 + symbol - 144, 9)
    case 256...279: (code, length) = (symbol - 256, 7)
    default: (code, length) = (0xC0 + symbol - 280, 8)
    }
    return (reversed(UInt32(code), length), UInt32(length))
  }

  /// For each match length 3...258 (index `length`): the length symbol's code and length with
  /// its extra bits appended, ready to write in one go.
  private static let lengthCodes: [(bits: UInt32, count: UInt32)] = {
    let bases = [
      3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
      131, 163, 195, 227, 258,
    ]
    let extra = [
      0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
    ]
    var out = [(bits: UInt32, count: UInt32)](repeating: (0, 0), count: 259)
    for length in 3...258 {
      // The last base not above `length`; 258 has its own symbol.
      var index = bases.count - 1
      while bases[index] > length { index -= 1 }
      let (code, codeLength) = literalCodes[257 + index]
      let extraValue = UInt32(length - bases[index])
      out[length] = (code | extraValue << codeLength, codeLength + UInt32(extra[index]))
    }
    return out
  }()

  private static let distanceBases = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
  ]
  private static let distanceExtra = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
  ]

  /// For each distance 1...limit: the 5-bit code, reversed, with its extra bits appended.
  private static let distanceCodes: [(bits: UInt32, count: UInt32)] = {
    var out = [(bits: UInt32, count: UInt32)](repeating: (0, 0), count: limit + 1)
    var index = 0
    for distance in 1...limit {
      while index + 1 < distanceBases.count && distanceBases[index + 1] <= distance { index += 1 }
      let code = reversed(UInt32(index), 5)
      let extraValue = UInt32(distance - distanceBases[index])
      out[distance] = (code | extraValue << 5, 5 + UInt32(distanceExtra[index]))
    }
    return out
  }()

  private static func reversed(_ code: UInt32, _ length: Int) -> UInt32 {
    var out: UInt32 = 0
    for bit in 0..<length where code & (1 << bit) != 0 {
      out |= 1 << (length - 1 - bit)
    }
    return out
  }

  /// A zlib stream of `input` (at most ``limit`` bytes): header, one final fixed-code block,
  /// Adler-32.
  mutating func deflate(_ input: UnsafeRawBufferPointer) -> [UInt8] {
    precondition(input.count <= Self.limit, "FixedCodeDeflater takes objects up to 4 KiB")
    let count = input.count
    // Literals take at most 9 bits; header, block bits, end code and checksum fit in 16 bytes.
    let capacity = count + count / 8 + 16
    if base > UInt32.max - UInt32(Self.limit) - 2 {
      for slot in table.indices { table[slot] = 0 }
      base = 1
    }
    let objectBase = base
    base += UInt32(count) + 1
    let literalCodes = Self.literalCodes
    let lengthCodes = Self.lengthCodes
    let distanceCodes = Self.distanceCodes
    return [UInt8](unsafeUninitializedCapacity: capacity) { out, written in
      var at = 0
      var bits: UInt64 = 0
      var pending: UInt32 = 0
      func put(_ value: UInt32, _ length: UInt32) {
        bits |= UInt64(value) << UInt64(pending)
        pending += length
        while pending >= 8 {
          out[at] = UInt8(truncatingIfNeeded: bits)
          at += 1
          bits >>= 8
          pending -= 8
        }
      }
      // zlib header: deflate, 32 KiB window, no dictionary, fastest level; then BFINAL = 1,
      // BTYPE = 01 (fixed codes).
      out[0] = 0x78
      out[1] = 0x01
      at = 2
      put(0b011, 3)
      // Matches and literals (none for an empty object), then the end code and checksum.
      if let bytes = input.baseAddress?.assumingMemoryBound(to: UInt8.self) {
        func word(_ position: Int) -> UInt32 {
          UnsafeRawPointer(bytes + position).loadUnaligned(as: UInt32.self)
        }
        var position = 0
        while position + 4 <= count {
          let current = word(position)
          let slot = Int((current &* 2_654_435_761) >> UInt32(32 - Self.hashBits))
          let previous = table[slot]
          table[slot] = objectBase + UInt32(position)
          if previous >= objectBase {
            let candidate = Int(previous - objectBase)
            if word(candidate) == current {
              var length = 4
              let longest = min(258, count - position)
              while length < longest && bytes[candidate + length] == bytes[position + length] {
                length += 1
              }
              let (lengthBits, lengthCount) = lengthCodes[length]
              put(lengthBits, lengthCount)
              let (distanceBits, distanceCount) = distanceCodes[position - candidate]
              put(distanceBits, distanceCount)
              position += length
              continue
            }
          }
          let (code, length) = literalCodes[Int(bytes[position])]
          put(code, length)
          position += 1
        }
        while position < count {
          let (code, length) = literalCodes[Int(bytes[position])]
          put(code, length)
          position += 1
        }
      }
      put(literalCodes[256].code, literalCodes[256].length)
      if pending > 0 { put(0, 8 - pending) }
      let checksum = libdeflate_adler32(1, input.baseAddress, count)
      for shift in stride(from: 24, through: 0, by: -8) {
        out[at] = UInt8(truncatingIfNeeded: checksum >> UInt32(shift))
        at += 1
      }
      written = at
    }
  }
}
