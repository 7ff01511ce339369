internal import CDeflate

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Reads whole (undeltified) objects straight from the repository's packs.
///
/// Walks read thousands of small trees; through libgit2 each read pays for its object cache,
/// its pack-window bookkeeping, a hash check and a fresh inflate stream. This reader maps every
/// `objects/pack/*.idx` and its pack once, finds an object by the index's fan-out table and an
/// interpolation search, and copies stored (level 0) zlib blocks or inflates with one reused
/// ``Inflater``.
/// It answers only what it can answer cheaply: a delta, a loose object or an object it cannot
/// find returns nil, and the caller asks libgit2. Like git's own reads (and unlike `git fsck`),
/// it does not re-hash what it reads. Not thread-safe; one per repository handle.
final class PackReader {
  private struct Pack {
    let index: MappedFile
    let pack: MappedFile
    let count: Int
  }

  private let directory: String
  private var packs: [Pack] = []
  private var loaded = false
  private lazy var inflater = Inflater()
  /// The pack of the last hit, tried first.
  private var lastHit = 0

  init(objectsDirectory: String) {
    directory = objectsDirectory + "/pack"
  }

  /// Forgets the mapped packs; the next read maps the directory again.
  func refresh() {
    packs = []
    loaded = false
    lastHit = 0
  }

  /// Whether a mapped pack's index lists `id` (whole or as a delta).
  func contains(_ id: ObjectID) -> Bool { locate(id) != nil }

  /// The type and content of `id`, or nil when it is not a whole object in a mapped pack.
  func read(_ id: ObjectID) -> (ObjectType, [UInt8])? {
    guard let (pack, offset) = locate(id) else { return nil }
    return object(at: offset, in: pack)
  }

  /// The pack that lists `id` and the entry's offset in it: the pack of the last hit is
  /// asked first, then the others in order.
  private func locate(_ id: ObjectID) -> (MappedFile, Int)? {
    if !loaded { load() }
    for step in 0..<packs.count {
      let slot = step == 0 ? lastHit : (step <= lastHit ? step - 1 : step)
      guard let offset = find(id, in: packs[slot]) else { continue }
      lastHit = slot
      return (packs[slot].pack, offset)
    }
    return nil
  }

  /// The content of tree `id` when a mapped pack stores it whole as one stored zlib block (as
  /// Cairn writes trees up to 64 KiB), without copying it; nil otherwise.
  ///
  /// The bytes stay valid until ``refresh()``. The block's length and its one's complement are
  /// checked, its Adler-32 checksum is not: a walk reads thousands of trees of which it
  /// compares every byte anyway, and at a million samples the checksum alone cost more than
  /// the comparison (like the missing re-hash, this leaves detecting damage to `git fsck`).
  func storedTree(_ id: ObjectID) -> UnsafeRawBufferPointer? {
    guard let (pack, offset) = locate(id), let (typeCode, size, at) = entry(at: offset, in: pack),
      typeCode == ObjectType.tree.rawValue
    else { return nil }
    let bytes = pack.bytes
    // zlib header, then one final stored block holding exactly `size` bytes.
    guard at + 7 + size <= bytes.count - 20, bytes[at] & 0x0F == 8, bytes[at + 1] & 0x20 == 0,
      (UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1])) % 31 == 0, bytes[at + 2] == 1
    else { return nil }
    let length = Int(bytes[at + 3]) | Int(bytes[at + 4]) << 8
    let check = Int(bytes[at + 5]) | Int(bytes[at + 6]) << 8
    guard length == size, length ^ check == 0xFFFF else { return nil }
    return UnsafeRawBufferPointer(rebasing: bytes[(at + 7)..<(at + 7 + size)])
  }

  // MARK: Index

  private func load() {
    loaded = true
    let names = FileIO.list(directory) ?? []
    for name in names.sorted() where name.hasSuffix(".idx") {
      let base = directory + "/" + String(name.dropLast(4))
      guard let index = MappedFile(path: base + ".idx"), let pack = MappedFile(path: base + ".pack")
      else { continue }
      guard let count = Self.validIndex(index, packSize: pack.count) else { continue }
      packs.append(Pack(index: index, pack: pack, count: count))
    }
  }

  /// The object count of a version-2 index whose tables fit the file, or nil.
  private static func validIndex(_ index: MappedFile, packSize: Int) -> Int? {
    let bytes = index.bytes
    guard bytes.count >= 8 + 1024 + 40, packSize >= 32,
      bytes.loadBigEndian32(at: 0) == 0xFF74_4F63, bytes.loadBigEndian32(at: 4) == 2
    else { return nil }
    let count = Int(bytes.loadBigEndian32(at: 8 + 255 * 4))
    // Names, CRCs and offsets must fit before the two trailing checksums.
    guard 8 + 1024 + count * 28 + 40 <= bytes.count else { return nil }
    return count
  }

  /// The pack offset of `id`, found in the index's sorted names.
  ///
  /// Object ids are uniformly distributed, so the search interpolates on the first 8 bytes of
  /// the id between the ends of the remaining range: a few probes instead of a binary
  /// search's ~20, each of which is a cache miss in a large index.
  private func find(_ id: ObjectID, in pack: Pack) -> Int? {
    let bytes = pack.index.bytes
    return id.withRawBytes { key -> Int? in
      guard let base = bytes.baseAddress, let keyBase = key.baseAddress else { return nil }
      let first = Int(key[0])
      var low = first == 0 ? 0 : Int(bytes.loadBigEndian32(at: 8 + (first - 1) * 4))
      var high = Int(bytes.loadBigEndian32(at: 8 + first * 4))
      guard low <= high, high <= pack.count else { return nil }
      let names = 8 + 1024
      let target = key.loadBigEndian64(at: 0)
      // Interpolate on [low, high) while it is large, bounding the number of probes.
      var probes = 0
      while high - low > 16 && probes < 8 {
        probes += 1
        let lowKey = bytes.loadBigEndian64(at: names + low * 20)
        let highKey = bytes.loadBigEndian64(at: names + (high - 1) * 20)
        guard lowKey <= target, target <= highKey else { return nil }
        let span = highKey - lowKey
        let fraction = span == 0 ? 0.5 : Double(target - lowKey) / Double(span)
        let guess = min(high - 1, max(low, low + Int(fraction * Double(high - 1 - low))))
        let order = memcmp(base + names + guess * 20, keyBase, 20)
        if order == 0 { return offset(of: guess, in: pack) }
        if order < 0 { low = guess + 1 } else { high = guess }
      }
      while low < high {
        let middle = (low + high) / 2
        let order = memcmp(base + names + middle * 20, keyBase, 20)
        if order == 0 { return offset(of: middle, in: pack) }
        if order < 0 { low = middle + 1 } else { high = middle }
      }
      return nil
    }
  }

  private func offset(of position: Int, in pack: Pack) -> Int? {
    let bytes = pack.index.bytes
    let offsets = 8 + 1024 + pack.count * 24
    let small = bytes.loadBigEndian32(at: offsets + position * 4)
    if small & 0x8000_0000 == 0 { return Int(small) }
    let large = offsets + pack.count * 4 + Int(small & 0x7FFF_FFFF) * 8
    guard large + 8 <= bytes.count - 40 else { return nil }
    let value =
      UInt64(bytes.loadBigEndian32(at: large)) << 32
      | UInt64(bytes.loadBigEndian32(at: large + 4))
    return value < UInt64(Int.max) ? Int(value) : nil
  }

  // MARK: Pack entries

  /// The type code and size of the entry at `offset`, and where its zlib data starts.
  private func entry(at offset: Int, in pack: MappedFile) -> (UInt8, Int, Int)? {
    let bytes = pack.bytes
    let end = bytes.count - 20
    guard offset >= 12, offset < end else { return nil }
    var at = offset
    var byte = bytes[at]
    at += 1
    let typeCode = (byte >> 4) & 0x7
    var size = Int(byte & 0x0F)
    var shift = 4
    while byte & 0x80 != 0 {
      guard at < end, shift < 57 else { return nil }
      byte = bytes[at]
      at += 1
      size |= Int(byte & 0x7F) << shift
      shift += 7
    }
    return (typeCode, size, at)
  }

  private func object(at offset: Int, in pack: MappedFile) -> (ObjectType, [UInt8])? {
    guard let (typeCode, size, at) = entry(at: offset, in: pack) else { return nil }
    // Deltas (6, 7) and unknown codes are left to libgit2.
    guard (1...4).contains(typeCode), let type = ObjectType(rawValue: typeCode) else { return nil }
    let input = UnsafeRawBufferPointer(rebasing: pack.bytes[at..<(pack.count - 20)])
    if let stored = Self.storedContent(input, size: size) { return (type, stored) }
    return inflater.inflate(input, size: size).map { (type, $0) }
  }

  /// The content of a zlib stream made only of stored blocks (as Cairn writes trees), or nil.
  private static func storedContent(_ input: UnsafeRawBufferPointer, size: Int) -> [UInt8]? {
    // zlib header: deflate, no preset dictionary, and the header check.
    guard input.count >= 2, input[0] & 0x0F == 8, input[1] & 0x20 == 0,
      (UInt16(input[0]) << 8 | UInt16(input[1])) % 31 == 0
    else { return nil }
    var at = 2
    var output: [UInt8] = []
    output.reserveCapacity(size)
    while true {
      guard at + 5 <= input.count else { return nil }
      let header = input[at]
      // Only byte-aligned stored blocks: BTYPE 00 and no stray bits.
      guard header & 0xFE == 0 else { return nil }
      let length = Int(input[at + 1]) | Int(input[at + 2]) << 8
      let check = Int(input[at + 3]) | Int(input[at + 4]) << 8
      guard length ^ check == 0xFFFF, at + 5 + length <= input.count,
        output.count + length <= size
      else { return nil }
      output.append(
        contentsOf: UnsafeRawBufferPointer(rebasing: input[(at + 5)..<(at + 5 + length)]))
      at += 5 + length
      if header & 1 == 1 { break }
    }
    guard output.count == size, at + 4 <= input.count else { return nil }
    let expected =
      UInt32(input[at]) << 24 | UInt32(input[at + 1]) << 16
      | UInt32(input[at + 2]) << 8 | UInt32(input[at + 3])
    let actual = output.withUnsafeBytes { libdeflate_adler32(1, $0.baseAddress, $0.count) }
    return actual == expected ? output : nil
  }
}

/// A read-only memory mapping of a whole file.
final class MappedFile {
  let bytes: UnsafeRawBufferPointer

  init?(path: String) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_size > 0 else { return nil }
    let size = Int(info.st_size)
    guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED
    else { return nil }
    bytes = UnsafeRawBufferPointer(start: address, count: size)
  }

  var count: Int { bytes.count }

  deinit {
    if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
  }
}

extension UnsafeRawBufferPointer {
  fileprivate func loadBigEndian32(at offset: Int) -> UInt32 {
    UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
  }

  fileprivate func loadBigEndian64(at offset: Int) -> UInt64 {
    UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
  }
}
