package import GitStore

/// What a checkout or switch did.
package struct CheckoutResult: Sendable {
  package var head: Head
  package var filesWritten: Int
  package var filesRemoved: Int
  /// The sparse checkout now in place; nil when the working tree is full.
  package var sparse: SparseCheckout? = nil
}

extension CairnRepository {
  /// Materialises `revision` in the working tree and moves HEAD.
  ///
  /// A branch name attaches HEAD to that branch; any other revision detaches it, as git does.
  /// Only files that differ between the current and the target tree are written or removed.
  /// With `view`, the working tree becomes sparse: only the samples that view (as stored in
  /// `revision`) selects there, and their label files, are materialised, with every file
  /// outside `samples/` and `labels/`. Without it, the working tree is full again.
  ///
  /// - Parameters:
  ///   - revision: A branch name or any revision expression.
  ///   - force: Discard uncommitted changes to tracked files instead of refusing.
  ///   - view: The view whose samples to materialise; nil for every sample.
  /// - Returns: Where HEAD now points, how many files were written or removed, and the sparse
  ///   checkout in place.
  /// - Throws: `CairnError` `.uncommittedChanges` when the working tree differs from HEAD,
  ///   `.notFound` when `revision` has no such view.
  package func checkout(_ revision: String, force: Bool = false, view: String? = nil)
    throws(CairnError) -> CheckoutResult
  {
    var branchName: String?
    if revision == "HEAD", case .branch(let name, _) = try head() {
      branchName = name
    } else if FormatV1.keyProblem(revision) == nil,
      (try? git.referenceTarget("refs/heads/" + revision)) != nil
    {
      branchName = revision
    }
    let target = try resolve(revision)
    let sparse = try view.map { (name) throws(CairnError) in
      try sparseCheckout(view: name, revision: revision, target: target)
    }
    return try moveWorkingTree(to: target, branch: branchName, force: force, sparse: sparse)
  }

  /// Switches to branch `name`, creating it at HEAD first when `create` is set.
  package func switchBranch(_ name: String, create: Bool, force: Bool = false) throws(CairnError)
    -> CheckoutResult
  {
    if create {
      try createBranch(name, at: nil)
      let head = try head()
      let lock = try WriterLock(path: lockPath)
      defer { lock.release() }
      try CairnError.wrap { try git.setHead(branch: name) }
      return CheckoutResult(
        head: .branch(name, target: head.target), filesWritten: 0, filesRemoved: 0)
    }
    guard let target = try CairnError.wrap(nil, { try git.referenceTarget("refs/heads/" + name) })
    else {
      throw CairnError(
        .notFound, "no branch named '\(name)' (use 'cairn switch -c \(name)' to create it)")
    }
    return try moveWorkingTree(to: target, branch: name, force: force, sparse: nil)
  }

  func moveWorkingTree(
    to target: ObjectID, branch: String?, force: Bool, sparse: SparseCheckout?
  ) throws(CairnError) -> CheckoutResult {
    let root = try requireRoot(for: "checkout")
    let lock = try WriterLock(path: lockPath)
    defer { lock.release() }
    let snapshot = try snapshot()
    // Which tracked files differ from HEAD (hashing only files whose stat data changed).
    var dirty: [FileChange] = []
    var headFiles: [String: ObjectID] = [:]
    var currentIDs: [ObjectID?] = []
    currentIDs.reserveCapacity(snapshot.entries.count)
    for (index, entry) in snapshot.entries.enumerated() {
      if let id = entry.headID { headFiles[entry.path] = id }
      var current = entry.knownID
      if entry.needsRead {
        let bytes = try CairnError.wrap { try FileIO.read(root + "/" + entry.path) }
        current = ObjectHasher.id(of: .blob, bytes)
      }
      currentIDs.append(current)
      if let kind = snapshot.change(at: index, currentID: current) {
        dirty.append(FileChange(path: entry.path, change: kind))
      }
    }
    if !dirty.isEmpty && !force {
      let sample = dirty.prefix(5).map { "  \($0.change.rawValue): \($0.path)" }.joined(
        separator: "\n")
      throw CairnError(
        .uncommittedChanges,
        "\(dirty.count) uncommitted change(s) would be lost; commit them or use --force:\n\(sample)"
      )
    }
    let targetTree = try CairnError.wrap { try git.readCommit(target).tree }
    if snapshot.sparse != nil || sparse != nil {
      return try moveSparseWorkingTree(
        SparseMove(
          root: root, snapshot: snapshot, currentIDs: currentIDs, dirty: dirty, target: target,
          targetTree: targetTree, branch: branch, sparse: sparse),
        lock: lock)
    }
    var differences: [TreeDifference] = []
    try CairnError.wrap {
      try TreeWalk(repository: git).differences(from: snapshot.headTree, to: targetTree) {
        if FormatV1.isTracked($0.path) { differences.append($0) }
      }
    }
    // Check every path before touching the working tree.
    for difference in differences {
      if case .failure(let problem) = FormatV1.classify(difference.path) {
        throw CairnError(
          .invalidInput,
          "tree path '\(difference.path)' is not a valid Cairn path (\(problem.reason)); nothing was written"
        )
      }
    }
    var written = 0
    var removed = 0
    var files = headFiles
    try CairnError.wrap {
      // Restore files changed in the working tree (only with --force).
      for change in dirty {
        if change.change == .added {
          try FileIO.remove(root + "/" + change.path)
          files[change.path] = nil
        } else if let id = headFiles[change.path] {
          try writeFile(root: root, path: change.path, id: id)
        }
      }
      // Removals first: a folder that becomes a file must be gone before the file is written.
      for difference in differences where difference.new == nil {
        try FileIO.remove(root + "/" + difference.path)
        Self.pruneDirectories(root: root, path: difference.path)
        files[difference.path] = nil
        removed += 1
      }
      for difference in differences {
        guard let id = difference.new else { continue }
        try writeFile(root: root, path: difference.path, id: id)
        files[difference.path] = id
        written += 1
      }
      if let branch {
        try git.setHead(branch: branch)
      } else {
        try git.detachHead(at: target)
      }
    }
    try writeIndex(
      lock: lock, root: root, files: files, tree: targetTree, foreign: snapshot.foreignEntries)
    let head: Head = branch.map { .branch($0, target: target) } ?? .detached(target)
    return CheckoutResult(head: head, filesWritten: written, filesRemoved: removed)
  }

  func writeFile(root: String, path: String, id: ObjectID) throws {
    let bytes = try git.readBlob(id)
    let full = root + "/" + path
    if let slash = full.lastIndex(of: "/") { try FileIO.makeDirectories(String(full[..<slash])) }
    try FileIO.writeAtomically(bytes, to: full)
  }

  static func pruneDirectories(root: String, path: String) {
    var parts = path.split(separator: "/").dropLast()
    while !parts.isEmpty {
      FileIO.removeDirectoryIfEmpty(root + "/" + parts.joined(separator: "/"))
      parts = parts.dropLast()
    }
  }
}
