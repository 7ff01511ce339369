internal import CDeflate
internal import Crypto

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Writes one packfile and its version-2 index straight to disk, without deltas.
///
/// Objects go to a temporary file outside `objects/`; ``finish()`` writes the index and then
/// moves the pack and its index into `objects/pack` (pack first, as git does), so a process
/// killed at any point leaves either no new pack or a complete one. Label blobs stay
/// undeltified: delta chains made random reads an order of magnitude slower.
package final class PackWriter {
  private struct Entry {
    var id: ObjectID
    var offset: UInt64
    var crc: UInt32
  }

  private let packDirectory: String
  private let temporaryPath: String
  private var descriptor: Int32
  private var buffer: [UInt8] = []
  private var offset: UInt64 = 12
  private var entries: [Entry] = []
  private var seen: Set<ObjectID> = []
  private var finished = false

  /// Opens a new temporary pack.
  ///
  /// - Parameters:
  ///   - objectsDirectory: The repository's `objects` directory.
  ///   - temporaryDirectory: A directory on the same file system, outside `objects`.
  /// - Throws: `GitError` `.io` when the temporary file cannot be created.
  package init(objectsDirectory: String, temporaryDirectory: String) throws(GitError) {
    packDirectory = objectsDirectory + "/pack"
    try FileIO.makeDirectories(packDirectory)
    try FileIO.makeDirectories(temporaryDirectory)
    Self.removeStaleFiles(in: temporaryDirectory)
    var template = Array((temporaryDirectory + "/pack-XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { buffer -> Int32 in
      guard let base = buffer.baseAddress else { return -1 }
      return mkstemp(base)
    }
    guard fd >= 0 else {
      throw GitError(
        .io, "cannot create a temporary pack in \(temporaryDirectory): \(errnoText())",
        function: "mkstemp")
    }
    descriptor = fd
    temporaryPath = String(
      decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    buffer.reserveCapacity(1 << 20)
    buffer.append(contentsOf: [UInt8](repeating: 0, count: 12))
  }

  deinit {
    if !finished { abort() }
  }

  /// Removes temporary packs left by killed processes (older than an hour, so never one that a
  /// running writer still owns).
  private static func removeStaleFiles(in directory: String) {
    let cutoff = Int64(time(nil)) - 3600
    for name in FileIO.list(directory) ?? [] where name.hasPrefix("pack-") {
      let path = directory + "/" + name
      if let info = FileStat.of(path), info.mtimeSeconds < cutoff { unlink(path) }
    }
  }

  /// The number of distinct objects added so far.
  package var count: Int { entries.count }

  /// Whether an object with `id` was already added to this pack.
  package func contains(_ id: ObjectID) -> Bool { seen.contains(id) }

  /// Appends a prepared object; an object already in this pack is skipped.
  package func add(_ object: PreparedObject) throws(GitError) {
    guard seen.insert(object.id).inserted else { return }
    let start = buffer.count
    var size = object.size
    var byte = UInt8(object.type.rawValue << 4) | UInt8(size & 0x0F)
    size >>= 4
    while size > 0 {
      buffer.append(byte | 0x80)
      byte = UInt8(size & 0x7F)
      size >>= 7
    }
    buffer.append(byte)
    buffer.append(contentsOf: object.compressed)
    let crc = buffer[start...].withUnsafeBytes { raw in
      libdeflate_crc32(0, raw.baseAddress, raw.count)
    }
    entries.append(Entry(id: object.id, offset: offset, crc: crc))
    offset += UInt64(buffer.count - start)
    if buffer.count >= 1 << 20 { try flush() }
  }

  private func flush() throws(GitError) {
    try writeAll(descriptor, buffer, what: temporaryPath)
    buffer.removeAll(keepingCapacity: true)
  }

  /// Completes the pack and moves it into the repository.
  ///
  /// - Returns: The pack's name (`pack-<sha>`), or nil when no object was added.
  @discardableResult
  package func finish() throws(GitError) -> String? {
    guard !entries.isEmpty else {
      abort()
      return nil
    }
    try flush()
    var header: [UInt8] = Array("PACK".utf8)
    header.append(contentsOf: bigEndian(UInt32(2)))
    header.append(contentsOf: bigEndian(UInt32(entries.count)))
    guard pwrite(descriptor, header, 12, 0) == 12 else {
      throw GitError(.io, "cannot write \(temporaryPath): \(errnoText())", function: "pwrite")
    }
    let packChecksum = try checksumOfFile()
    try writeAll(descriptor, packChecksum, what: temporaryPath)
    close(descriptor)
    descriptor = -1

    let index = makeIndex(packChecksum: packChecksum)
    let name = "pack-" + hexString(packChecksum)
    let temporaryIndex = temporaryPath + ".idx"
    let fd = open(temporaryIndex, O_WRONLY | O_CREAT | O_TRUNC, 0o444)
    guard fd >= 0 else {
      throw GitError(.io, "cannot create \(temporaryIndex): \(errnoText())", function: "open")
    }
    try writeAll(fd, index, what: temporaryIndex)
    close(fd)
    chmod(temporaryPath, 0o444)
    let packPath = packDirectory + "/" + name + ".pack"
    let indexPath = packDirectory + "/" + name + ".idx"
    guard rename(temporaryPath, packPath) == 0 else {
      throw GitError(.io, "cannot move pack to \(packPath): \(errnoText())", function: "rename")
    }
    guard rename(temporaryIndex, indexPath) == 0 else {
      throw GitError(.io, "cannot move index to \(indexPath): \(errnoText())", function: "rename")
    }
    finished = true
    return name
  }

  /// Discards the temporary pack.
  package func abort() {
    if descriptor >= 0 {
      close(descriptor)
      descriptor = -1
    }
    unlink(temporaryPath)
    unlink(temporaryPath + ".idx")
    finished = true
  }

  private func checksumOfFile() throws(GitError) -> [UInt8] {
    var hasher = Insecure.SHA1()
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    var position: off_t = 0
    while true {
      let read = chunk.withUnsafeMutableBytes {
        pread(descriptor, $0.baseAddress, $0.count, position)
      }
      if read < 0 {
        throw GitError(.io, "cannot read \(temporaryPath): \(errnoText())", function: "pread")
      }
      if read == 0 { break }
      chunk.withUnsafeBytes {
        hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<read]))
      }
      position += off_t(read)
    }
    _ = lseek(descriptor, 0, SEEK_END)
    return Array(hasher.finalize())
  }

  private func makeIndex(packChecksum: [UInt8]) -> [UInt8] {
    let sorted = entries.sorted { $0.id < $1.id }
    var out: [UInt8] = [0xFF, 0x74, 0x4F, 0x63]
    out.reserveCapacity(8 + 1024 + sorted.count * 28 + 40)
    out.append(contentsOf: bigEndian(UInt32(2)))
    var fanout = [UInt32](repeating: 0, count: 256)
    for entry in sorted { fanout[Int(entry.id.firstByte)] += 1 }
    var running: UInt32 = 0
    for bucket in 0..<256 {
      running += fanout[bucket]
      out.append(contentsOf: bigEndian(running))
    }
    for entry in sorted { entry.id.withRawBytes { out.append(contentsOf: $0) } }
    for entry in sorted { out.append(contentsOf: bigEndian(entry.crc)) }
    var large: [UInt64] = []
    for entry in sorted {
      if entry.offset < 0x8000_0000 {
        out.append(contentsOf: bigEndian(UInt32(entry.offset)))
      } else {
        out.append(contentsOf: bigEndian(UInt32(0x8000_0000) | UInt32(large.count)))
        large.append(entry.offset)
      }
    }
    for value in large {
      out.append(contentsOf: bigEndian(UInt32(value >> 32)))
      out.append(contentsOf: bigEndian(UInt32(truncatingIfNeeded: value)))
    }
    out.append(contentsOf: packChecksum)
    var hasher = Insecure.SHA1()
    out.withUnsafeBytes { hasher.update(bufferPointer: $0) }
    out.append(contentsOf: Array(hasher.finalize()))
    return out
  }
}

func bigEndian(_ value: UInt32) -> [UInt8] {
  [
    UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16),
    UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value),
  ]
}

/// Lowercase hexadecimal digits of `bytes`.
package func hexString(_ bytes: some Sequence<UInt8>) -> String {
  let digits = Array("0123456789abcdef".utf8)
  var out: [UInt8] = []
  for byte in bytes {
    out.append(digits[Int(byte >> 4)])
    out.append(digits[Int(byte & 0xF)])
  }
  return String(decoding: out, as: UTF8.self)
}

func errnoText() -> String { String(cString: strerror(errno)) }

func writeAll(_ fd: Int32, _ bytes: [UInt8], what: String) throws(GitError) {
  var written = 0
  while written < bytes.count {
    let result = bytes.withUnsafeBytes { raw in
      write(fd, raw.baseAddress.map { $0 + written }, raw.count - written)
    }
    if result < 0 {
      if errno == EINTR { continue }
      throw GitError(.io, "cannot write \(what): \(errnoText())", function: "write")
    }
    written += result
  }
}
