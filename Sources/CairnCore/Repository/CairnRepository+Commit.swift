package import GitStore

/// What a commit wrote.
package struct CommitResult: Sendable {
  package var id: ObjectID
  package var branch: String?
  package var changes: [FileChange]
  package var objectsWritten: Int
  /// Wall-clock time of each phase, in order (for `cairn commit --timings`).
  package var timings: [(phase: String, seconds: Double)] = []
}

/// Measures consecutive phases of an operation.
struct PhaseClock {
  private var last = ContinuousClock.now
  private(set) var timings: [(phase: String, seconds: Double)] = []

  mutating func mark(_ phase: String) {
    let now = ContinuousClock.now
    let elapsed = (now - last).components
    timings.append((phase, Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18))
    last = now
  }
}

/// One changed file, read, checked and ready for the pack.
private struct PreparedFile: Sendable {
  var id: ObjectID
  var object: PreparedObject? = nil
  /// Canonical bytes to write back (with `--normalize`).
  var bytes: [UInt8]? = nil
  var violations: [CairnError.Violation] = []
  var kind: FormatV1.PathKind? = nil
  /// Whether the bytes mention a group or a cuboid (for the rules across files).
  var marks: ContentMarks? = nil
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
    let merging = try mergeState()
    if let merging, !merging.unresolved.isEmpty {
      throw CairnError(
        .conflicts,
        "commit refused: the merge of '\(merging.name)' has \(merging.unresolved.count) "
          + "unresolved conflict(s); see 'cairn conflicts', settle them with 'cairn resolve'",
        violations: merging.unresolved.map {
          CairnError.Violation($0.path, "\($0.kind.rawValue) conflict on \($0.item ?? $0.path)")
        })
    }
    let lock = try WriterLock(path: lockPath)
    defer { lock.release() }
    var clock = PhaseClock()
    let snapshot = try snapshot()
    clock.mark("scan and index")
    let entries = snapshot.entries

    // The schema the new tree will have; when it differs from HEAD's, the fields whose
    // definition changed are checked again in full, changed files or not.
    let schemaCheck = schemaCheck(snapshot: snapshot, root: root)

    // Read, hash, validate and compress every file not known from the index, on all cores.
    let candidates = entries.indices.filter {
      entries[$0].needsRead || (entries[$0].stat != nil && schemaCheck.recheck(entries[$0].path))
    }
    let prepared = parallelMap(count: candidates.count, state: ObjectCompressor()) {
      compressor, index -> PreparedFile in
      let entry = entries[candidates[index]]
      return Self.prepare(
        path: entry.path, root: root, headID: entry.headID, normalize: normalize,
        schema: schemaCheck.schema, recheck: schemaCheck.recheck(entry.path),
        compressor: compressor)
    }

    clock.mark("read, validate, hash, compress")
    var current = entries.map(\.knownID)
    var preparedAt = [Int](repeating: -1, count: entries.count)
    var violations: [CairnError.Violation] = []
    if snapshot.sparse != nil && schemaCheck.changes {
      violations.append(
        CairnError.Violation(
          "schema.json",
          "a schema change is committed from a full working tree (the labels of samples a "
            + "sparse checkout left out must be checked against it); run 'cairn checkout "
            + "--full' first"))
    }
    for (slot, index) in candidates.enumerated() {
      let item = prepared[slot]
      violations += item.violations
      current[index] = item.id
      preparedAt[index] = slot
    }
    var changed: [(index: Int, kind: ChangeKind)] = []
    for index in entries.indices {
      if let kind = snapshot.change(at: index, currentID: current[index]) {
        changed.append((index, kind))
      }
    }
    violations += Self.crossFileViolations(
      snapshot: snapshot, changed: changed,
      kinds: { index in preparedAt[index] < 0 ? nil : prepared[preparedAt[index]].kind },
      records: RecordReader(root: root, git: git),
      marks: { index in preparedAt[index] < 0 ? nil : prepared[preparedAt[index]].marks })
    violations += Self.embeddingViolations(
      changedPaths: changed.map { entries[$0.index].path }, root: root)
    clock.mark("changes and cross-file rules")
    if !violations.isEmpty {
      violations.sort { $0.location.utf8.lexicographicallyPrecedes($1.location.utf8) }
      let files = Set(violations.map(\.location)).count
      let summary = files == 1 ? "1 file breaks" : "\(files) files break"
      throw CairnError(
        .validationFailed,
        "commit refused: \(summary) the format or schema rules; nothing was written",
        violations: violations)
    }
    let changes = changed.map { FileChange(path: entries[$0.index].path, change: $0.kind) }
    if changes.isEmpty && merging == nil {
      // A process killed after moving the branch but before writing the index leaves a stale
      // index; bring it back in line with HEAD so plain git agrees.
      if let headTree = snapshot.headTree, snapshot.indexTree != headTree {
        try writeIndex(
          lock: lock,
          entries: try Self.indexEntries(
            snapshot, current, root: root,
            normalized: Self.rewriteNormalized(prepared, at: preparedAt, snapshot, root)),
          sorted: true, tree: headTree,
          foreign: snapshot.foreignEntries)
      }
      throw CairnError(.nothingToCommit, "nothing to commit, working tree matches HEAD")
    }

    let (commitID, tree, written) = try CairnError.wrap {
      () throws -> (ObjectID, ObjectID, Int) in
      let writer = try ObjectWriter(repository: git)
      for (index, kind) in changed where kind != .deleted {
        let slot = preparedAt[index]
        if slot >= 0, let object = prepared[slot].object { try writer.add(object) }
      }
      clock.mark("blobs into the pack")
      let editor = TreeEditor(repository: git, writer: writer)
      let tree = try editor.apply(
        base: snapshot.headTree,
        changes: changed.map { index, kind in
          TreeChange(path: entries[index].path, id: kind == .deleted ? nil : current[index])
        })
      clock.mark("trees")
      let signature = git.defaultSignature(now: now)
      var parents = snapshot.head.target.map { [$0] } ?? []
      if let merging { parents.append(merging.theirs) }
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
      return (id, tree, written)
    }

    clock.mark("pack, commit, branch")
    if merging != nil { clearMergeState() }
    try writeIndex(
      lock: lock,
      entries: try Self.indexEntries(
        snapshot, current, root: root,
        normalized: Self.rewriteNormalized(prepared, at: preparedAt, snapshot, root)),
      sorted: true, tree: tree, foreign: snapshot.foreignEntries)
    clock.mark("index")
    let branch: String?
    if case .branch(let name, _) = snapshot.head { branch = name } else { branch = nil }
    return CommitResult(
      id: commitID, branch: branch, changes: changes, objectsWritten: written,
      timings: clock.timings)
  }

  /// Writes the canonical bytes of files accepted with `--normalize` over the originals.
  ///
  /// - Returns: The snapshot indices of the rewritten files, whose stat data changed.
  private static func rewriteNormalized(
    _ prepared: [PreparedFile], at preparedAt: [Int], _ snapshot: WorkingSnapshot, _ root: String
  ) throws(CairnError) -> Set<Int> {
    var rewritten: Set<Int> = []
    for (index, slot) in preparedAt.enumerated() where slot >= 0 {
      guard let bytes = prepared[slot].bytes else { continue }
      let path = root + "/" + snapshot.entries[index].path
      try CairnError.wrap { try FileIO.writeAtomically(bytes, to: path) }
      rewritten.insert(index)
    }
    return rewritten
  }

  /// Index entries for every working file, in index order, with the scan's stat data (read
  /// again only for the `normalized` files, which were just rewritten).
  private static func indexEntries(
    _ snapshot: WorkingSnapshot, _ current: [ObjectID?], root: String, normalized: Set<Int>
  ) -> [IndexEntry] {
    var result: [IndexEntry] = []
    result.reserveCapacity(snapshot.entries.count)
    for (index, entry) in snapshot.entries.enumerated() {
      if entry.skipped, let id = entry.headID {
        // Left out by a sparse checkout: kept in the index, flagged for git.
        var indexEntry = IndexEntry(path: entry.path, id: id)
        indexEntry.skipWorktree = true
        result.append(indexEntry)
        continue
      }
      guard var stat = entry.stat, let id = current[index] else { continue }
      if normalized.contains(index), let fresh = FileStat.of(root + "/" + entry.path) {
        stat = fresh
      }
      var indexEntry = IndexEntry(path: entry.path, id: id)
      indexEntry.setStat(stat)
      result.append(indexEntry)
    }
    return result
  }

  /// Writes the git index for `files` (path → blob id), reading each file's stat data.
  func writeIndex(
    lock: WriterLock, root: String, files: [String: ObjectID], tree: ObjectID,
    foreign: [IndexEntry] = []
  ) throws(CairnError) {
    var entries: [IndexEntry] = []
    entries.reserveCapacity(files.count)
    for (path, id) in files {
      var entry = IndexEntry(path: path, id: id)
      if let info = FileStat.of(root + "/" + path) { entry.setStat(info) }
      entries.append(entry)
    }
    try writeIndex(lock: lock, entries: entries, sorted: false, tree: tree, foreign: foreign)
  }

  /// Writes the git index through the already-held lock and moves it into place, releasing the
  /// lock; then records which tree it mirrors.
  ///
  /// - Parameters:
  ///   - lock: The held `index.lock`; it becomes the new index.
  ///   - entries: Entries with their stat data.
  ///   - sorted: Whether `entries` are already in index order (path bytes).
  ///   - tree: The tree the entries mirror.
  ///   - foreign: Entries of files outside Cairn's roots, kept as git wrote them.
  /// - Throws: `CairnError` `.io` when the index cannot be written.
  func writeIndex(
    lock: WriterLock, entries: [IndexEntry], sorted: Bool, tree: ObjectID,
    foreign: [IndexEntry] = []
  ) throws(CairnError) {
    var all = entries
    var isSorted = sorted
    if !foreign.isEmpty {
      all += foreign
      isSorted = false
    }
    let bytes = IndexFile(entries: all).serialize(presorted: isSorted)
    let checksum = bytes.suffix(20).withUnsafeBytes { ObjectID(raw: $0) }
    try CairnError.wrap {
      try FileIO.remove(indexTreePath)
      try FileIO.write(lock.descriptorForWriting, bytes, what: lockPath)
      FileIO.close(lock.handOver())
      try FileIO.rename(lockPath, indexPath)
      try FileIO.makeDirectories(git.gitDirectory + "/cairn")
      try FileIO.writeAtomically(Array("\(checksum.hex) \(tree.hex)\n".utf8), to: indexTreePath)
    }
  }

  private static func prepare(
    path: String, root: String, headID: ObjectID?, normalize: Bool, schema: Schema?,
    recheck: Bool, compressor: ObjectCompressor
  ) -> PreparedFile {
    let bytes: [UInt8]
    do {
      bytes = try FileIO.read(root + "/" + path)
    } catch {
      return PreparedFile(
        id: ObjectID.emptyTree,
        violations: [CairnError.Violation(path, "cannot be read: \(error.message)")])
    }
    var result = checked(
      path: path, bytes: bytes, headID: headID, normalize: normalize, schema: schema,
      recheck: recheck, compressor: compressor)
    result.marks = ContentMarks(bytes)
    return result
  }

  private static func checked(
    path: String, bytes: [UInt8], headID: ObjectID?, normalize: Bool, schema: Schema?,
    recheck: Bool, compressor: ObjectCompressor
  ) -> PreparedFile {
    let id = ObjectHasher.id(of: .blob, bytes)
    // An unchanged file is checked only against a changed schema (it is read for that).
    let unchanged = headID == id
    if unchanged && !recheck { return PreparedFile(id: id) }
    let (outcome, kind) = Validator.inspect(path: path, bytes: bytes, schema: schema)
    switch outcome {
    case .valid:
      if unchanged { return PreparedFile(id: id) }
      return PreparedFile(id: id, object: compressor.prepare(.blob, bytes), kind: kind)
    case .breaksSchema(let reasons):
      return PreparedFile(
        id: id, violations: reasons.map { CairnError.Violation(path, $0) }, kind: kind)
    case .notCanonical where unchanged:
      return PreparedFile(id: id)
    case .notCanonical(let canonical) where normalize:
      let canonicalID = ObjectHasher.id(of: .blob, canonical)
      if headID == canonicalID {
        return PreparedFile(id: canonicalID, bytes: canonical, kind: kind)
      }
      return PreparedFile(
        id: canonicalID, object: compressor.prepare(.blob, canonical), bytes: canonical, kind: kind)
    case .notCanonical:
      return PreparedFile(
        id: id,
        violations: [
          CairnError.Violation(
            path,
            "not in canonical JSON form (sorted keys, no whitespace, one final newline); "
              + "run 'cairn commit --normalize' to rewrite it")
        ])
    case .invalid(let reason):
      if unchanged { return PreparedFile(id: id) }
      return PreparedFile(id: id, violations: [CairnError.Violation(path, reason)])
    }
  }

  /// The schema of the tree being committed, and which unchanged files it must check again.
  private func schemaCheck(snapshot: WorkingSnapshot, root: String) -> SchemaCheck {
    guard let bytes = try? FileIO.read(root + "/schema.json"),
      let schema = try? Schema.parse(bytes)
    else { return SchemaCheck(schema: nil) }
    let headSchema = snapshot.entries.first { $0.path == "schema.json" }?.headID.flatMap {
      id -> Schema? in
      guard let bytes = try? git.readBlob(id) else { return nil }
      return try? Schema.parse(bytes)
    }
    return SchemaCheck(from: headSchema, to: schema)
  }

  /// Rules that involve more than one file: labels need their sample, the manifest and schema
  /// stay, and groups and their samples agree (``groupViolations(snapshot:changed:kinds:records:)``).
  private static func crossFileViolations(
    snapshot: WorkingSnapshot, changed: [(index: Int, kind: ChangeKind)],
    kinds: (Int) -> FormatV1.PathKind?, records: RecordReader,
    marks: (Int) -> ContentMarks?
  ) -> [CairnError.Violation] {
    var violations: [CairnError.Violation] = []
    let entries = snapshot.entries
    for name in ["cairn.json", "schema.json"] where !snapshot.isPresent(name) {
      let what = name == "cairn.json" ? "the manifest" : "the schema"
      violations.append(CairnError.Violation(name, "\(what) cannot be deleted"))
    }
    func exists(_ path: String) -> Bool { snapshot.isPresent(path) }
    // Built only when needed: the working tree's label fields.
    var fields: [String]?
    for (index, change) in changed {
      let path = entries[index].path
      if change == .deleted {
        guard path.hasPrefix("samples/") else { continue }
        if fields == nil {
          var found: Set<String> = []
          for entry in entries where entry.stat != nil && entry.path.hasPrefix("labels/") {
            if let field = entry.path.split(separator: "/").dropFirst().first {
              found.insert(String(field))
            }
          }
          fields = found.sorted()
        }
        let rest = path.dropFirst("samples/".count)
        for field in fields ?? [] where exists("labels/\(field)/" + rest) {
          let key = (try? FormatV1.classify(path).get()).flatMap { kind -> String? in
            if case .sample(let key) = kind { return key }
            return nil
          }
          violations.append(
            CairnError.Violation(
              path, "sample '\(key ?? path)' is deleted but its labels in field '\(field)' remain"))
        }
      } else if case .label(let field, let key) = kinds(index) {
        // `labels/<field>/` is ASCII: dropped by its UTF-8 length, not by characters.
        let samplePath =
          "samples/" + String(Substring(path.utf8.dropFirst(8 + field.utf8.count)))
        if !exists(samplePath) {
          violations.append(
            CairnError.Violation(path, "labels for sample '\(key)', which does not exist"))
        }
      }
    }
    violations += groupViolations(
      snapshot: snapshot, changed: changed, kinds: kinds, records: records, marks: marks)
    return violations
  }
}

/// The schema a commit is checked against, and what a schema change makes it check again.
struct SchemaCheck {
  var schema: Schema?
  /// Label fields whose definition changed; nil means every field.
  var fields: Set<String>? = []
  /// Whether sample fields changed, so every sample record is checked again.
  var samples = false

  init(schema: Schema?, fields: Set<String>? = [], samples: Bool = false) {
    self.schema = schema
    self.fields = fields
    self.samples = samples
  }

  /// What changing the schema from `old` (nil: none, or unreadable) to `new` makes a commit
  /// check again: the label fields whose definition changed, and every sample record when the
  /// sample fields changed.
  init(from old: Schema?, to new: Schema) {
    guard let old else {
      self.init(schema: new, fields: nil, samples: true)
      return
    }
    let names = Set(new.fields.keys).union(old.fields.keys)
    self.init(
      schema: new, fields: names.filter { new.fields[$0] != old.fields[$0] },
      samples: new.sampleFields != old.sampleFields)
  }

  /// Whether the schema differs from `HEAD`'s.
  var changes: Bool { schema != nil && (fields == nil || !(fields ?? []).isEmpty || samples) }

  /// Whether the file at `path` must be checked even when it did not change.
  func recheck(_ path: String) -> Bool {
    guard schema != nil else { return false }
    if path.hasPrefix("samples/") { return samples }
    guard path.hasPrefix("labels/") else { return false }
    guard let fields else { return true }
    if fields.isEmpty { return false }
    let rest = path.utf8.dropFirst("labels/".count)
    guard let slash = rest.firstIndex(of: UInt8(ascii: "/")) else { return false }
    return fields.contains(String(decoding: rest[..<slash], as: UTF8.self))
  }
}

extension Commit {
  /// The first line of a message.
  static func summaryLine(_ message: String) -> String {
    String(
      message.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
  }
}
