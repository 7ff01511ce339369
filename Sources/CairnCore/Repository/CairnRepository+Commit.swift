package import GitStore

/// What a commit wrote.
package struct CommitResult: Sendable {
  package var id: ObjectID
  package var branch: String?
  package var changes: [FileChange]
  package var objectsWritten: Int
}

/// One changed file, read, checked and ready for the pack.
private struct PreparedFile: Sendable {
  var id: ObjectID
  var object: PreparedObject?
  var bytes: [UInt8]?
  var violation: CairnError.Violation?
  var unreadable: Bool
}

extension CairnRepository {
  /// Validates every changed file and writes one commit on the current branch.
  ///
  /// The commit is all or nothing: files are checked first (parseable, canonical, ids
  /// consistent); any violation refuses the whole commit and writes nothing. New objects go
  /// into one pack that is moved into place before the branch is updated with a
  /// compare-and-swap, so a concurrent writer or a killed process never leaves the branch
  /// between two states.
  ///
  /// - Parameters:
  ///   - message: The commit message.
  ///   - normalize: Rewrite parseable but non-canonical JSON files into canonical form instead
  ///     of refusing them.
  ///   - now: The commit time, in seconds since 1970.
  /// - Returns: The new commit, its branch and the files it changed.
  /// - Throws: `CairnError` `.validationFailed` listing every violation, `.nothingToCommit`,
  ///   `.locked` when another process holds the lock, `.concurrentUpdate` when the branch moved.
  package func commit(message: String, normalize: Bool = false, now: Int64) throws(CairnError)
    -> CommitResult
  {
    let root = try requireRoot(for: "commit")
    let lock = try CairnError.wrap { try FileIO.createLock(lockPath) }
    var lockOpen = true
    defer {
      if lockOpen {
        FileIO.close(lock)
        try? FileIO.remove(lockPath)
      }
    }
    let snapshot = try snapshot()

    // Read, hash, validate and compress every file not known from the index, on all cores.
    let candidates = snapshot.files.filter { snapshot.known[$0.path] == nil }
    let headFiles = snapshot.headFiles
    let prepared = parallelMap(count: candidates.count, state: ObjectCompressor()) {
      compressor, index -> PreparedFile in
      Self.prepare(
        path: candidates[index].path, root: root, head: headFiles, normalize: normalize,
        compressor: compressor)
    }

    var current = snapshot.known
    var violations: [CairnError.Violation] = []
    var objects: [String: PreparedFile] = [:]
    for (file, item) in zip(candidates, prepared) {
      if let violation = item.violation { violations.append(violation) }
      current[file.path] = item.id
      if item.object != nil { objects[file.path] = item }
    }
    let changes = Self.changes(head: headFiles, current: current)
    violations += Self.crossFileViolations(changes: changes, current: current)
    if !violations.isEmpty {
      violations.sort { $0.location.utf8.lexicographicallyPrecedes($1.location.utf8) }
      let summary = violations.count == 1 ? "1 file breaks" : "\(violations.count) files break"
      throw CairnError(
        .validationFailed, "commit refused: \(summary) the format rules; nothing was written",
        violations: violations)
    }
    if changes.isEmpty {
      // A process killed after moving the branch but before writing the index leaves a stale
      // index; bring it back in line with HEAD so plain git agrees.
      if let headTree = snapshot.headTree, snapshot.indexTree != headTree {
        try writeIndex(
          lock: lock, root: root, files: current, tree: headTree, foreign: snapshot.foreignEntries)
        lockOpen = false
      }
      throw CairnError(.nothingToCommit, "nothing to commit, working tree matches HEAD")
    }

    let (commitID, written) = try CairnError.wrap { () throws -> (ObjectID, Int) in
      let writer = try ObjectWriter(repository: git)
      for change in changes where change.change != .deleted {
        if let object = objects[change.path]?.object { try writer.add(object) }
      }
      let editor = TreeEditor(repository: git, writer: writer)
      let tree = try editor.apply(
        base: snapshot.headTree,
        changes: changes.map {
          TreeChange(path: $0.path, id: $0.change == .deleted ? nil : current[$0.path])
        })
      let signature = git.defaultSignature(now: now)
      let parents = snapshot.head.target.map { [$0] } ?? []
      let id = try writer.write(
        .commit,
        Commit.serialize(
          tree: tree, parents: parents, author: signature, committer: signature, message: message))
      let written = writer.count
      try writer.commit()
      let reference: String
      if case .branch(let name, _) = snapshot.head {
        reference = "refs/heads/" + name
      } else {
        reference = "HEAD"
      }
      try git.updateReference(
        reference, to: id, expected: snapshot.head.target,
        message: "commit: \(Commit.summaryLine(message))")
      return (id, written)
    }

    // Rewrite normalised files, then record the new stat data in the index.
    for (path, item) in objects {
      if let bytes = item.bytes {
        try CairnError.wrap { try FileIO.writeAtomically(bytes, to: root + "/" + path) }
      }
    }
    let tree = try CairnError.wrap { try git.readCommit(commitID).tree }
    try writeIndex(
      lock: lock, root: root, files: current, tree: tree, foreign: snapshot.foreignEntries)
    lockOpen = false
    let branch: String?
    if case .branch(let name, _) = snapshot.head { branch = name } else { branch = nil }
    return CommitResult(id: commitID, branch: branch, changes: changes, objectsWritten: written)
  }

  /// Writes the git index for `files` (path → blob id) through the already-held lock and
  /// moves it into place, releasing the lock.
  func writeIndex(
    lock: Int32, root: String, files: [String: ObjectID], tree: ObjectID,
    foreign: [IndexEntry] = []
  ) throws(CairnError) {
    var entries: [IndexEntry] = foreign
    entries.reserveCapacity(files.count + foreign.count)
    for (path, id) in files {
      var entry = IndexEntry(path: path, id: id)
      if let info = FileStat.of(root + "/" + path) { entry.setStat(info) }
      entries.append(entry)
    }
    let bytes = IndexFile(entries: entries).serialize()
    let checksum = bytes.suffix(20).withUnsafeBytes { ObjectID(raw: $0) }
    try CairnError.wrap {
      try FileIO.remove(indexTreePath)
      try FileIO.write(lock, bytes, what: lockPath)
      FileIO.close(lock)
      try FileIO.rename(lockPath, indexPath)
      try FileIO.makeDirectories(git.gitDirectory + "/cairn")
      try FileIO.writeAtomically(Array("\(checksum.hex) \(tree.hex)\n".utf8), to: indexTreePath)
    }
  }

  private static func prepare(
    path: String, root: String, head: [String: ObjectID], normalize: Bool,
    compressor: ObjectCompressor
  ) -> PreparedFile {
    let bytes: [UInt8]
    do {
      bytes = try FileIO.read(root + "/" + path)
    } catch {
      return PreparedFile(
        id: ObjectID.emptyTree, object: nil, bytes: nil,
        violation: CairnError.Violation(path, "cannot be read: \(error.message)"), unreadable: true)
    }
    let id = ObjectHasher.id(of: .blob, bytes)
    if head[path] == id {
      return PreparedFile(id: id, object: nil, bytes: nil, violation: nil, unreadable: false)
    }
    switch Validator.check(path: path, bytes: bytes) {
    case .valid:
      return PreparedFile(
        id: id, object: compressor.prepare(.blob, bytes), bytes: nil, violation: nil,
        unreadable: false)
    case .notCanonical(let canonical) where normalize:
      let canonicalID = ObjectHasher.id(of: .blob, canonical)
      if head[path] == canonicalID {
        return PreparedFile(
          id: canonicalID, object: nil, bytes: canonical, violation: nil, unreadable: false)
      }
      return PreparedFile(
        id: canonicalID, object: compressor.prepare(.blob, canonical), bytes: canonical,
        violation: nil,
        unreadable: false)
    case .notCanonical:
      return PreparedFile(
        id: id, object: nil, bytes: nil,
        violation: CairnError.Violation(
          path,
          "not in canonical JSON form (sorted keys, no whitespace, one final newline); "
            + "run 'cairn commit --normalize' to rewrite it"),
        unreadable: false)
    case .invalid(let reason):
      return PreparedFile(
        id: id, object: nil, bytes: nil, violation: CairnError.Violation(path, reason),
        unreadable: false)
    }
  }

  /// Rules that involve more than one file: labels need their sample, and the manifest stays.
  private static func crossFileViolations(changes: [FileChange], current: [String: ObjectID])
    -> [CairnError.Violation]
  {
    var violations: [CairnError.Violation] = []
    if current["cairn.json"] == nil {
      violations.append(CairnError.Violation("cairn.json", "the manifest cannot be deleted"))
    }
    if current["schema.json"] == nil {
      violations.append(CairnError.Violation("schema.json", "the schema cannot be deleted"))
    }
    var fields: Set<String>?
    for change in changes {
      guard case .success(let kind) = FormatV1.classify(change.path) else { continue }
      switch (kind, change.change) {
      case (.label(_, let key), .added), (.label(_, let key), .modified):
        if current[FormatV1.samplePath(key)] == nil {
          violations.append(
            CairnError.Violation(change.path, "labels for sample '\(key)', which does not exist"))
        }
      case (.sample(let key), .deleted):
        if fields == nil {
          fields = Set(
            current.keys.compactMap { path -> String? in
              guard path.hasPrefix("labels/") else { return nil }
              return path.split(separator: "/").dropFirst().first.map(String.init)
            })
        }
        for field in fields ?? [] where current[FormatV1.labelPath(field: field, key: key)] != nil {
          violations.append(
            CairnError.Violation(
              change.path, "sample '\(key)' is deleted but its labels in field '\(field)' remain"))
        }
      default: break
      }
    }
    return violations
  }
}

extension Commit {
  /// The first line of a message.
  static func summaryLine(_ message: String) -> String {
    String(
      message.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
  }
}
