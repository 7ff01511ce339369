/// Collects the new objects of one operation into a single pack.
///
/// Objects already in the repository's packs or already added are skipped, so a rewrite that
/// changes nothing adds nothing (an object that exists only loose, written by plain git, is
/// packed again: see ``GitRepository/isPacked(_:)``). Nothing is visible to readers until
/// ``commit()``; a writer dropped without committing leaves no trace.
package final class ObjectWriter {
  private let repository: GitRepository
  private let pack: PackWriter
  private let compressor = ObjectCompressor()

  /// Starts a pack for `repository`.
  package init(repository: GitRepository) throws(GitError) {
    self.repository = repository
    pack = try PackWriter(
      objectsDirectory: repository.gitDirectory + "/objects",
      temporaryDirectory: repository.gitDirectory + "/cairn/tmp")
  }

  /// The number of objects added so far.
  package var count: Int { pack.count }

  /// Adds an object that was hashed and compressed elsewhere (for example on another thread).
  package func add(_ object: PreparedObject) throws(GitError) {
    if pack.contains(object.id) || repository.isPacked(object.id) { return }
    try pack.add(object)
  }

  /// Hashes, compresses and adds `bytes`; returns the object's id.
  @discardableResult
  package func write(_ type: ObjectType, _ bytes: [UInt8]) throws(GitError) -> ObjectID {
    let id = ObjectHasher.id(of: type, bytes)
    if pack.contains(id) || repository.isPacked(id) { return id }
    try pack.add(compressor.prepare(type, bytes))
    return id
  }

  /// Moves the pack into the repository and makes its objects readable.
  package func commit() throws(GitError) {
    if try pack.finish() != nil { try repository.refreshObjects() }
  }

  /// Discards everything written.
  package func abort() { pack.abort() }
}
