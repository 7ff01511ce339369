internal import Crypto

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// One entry of git's index: a tracked file, its blob id and the file's stat data.
package struct IndexEntry: Sendable, Equatable {
  package var path: String
  package var id: ObjectID
  package var ctimeSeconds: UInt32 = 0
  package var ctimeNanoseconds: UInt32 = 0
  package var mtimeSeconds: UInt32 = 0
  package var mtimeNanoseconds: UInt32 = 0
  package var device: UInt32 = 0
  package var inode: UInt32 = 0
  package var mode: UInt32 = TreeEntry.fileMode
  package var uid: UInt32 = 0
  package var gid: UInt32 = 0
  package var size: UInt32 = 0
  /// git's skip-worktree bit: the file is left out of a sparse working tree, and git takes it
  /// as unchanged without looking at the working tree (needs an index of version 3).
  package var skipWorktree = false

  package init(path: String, id: ObjectID) {
    self.path = path
    self.id = id
  }

  /// Copies the stat fields git compares.
  package mutating func setStat(_ info: FileStat) {
    ctimeSeconds = UInt32(truncatingIfNeeded: info.ctimeSeconds)
    ctimeNanoseconds = UInt32(truncatingIfNeeded: info.ctimeNanoseconds)
    mtimeSeconds = UInt32(truncatingIfNeeded: info.mtimeSeconds)
    mtimeNanoseconds = UInt32(truncatingIfNeeded: info.mtimeNanoseconds)
    device = UInt32(truncatingIfNeeded: info.device)
    inode = UInt32(truncatingIfNeeded: info.inode)
    uid = info.uid
    gid = info.gid
    size = UInt32(truncatingIfNeeded: info.size)
  }

  /// Whether `info` describes the file exactly as it was when this entry was recorded.
  package func matches(_ info: FileStat) -> Bool {
    mtimeSeconds == UInt32(truncatingIfNeeded: info.mtimeSeconds)
      && mtimeNanoseconds == UInt32(truncatingIfNeeded: info.mtimeNanoseconds)
      && ctimeSeconds == UInt32(truncatingIfNeeded: info.ctimeSeconds)
      && ctimeNanoseconds == UInt32(truncatingIfNeeded: info.ctimeNanoseconds)
      && size == UInt32(truncatingIfNeeded: info.size)
      && inode == UInt32(truncatingIfNeeded: info.inode)
  }
}

/// The stat data of a working-tree file.
package struct FileStat: Sendable, Equatable {
  package var size: Int64
  package var mtimeSeconds: Int64
  package var mtimeNanoseconds: Int64
  package var ctimeSeconds: Int64
  package var ctimeNanoseconds: Int64
  package var device: UInt64
  package var inode: UInt64
  package var uid: UInt32
  package var gid: UInt32
  package var isRegularFile: Bool
  package var isDirectory: Bool

  /// `lstat` of a path; nil when it does not exist.
  package static func of(_ path: String) -> FileStat? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return FileStat(info)
  }

  /// `fstatat` of a name in an open directory; nil when it does not exist.
  package static func of(name: UnsafePointer<CChar>, in directory: Int32) -> FileStat? {
    var info = stat()
    guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
    return FileStat(info)
  }

  init(_ info: stat) {
    size = Int64(info.st_size)
    mtimeSeconds = Int64(info.st_mtim.tv_sec)
    mtimeNanoseconds = Int64(info.st_mtim.tv_nsec)
    ctimeSeconds = Int64(info.st_ctim.tv_sec)
    ctimeNanoseconds = Int64(info.st_ctim.tv_nsec)
    device = UInt64(info.st_dev)
    inode = UInt64(info.st_ino)
    uid = info.st_uid
    gid = info.st_gid
    isRegularFile = (info.st_mode & S_IFMT) == S_IFREG
    isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
  }
}

/// Git's index file (version 2), used by Cairn as the stat cache of the working tree.
///
/// Writing the real index keeps `git status` and `git diff` meaningful in a Cairn working
/// tree. Which tree the entries mirror is recorded beside it by the core, keyed by the
/// index's trailing checksum, so any rewrite by git invalidates the record.
package struct IndexFile: Sendable {
  package var entries: [IndexEntry]
  /// The trailing SHA-1 of the file as read (zero for an index not read from disk).
  package var checksum: ObjectID = ObjectID(bytes: (0, 0, 0))
  /// The index file's own modification time (seconds, nanoseconds), for racy-clean checks.
  package var modified: (seconds: Int64, nanoseconds: Int64) = (0, 0)

  package init(entries: [IndexEntry]) {
    self.entries = entries
  }

  /// Whether a file modified at or after the index itself may have changed without a visible
  /// stat difference (git's "racily clean" rule).
  package func isRacy(_ entry: IndexEntry) -> Bool {
    let seconds = Int64(entry.mtimeSeconds)
    return seconds > modified.seconds
      || (seconds == modified.seconds && Int64(entry.mtimeNanoseconds) >= modified.nanoseconds)
  }

  /// Reads an index; nil when the file does not exist.
  package static func read(from path: String) throws(GitError) -> IndexFile? {
    guard let info = FileStat.of(path) else { return nil }
    let bytes = try FileIO.read(path)
    var index = try parse(bytes, path: path)
    index.modified = (info.mtimeSeconds, info.mtimeNanoseconds)
    return index
  }

  static func parse(_ bytes: [UInt8], path: String) throws(GitError) -> IndexFile {
    func corrupt(_ why: String) -> GitError {
      GitError(.corrupt, "\(path) is not a valid git index: \(why)")
    }
    guard bytes.count >= 32, bytes[0..<4].elementsEqual("DIRC".utf8) else {
      throw corrupt("bad header")
    }
    func u32(_ at: Int) -> UInt32 {
      UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8
        | UInt32(bytes[at + 3])
    }
    let version = u32(4)
    guard version == 2 || version == 3 else { throw corrupt("version \(version) is not supported") }
    let count = Int(u32(8))
    var entries: [IndexEntry] = []
    entries.reserveCapacity(count)
    var at = 12
    let end = bytes.count - 20
    for _ in 0..<count {
      guard at + 62 <= end else { throw corrupt("truncated entry") }
      let id = bytes.withUnsafeBytes {
        ObjectID(raw: UnsafeRawBufferPointer(rebasing: $0[(at + 40)..<(at + 60)]))
      }
      let flags = UInt16(bytes[at + 60]) << 8 | UInt16(bytes[at + 61])
      var headerSize = 62
      var extended: UInt16 = 0
      if version == 3 && flags & 0x4000 != 0 {
        guard at + 64 <= end else { throw corrupt("truncated entry") }
        extended = UInt16(bytes[at + 62]) << 8 | UInt16(bytes[at + 63])
        headerSize += 2
      }
      var nameEnd = at + headerSize
      while nameEnd < end && bytes[nameEnd] != 0 { nameEnd += 1 }
      guard nameEnd < end else { throw corrupt("unterminated path") }
      var entry = IndexEntry(
        path: String(decoding: bytes[(at + headerSize)..<nameEnd], as: UTF8.self), id: id)
      entry.ctimeSeconds = u32(at)
      entry.ctimeNanoseconds = u32(at + 4)
      entry.mtimeSeconds = u32(at + 8)
      entry.mtimeNanoseconds = u32(at + 12)
      entry.device = u32(at + 16)
      entry.inode = u32(at + 20)
      entry.mode = u32(at + 24)
      entry.uid = u32(at + 28)
      entry.gid = u32(at + 32)
      entry.size = u32(at + 36)
      entry.skipWorktree = extended & 0x4000 != 0
      let stage = (flags >> 12) & 0x3
      if stage == 0 { entries.append(entry) }
      let length = nameEnd - at
      at += (length + 8) & ~7
    }
    var index = IndexFile(entries: entries)
    index.checksum = bytes.withUnsafeBytes {
      ObjectID(raw: UnsafeRawBufferPointer(rebasing: $0[end..<(end + 20)]))
    }
    return index
  }

  /// Serialises the index (entries sorted by path bytes) with its trailing checksum.
  ///
  /// The index is written in version 2, or in version 3 when an entry has the skip-worktree
  /// bit (git's extended flags).
  ///
  /// - Parameter presorted: The entries are already in index order; skip sorting.
  /// - Returns: The bytes of the index file.
  package func serialize(presorted: Bool = false) -> [UInt8] {
    let sorted =
      presorted ? entries : entries.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    let extended = sorted.contains { $0.skipWorktree }
    // Each entry: 62 bytes of stat data, id and flags (64 with extended flags), the path, and
    // 1–8 NULs to a multiple of 8. Sized first, then written in place.
    func entryLength(_ entry: IndexEntry) -> Int {
      let written = 62 + (entry.skipWorktree ? 2 : 0) + entry.path.utf8.count
      return (written + 8) & ~7
    }
    var total = 12 + 20
    for entry in sorted { total += entryLength(entry) }
    var out = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
      var at = 0
      func put(_ value: UInt32) {
        buffer[at] = UInt8(value >> 24)
        buffer[at + 1] = UInt8(truncatingIfNeeded: value >> 16)
        buffer[at + 2] = UInt8(truncatingIfNeeded: value >> 8)
        buffer[at + 3] = UInt8(truncatingIfNeeded: value)
        at += 4
      }
      for byte in "DIRC".utf8 {
        buffer[at] = byte
        at += 1
      }
      put(extended ? 3 : 2)
      put(UInt32(sorted.count))
      for entry in sorted {
        let end = at + entryLength(entry)
        put(entry.ctimeSeconds)
        put(entry.ctimeNanoseconds)
        put(entry.mtimeSeconds)
        put(entry.mtimeNanoseconds)
        put(entry.device)
        put(entry.inode)
        put(entry.mode)
        put(entry.uid)
        put(entry.gid)
        put(entry.size)
        entry.id.withRawBytes { id in
          for byte in id {
            buffer[at] = byte
            at += 1
          }
        }
        var path = entry.path
        let flags = UInt16(min(path.utf8.count, 0xFFF)) | (entry.skipWorktree ? 0x4000 : 0)
        buffer[at] = UInt8(flags >> 8)
        buffer[at + 1] = UInt8(truncatingIfNeeded: flags)
        at += 2
        if entry.skipWorktree {
          // Extended flags: skip-worktree.
          buffer[at] = 0x40
          buffer[at + 1] = 0
          at += 2
        }
        path.withUTF8 { bytes in
          for byte in bytes {
            buffer[at] = byte
            at += 1
          }
        }
        while at < end {
          buffer[at] = 0
          at += 1
        }
      }
      initialized = at
    }
    var hasher = Insecure.SHA1()
    out.withUnsafeBytes { hasher.update(bufferPointer: $0) }
    out.append(contentsOf: hasher.finalize())
    return out
  }
}
