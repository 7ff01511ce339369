package import GitStore

/// The two kinds of protected set.
package enum ProtectedKind: String, Sendable, CaseIterable {
  /// A frozen test set: `refs/frozen/<name>`.
  case test
  /// A golden QA set: `refs/golden/<name>`.
  case golden

  /// The reference namespace (`refs/frozen/`, `refs/golden/`).
  package var prefix: String { self == .test ? "refs/frozen/" : "refs/golden/" }
  /// The tag mirror's namespace (`refs/tags/frozen/`, `refs/tags/golden/`).
  package var mirrorPrefix: String { self == .test ? "refs/tags/frozen/" : "refs/tags/golden/" }
  /// How messages name it.
  package var title: String { self == .test ? "test set" : "golden set" }
}

/// A frozen test set or golden set.
package struct ProtectedSet: Sendable {
  package var kind: ProtectedKind
  package var name: String
  /// The commit holding exactly the set's samples, their labels and the schema.
  package var commit: ObjectID
  /// The commit the set was taken from, and the view that chose it (from the commit message).
  package var source: ObjectID?
  package var view: String?
  package var samples: Int
  /// Seconds since 1970.
  package var time: Int64
  /// Whether the tag mirror exists and agrees.
  package var mirrored: Bool
}

extension CairnRepository {
  /// Freezes the samples `view` selects at `revision` (default `HEAD`) as a protected set.
  ///
  /// Writes one commit whose tree holds `cairn.json`, `schema.json`, those samples, every
  /// label file of them, and the records of their groups (with every sample of those groups,
  /// so the set stays valid); its parent is the source commit. Then creates `refs/frozen/NAME`
  /// (or `refs/golden/NAME`) and the mirror tag, both new: a set never moves.
  ///
  /// - Throws: `CairnError` `.alreadyExists` when the name is taken (a new version of a set is
  ///   a new name), `.invalidInput` for a bad name or an empty selection, `.notFound` for an
  ///   unknown view or revision.
  package func freeze(
    _ kind: ProtectedKind, name: String, view: String, revision: String?, now: Int64
  ) throws(CairnError) -> ProtectedSet {
    if let problem = FormatV1.keyProblem(name) {
      throw CairnError(.invalidInput, "invalid set name '\(name)': \(problem)")
    }
    if name.contains("/") || name.hasPrefix(".") || name.contains("..") {
      throw CairnError(.invalidInput, "invalid set name '\(name)': no '/', '..' or leading '.'")
    }
    let reference = kind.prefix + name
    let mirror = kind.mirrorPrefix + name
    let taken = try CairnError.wrap { () throws -> String? in
      try [reference, mirror].first { try git.referenceTarget($0) != nil }
    }
    if let existing = taken {
      throw CairnError(
        .alreadyExists,
        "\(existing) already exists: a \(kind.title) never changes; freeze a new one under a new "
          + "name (for example \(name)-v2)")
    }
    let source = try resolve(revision ?? "HEAD")
    let data = DataSource.revision(source.hex)
    let keys = try evaluate(try self.view(named: view, in: data), in: data).keys
    if keys.isEmpty {
      throw CairnError(.invalidInput, "view '\(view)' selects no sample at \(source.short)")
    }
    try CairnError.wrap {
      try writeFrozen(
        kind, name: name, view: view, source: source, keys: keys, now: now)
    }
    guard let set = try protectedSet(kind, name: name) else {
      throw CairnError(.internalError, "\(reference) vanished right after it was created")
    }
    return set
  }

  /// Writes the set's commit and creates its reference and mirror.
  private func writeFrozen(
    _ kind: ProtectedKind, name: String, view: String, source: ObjectID, keys: [String],
    now: Int64
  ) throws {
    let reference = kind.prefix + name
    let mirror = kind.mirrorPrefix + name
    let tree = try git.readCommit(source).tree
    let walk = TreeWalk(repository: git)
    var changes: [TreeChange] = []
    var included: Set<String> = []
    var pending = keys
    var fields: [String] = []
    if let labels = try walk.entry(at: "labels", in: tree), labels.isTree {
      fields = try git.readTree(labels.id).filter(\.isTree).map(\.name)
    }
    for path in ["cairn.json", "schema.json"] {
      if let entry = try walk.entry(at: path, in: tree) {
        changes.append(TreeChange(path: path, id: entry.id))
      }
    }
    var groups: Set<String> = []
    while let key = pending.popLast() {
      guard included.insert(key).inserted,
        let sample = try walk.entry(at: FormatV1.samplePath(key), in: tree)
      else { continue }
      changes.append(TreeChange(path: FormatV1.samplePath(key), id: sample.id))
      for field in fields {
        let path = FormatV1.labelPath(field: field, key: key)
        if let entry = try walk.entry(at: path, in: tree) {
          changes.append(TreeChange(path: path, id: entry.id))
        }
      }
      // A grouped sample brings its group, and the group all its samples.
      let record = try SampleRecord(json: try JSONParser.parse(try git.readBlob(sample.id)))
      if let group = record.group, groups.insert(group.id).inserted,
        let entry = try walk.entry(at: FormatV1.groupPath(group.id), in: tree)
      {
        changes.append(TreeChange(path: FormatV1.groupPath(group.id), id: entry.id))
        let members = try GroupRecord(json: try JSONParser.parse(try git.readBlob(entry.id)))
        pending += members.slices.values.map(\.sample)
      }
    }
    let writer = try ObjectWriter(repository: git)
    let frozen = try TreeEditor(repository: git, writer: writer).apply(base: nil, changes: changes)
    let signature = git.defaultSignature(now: now)
    let message =
      "Freeze \(kind.title) \(name): \(included.count) sample(s) of view '\(view)' at "
      + "\(source.short)\n\nCairn-Set: \(kind.rawValue) \(name)\nCairn-View: \(view)\n"
      + "Cairn-Source: \(source.hex)\nCairn-Samples: \(included.count)\n"
    let id = try writer.write(
      .commit,
      Commit.serialize(
        tree: frozen, parents: [source], author: signature, committer: signature,
        message: message))
    try writer.commit()
    try git.updateReference(reference, to: id, expected: nil, message: "cairn freeze")
    try git.updateReference(mirror, to: id, expected: nil, message: "cairn freeze")
    try git.packReferences()
  }

  /// Every protected set, test sets first, by name.
  package func protectedSets() throws(CairnError) -> [ProtectedSet] {
    var sets: [ProtectedSet] = []
    for kind in ProtectedKind.allCases {
      let references = try CairnError.wrap { try git.references(withPrefix: kind.prefix) }
      for (reference, _) in references {
        if let set = try protectedSet(kind, name: String(reference.dropFirst(kind.prefix.count))) {
          sets.append(set)
        }
      }
    }
    return sets
  }

  /// One protected set, or nil when it does not exist.
  package func protectedSet(_ kind: ProtectedKind, name: String) throws(CairnError)
    -> ProtectedSet?
  {
    let git = self.git
    return try CairnError.wrap { () throws -> ProtectedSet? in
      guard let id = try git.referenceTarget(kind.prefix + name) else { return nil }
      let commit = try git.readCommit(id)
      var trailers: [String: String] = [:]
      for line in commit.message.split(separator: "\n") where line.hasPrefix("Cairn-") {
        let parts = line.split(separator: ":", maxSplits: 1)
        if parts.count == 2 {
          trailers[String(parts[0])] = String(parts[1]).trimmingWhitespace()
        }
      }
      var samples = Int(trailers["Cairn-Samples"] ?? "")
      if samples == nil {
        var count = 0
        if let folder = try TreeWalk(repository: git).entry(at: "samples", in: commit.tree) {
          try TreeWalk(repository: git).files(in: folder.id) { _, _ in count += 1 }
        }
        samples = count
      }
      return ProtectedSet(
        kind: kind, name: name, commit: id,
        source: trailers["Cairn-Source"].flatMap { ObjectID(hex: $0) },
        view: trailers["Cairn-View"], samples: samples ?? 0, time: commit.committer.time,
        mirrored: try git.referenceTarget(kind.mirrorPrefix + name) == id)
    }
  }
}
