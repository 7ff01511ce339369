internal import GitStore

/// The writers' lock, git's own `.git/index.lock`, created exclusively.
///
/// Released (closed and removed) by ``release()``; a commit or checkout instead hands the
/// descriptor to the index writer, which fills the lock file with the new index and renames it
/// onto `.git/index`, as git does.
final class WriterLock {
  let path: String
  private let descriptor: Int32
  private var held = true

  /// Takes the lock.
  ///
  /// - Throws: `CairnError` `.locked` when another process holds it.
  init(path: String) throws(CairnError) {
    self.path = path
    descriptor = try CairnError.wrap { try FileIO.createLock(path) }
  }

  /// The open lock file, to write the new index into while the lock is still held.
  var descriptorForWriting: Int32 { descriptor }

  /// Gives the open lock file to the index writer; ``release()`` then does nothing.
  func handOver() -> Int32 {
    held = false
    return descriptor
  }

  /// Closes and removes the lock file, unless it was handed over.
  func release() {
    guard held else { return }
    held = false
    FileIO.close(descriptor)
    try? FileIO.remove(path)
  }

  deinit { release() }
}
