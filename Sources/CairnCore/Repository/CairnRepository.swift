package import GitStore

/// A Cairn repository: a git repository whose trees follow Cairn's format v1.
///
/// A dataset version is an immutable tree; changes go through the working tree and a commit.
/// Not thread-safe (it owns one libgit2 handle): open one per task.
package final class CairnRepository {
  package let git: GitRepository

  /// The working tree root, or nil for a bare repository.
  package var root: String? { git.workingDirectory }

  init(git: GitRepository) { self.git = git }

  /// Creates a repository at `path` with an initial commit holding `cairn.json` and
  /// `schema.json` on branch `main`.
  ///
  /// - Throws: `CairnError` `.alreadyExists` when `path` already holds a repository.
  package static func create(at path: String, bare: Bool, now: Int64) throws(CairnError)
    -> CairnRepository
  {
    if (try? GitRepository.open(at: path)) != nil {
      throw CairnError(.alreadyExists, "a repository already exists at \(path)")
    }
    if !bare, FileStat.of(path + "/cairn.json") != nil {
      throw CairnError(.alreadyExists, "\(path) already holds a cairn.json; not overwriting it")
    }
    let git = try CairnError.wrap("cannot create a repository at \(path)") {
      try GitRepository.create(at: path, bare: bare)
    }
    let repository = CairnRepository(git: git)
    let manifest = Manifest.current.encoded
    let schema = InitialSchema.encoded
    // The first commit holds only the manifest and the schema, whatever else the folder holds.
    let tree = try CairnError.wrap { () throws -> ObjectID in
      let writer = try ObjectWriter(repository: git)
      let editor = TreeEditor(repository: git, writer: writer)
      let tree = try editor.apply(
        base: nil,
        changes: [
          TreeChange(path: "cairn.json", id: try writer.write(.blob, manifest)),
          TreeChange(path: "schema.json", id: try writer.write(.blob, schema)),
        ])
      let signature = git.defaultSignature(now: now)
      let commit = try writer.write(
        .commit,
        Commit.serialize(
          tree: tree, parents: [], author: signature, committer: signature,
          message: "Initialise Cairn dataset"))
      try writer.commit()
      try git.updateReference("refs/heads/main", to: commit, expected: nil, message: "cairn init")
      return tree
    }
    if let root = git.workingDirectory {
      try CairnError.wrap {
        try FileIO.writeAtomically(manifest, to: root + "/cairn.json")
        try FileIO.writeAtomically(schema, to: root + "/schema.json")
      }
      let lock = try WriterLock(path: repository.lockPath)
      try repository.writeIndex(
        lock: lock, root: root,
        files: [
          "cairn.json": ObjectHasher.id(of: .blob, manifest),
          "schema.json": ObjectHasher.id(of: .blob, schema),
        ], tree: tree)
    }
    return repository
  }

  /// Opens the repository containing `path`, checking its format version.
  package static func open(from path: String) throws(CairnError) -> CairnRepository {
    let git = try CairnError.wrap { try GitRepository.discover(from: path) }
    let repository = CairnRepository(git: git)
    try repository.checkFormat()
    return repository
  }

  func checkFormat() throws(CairnError) {
    let currentHead = try head()
    guard let head = currentHead.target else {
      throw CairnError(
        .unsupportedFormat,
        "\(git.gitDirectory) has no commit with a cairn.json; not a Cairn dataset (create one with 'cairn init')"
      )
    }
    let tree = try CairnError.wrap { try git.readCommit(head).tree }
    let found = try CairnError.wrap {
      try TreeWalk(repository: git).entry(at: "cairn.json", in: tree)
    }
    guard let entry = found else {
      throw CairnError(
        .unsupportedFormat, "\(git.gitDirectory): HEAD has no cairn.json; not a Cairn dataset")
    }
    let bytes = try CairnError.wrap { try git.readBlob(entry.id) }
    do {
      _ = try Manifest(json: try JSONParser.parse(bytes))
    } catch let problem as RecordProblem {
      throw CairnError(.unsupportedFormat, "cairn.json: \(problem.reason)")
    } catch {
      throw CairnError(.unsupportedFormat, "cairn.json: \(error)")
    }
  }

  /// The working tree root, or a `.bareRepository` error.
  package func requireRoot(for operation: String) throws(CairnError) -> String {
    guard let root else {
      throw CairnError(
        .bareRepository, "\(operation) needs a working tree; \(git.gitDirectory) is bare")
    }
    return root
  }

  /// Where HEAD points.
  package func head() throws(CairnError) -> Head { try CairnError.wrap { try git.head() } }

  /// The tree of HEAD's commit, or nil when the branch has no commit.
  package func headTree() throws(CairnError) -> ObjectID? {
    guard let target = try head().target else { return nil }
    return try CairnError.wrap { try git.readCommit(target).tree }
  }

  /// Resolves a revision to a commit id.
  package func resolve(_ revision: String) throws(CairnError) -> ObjectID {
    try CairnError.wrap { try git.resolveCommit(revision) }
  }

  /// The path of the lock file that serialises writers (git's own index lock).
  var lockPath: String { git.gitDirectory + "/index.lock" }
  var indexPath: String { git.gitDirectory + "/index" }
  /// Records which tree the index mirrors: `<index checksum> <tree id>`.
  var indexTreePath: String { git.gitDirectory + "/cairn/index-tree" }

  /// The tree the index mirrors, when Cairn wrote the index and nothing rewrote it since.
  func indexedTree(of index: IndexFile) -> ObjectID? {
    guard let bytes = try? FileIO.read(indexTreePath) else { return nil }
    let parts = String(decoding: bytes, as: UTF8.self).split(whereSeparator: {
      $0 == " " || $0 == "\n"
    })
    guard parts.count == 2, let checksum = ObjectID(hex: parts[0]), checksum == index.checksum
    else {
      return nil
    }
    return ObjectID(hex: parts[1])
  }
}

extension CairnError {
  /// Runs `body`, turning git-layer errors into ``CairnError``.
  package static func wrap<T>(_ context: String? = nil, _ body: () throws -> T) throws(CairnError)
    -> T
  {
    do {
      return try body()
    } catch let error as GitError {
      throw CairnError(error, context: context)
    } catch let error as CairnError {
      throw error
    } catch {
      throw CairnError(.internalError, "\(error)")
    }
  }
}
