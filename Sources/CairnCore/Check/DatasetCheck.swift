internal import GitStore

/// One problem `cairn check` found.
package struct CheckFinding: Sendable, Equatable {
  /// The rule: `format`, `schema` and `cross-file` are the commit's rules; the others are
  /// dataset QA (`outside-image`, `zero-area`, `duplicate-id`, `coverage`, `min-labels`,
  /// `unknown-class`).
  package var rule: String
  /// The file (repository path) the finding is about.
  package var location: String
  package var message: String

  /// Whether a commit refuses this (the commit's own rules) rather than QA reporting it.
  package var isCommitRule: Bool { ["format", "schema", "cross-file"].contains(rule) }
}

/// What `cairn check` checked and found.
package struct CheckReport: Sendable {
  /// What was checked: `working tree`, `index (staged)` or a commit id.
  package var source: String
  package var filesChecked: Int
  package var samples: Int
  package var findings: [CheckFinding]
}

/// What `cairn check` reads.
package enum CheckSource: Sendable {
  /// Every tracked file of the working tree.
  case workingTree
  /// Every file of a revision's tree.
  case revision(String)
  /// What `git commit` would commit: the files of the index that differ from `HEAD` (plus, when
  /// the staged schema changes, every label file of the fields it changes), with the rules a
  /// commit applies and no dataset QA. `indexPath` is the index git is committing from (git
  /// sets `GIT_INDEX_FILE` for hooks of `git commit -a` or `git commit PATH`); nil for
  /// `.git/index`.
  case staged(indexPath: String?)
}

extension CairnRepository {
  /// Runs the commit's validation over a whole dataset, plus dataset QA.
  ///
  /// - Parameters:
  ///   - source: What to check.
  ///   - qa: Whether to run dataset QA (never for `.staged`).
  /// - Returns: Every finding, sorted by file.
  /// - Throws: `CairnError` when the source cannot be read.
  package func check(_ source: CheckSource, qa: Bool = true) throws(CairnError) -> CheckReport {
    var files: [(path: String, bytes: [UInt8])] = []
    let name: String
    switch source {
    case .workingTree:
      let root = try requireRoot(for: "check")
      name = "working tree"
      let scanned = WorkingTreeScanner.scan(root: root)
      let read = parallelMap(count: scanned.count, state: ()) { _, index -> [UInt8]? in
        try? FileIO.read(root + "/" + scanned[index].path)
      }
      for (file, bytes) in zip(scanned, read) { files.append((file.path, bytes ?? [])) }
    case .revision(let revision):
      let commit = try resolve(revision)
      name = commit.hex
      files = try treeFiles(of: commit)
    case .staged(let indexPath):
      name = "index (staged)"
      // Only the files a commit would check are read: the changed ones, the schema, and
      // the labels a staged schema change makes it check again.
      let staged = try stagedEntries(indexPath: indexPath ?? git.gitDirectory + "/index")
      var schema: Schema?
      if let entry = staged.entries.first(where: { $0.path == "schema.json" }),
        let bytes = try? git.readBlob(entry.id)
      {
        schema = try? Schema.parse(bytes)
      }
      let recheck = try stagedSchemaRecheck(schema)
      var paths = staged.changed
      for entry in staged.entries where recheck.recheck(entry.path) { paths.insert(entry.path) }
      files = try readStaged(staged.entries, paths: paths)
      return try finish(name: name, files: files, checked: paths, schema: schema, qa: false)
    }
    let schemaFile = files.first { $0.path == "schema.json" }
    let schema = schemaFile.flatMap { try? Schema.parse($0.bytes) }
    return try finish(name: name, files: files, checked: nil, schema: schema, qa: qa)
  }

  private func finish(
    name: String, files: [(path: String, bytes: [UInt8])], checked: Set<String>?,
    schema: Schema?, qa: Bool
  ) throws(CairnError) -> CheckReport {
    let selected = files.indices.filter { checked?.contains(files[$0].path) ?? true }
    let outcomes = parallelMap(count: selected.count, state: ()) {
      _, index -> (Validator.Outcome, FormatV1.PathKind?) in
      let file = files[selected[index]]
      guard FormatV1.isTracked(file.path) else { return (.valid, nil) }
      return Validator.inspect(path: file.path, bytes: file.bytes, schema: schema)
    }
    var findings: [CheckFinding] = []
    for (slot, index) in selected.enumerated() {
      let path = files[index].path
      switch outcomes[slot].0 {
      case .valid: break
      case .invalid(let reason):
        findings.append(CheckFinding(rule: "format", location: path, message: reason))
      case .breaksSchema(let reasons):
        findings += reasons.map { CheckFinding(rule: "schema", location: path, message: $0) }
      case .notCanonical:
        findings.append(
          CheckFinding(
            rule: "format", location: path,
            message: "not in canonical JSON form; run 'cairn commit --normalize'"))
      }
    }
    // Cross-file rules over the whole tree (labels need their sample; the manifest and schema
    // exist).
    let paths = Set(files.map(\.path))
    for required in ["cairn.json", "schema.json"] where !paths.contains(required) {
      findings.append(CheckFinding(rule: "cross-file", location: required, message: "missing"))
    }
    var samples: [String] = []
    var labelFiles: [(field: String, key: String, index: Int)] = []
    for (index, file) in files.enumerated() {
      switch FormatV1.classify(file.path) {
      case .success(.sample(let key)): samples.append(key)
      case .success(.label(let field, let key)):
        labelFiles.append((field, key, index))
        if checked?.contains(file.path) ?? true, !paths.contains(FormatV1.samplePath(key)) {
          findings.append(
            CheckFinding(
              rule: "cross-file", location: file.path,
              message: "labels for sample '\(key)', which does not exist"))
        }
      default: break
      }
    }
    findings += Self.embeddingFindings(files, checked: checked)
    if qa {
      findings += qualityFindings(
        files: files, samples: samples, labelFiles: labelFiles, schema: schema)
    }
    findings.sort {
      ($0.location, $0.rule, $0.message) < ($1.location, $1.rule, $1.message)
    }
    return CheckReport(
      source: name, filesChecked: selected.count, samples: samples.count, findings: findings)
  }

  /// The rule across files of embedding sets (§7.6): over every set of the tree, or with
  /// `checked`, over the sets with a checked (changed) file.
  private static func embeddingFindings(
    _ files: [(path: String, bytes: [UInt8])], checked: Set<String>?
  ) -> [CheckFinding] {
    var sets: [String: [FormatV1.EmbeddingFile: [UInt8]]] = [:]
    var touched = Set<String>()
    for file in files {
      if case .success(.embedding(let name, let kind)) = FormatV1.classify(file.path) {
        sets[name, default: [:]][kind] = file.bytes
        if checked?.contains(file.path) ?? true { touched.insert(name) }
      }
    }
    // A changed path no longer in the tree (a deleted file) touches its set too.
    for path in checked ?? [] {
      if case .success(.embedding(let name, _)) = FormatV1.classify(path) { touched.insert(name) }
    }
    var findings: [CheckFinding] = []
    for (name, parts) in sets.sorted(by: { ByteOrder.precedes($0.key, $1.key) })
    where touched.contains(name) {
      if let problem = EmbeddingSet.filesProblem(
        meta: parts[.meta], keys: parts[.keys], vectorBytes: parts[.vectors]?.count)
      {
        findings.append(
          CheckFinding(
            rule: "cross-file", location: EmbeddingSet.folder(name), message: problem))
      }
    }
    return findings
  }

  /// Dataset QA: geometry, duplicate ids, coverage, label counts and classes off the schema.
  private func qualityFindings(
    files: [(path: String, bytes: [UInt8])], samples: [String],
    labelFiles: [(field: String, key: String, index: Int)], schema: Schema?
  ) -> [CheckFinding] {
    var findings: [CheckFinding] = []
    var counts: [String: [String: Int]] = [:]  // field → key → labels
    var firstSeen: [String: [String: String]] = [:]  // field → label id → path
    var unknownClasses: [String: [String: Int]] = [:]  // field → class → labels
    for (field, key, index) in labelFiles {
      let path = files[index].path
      guard let value = try? JSONParser.parse(files[index].bytes),
        let labels = value["labels"]?.array
      else { continue }
      counts[field, default: [:]][key] = labels.count
      let classes = schema?.fields[field]?.classes
      for label in labels {
        let id = label["id"]?.string ?? "?"
        let prefix = "sample '\(key)', label \(id), field '\(field)'"
        if let other = firstSeen[field]?[id] {
          findings.append(
            CheckFinding(
              rule: "duplicate-id", location: path,
              message: "\(prefix): the id is also used in \(other)"))
        } else {
          firstSeen[field, default: [:]][id] = path
        }
        if let classes, let name = label["label"]?.string, !classes.contains(name) {
          unknownClasses[field, default: [:]][name, default: 0] += 1
        }
        findings += Self.geometryFindings(label, prefix: prefix, path: path)
      }
    }
    for field in unknownClasses.keys.sorted() {
      for (name, count) in (unknownClasses[field] ?? [:]).sorted(by: { $0.key < $1.key }) {
        findings.append(
          CheckFinding(
            rule: "unknown-class", location: "schema.json",
            message: "class '\(name)' is used by \(count) label(s) in field '\(field)' "
              + "but is not in the schema"))
      }
    }
    for (field, definition) in (schema?.fields ?? [:]).sorted(by: { $0.key < $1.key }) {
      let perSample = counts[field] ?? [:]
      for key in samples {
        let count = perSample[key]
        if definition.coverage && (count ?? 0) == 0 {
          findings.append(
            CheckFinding(
              rule: "coverage", location: FormatV1.samplePath(key),
              message: "sample '\(key)' has no labels in field '\(field)', which every "
                + "sample should have"))
        } else if let minimum = definition.minLabels, (count ?? 0) < minimum {
          findings.append(
            CheckFinding(
              rule: "min-labels", location: FormatV1.samplePath(key),
              message: "sample '\(key)' has \(count ?? 0) label(s) in field '\(field)', "
                + "fewer than the minimum \(minimum)"))
        }
      }
    }
    return findings
  }

  private static func geometryFindings(_ label: JSONValue, prefix: String, path: String)
    -> [CheckFinding]
  {
    var findings: [CheckFinding] = []
    let tolerance = 1e-9
    func inside(_ value: Double) -> Bool { value >= -tolerance && value <= 1 + tolerance }
    if let box = LabelRules.numbers(label["bbox"], count: 4) {
      if box[2] <= 0 || box[3] <= 0 {
        findings.append(
          CheckFinding(
            rule: "zero-area", location: path, message: "\(prefix): the box has zero area"))
      }
      if !inside(box[0]) || !inside(box[1]) || !inside(box[0] + box[2])
        || !inside(box[1] + box[3])
      {
        findings.append(
          CheckFinding(
            rule: "outside-image", location: path,
            message: "\(prefix): the box [\(box.map { "\($0)" }.joined(separator: ", "))] "
              + "leaves the image (0–1)"))
      }
    }
    var points: [JSONValue] = []
    if label["type"]?.string == "keypoints" {
      points = label["points"]?.array ?? []
    } else if label["type"]?.string == "polyline" {
      points = (label["points"]?.array ?? []).flatMap { $0.array ?? [] }
    }
    if points.contains(where: { point in
      guard let xy = LabelRules.numbers(point, count: 2) else { return false }
      return !inside(xy[0]) || !inside(xy[1])
    }) {
      findings.append(
        CheckFinding(
          rule: "outside-image", location: path,
          message: "\(prefix): a point lies outside the image (0–1)"))
    }
    if let size = LabelRules.numbers(label["dimensions"], count: 3), size.contains(0) {
      findings.append(
        CheckFinding(
          rule: "zero-area", location: path, message: "\(prefix): the cuboid has a zero dimension"))
    }
    return findings
  }

  /// Every file of the tree of `commit` with its content.
  private func treeFiles(of commit: ObjectID) throws(CairnError) -> [(
    path: String, bytes: [UInt8]
  )] {
    let git = self.git
    return try CairnError.wrap { () throws -> [(path: String, bytes: [UInt8])] in
      let tree = try git.readCommit(commit).tree
      var listed: [(String, ObjectID)] = []
      try TreeWalk(repository: git).files(in: tree) { path, entry in
        listed.append((path, entry.id))
      }
      var files: [(path: String, bytes: [UInt8])] = []
      files.reserveCapacity(listed.count)
      for (path, id) in listed { files.append((path, try git.readBlob(id))) }
      return files
    }
  }

  /// The index's files with their blob ids, and the paths that differ from `HEAD`.
  private func stagedEntries(indexPath: String) throws(CairnError) -> (
    entries: [(path: String, id: ObjectID)], changed: Set<String>
  ) {
    let git = self.git
    return try CairnError.wrap { () throws -> ([(path: String, id: ObjectID)], Set<String>) in
      let index = try IndexFile.read(from: indexPath)
      var headFiles: [String: ObjectID] = [:]
      if let head = try git.head().target {
        try TreeWalk(repository: git).files(in: try git.readCommit(head).tree) { path, entry in
          headFiles[path] = entry.id
        }
      }
      var entries: [(path: String, id: ObjectID)] = []
      var changed: Set<String> = []
      for entry in index?.entries ?? [] {
        entries.append((entry.path, entry.id))
        if headFiles[entry.path] != entry.id { changed.insert(entry.path) }
      }
      // Deleted files matter to the cross-file rules through their absence only.
      return (entries, changed)
    }
  }

  /// The staged files with the content of those in `paths` (and the schema); the others
  /// with no bytes, as the rules across files need only their paths.
  private func readStaged(_ entries: [(path: String, id: ObjectID)], paths: Set<String>)
    throws(CairnError) -> [(path: String, bytes: [UInt8])]
  {
    var files: [(path: String, bytes: [UInt8])] = []
    files.reserveCapacity(entries.count)
    do {
      for entry in entries {
        let needed = paths.contains(entry.path) || entry.path == "schema.json"
        files.append((entry.path, needed ? try git.readBlob(entry.id) : []))
      }
    } catch {
      throw CairnError(error, context: "cannot read the index's blobs")
    }
    return files
  }

  /// What a staged schema change makes a commit check again.
  private func stagedSchemaRecheck(_ schema: Schema?) throws(CairnError) -> SchemaCheck {
    guard let schema else { return SchemaCheck(schema: nil) }
    let head = try? resolve("HEAD")
    return SchemaCheck(from: head.flatMap { try? self.schema(at: $0.hex) }, to: schema)
  }
}
