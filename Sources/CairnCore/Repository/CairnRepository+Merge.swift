package import GitStore

/// A merge in progress: what is merged, and its conflicts (`.git/cairn/merge.json`, with git's
/// own `MERGE_HEAD` and `MERGE_MSG` beside it so plain git sees the merge too).
package struct MergeState: Sendable {
  /// The commit being merged in.
  package var theirs: ObjectID
  /// What the user named (`annotator-b`).
  package var name: String
  package var base: ObjectID?
  package var message: String
  /// The working-tree paths the merge wrote or removed (restored by `merge --abort`).
  package var paths: [String]
  package var conflicts: [MergeConflict]

  package var unresolved: [MergeConflict] { conflicts.filter { !$0.resolved } }

  var json: JSONValue {
    .object([
      "theirs": .string(theirs.hex), "name": .string(name),
      "base": base.map { .string($0.hex) } ?? .null, "message": .string(message),
      "paths": .array(paths.map { .string($0) }), "conflicts": .array(conflicts.map(\.json)),
    ])
  }

  init(
    theirs: ObjectID, name: String, base: ObjectID?, message: String, paths: [String],
    conflicts: [MergeConflict]
  ) {
    self.theirs = theirs
    self.name = name
    self.base = base
    self.message = message
    self.paths = paths
    self.conflicts = conflicts
  }

  init(json: JSONValue) throws(RecordProblem) {
    guard let theirs = json["theirs"]?.string.flatMap({ ObjectID(hex: $0) }),
      let name = json["name"]?.string, let message = json["message"]?.string
    else { throw RecordProblem("merge.json is damaged") }
    var conflicts: [MergeConflict] = []
    for value in json["conflicts"]?.array ?? [] { conflicts.append(try MergeConflict(json: value)) }
    self.init(
      theirs: theirs, name: name, base: json["base"]?.string.flatMap { ObjectID(hex: $0) },
      message: message, paths: json["paths"]?.array?.compactMap(\.string) ?? [],
      conflicts: conflicts)
  }
}

/// What `cairn merge` did.
package struct MergeOutcome: Sendable {
  package enum Kind: String, Sendable {
    case upToDate = "up-to-date"
    case fastForward = "fast-forward"
    case merged
    case conflicted
  }

  package var kind: Kind
  /// The merge commit (or, for a fast-forward, the commit now checked out).
  package var commit: ObjectID?
  /// Files the merge changed in the working tree.
  package var filesChanged: Int
  /// Files both sides changed that were merged label by label, member by member or field by
  /// field.
  package var filesMerged: Int
  package var conflicts: [MergeConflict]
}

extension CairnRepository {
  var mergeStatePath: String { git.gitDirectory + "/cairn/merge.json" }

  /// The merge in progress, if any.
  package func mergeState() throws(CairnError) -> MergeState? {
    guard let bytes = try? FileIO.read(mergeStatePath) else { return nil }
    do {
      return try MergeState(json: try JSONParser.parse(bytes))
    } catch {
      throw CairnError(
        .io, "\(mergeStatePath) is damaged; run 'cairn merge --abort' or delete it: \(error)")
    }
  }

  func saveMergeState(_ state: MergeState) throws(CairnError) {
    try CairnError.wrap {
      try FileIO.makeDirectories(git.gitDirectory + "/cairn")
      try FileIO.writeAtomically(CanonicalJSON.encode(state.json), to: mergeStatePath)
      try FileIO.writeAtomically(
        Array((state.theirs.hex + "\n").utf8), to: git.gitDirectory + "/MERGE_HEAD")
      try FileIO.writeAtomically(
        Array((state.message + "\n").utf8), to: git.gitDirectory + "/MERGE_MSG")
    }
  }

  func clearMergeState() {
    for path in [mergeStatePath, git.gitDirectory + "/MERGE_HEAD", git.gitDirectory + "/MERGE_MSG"]
    {
      try? FileIO.remove(path)
    }
  }

  /// Merges `revision` into the current branch, three-way and at the level of labels.
  ///
  /// Needs a clean, full working tree and no merge in progress. When the current commit is an
  /// ancestor of `revision`, the branch fast-forwards. Otherwise every path both sides changed
  /// since their merge base is merged by what it holds (``ThreeWayMerge``): label files by
  /// label id (different labels of one sample merge; one label edited differently, or edited
  /// and deleted, conflicts), sample records by member, `schema.json` by field; other files
  /// conflict when both sides changed them. The result is written into the working tree;
  /// without conflicts it is committed at once as a merge commit (checked like every commit),
  /// otherwise the conflicts are recorded for `cairn conflicts` and `cairn resolve`, and
  /// `cairn commit` writes the merge commit once they are resolved.
  ///
  /// - Throws: `CairnError` `.uncommittedChanges` for a dirty tree or a merge in progress,
  ///   `.notFound` for an unknown revision, `.invalidInput` in a sparse working tree, what the
  ///   commit throws (the merge stays in progress then).
  package func merge(_ revision: String, message: String?, now: Int64) throws(CairnError)
    -> MergeOutcome
  {
    let root = try requireRoot(for: "merge")
    if try mergeState() != nil {
      throw CairnError(
        .uncommittedChanges,
        "a merge is in progress; resolve it and 'cairn commit', or 'cairn merge --abort'")
    }
    let status = try status()
    if status.sparse != nil {
      throw CairnError(
        .invalidInput, "merge needs the full working tree; run 'cairn checkout --full' first")
    }
    if !status.changes.isEmpty {
      throw CairnError(
        .uncommittedChanges,
        "the working tree has \(status.changes.count) uncommitted change(s); commit them first")
    }
    let head = try self.head()
    guard let ours = head.target else {
      throw CairnError(.notFound, "HEAD has no commit to merge into")
    }
    let theirs = try resolve(revision)
    let base = try CairnError.wrap { try git.mergeBase(ours, theirs) }
    if theirs == ours || base == theirs {
      return MergeOutcome(
        kind: .upToDate, commit: ours, filesChanged: 0, filesMerged: 0, conflicts: [])
    }
    if base == ours {
      var branch: String?
      if case .branch(let name, _) = head { branch = name }
      let moved = try moveWorkingTree(to: theirs, branch: branch, force: false, sparse: nil)
      if let branch {
        try CairnError.wrap {
          try git.updateReference(
            "refs/heads/" + branch, to: theirs, expected: ours,
            message: "merge \(revision): fast-forward")
        }
      }
      return MergeOutcome(
        kind: .fastForward, commit: theirs, filesChanged: moved.filesWritten + moved.filesRemoved,
        filesMerged: 0, conflicts: [])
    }

    let (writes, conflicts, merged) = try threeWay(base: base, ours: ours, theirs: theirs)
    let text =
      message
      ?? "Merge \(revision) into \(head.branchName ?? "HEAD")"
    // Record the merge before touching the working tree, so an interrupted merge can be
    // aborted.
    var state = MergeState(
      theirs: theirs, name: revision, base: base, message: text, paths: writes.map(\.path),
      conflicts: conflicts)
    try saveMergeState(state)
    try CairnError.wrap {
      for write in writes {
        let full = root + "/" + write.path
        if let bytes = write.bytes {
          try FileIO.makeDirectories(parent(of: full))
          try FileIO.writeAtomically(bytes, to: full)
        } else {
          try FileIO.remove(full)
          Self.pruneDirectories(root: root, path: write.path)
        }
      }
    }
    if !conflicts.isEmpty {
      return MergeOutcome(
        kind: .conflicted, commit: nil, filesChanged: writes.count, filesMerged: merged,
        conflicts: conflicts)
    }
    state.conflicts = []
    let commit = try self.commit(message: text, now: now)
    return MergeOutcome(
      kind: .merged, commit: commit.id, filesChanged: writes.count, filesMerged: merged,
      conflicts: [])
  }

  /// The working-tree writes (nil bytes: remove) that bring `ours` to the merge result, the
  /// conflicts, and how many files were merged by content.
  private func threeWay(base: ObjectID?, ours: ObjectID, theirs: ObjectID) throws(CairnError) -> (
    [(path: String, bytes: [UInt8]?)], [MergeConflict], Int
  ) {
    let git = self.git
    return try CairnError.wrap {
      () throws -> ([(path: String, bytes: [UInt8]?)], [MergeConflict], Int) in
      let baseTree = try base.map { try git.readCommit($0).tree }
      let oursTree = try git.readCommit(ours).tree
      let theirsTree = try git.readCommit(theirs).tree
      let walk = TreeWalk(repository: git)
      var oursChanges: [String: TreeDifference] = [:]
      try walk.differences(from: baseTree, to: oursTree) { oursChanges[$0.path] = $0 }
      var theirsChanges: [TreeDifference] = []
      try walk.differences(from: baseTree, to: theirsTree) { theirsChanges.append($0) }

      var writes: [(path: String, bytes: [UInt8]?)] = []
      var conflicts: [MergeConflict] = []
      var merged = 0
      func blob(_ id: ObjectID?) throws -> [UInt8]? { try id.map { try git.readBlob($0) } }
      func json(_ id: ObjectID?) throws -> JSONValue? {
        try blob(id).map { try JSONParser.parse($0) }
      }
      for change in theirsChanges {
        guard let mine = oursChanges[change.path] else {
          writes.append((change.path, try blob(change.new)))
          continue
        }
        if mine.new == change.new { continue }
        let path = change.path
        var result: [UInt8]?
        switch FormatV1.classify(path) {
        case .success(.label(let field, let key)):
          let (labels, found) = ThreeWayMerge.labels(
            path: path, key: key, field: field, base: try json(change.old)?["labels"]?.array,
            ours: try json(mine.new)?["labels"]?.array,
            theirs: try json(change.new)?["labels"]?.array)
          conflicts += found
          result = labels.map { LabelFile(field: field, sample: key, labels: $0).encoded }
        case .success(.sample(let key)):
          let (record, found) = ThreeWayMerge.sample(
            path: path, key: key, base: try json(change.old), ours: try json(mine.new),
            theirs: try json(change.new))
          conflicts += found
          result = record.map { CanonicalJSON.encode($0) }
        case .success(.schema):
          let (schema, found) = ThreeWayMerge.schema(
            base: try json(change.old), ours: try json(mine.new), theirs: try json(change.new))
          conflicts += found
          result = schema.map { CanonicalJSON.encode($0) }
        default:
          conflicts.append(
            MergeConflict(
              kind: .file, path: path, base: change.old.map { .string($0.hex) },
              ours: mine.new.map { .string($0.hex) }, theirs: change.new.map { .string($0.hex) }))
          continue
        }
        merged += 1
        if result != (try blob(mine.new)) { writes.append((path, result)) }
      }
      return (writes, conflicts, merged)
    }
  }

  /// Settles unresolved conflicts with ours or theirs; `selector` limits it to the conflicts
  /// of one sample key, label id, path or schema field.
  ///
  /// - Returns: How many conflicts were resolved.
  /// - Throws: `CairnError` `.notFound` without a merge in progress or when nothing matches.
  package func resolveConflicts(theirs: Bool, selector: String?) throws(CairnError) -> Int {
    let root = try requireRoot(for: "resolve")
    guard var state = try mergeState() else {
      throw CairnError(.notFound, "no merge in progress")
    }
    var count = 0
    for index in state.conflicts.indices where !state.conflicts[index].resolved {
      let conflict = state.conflicts[index]
      if let selector,
        ![conflict.key, conflict.item, conflict.path].contains(where: { $0 == selector })
      {
        continue
      }
      let chosen = theirs ? conflict.theirs : conflict.ours
      try apply(conflict, chosen: chosen, root: root)
      state.conflicts[index].resolved = true
      count += 1
    }
    if count == 0 {
      throw CairnError(
        .notFound,
        selector.map { "no unresolved conflict matches '\($0)'" } ?? "no unresolved conflicts")
    }
    try saveMergeState(state)
    return count
  }

  private func apply(_ conflict: MergeConflict, chosen: JSONValue?, root: String)
    throws(CairnError)
  {
    let full = root + "/" + conflict.path
    let current = (try? FileIO.read(full)).flatMap { try? JSONParser.parse($0) }
    var bytes: [UInt8]?
    switch conflict.kind {
    case .label, .editDelete:
      guard let key = conflict.key, let field = conflict.field, let id = conflict.item else {
        return
      }
      var labels = current?["labels"]?.array ?? []
      let at = labels.firstIndex { $0["id"]?.string == id }
      switch (at, chosen) {
      case (let at?, let value?): labels[at] = value
      case (let at?, nil): labels.remove(at: at)
      case (nil, let value?): labels.append(value)
      case (nil, nil): break
      }
      bytes = LabelFile(field: field, sample: key, labels: labels).encoded
    case .sample, .schema:
      guard let item = conflict.item else { return }
      if item == "record" {
        bytes = chosen.map { CanonicalJSON.encode($0) }
      } else {
        var object = current?.object ?? [:]
        let parts = item.split(separator: ".", maxSplits: 1).map(String.init)
        if parts.count == 2 {
          var inner = object[parts[0]]?.object ?? [:]
          inner[parts[1]] = chosen
          object[parts[0]] = .object(inner)
        } else {
          object[item] = chosen
        }
        bytes = CanonicalJSON.encode(.object(object))
      }
    case .file:
      bytes = try CairnError.wrap {
        try chosen?.string.flatMap { ObjectID(hex: $0) }.map { try git.readBlob($0) }
      }
    }
    try CairnError.wrap {
      if let bytes {
        try FileIO.makeDirectories(parent(of: full))
        try FileIO.writeAtomically(bytes, to: full)
      } else {
        try FileIO.remove(full)
        Self.pruneDirectories(root: root, path: conflict.path)
      }
    }
  }

  /// Abandons the merge in progress: every path it wrote gets `HEAD`'s version back.
  ///
  /// - Throws: `CairnError` `.notFound` without a merge in progress.
  package func abortMerge() throws(CairnError) {
    let root = try requireRoot(for: "merge --abort")
    guard let state = try mergeState() else {
      throw CairnError(.notFound, "no merge in progress")
    }
    let git = self.git
    try CairnError.wrap {
      let tree = try git.head().target.map { try git.readCommit($0).tree }
      let walk = TreeWalk(repository: git)
      for path in state.paths {
        if let tree, let entry = try walk.entry(at: path, in: tree) {
          try writeFile(root: root, path: path, id: entry.id)
        } else {
          try FileIO.remove(root + "/" + path)
          Self.pruneDirectories(root: root, path: path)
        }
      }
    }
    clearMergeState()
  }
}

extension Head {
  /// The branch HEAD is on, or nil when detached.
  package var branchName: String? {
    if case .branch(let name, _) = self { return name }
    return nil
  }
}
