internal import GitStore

/// An embedding set found in the working tree or a revision.
package struct EmbeddingListing: Sendable {
  package var name: String
  /// The metadata, or nil when `meta.json` is missing or breaks its rules.
  package var meta: EmbeddingMeta?
  /// Why the set cannot be read.
  package var problem: String?
}

extension CairnRepository {
  /// Reads embedding set `name` from the working tree or a revision.
  ///
  /// - Parameters:
  ///   - name: The set's name (its folder under `embeddings/`).
  ///   - source: Where to read it from.
  /// - Returns: The set, `float16` numbers converted to `Float`.
  /// - Throws: `CairnError` `.notFound` when there is no such set, `.invalidInput` when its
  ///   files break the rules of `Docs/storage-format.md` §7.6 (the message names the file).
  package func embeddings(named name: String, in source: DataSource) throws(CairnError)
    -> EmbeddingSet
  {
    if let problem = FormatV1.embeddingNameProblem(name) {
      throw CairnError(.invalidInput, "invalid embedding set name '\(name)': \(problem)")
    }
    let folder = EmbeddingSet.folder(name)
    var files: [FormatV1.EmbeddingFile: [UInt8]] = [:]
    switch try resolved(source) {
    case .workingTree(let root):
      guard FileStat.of(root + "/" + folder) != nil else {
        throw CairnError(.notFound, "no embedding set '\(name)' in the working tree (\(folder))")
      }
      for file in FormatV1.EmbeddingFile.allCases {
        let path = root + "/" + folder + "/" + file.rawValue
        guard FileStat.of(path) != nil else {
          throw CairnError(.invalidInput, "\(folder): \(file.rawValue) is missing")
        }
        files[file] = try CairnError.wrap { try FileIO.read(path) }
      }
    case .commit(let revision, let commit):
      let git = git
      let tree = try CairnError.wrap { try git.readCommit(commit).tree }
      guard
        let entry = try CairnError.wrap(
          nil, { try TreeWalk(repository: git).entry(at: folder, in: tree) }),
        entry.isTree
      else {
        throw CairnError(.notFound, "no embedding set '\(name)' in \(revision) (\(commit.short))")
      }
      let entries = try CairnError.wrap { try git.readTree(entry.id) }
      for file in FormatV1.EmbeddingFile.allCases {
        guard let blob = entries.first(where: { $0.name == file.rawValue && !$0.isTree }) else {
          throw CairnError(.invalidInput, "\(folder): \(file.rawValue) is missing")
        }
        files[file] = try CairnError.wrap { try git.readBlob(blob.id) }
      }
    }
    return try EmbeddingSet.decode(
      meta: files[.meta] ?? [], keys: files[.keys] ?? [], vectors: files[.vectors] ?? [],
      folder: folder)
  }

  /// Every embedding set of the working tree or a revision, sorted by name, with its metadata.
  ///
  /// Only `meta.json` is read; a set whose `meta.json` is missing or broken is listed with
  /// its problem.
  ///
  /// - Parameter source: Where to look.
  /// - Returns: The sets.
  /// - Throws: `CairnError` `.notFound` for an unknown revision.
  package func embeddingSets(in source: DataSource) throws(CairnError) -> [EmbeddingListing] {
    var found: [(name: String, meta: () throws -> [UInt8]?)] = []
    switch try resolved(source) {
    case .workingTree(let root):
      for name in FileIO.list(root + "/embeddings") ?? [] {
        let path = root + "/embeddings/" + name + "/meta.json"
        guard FileStat.of(root + "/embeddings/" + name)?.isDirectory == true else { continue }
        found.append((name, { FileStat.of(path) == nil ? nil : try FileIO.read(path) }))
      }
    case .commit(_, let commit):
      let git = git
      let tree = try CairnError.wrap { try git.readCommit(commit).tree }
      if let entry = try CairnError.wrap(
        nil, { try TreeWalk(repository: git).entry(at: "embeddings", in: tree) }),
        entry.isTree
      {
        for folder in try CairnError.wrap(nil, { try git.readTree(entry.id) }) where folder.isTree {
          let files = try CairnError.wrap { try git.readTree(folder.id) }
          let meta = files.first { $0.name == "meta.json" && !$0.isTree }
          found.append((folder.name, { try meta.map { try git.readBlob($0.id) } }))
        }
      }
    }
    found.sort { ByteOrder.precedes($0.name, $1.name) }
    return found.map { item in
      do {
        guard let bytes = try item.meta() else {
          return EmbeddingListing(name: item.name, problem: "meta.json is missing")
        }
        let meta = try EmbeddingMeta(json: try JSONParser.parse(bytes))
        return EmbeddingListing(name: item.name, meta: meta)
      } catch let problem as RecordProblem {
        return EmbeddingListing(name: item.name, problem: "meta.json: \(problem.reason)")
      } catch let error as JSONParseError {
        return EmbeddingListing(name: item.name, problem: "meta.json: broken JSON at \(error)")
      } catch {
        return EmbeddingListing(name: item.name, problem: "\(error)")
      }
    }
  }

  /// Writes embedding set `set` into `embeddings/<name>/` of the working tree (record it with
  /// a commit).
  ///
  /// The rows are written in key order whatever their order in `set`; the three files are each
  /// replaced atomically.
  ///
  /// - Parameters:
  ///   - set: The set; its rows need not be sorted.
  ///   - replace: Overwrite an existing set instead of refusing.
  /// - Returns: Whether a set was replaced.
  /// - Throws: `CairnError` `.invalidInput` for an invalid name, a key listed twice, a
  ///   non-finite value or mismatched sizes; `.alreadyExists` when the set exists and `replace`
  ///   is false; `.locked` while another writer runs.
  @discardableResult
  package func saveEmbeddings(_ set: EmbeddingSet, replace: Bool) throws(CairnError) -> Bool {
    let root = try requireRoot(for: "saving embeddings")
    if let problem = FormatV1.embeddingNameProblem(set.name) {
      throw CairnError(.invalidInput, "invalid embedding set name '\(set.name)': \(problem)")
    }
    let sorted = set.sorted()
    try Self.checkWritable(sorted)
    let lock = try WriterLock(path: lockPath)
    defer { lock.release() }
    let folder = EmbeddingSet.folder(set.name)
    let exists = FileStat.of(root + "/" + folder) != nil
    if exists && !replace {
      throw CairnError(
        .alreadyExists,
        "embedding set '\(set.name)' already exists (\(folder)); use --force to replace it")
    }
    let (meta, keys, vectors) = sorted.encoded()
    try CairnError.wrap {
      try FileIO.makeDirectories(root + "/" + folder)
      // vectors.bin first and meta.json last, so that a killed writer leaves the old meta.json,
      // whose sizes then disagree, and the commit refuses the half-written set.
      try FileIO.writeAtomically(vectors, to: root + "/" + folder + "/vectors.bin")
      try FileIO.writeAtomically(keys, to: root + "/" + folder + "/keys.json")
      try FileIO.writeAtomically(meta, to: root + "/" + folder + "/meta.json")
    }
    return exists
  }

  /// Checks rows read by ``EmbeddingInput`` against the working tree and writes them as set
  /// `name`.
  ///
  /// Every key must name a sample of the working tree (in a sparse checkout, also the samples
  /// left out); for objects, every label id must be a label of that sample's label file in
  /// `field`. Nothing is written when any row fails.
  ///
  /// - Parameters:
  ///   - input: The rows.
  ///   - name: The set's name.
  ///   - model: What made the vectors (free text).
  ///   - field: The label field, for object rows; nil for sample rows.
  ///   - float16: Store `float16` (also chosen when the input is a `float16` NumPy file).
  ///   - replace: Overwrite an existing set instead of refusing.
  /// - Returns: The set as written (rows in key order) and whether one was replaced.
  /// - Throws: `CairnError` `.notFound` listing the rows whose sample or label does not exist
  ///   (each naming its file and line), and the errors of ``saveEmbeddings(_:replace:)``.
  package func importEmbeddings(
    _ input: EmbeddingInput, name: String, model: String, field: String?, float16: Bool,
    replace: Bool
  ) throws(CairnError) -> (set: EmbeddingSet, replaced: Bool) {
    _ = try requireRoot(for: "importing embeddings")
    if let problem = FormatV1.embeddingNameProblem(name) {
      throw CairnError(.invalidInput, "invalid embedding set name '\(name)': \(problem)")
    }
    if let field, let problem = FormatV1.fieldProblem(field) {
      throw CairnError(.invalidInput, "invalid field name '\(field)': \(problem)")
    }
    let (table, _, root) = try sampleTable(.workingTree, includeExcluded: true)
    let index = table.indexByKey()
    var missing: [CairnError.Violation] = []
    var labelIDs: [Int: Set<String>] = [:]
    let reader = ContentReader(gitDirectory: git.gitDirectory, root: root)
    for (row, key) in input.keys.enumerated() {
      guard let position = index[key.sample] else {
        missing.append(
          CairnError.Violation(
            input.locations[row], "sample '\(key.sample)' is not in the working tree"))
        continue
      }
      guard let field, let label = key.label else { continue }
      if labelIDs[position] == nil {
        var ids: Set<String> = []
        if let reference = table.labels[field]?[position] ?? nil {
          let path = FormatV1.labelPath(field: field, key: key.sample)
          do {
            for value in try reader.labels(reference, path: path) {
              if let id = value["id"]?.string { ids.insert(id) }
            }
          } catch {
            throw CairnError(.invalidInput, "\(error.location): \(error.reason)")
          }
        }
        labelIDs[position] = ids
      }
      if labelIDs[position]?.contains(label) != true {
        missing.append(
          CairnError.Violation(
            input.locations[row],
            "sample '\(key.sample)' has no label '\(label)' in field '\(field)'"))
      }
    }
    if !missing.isEmpty {
      let what = field == nil ? "key(s)" : "object(s)"
      throw CairnError(
        .notFound,
        "\(missing.count) \(what) not in the working tree, first \(missing[0].location): "
          + "\(missing[0].reason); nothing was written",
        violations: missing)
    }
    let set = EmbeddingSet(
      name: name, model: model, kind: field == nil ? .sample : .object, field: field,
      keys: input.keys, dimension: input.dimension,
      dtype: float16 || input.sourceType == .float16 ? .float16 : .float32,
      vectors: input.vectors
    ).sorted()
    let replaced = try saveEmbeddings(set, replace: replace)
    return (set, replaced)
  }

  /// Refuses a sorted set that would break §7.6: sizes, duplicate rows, non-finite values.
  private static func checkWritable(_ set: EmbeddingSet) throws(CairnError) {
    guard set.dimension >= 1, set.dimension <= EmbeddingMeta.maximumDimension else {
      throw CairnError(
        .invalidInput, "dimension \(set.dimension) is outside 1…\(EmbeddingMeta.maximumDimension)")
    }
    guard set.vectors.count == set.keys.count * set.dimension else {
      throw CairnError(
        .invalidInput,
        "\(set.keys.count) keys × dimension \(set.dimension) ≠ \(set.vectors.count) numbers")
    }
    for (row, key) in set.keys.enumerated() {
      if let problem = FormatV1.keyProblem(key.sample) {
        throw CairnError(.invalidInput, "invalid sample key '\(key.sample)': \(problem)")
      }
      if row > 0, !set.keys[row - 1].precedes(key) {
        throw CairnError(.invalidInput, "'\(key.text)' has two rows")
      }
      if (set.kind == .object) != (key.label != nil) {
        throw CairnError(.invalidInput, "'\(key.text)' does not fit kind \(set.kind.rawValue)")
      }
    }
    for (index, value) in set.vectors.enumerated() where !value.isFinite {
      let row = index / set.dimension
      throw CairnError(
        .invalidInput,
        "the vector of '\(set.keys[row].text)' holds a non-finite value (\(value)) at "
          + "position \(index % set.dimension)")
    }
    if set.dtype == .float16 {
      for (index, value) in set.vectors.enumerated()
      where !VectorCoding.float(halfBits: VectorCoding.halfBits(value)).isFinite {
        let row = index / set.dimension
        throw CairnError(
          .invalidInput,
          "the vector of '\(set.keys[row].text)' holds \(value) at position "
            + "\(index % set.dimension), beyond float16's range (±65504); store float32")
      }
    }
  }

  /// The rule across files of §7.6 over the tree a commit would make: every embedding set with
  /// a changed file has its three files, and they agree.
  ///
  /// - Parameters:
  ///   - paths: The changed paths (added, modified or deleted).
  ///   - root: The working tree.
  /// - Returns: One violation per broken set.
  static func embeddingViolations(changedPaths paths: [String], root: String)
    -> [CairnError.Violation]
  {
    var names: Set<String> = []
    for path in paths where path.hasPrefix("embeddings/") {
      let parts = path.split(separator: "/", omittingEmptySubsequences: false)
      if parts.count == 3 { names.insert(String(parts[1])) }
    }
    var violations: [CairnError.Violation] = []
    for name in names.sorted(by: ByteOrder.precedes) {
      let folder = EmbeddingSet.folder(name)
      let present = FormatV1.EmbeddingFile.allCases.filter {
        FileStat.of(root + "/" + folder + "/" + $0.rawValue)?.isRegularFile == true
      }
      if present.isEmpty { continue }
      let read = { (file: FormatV1.EmbeddingFile) -> [UInt8]? in
        try? FileIO.read(root + "/" + folder + "/" + file.rawValue)
      }
      let problem = EmbeddingSet.filesProblem(
        meta: present.contains(.meta) ? read(.meta) : nil,
        keys: present.contains(.keys) ? read(.keys) : nil,
        vectorBytes: present.contains(.vectors)
          ? FileStat.of(root + "/" + folder + "/vectors.bin").map { Int($0.size) } : nil)
      if let problem { violations.append(CairnError.Violation(folder, problem)) }
    }
    return violations
  }
}
