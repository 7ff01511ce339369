internal import GitStore

/// What a checkout into or out of a sparse working tree starts from.
struct SparseMove {
  var root: String
  var snapshot: WorkingSnapshot
  /// The working file's blob id of each snapshot entry (nil: absent or unknown).
  var currentIDs: [ObjectID?]
  /// Uncommitted changes (only with `--force`).
  var dirty: [FileChange]
  var target: ObjectID
  var targetTree: ObjectID
  var branch: String?
  /// The sparse checkout to make; nil for a full working tree.
  var sparse: SparseCheckout?
}

extension CairnRepository {
  /// The sparse checkout of view `name` as stored in `revision`, evaluated on that revision.
  func sparseCheckout(view name: String, revision: String, target: ObjectID) throws(CairnError)
    -> SparseCheckout
  {
    let definition = try view(named: name, in: .revision(revision))
    let evaluation = try evaluate(definition, in: .revision(revision))
    let table = evaluation.evaluator.table
    var selected = [Bool](repeating: false, count: table.keys.count)
    for index in evaluation.indices { selected[index] = true }
    var excluded: Set<String> = []
    excluded.reserveCapacity(table.keys.count - evaluation.indices.count)
    for (index, suffix) in table.suffixes.enumerated() where !selected[index] {
      excluded.insert(suffix)
    }
    return SparseCheckout(
      view: name, commit: target, included: evaluation.indices.count, excluded: excluded)
  }

  /// Moves the working tree to `move.target` when the current or the new working tree is
  /// sparse.
  ///
  /// Unlike a full checkout, which writes only the files that differ between the two trees,
  /// this compares the files present now (HEAD's minus those left out, after `--force`
  /// restored changes) with the files wanted (the target's minus those the new view leaves
  /// out). While files are written and removed, the state file lists the samples left out by
  /// either side, so that a checkout killed half-way never makes the next commit delete
  /// samples that are merely absent.
  func moveSparseWorkingTree(_ move: SparseMove, lock: WriterLock) throws(CairnError)
    -> CheckoutResult
  {
    let root = move.root
    let snapshot = move.snapshot
    var targetFiles: [(path: String, id: ObjectID)] = []
    try CairnError.wrap {
      for file in try TreeWalk(repository: git).listFiles(in: move.targetTree)
      where FormatV1.isTracked(file.path) {
        targetFiles.append(file)
      }
    }
    for file in targetFiles {
      if case .failure(let problem) = FormatV1.classify(file.path) {
        throw CairnError(
          .invalidInput,
          "tree path '\(file.path)' is not a valid Cairn path (\(problem.reason)); nothing was written"
        )
      }
    }
    let dirty = Dictionary(move.dirty.map { ($0.path, $0.change) }, uniquingKeysWith: { a, _ in a })
    // The files present once --force has restored the changes.
    var present: [String: ObjectID] = [:]
    present.reserveCapacity(snapshot.entries.count)
    for (index, entry) in snapshot.entries.enumerated() where !entry.skipped {
      switch dirty[entry.path] {
      case .added: continue
      case .modified, .deleted: present[entry.path] = entry.headID
      case nil: if entry.stat != nil { present[entry.path] = move.currentIDs[index] }
      }
    }
    var wanted: [String: ObjectID] = [:]
    wanted.reserveCapacity(targetFiles.count)
    for file in targetFiles where move.sparse?.excludes(file.path) != true {
      wanted[file.path] = file.id
    }

    let old = snapshot.sparse
    if old != nil || move.sparse != nil {
      let union = (old?.excluded ?? []).union(move.sparse?.excluded ?? [])
      let transition = SparseCheckout(
        view: move.sparse?.view ?? old?.view ?? "", commit: move.target,
        included: move.sparse?.included ?? 0, excluded: union)
      try transition.write(gitDirectory: git.gitDirectory)
    }
    var written = 0
    var removed = 0
    var headIDs: [String: ObjectID] = [:]
    if !move.dirty.isEmpty {
      for entry in snapshot.entries { headIDs[entry.path] = entry.headID }
    }
    try CairnError.wrap {
      for change in move.dirty {
        if change.change == .added {
          try FileIO.remove(root + "/" + change.path)
        } else if let id = headIDs[change.path] {
          try writeFile(root: root, path: change.path, id: id)
        }
      }
      // Removals first: a folder that becomes a file must be gone before the file is written.
      for path in present.keys.sorted() where wanted[path] == nil {
        try FileIO.remove(root + "/" + path)
        Self.pruneDirectories(root: root, path: path)
        removed += 1
      }
      for file in targetFiles {
        guard let id = wanted[file.path], present[file.path] != id else { continue }
        try writeFile(root: root, path: file.path, id: id)
        written += 1
      }
      if let branch = move.branch {
        try git.setHead(branch: branch)
      } else {
        try git.detachHead(at: move.target)
      }
    }
    if let sparse = move.sparse {
      try sparse.write(gitDirectory: git.gitDirectory)
    } else {
      try SparseCheckout.remove(gitDirectory: git.gitDirectory)
    }
    var entries: [IndexEntry] = []
    entries.reserveCapacity(targetFiles.count)
    for file in targetFiles {
      var entry = IndexEntry(path: file.path, id: file.id)
      if wanted[file.path] == nil {
        entry.skipWorktree = true
      } else if let info = FileStat.of(root + "/" + file.path) {
        entry.setStat(info)
      }
      entries.append(entry)
    }
    try writeIndex(
      lock: lock, entries: entries, sorted: false, tree: move.targetTree,
      foreign: snapshot.foreignEntries)
    let head: Head = move.branch.map { .branch($0, target: move.target) } ?? .detached(move.target)
    return CheckoutResult(
      head: head, filesWritten: written, filesRemoved: removed, sparse: move.sparse)
  }
}
