package import GitStore

/// A configured remote.
package struct RemoteInfo: Sendable, Equatable {
  package var name: String
  package var url: String
  /// Where pushes go, when it differs from `url`.
  package var pushURL: String?
}

/// A reference that a fetch or push created or moved.
package struct ReferenceUpdate: Sendable, Equatable {
  package enum Kind: String, Sendable {
    case created
    case fastForward = "fast-forward"
    /// Moved to a commit that does not contain the old one (a remote-tracking branch after a
    /// rewrite on the remote, or `push --force`).
    case forced
  }

  /// The full name of the reference that changed (local for a fetch, remote for a push).
  package var reference: String
  package var old: ObjectID?
  package var new: ObjectID
  package var kind: Kind
}

/// A reference that exists on both sides with different targets and was left alone.
package struct DivergentReference: Sendable, Equatable {
  package var reference: String
  package var local: ObjectID
  package var remote: ObjectID
}

/// What `cairn fetch` did.
package struct FetchResult: Sendable {
  package var remote: String
  package var url: String
  /// Remote-tracking branches that moved, then protected sets and tags created, by name.
  package var updates: [ReferenceUpdate]
  /// Tags (not protected sets) that differ from the remote's and were kept as they are.
  package var keptTags: [DivergentReference]
  /// How many objects were received.
  package var objects: Int
}

/// What `cairn push` did.
package struct PushResult: Sendable {
  package var remote: String
  package var url: String
  /// The remote references created or moved; empty when the remote was up to date.
  package var updates: [ReferenceUpdate]
}

/// What `cairn pull` did.
package struct PullResult: Sendable {
  package var fetch: FetchResult
  /// What was merged, as `<remote>/<branch>`.
  package var merged: String
  package var merge: MergeOutcome
}

extension CairnRepository {
  /// The configured remotes, by name.
  package func remotes() throws(CairnError) -> [RemoteInfo] {
    let git = self.git
    return try CairnError.wrap {
      try git.remoteNames().sorted().map { name in
        let remote = try git.remote(named: name)
        return RemoteInfo(name: name, url: remote.url, pushURL: remote.pushURL)
      }
    }
  }

  /// Adds a remote with git's default fetch refspec.
  ///
  /// A relative path to a local folder is recorded as an absolute one.
  ///
  /// - Throws: `CairnError` `.alreadyExists` when the name is taken, `.invalidInput` for a name
  ///   or URL git refuses.
  package func addRemote(_ name: String, url: String) throws(CairnError) {
    if url.isEmpty { throw CairnError(.invalidInput, "the URL of remote '\(name)' is empty") }
    try CairnError.wrap { try git.addRemote(name, url: GitRepository.remoteURL(url)) }
  }

  /// Removes a remote and its remote-tracking branches; protected sets and tags fetched from
  /// it stay.
  ///
  /// - Throws: `CairnError` `.notFound` when there is no such remote.
  package func removeRemote(_ name: String) throws(CairnError) {
    try CairnError.wrap { try git.removeRemote(name) }
  }

  private func openRemote(_ name: String) throws(CairnError) -> GitRemote {
    do {
      return try git.openRemote(name)
    } catch {
      if error.code == .notFound {
        throw CairnError(
          .notFound, "no remote named '\(name)' ('cairn remote list' shows them)")
      }
      throw CairnError(error)
    }
  }

  /// The remote a command uses when none is named: the current branch's upstream, else
  /// `origin`.
  private func defaultRemote(_ head: Head) -> String {
    head.branchName.flatMap { git.upstream(ofBranch: $0)?.remote } ?? "origin"
  }

  /// Fetches a remote's branches into `refs/remotes/<remote>/*`, and its protected sets and
  /// tags into the same names here.
  ///
  /// One connection lists the remote's references and then downloads. Before anything is
  /// written, every protected set of the remote (`refs/frozen/*`, `refs/golden/*` and their
  /// `refs/tags/` mirrors) is compared with the local reference of the same name: when one
  /// differs, the fetch is refused whole, since a protected set never moves. Sets and tags
  /// missing here are created (libgit2 only downloads their objects; Cairn's git layer creates
  /// the references, which it never lets move), then references are packed as `freeze` does.
  /// Other tags that differ are kept as they are, as git does. Configured refspecs whose
  /// destination is a local branch, a tag or a protected set are not used.
  ///
  /// - Parameter remote: The remote; nil for the current branch's upstream remote, else
  ///   `origin`.
  /// - Returns: What moved and what was created.
  /// - Throws: `CairnError` `.notFound` for an unknown remote, `.remoteUnavailable` when it
  ///   cannot be reached, `.protectedReference` when a protected set differs (nothing was
  ///   written).
  package func fetch(remote: String? = nil) throws(CairnError) -> FetchResult {
    let current = try head()
    let name = remote ?? defaultRemote(current)
    let remote = try openRemote(name)
    let git = self.git
    let advertised = try CairnError.wrap { try remote.connect(forPush: false) }
    var local: [String: ObjectID] = [:]
    for prefix in ["refs/frozen/", "refs/golden/", "refs/tags/"] {
      for (reference, id) in try CairnError.wrap(nil, { try git.references(withPrefix: prefix) }) {
        local[reference] = id
      }
    }
    var create: [RemoteReference] = []
    var kept: [DivergentReference] = []
    var differing: [CairnError.Violation] = []
    for reference in advertised
    where reference.name.hasPrefix("refs/tags/") || GitRepository.isProtected(reference.name) {
      guard let mine = local[reference.name] else {
        create.append(reference)
        continue
      }
      if mine == reference.id { continue }
      if GitRepository.isProtected(reference.name) {
        differing.append(
          CairnError.Violation(
            reference.name, "\(mine.short) here, \(reference.id.short) on \(name)"))
      } else {
        kept.append(
          DivergentReference(reference: reference.name, local: mine, remote: reference.id))
      }
    }
    if !differing.isEmpty {
      throw CairnError(
        .protectedReference,
        "fetch from \(name) (\(remote.url)) refused, nothing was changed: \(differing.count) "
          + "protected set(s) differ from the local ones, and a protected set never moves",
        violations: differing)
    }
    let tracking = "refs/remotes/\(name)/"
    let before = try trackingBranches(tracking)
    let refspecs = remote.fetchRefspecs.filter(Self.fetchesIntoRemoteNamespace) + create.map(\.name)
    let objects = try CairnError.wrap {
      try remote.fetch(refspecs: refspecs, reflogMessage: "cairn fetch \(name)")
    }
    try CairnError.wrap { try git.refreshObjects() }
    var updates: [ReferenceUpdate] = []
    for (reference, id) in try trackingBranches(tracking) where before[reference] != id {
      updates.append(try update(reference, from: before[reference], to: id))
    }
    updates.sort { $0.reference < $1.reference }
    for reference in create.sorted(by: { $0.name < $1.name }) {
      try createFetched(reference, from: name)
      updates.append(
        ReferenceUpdate(reference: reference.name, old: nil, new: reference.id, kind: .created))
    }
    if create.contains(where: { GitRepository.isProtected($0.name) }) {
      try CairnError.wrap { try git.packReferences() }
    }
    return FetchResult(
      remote: name, url: remote.url, updates: updates, keptTags: kept, objects: objects)
  }

  /// Whether a configured fetch refspec writes only remote-tracking references (or nothing).
  static func fetchesIntoRemoteNamespace(_ refspec: String) -> Bool {
    guard let colon = refspec.firstIndex(of: ":") else { return true }
    let destination = refspec[refspec.index(after: colon)...]
    return !destination.isEmpty && !destination.hasPrefix("refs/heads/")
      && !destination.hasPrefix("refs/tags/") && !GitRepository.isProtected(String(destination))
  }

  private func trackingBranches(_ prefix: String) throws(CairnError) -> [String: ObjectID] {
    let git = self.git
    var result: [String: ObjectID] = [:]
    for (reference, id) in try CairnError.wrap(nil, { try git.references(withPrefix: prefix) })
    where !reference.hasSuffix("/HEAD") {
      result[reference] = id
    }
    return result
  }

  private func update(_ reference: String, from old: ObjectID?, to new: ObjectID)
    throws(CairnError) -> ReferenceUpdate
  {
    guard let old else {
      return ReferenceUpdate(reference: reference, old: nil, new: new, kind: .created)
    }
    let known = git.contains(old)
    let base = try CairnError.wrap { known ? try git.mergeBase(old, new) : nil }
    return ReferenceUpdate(
      reference: reference, old: old, new: new, kind: base == old ? .fastForward : .forced)
  }

  /// Creates a set or tag just fetched; one that appeared meanwhile must agree.
  private func createFetched(_ reference: RemoteReference, from remote: String)
    throws(CairnError)
  {
    do {
      try git.updateReference(
        reference.name, to: reference.id, expected: nil, message: "cairn fetch \(remote)")
    } catch {
      let now = try CairnError.wrap { try git.referenceTarget(reference.name) }
      if error.code == .exists, now == reference.id { return }
      if error.code == .exists, GitRepository.isProtected(reference.name) {
        throw CairnError(
          .protectedReference,
          "\(reference.name) was created here while fetching, at \(now?.short ?? "?"), and "
            + "\(remote) has \(reference.id.short): a protected set never moves")
      }
      throw CairnError(error)
    }
  }

  /// Fetches, then merges the remote's branch into the current one (``merge(_:message:now:)``:
  /// a fast-forward when possible, otherwise a three-way merge of labels).
  ///
  /// Without `remote`, the current branch's upstream remote (else `origin`); without `branch`,
  /// its upstream branch on that remote (else the current branch's name).
  ///
  /// - Throws: `CairnError` `.uncommittedChanges` before fetching when the working tree is not
  ///   clean or a merge is in progress, `.invalidInput` on a detached `HEAD` without `branch`,
  ///   what ``fetch(remote:)`` and the merge throw.
  package func pull(remote: String?, branch: String?, now: Int64) throws(CairnError) -> PullResult {
    _ = try requireRoot(for: "pull")
    if try mergeState() != nil {
      throw CairnError(
        .uncommittedChanges,
        "a merge is in progress; resolve it and 'cairn commit', or 'cairn merge --abort'")
    }
    let changes = try status().changes
    if !changes.isEmpty {
      throw CairnError(
        .uncommittedChanges,
        "the working tree has \(changes.count) uncommitted change(s); commit them before pulling")
    }
    let head = try head()
    let upstream = head.branchName.flatMap { git.upstream(ofBranch: $0) }
    let remoteName = remote ?? upstream?.remote ?? "origin"
    var branchName = branch
    if branchName == nil {
      if let upstream, upstream.remote == remoteName, upstream.reference.hasPrefix("refs/heads/") {
        branchName = String(upstream.reference.dropFirst("refs/heads/".count))
      } else {
        branchName = head.branchName
      }
    }
    guard let branchName else {
      throw CairnError(
        .invalidInput, "HEAD is detached: name the branch to pull ('cairn pull REMOTE BRANCH')")
    }
    let fetched = try fetch(remote: remoteName)
    let tracking = "refs/remotes/\(remoteName)/\(branchName)"
    guard try CairnError.wrap(nil, { try git.referenceTarget(tracking) }) != nil else {
      throw CairnError(
        .notFound, "\(remoteName) (\(fetched.url)) has no branch '\(branchName)' to pull")
    }
    let merged = "\(remoteName)/\(branchName)"
    let outcome = try merge(
      tracking, message: "Merge \(merged) into \(head.branchName ?? "HEAD")", now: now)
    return PullResult(fetch: fetched, merged: merged, merge: outcome)
  }

  /// Pushes a branch to the branch of the same name on a remote, with every protected set the
  /// remote lacks.
  ///
  /// One connection lists the remote's references, then sends. Everything is decided before
  /// anything is sent: a protected set that exists on both sides with different commits
  /// refuses the whole push (with or without `force`: a set never moves, so it is never sent
  /// with `+`); a branch update that is not a fast-forward is refused unless `force`. The
  /// remote moves each reference only if it still points where the listing said
  /// (``GitRemote/push(_:)``: the server's check over git's protocols, Cairn's own
  /// compare-and-swap in the remote repository over `file://` and plain paths).
  ///
  /// - Parameters:
  ///   - remote: The remote; nil for the current branch's upstream remote, else `origin`.
  ///   - branch: The local branch; nil for the current one.
  ///   - force: Overwrite the remote branch even when it has commits the local one lacks.
  ///   - setsOnly: Push only the protected sets, no branch.
  /// - Returns: The remote references created or moved.
  /// - Throws: `CairnError` `.notFound` for an unknown remote or branch, `.invalidInput` on a
  ///   detached `HEAD` without `branch`, `.remoteUnavailable`, `.protectedReference` when a set
  ///   differs or the server refused one, `.pushRejected` for a refused branch update.
  package func push(remote: String?, branch: String?, force: Bool, setsOnly: Bool)
    throws(CairnError) -> PushResult
  {
    let git = self.git
    let head = try head()
    let remoteName = remote ?? defaultRemote(head)
    var pushed: (name: String, id: ObjectID)?
    if !setsOnly {
      guard let name = branch ?? head.branchName else {
        throw CairnError(
          .invalidInput,
          "HEAD is detached: name the branch to push ('cairn push REMOTE BRANCH'), or push only "
            + "the protected sets with --sets")
      }
      guard let id = try CairnError.wrap(nil, { try git.referenceTarget("refs/heads/" + name) })
      else {
        throw CairnError(.notFound, "no branch named '\(name)' to push")
      }
      pushed = (name, id)
    }
    let connection = try openRemote(remoteName)
    let target = connection.pushURL ?? connection.url
    var advertised: [String: ObjectID] = [:]
    for reference in try CairnError.wrap(nil, { try connection.connect(forPush: true) }) {
      advertised[reference.name] = reference.id
    }
    var sends: [PushUpdate] = []
    var updates: [ReferenceUpdate] = []
    var differing: [CairnError.Violation] = []
    for prefix in GitRepository.protectedPrefixes {
      for (reference, id) in try CairnError.wrap(nil, { try git.references(withPrefix: prefix) }) {
        guard let theirs = advertised[reference] else {
          sends.append(PushUpdate(reference: reference, new: id, expected: nil))
          updates.append(ReferenceUpdate(reference: reference, old: nil, new: id, kind: .created))
          continue
        }
        if theirs != id {
          differing.append(
            CairnError.Violation(reference, "\(id.short) here, \(theirs.short) on \(remoteName)"))
        }
      }
    }
    if !differing.isEmpty {
      throw CairnError(
        .protectedReference,
        "push to \(remoteName) (\(target)) refused, nothing was sent: \(differing.count) "
          + "protected set(s) differ from the remote's, and a protected set never moves",
        violations: differing)
    }
    if let (name, id) = pushed {
      let reference = "refs/heads/" + name
      let theirs = advertised[reference]
      if theirs == nil {
        sends.append(PushUpdate(reference: reference, new: id, expected: nil))
        updates.append(ReferenceUpdate(reference: reference, old: nil, new: id, kind: .created))
      } else if let theirs, theirs != id {
        let known = git.contains(theirs)
        let base = try CairnError.wrap { known ? try git.mergeBase(theirs, id) : nil }
        if base == theirs {
          sends.append(PushUpdate(reference: reference, new: id, expected: theirs))
          updates.append(
            ReferenceUpdate(reference: reference, old: theirs, new: id, kind: .fastForward))
        } else if force {
          sends.append(PushUpdate(reference: reference, new: id, expected: theirs, force: true))
          updates.append(ReferenceUpdate(reference: reference, old: theirs, new: id, kind: .forced))
        } else {
          throw CairnError(
            .pushRejected,
            "push to \(remoteName) refused, nothing was sent: its branch \(name) is at "
              + "\(theirs.short), which \(name) here (\(id.short)) does not contain"
              + (known ? "" : " (a commit not fetched yet)")
              + "; run 'cairn pull \(remoteName) \(name)' first, or push --force to overwrite it")
        }
      }
    }
    if sends.isEmpty {
      return PushResult(remote: remoteName, url: target, updates: [])
    }
    let statuses = try CairnError.wrap { try connection.push(sends) }
    let refused = statuses.filter { $0.rejection != nil }
    if !refused.isEmpty {
      let accepted = statuses.filter { $0.rejection == nil }.map(\.reference)
      throw CairnError(
        refused.contains { GitRepository.isProtected($0.reference) }
          ? .protectedReference : .pushRejected,
        "\(remoteName) (\(target)) refused \(refused.count) update(s)"
          + (accepted.isEmpty ? "" : "; accepted \(accepted.joined(separator: ", "))"),
        violations: refused.map { CairnError.Violation($0.reference, $0.rejection ?? "refused") })
    }
    return PushResult(remote: remoteName, url: target, updates: updates)
  }

  /// Clones a Cairn repository as git does (remote `origin`, the remote's default branch
  /// checked out), then checks its format, rewrites the index as Cairn's stat cache and
  /// fetches the protected sets and tags (``fetch(remote:)``).
  ///
  /// When any step fails, what the clone wrote is removed (the folder itself when the clone
  /// created it).
  ///
  /// - Parameters:
  ///   - url: `file://`, `git://`, `ssh://`, `https://`, scp-like `host:path`, or a local path.
  ///   - path: A folder that does not exist yet or is empty.
  /// - Returns: The new repository and what the fetch of the sets did.
  /// - Throws: `CairnError` `.alreadyExists` when `path` is not an empty folder,
  ///   `.remoteUnavailable` when `url` cannot be read, `.unsupportedFormat` when it is not a
  ///   Cairn repository.
  package static func clone(from url: String, to path: String) throws(CairnError)
    -> (CairnRepository, FetchResult)
  {
    let existing = FileStat.of(path)
    if let existing, !existing.isDirectory || !(FileIO.list(path) ?? []).isEmpty {
      throw CairnError(
        .alreadyExists, "\(path) already exists and is not an empty folder; nothing was cloned")
    }
    let source = GitRepository.remoteURL(url)
    let git = try CairnError.wrap { try GitRepository.clone(from: source, to: path) }
    let repository = CairnRepository(git: git)
    do throws(CairnError) {
      do {
        try repository.checkFormat()
      } catch {
        throw CairnError(error.code, "\(source) is not a Cairn dataset: \(error.message)")
      }
      try repository.adoptCheckedOutIndex()
      let fetched = try repository.fetch(remote: "origin")
      return (repository, fetched)
    } catch {
      if existing == nil {
        try? FileIO.removeTree(path)
      } else {
        for name in FileIO.list(path) ?? [] { try? FileIO.removeTree(path + "/" + name) }
      }
      throw CairnError(
        error.code, error.message + "; nothing was cloned", violations: error.violations)
    }
  }

  /// Rewrites the index of a working tree that holds exactly `HEAD` (just checked out by
  /// libgit2) as Cairn's stat cache, with the `index-tree` line, as a checkout does.
  func adoptCheckedOutIndex() throws(CairnError) {
    let root = try requireRoot(for: "clone")
    guard let tree = try headTree() else { return }
    let git = self.git
    let lock = try WriterLock(path: lockPath)
    defer { lock.release() }
    var files: [String: ObjectID] = [:]
    for (path, id) in try CairnError.wrap(
      nil, { try TreeWalk(repository: git).listFiles(in: tree) })
    where FormatV1.isTracked(path) {
      files[path] = id
    }
    // Files outside Cairn's roots keep the entries libgit2 wrote (with their modes).
    let written = (try? IndexFile.read(from: indexPath))?.entries ?? []
    let foreign = written.filter { !FormatV1.isTracked($0.path) }
    try writeIndex(lock: lock, root: root, files: files, tree: tree, foreign: foreign)
  }
}
