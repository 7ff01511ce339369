#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Small POSIX file helpers: Foundation's file APIs were an order of magnitude slower on Linux
/// for the many small files of a working tree.
package enum FileIO {
  /// Reads a whole file.
  package static func read(_ path: String) throws(GitError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      let code: GitError.Code = errno == ENOENT ? .notFound : .io
      throw GitError(code, "cannot read \(path): \(errnoText())", function: "open")
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      throw GitError(.io, "cannot stat \(path): \(errnoText())", function: "fstat")
    }
    var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
    var done = 0
    while done < bytes.count {
      let n = bytes.withUnsafeMutableBytes { raw in
        Glibc.read(fd, raw.baseAddress.map { $0 + done }, raw.count - done)
      }
      if n < 0 && errno == EINTR { continue }
      if n < 0 { throw GitError(.io, "cannot read \(path): \(errnoText())", function: "read") }
      if n == 0 { break }
      done += n
    }
    if done < bytes.count { bytes.removeLast(bytes.count - done) }
    return bytes
  }

  /// Writes a file through a temporary file and a rename, so readers (and a process killed
  /// half-way) see the old content or the new, never a mix.
  package static func writeAtomically(_ bytes: [UInt8], to path: String, mode: UInt32 = 0o644)
    throws(GitError)
  {
    let temporary = path + ".cairn-tmp"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(mode))
    guard fd >= 0 else {
      throw GitError(.io, "cannot write \(path): \(errnoText())", function: "open")
    }
    do {
      try writeAll(fd, bytes, what: path)
    } catch {
      _ = Glibc.close(fd)
      unlink(temporary)
      throw error
    }
    _ = Glibc.close(fd)
    guard Glibc.rename(temporary, path) == 0 else {
      let text = errnoText()
      unlink(temporary)
      throw GitError(.io, "cannot write \(path): \(text)", function: "rename")
    }
  }

  /// Creates a directory and its parents; succeeds when it exists.
  package static func makeDirectories(_ path: String) throws(GitError) {
    if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
    if errno == ENOENT {
      let parent = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        .joined(separator: "/")
      if !parent.isEmpty && parent != path {
        try makeDirectories(parent)
        if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
      }
    }
    throw GitError(.io, "cannot create directory \(path): \(errnoText())", function: "mkdir")
  }

  /// Removes a file; succeeds when it does not exist.
  package static func remove(_ path: String) throws(GitError) {
    if unlink(path) == 0 || errno == ENOENT { return }
    throw GitError(.io, "cannot remove \(path): \(errnoText())", function: "unlink")
  }

  /// Removes a file, or a folder with everything in it; succeeds when `path` does not exist.
  ///
  /// Symbolic links are removed, never followed.
  package static func removeTree(_ path: String) throws(GitError) {
    guard let info = FileStat.of(path) else { return }
    guard info.isDirectory else { return try remove(path) }
    for name in list(path) ?? [] { try removeTree(path + "/" + name) }
    if rmdir(path) == 0 || errno == ENOENT { return }
    throw GitError(.io, "cannot remove \(path): \(errnoText())", function: "rmdir")
  }

  /// Removes an empty directory, ignoring failure (it may hold untracked files).
  package static func removeDirectoryIfEmpty(_ path: String) {
    rmdir(path)
  }

  /// Creates `path` exclusively (O_EXCL) as a lock file; returns its descriptor.
  package static func createLock(_ path: String) throws(GitError) -> Int32 {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    if fd < 0 {
      if errno == EEXIST {
        throw GitError(
          .locked,
          "another process holds the lock \(path); if no cairn or git process is running, remove it",
          function: "open")
      }
      throw GitError(.io, "cannot create lock \(path): \(errnoText())", function: "open")
    }
    return fd
  }

  /// Writes all bytes to an open descriptor.
  package static func write(_ fd: Int32, _ bytes: [UInt8], what: String) throws(GitError) {
    try writeAll(fd, bytes, what: what)
  }

  /// Closes a descriptor.
  package static func close(_ fd: Int32) { _ = Glibc.close(fd) }

  /// Renames a file.
  package static func rename(_ from: String, _ to: String) throws(GitError) {
    guard Glibc.rename(from, to) == 0 else {
      throw GitError(.io, "cannot rename \(from) to \(to): \(errnoText())", function: "rename")
    }
  }

  /// Creates a symbolic link at `path` pointing to `target`.
  package static func symlink(_ target: String, at path: String) throws(GitError) {
    guard Glibc.symlink(target, path) == 0 else {
      throw GitError(.io, "cannot link \(path) to \(target): \(errnoText())", function: "symlink")
    }
  }

  /// Lists a directory's entries (without `.` and `..`); nil when it is not a directory.
  package static func list(_ path: String) -> [String]? {
    guard let dir = opendir(path) else { return nil }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }

  /// The absolute form of `path`, resolving symbolic links; nil when it does not exist.
  package static func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }
}
