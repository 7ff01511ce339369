internal import CLibgit2

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Initialises libgit2 once per process; read it before any other libgit2 call.
let libgit2Initialised: Bool = {
  git_libgit2_init()
  return true
}()

/// Where HEAD points.
package enum Head: Sendable, Equatable {
  /// On a branch (short name); `target` is nil while the branch has no commit yet.
  case branch(String, target: ObjectID?)
  /// Detached at a commit.
  case detached(ObjectID)

  /// The commit HEAD resolves to, if any.
  package var target: ObjectID? {
    switch self {
    case .branch(_, let target): target
    case .detached(let id): id
    }
  }
}

/// One open git repository: the only owner of its libgit2 handle.
///
/// Not thread-safe: libgit2 objects must not be shared between threads, so each task opens its
/// own `GitRepository`.
package final class GitRepository {
  /// The libgit2 handle; other owners in this module (``GitRemote``) borrow it.
  let pointer: OpaquePointer
  private let odb: OpaquePointer
  /// The git directory (`…/.git` or the bare repository), without a trailing slash.
  package let gitDirectory: String
  /// The working directory, without a trailing slash; nil for a bare repository.
  package let workingDirectory: String?
  /// Whole objects read straight from the packs; libgit2 answers the rest.
  private let packReader: PackReader

  /// Takes ownership of a handle libgit2 returned.
  init(pointer: OpaquePointer) throws(GitError) {
    self.pointer = pointer
    var odbPointer: OpaquePointer?
    try check(git_repository_odb(&odbPointer, pointer), "git_repository_odb")
    guard let odbPointer else { throw GitError(.other, "no object database") }
    odb = odbPointer
    gitDirectory = Self.trimSlash(String(cString: git_repository_path(pointer)))
    if let workdir = git_repository_workdir(pointer) {
      workingDirectory = Self.trimSlash(String(cString: workdir))
    } else {
      workingDirectory = nil
    }
    packReader = PackReader(objectsDirectory: gitDirectory + "/objects")
  }

  deinit {
    git_odb_free(odb)
    git_repository_free(pointer)
  }

  private static func trimSlash(_ path: String) -> String {
    path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
  }

  /// Creates a repository whose first branch is `main`.
  package static func create(at path: String, bare: Bool) throws(GitError) -> GitRepository {
    _ = libgit2Initialised
    var options = git_repository_init_options()
    try check(
      git_repository_init_options_init(&options, UInt32(GIT_REPOSITORY_INIT_OPTIONS_VERSION)),
      "git_repository_init_options_init")
    options.flags = GIT_REPOSITORY_INIT_MKPATH.rawValue
    if bare { options.flags |= GIT_REPOSITORY_INIT_BARE.rawValue }
    var out: OpaquePointer?
    let result = "main".withCString { branch in
      options.initial_head = branch
      return git_repository_init_ext(&out, path, &options)
    }
    try check(result, "git_repository_init_ext", context: "cannot create a repository at \(path)")
    guard let out else { throw GitError(.other, "git_repository_init_ext returned nothing") }
    return try GitRepository(pointer: out)
  }

  /// Opens the repository at `path` or in one of its parent directories.
  package static func discover(from path: String) throws(GitError) -> GitRepository {
    _ = libgit2Initialised
    var out: OpaquePointer?
    let result = git_repository_open_ext(&out, path, 0, nil)
    if result == GIT_ENOTFOUND.rawValue {
      throw GitError(
        .notARepository, "not a Cairn repository (or any parent up to /): \(path)",
        function: "git_repository_open_ext")
    }
    try check(result, "git_repository_open_ext", context: "cannot open a repository at \(path)")
    guard let out else { throw GitError(.other, "git_repository_open_ext returned nothing") }
    return try GitRepository(pointer: out)
  }

  /// Opens the repository at exactly `path`.
  package static func open(at path: String) throws(GitError) -> GitRepository {
    _ = libgit2Initialised
    var out: OpaquePointer?
    let result = git_repository_open_ext(&out, path, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil)
    if result == GIT_ENOTFOUND.rawValue {
      throw GitError(.notARepository, "not a Cairn repository: \(path)")
    }
    try check(result, "git_repository_open_ext", context: "cannot open a repository at \(path)")
    guard let out else { throw GitError(.other, "git_repository_open_ext returned nothing") }
    return try GitRepository(pointer: out)
  }

  // MARK: Objects

  /// Whether the object database holds `id`, without rescanning the pack directory on a miss.
  package func contains(_ id: ObjectID) -> Bool {
    var oid = id.gitOID
    return git_odb_exists_ext(odb, &oid, UInt32(GIT_ODB_LOOKUP_NO_REFRESH.rawValue)) == 1
  }

  /// Whether one of the repository's packs holds `id`, answered from the mapped pack indexes
  /// without a system call.
  ///
  /// Loose objects are not looked for (libgit2 would `stat` a file per object): a writer that
  /// asks this before packing an object may pack again an object that exists loose, which git
  /// allows, instead of paying a system call for every object of a bulk write.
  package func isPacked(_ id: ObjectID) -> Bool { packReader.contains(id) }

  /// Makes packs written since the repository was opened visible.
  package func refreshObjects() throws(GitError) {
    try check(git_odb_refresh(odb), "git_odb_refresh")
    packReader.refresh()
  }

  /// Reads an object's type and content.
  package func readObject(_ id: ObjectID) throws(GitError) -> (ObjectType, [UInt8]) {
    if let found = packReader.read(id) { return found }
    var oid = id.gitOID
    var object: OpaquePointer?
    let result = git_odb_read(&object, odb, &oid)
    if result == GIT_ENOTFOUND.rawValue {
      throw GitError(.notFound, "object \(id.hex) not found", function: "git_odb_read")
    }
    try check(result, "git_odb_read", context: "cannot read object \(id.hex)")
    guard let object else { throw GitError(.notFound, "object \(id.hex) not found") }
    defer { git_odb_object_free(object) }
    let size = git_odb_object_size(object)
    let type = ObjectType(rawValue: UInt8(truncatingIfNeeded: git_odb_object_type(object).rawValue))
    guard let type else { throw GitError(.corrupt, "object \(id.hex) has an unknown type") }
    guard size > 0, let data = git_odb_object_data(object) else { return (type, []) }
    let bytes = [UInt8](UnsafeRawBufferPointer(start: data, count: size))
    return (type, bytes)
  }

  /// Reads a tree's raw entries, borrowing the bytes from a mapped pack when it can.
  func rawTree(_ id: ObjectID) throws(GitError) -> RawTree {
    if let bytes = packReader.storedTree(id) { return RawTree(borrowing: bytes) }
    let (type, bytes) = try readObject(id)
    guard type == .tree else { throw GitError(.corrupt, "object \(id.hex) is not a tree") }
    return RawTree(copying: bytes)
  }

  /// Reads a blob's content.
  package func readBlob(_ id: ObjectID) throws(GitError) -> [UInt8] {
    let (type, bytes) = try readObject(id)
    guard type == .blob else { throw GitError(.invalidArgument, "object \(id.hex) is not a blob") }
    return bytes
  }

  /// Reads a tree's entries.
  package func readTree(_ id: ObjectID) throws(GitError) -> [TreeEntry] {
    var oid = id.gitOID
    var tree: OpaquePointer?
    let result = git_tree_lookup(&tree, pointer, &oid)
    if result == GIT_ENOTFOUND.rawValue {
      throw GitError(.notFound, "tree \(id.hex) not found", function: "git_tree_lookup")
    }
    try check(result, "git_tree_lookup", context: "cannot read tree \(id.hex)")
    guard let tree else { throw GitError(.notFound, "tree \(id.hex) not found") }
    defer { git_tree_free(tree) }
    let count = git_tree_entrycount(tree)
    var entries: [TreeEntry] = []
    entries.reserveCapacity(count)
    for index in 0..<count {
      guard let entry = git_tree_entry_byindex(tree, index), let oid = git_tree_entry_id(entry)
      else { continue }
      entries.append(
        TreeEntry(
          name: String(cString: git_tree_entry_name(entry)),
          mode: UInt32(git_tree_entry_filemode(entry).rawValue),
          id: ObjectID(oid.pointee)))
    }
    return entries
  }

  /// Reads a commit.
  package func readCommit(_ id: ObjectID) throws(GitError) -> Commit {
    var oid = id.gitOID
    var commit: OpaquePointer?
    let result = git_commit_lookup(&commit, pointer, &oid)
    if result == GIT_ENOTFOUND.rawValue {
      throw GitError(.notFound, "commit \(id.hex) not found", function: "git_commit_lookup")
    }
    try check(result, "git_commit_lookup", context: "cannot read commit \(id.hex)")
    guard let commit else { throw GitError(.notFound, "commit \(id.hex) not found") }
    defer { git_commit_free(commit) }
    var parents: [ObjectID] = []
    for index in 0..<git_commit_parentcount(commit) {
      if let parent = git_commit_parent_id(commit, index) {
        parents.append(ObjectID(parent.pointee))
      }
    }
    guard let treeID = git_commit_tree_id(commit) else {
      throw GitError(.corrupt, "commit \(id.hex) has no tree")
    }
    return Commit(
      id: id, tree: ObjectID(treeID.pointee), parents: parents,
      author: Self.signature(git_commit_author(commit)),
      committer: Self.signature(git_commit_committer(commit)),
      message: git_commit_message(commit).map { String(cString: $0) } ?? "")
  }

  private static func signature(_ raw: UnsafePointer<git_signature>?) -> Signature {
    guard let raw else { return Signature(name: "", email: "", time: 0, offsetMinutes: 0) }
    return Signature(
      name: raw.pointee.name.map { String(cString: $0) } ?? "",
      email: raw.pointee.email.map { String(cString: $0) } ?? "",
      time: raw.pointee.when.time, offsetMinutes: Int(raw.pointee.when.offset))
  }

  /// The signature for new commits.
  ///
  /// As in git, `GIT_AUTHOR_NAME`/`GIT_AUTHOR_EMAIL` win over `user.name`/`user.email` from
  /// git config; without either, `Cairn <cairn@localhost>`.
  package func defaultSignature(now: Int64) -> Signature {
    let environment = ProcessEnvironment()
    var name = environment["GIT_AUTHOR_NAME"]
    var email = environment["GIT_AUTHOR_EMAIL"]
    var offset = 0
    var raw: UnsafeMutablePointer<git_signature>?
    if git_signature_default(&raw, pointer) == 0, let raw {
      defer { git_signature_free(raw) }
      name = name ?? raw.pointee.name.map { String(cString: $0) }
      email = email ?? raw.pointee.email.map { String(cString: $0) }
      offset = Int(raw.pointee.when.offset)
    }
    return Signature(
      name: name ?? "Cairn", email: email ?? "cairn@localhost", time: now, offsetMinutes: offset)
  }

  // MARK: References

  /// Where HEAD points.
  package func head() throws(GitError) -> Head {
    var reference: OpaquePointer?
    try check(git_reference_lookup(&reference, pointer, "HEAD"), "git_reference_lookup")
    guard let reference else { throw GitError(.notFound, "HEAD not found") }
    defer { git_reference_free(reference) }
    if git_reference_type(reference) == GIT_REFERENCE_SYMBOLIC {
      let target = String(cString: git_reference_symbolic_target(reference))
      let short =
        target.hasPrefix("refs/heads/") ? String(target.dropFirst("refs/heads/".count)) : target
      return .branch(short, target: try referenceTarget(target))
    }
    guard let oid = git_reference_target(reference) else {
      throw GitError(.corrupt, "HEAD has no target")
    }
    return .detached(ObjectID(oid.pointee))
  }

  /// The commit a reference points to (peeling tags), or nil when it does not exist.
  package func referenceTarget(_ name: String) throws(GitError) -> ObjectID? {
    var oid = git_oid()
    let result = git_reference_name_to_id(&oid, pointer, name)
    if result == GIT_ENOTFOUND.rawValue { return nil }
    try check(result, "git_reference_name_to_id", context: "cannot read reference \(name)")
    return ObjectID(oid)
  }

  /// Lists references whose full name starts with `prefix`, sorted by name.
  package func references(withPrefix prefix: String) throws(GitError) -> [(String, ObjectID)] {
    var iterator: OpaquePointer?
    try check(
      git_reference_iterator_glob_new(&iterator, pointer, prefix + "*"),
      "git_reference_iterator_glob_new")
    guard let iterator else { return [] }
    defer { git_reference_iterator_free(iterator) }
    var result: [(String, ObjectID)] = []
    var reference: OpaquePointer?
    while git_reference_next(&reference, iterator) == 0, let current = reference {
      defer { git_reference_free(current) }
      let name = String(cString: git_reference_name(current))
      var resolved: OpaquePointer?
      if git_reference_resolve(&resolved, current) == 0, let resolved {
        if let oid = git_reference_target(resolved) { result.append((name, ObjectID(oid.pointee))) }
        git_reference_free(resolved)
      }
    }
    return result.sorted { $0.0 < $1.0 }
  }

  /// The reference namespaces of protected sets.
  ///
  /// Frozen test sets, golden sets and their tag mirrors: a reference there is created once
  /// and never moved or deleted.
  package static let protectedPrefixes = [
    "refs/frozen/", "refs/golden/", "refs/tags/frozen/", "refs/tags/golden/",
  ]

  /// Whether `name` is a protected reference.
  package static func isProtected(_ name: String) -> Bool {
    protectedPrefixes.contains { name.hasPrefix($0) }
  }

  /// Points `name` at `id` with compare-and-swap semantics.
  ///
  /// A protected reference (``isProtected(_:)``) can only be created (`expected` nil).
  ///
  /// - Parameters:
  ///   - name: The full reference name (`refs/heads/main`).
  ///   - id: The new target.
  ///   - expected: The id the reference must hold now; nil means it must not exist yet.
  ///   - message: The reflog message.
  /// - Throws: `GitError` with code `.raceLost` when the reference moved meanwhile, `.exists`
  ///   when it was expected to be new, `.locked` when another process holds its lock.
  package func updateReference(
    _ name: String, to id: ObjectID, expected: ObjectID?, message: String
  ) throws(GitError) {
    if expected != nil, Self.isProtected(name) {
      throw GitError(
        .protected,
        "\(name) is a protected set: it never moves; freeze a new set under a new name instead")
    }
    var oid = id.gitOID
    var out: OpaquePointer?
    let result: Int32
    if var current = expected?.gitOID {
      result = git_reference_create_matching(&out, pointer, name, &oid, 1, &current, message)
    } else {
      result = git_reference_create(&out, pointer, name, &oid, 0, message)
    }
    if let out { git_reference_free(out) }
    if result == GIT_EMODIFIED.rawValue || (result == GIT_ENOTFOUND.rawValue && expected != nil) {
      throw GitError(
        .raceLost,
        "\(name) moved while this operation ran (expected \(expected?.short ?? "none")); nothing was changed",
        function: "git_reference_create_matching")
    }
    if result == GIT_EEXISTS.rawValue {
      throw GitError(.exists, "\(name) already exists", function: "git_reference_create")
    }
    if result == GIT_ELOCKED.rawValue {
      throw GitError(
        .locked, "\(name) is locked by another process (\(gitDirectory)/\(name).lock)",
        function: "git_reference_create_matching")
    }
    try check(result, "git_reference_create_matching", context: "cannot update \(name)")
  }

  /// Moves every loose reference into `packed-refs` (libgit2 runs no hooks).
  ///
  /// Protected references are packed as soon as they are created: git's `pack-refs` (run by
  /// `git gc`) would otherwise delete their loose files in a transaction the
  /// reference-transaction hook cannot tell from a real deletion, and refuse.
  package func packReferences() throws(GitError) {
    var refdb: OpaquePointer?
    try check(git_repository_refdb(&refdb, pointer), "git_repository_refdb")
    guard let refdb else { return }
    defer { git_refdb_free(refdb) }
    try check(git_refdb_compress(refdb), "git_refdb_compress", context: "cannot pack references")
  }

  /// Deletes a reference if it still points at `expected`.
  package func deleteReference(_ name: String, expected: ObjectID) throws(GitError) {
    if Self.isProtected(name) {
      throw GitError(.protected, "\(name) is a protected set: it is never deleted")
    }
    var reference: OpaquePointer?
    let lookup = git_reference_lookup(&reference, pointer, name)
    if lookup == GIT_ENOTFOUND.rawValue { throw GitError(.notFound, "\(name) does not exist") }
    try check(lookup, "git_reference_lookup")
    guard let reference else { return }
    defer { git_reference_free(reference) }
    if let oid = git_reference_target(reference), ObjectID(oid.pointee) != expected {
      throw GitError(.raceLost, "\(name) moved while this operation ran; nothing was changed")
    }
    try check(
      git_reference_delete(reference), "git_reference_delete", context: "cannot delete \(name)")
  }

  /// Points HEAD at a branch (which may not have commits yet).
  package func setHead(branch: String) throws(GitError) {
    try check(git_repository_set_head(pointer, "refs/heads/" + branch), "git_repository_set_head")
  }

  /// Detaches HEAD at a commit.
  package func detachHead(at id: ObjectID) throws(GitError) {
    var oid = id.gitOID
    try check(git_repository_set_head_detached(pointer, &oid), "git_repository_set_head_detached")
  }

  /// Resolves a revision expression (`main`, `HEAD~2`, an abbreviated id…) to a commit id.
  package func resolveCommit(_ revision: String) throws(GitError) -> ObjectID {
    var object: OpaquePointer?
    let result = git_revparse_single(&object, pointer, revision)
    if result == GIT_ENOTFOUND.rawValue || result == GIT_EINVALIDSPEC.rawValue
      || result == GIT_EAMBIGUOUS.rawValue
    {
      throw GitError(.notFound, "unknown revision '\(revision)'", function: "git_revparse_single")
    }
    try check(result, "git_revparse_single", context: "cannot resolve '\(revision)'")
    guard let object else { throw GitError(.notFound, "unknown revision '\(revision)'") }
    defer { git_object_free(object) }
    var peeled: OpaquePointer?
    let peel = git_object_peel(&peeled, object, GIT_OBJECT_COMMIT)
    if peel != 0 {
      throw GitError(.notFound, "'\(revision)' does not name a commit", function: "git_object_peel")
    }
    guard let peeled else { throw GitError(.notFound, "'\(revision)' does not name a commit") }
    defer { git_object_free(peeled) }
    return ObjectID(git_object_id(peeled).pointee)
  }

  /// The best common ancestor of two commits, or nil when they share no history.
  package func mergeBase(_ one: ObjectID, _ two: ObjectID) throws(GitError) -> ObjectID? {
    var out = git_oid()
    var first = one.gitOID
    var second = two.gitOID
    let result = git_merge_base(&out, pointer, &first, &second)
    if result == GIT_ENOTFOUND.rawValue { return nil }
    try check(result, "git_merge_base", context: "cannot find a merge base")
    return ObjectID(out)
  }

  /// Calls `body` for each commit reachable from `start`, newest first (time order,
  /// parents after children); stops when `body` returns false.
  package func walkHistory(from start: ObjectID, _ body: (ObjectID) throws -> Bool) throws {
    var walker: OpaquePointer?
    try check(git_revwalk_new(&walker, pointer), "git_revwalk_new")
    guard let walker else { return }
    defer { git_revwalk_free(walker) }
    try check(
      git_revwalk_sorting(walker, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue),
      "git_revwalk_sorting")
    var oid = start.gitOID
    try check(git_revwalk_push(walker, &oid), "git_revwalk_push")
    var next = git_oid()
    while git_revwalk_next(&next, walker) == 0 {
      if try !body(ObjectID(next)) { break }
    }
  }

  /// The number of changed files libgit2's own tree-to-tree diff reports.
  ///
  /// Kept for comparison in benchmarks: libgit2 1.5 does not prune identical subtrees.
  package func libgit2DiffCount(_ old: ObjectID, _ new: ObjectID) throws(GitError) -> Int {
    var oldOID = old.gitOID
    var newOID = new.gitOID
    var oldTree: OpaquePointer?
    var newTree: OpaquePointer?
    try check(git_tree_lookup(&oldTree, pointer, &oldOID), "git_tree_lookup")
    defer { git_tree_free(oldTree) }
    try check(git_tree_lookup(&newTree, pointer, &newOID), "git_tree_lookup")
    defer { git_tree_free(newTree) }
    var diff: OpaquePointer?
    try check(git_diff_tree_to_tree(&diff, pointer, oldTree, newTree, nil), "git_diff_tree_to_tree")
    defer { git_diff_free(diff) }
    return git_diff_num_deltas(diff)
  }
}

/// Read-only access to environment variables without Foundation.
struct ProcessEnvironment {
  subscript(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    let text = String(cString: value)
    return text.isEmpty ? nil : text
  }
}
