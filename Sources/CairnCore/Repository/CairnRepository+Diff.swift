internal import GitStore

/// A file that differs between the two sides of a diff, with where each side's bytes are.
struct ChangedFile: Sendable {
  var path: String
  var old: ContentReference?
  var new: ContentReference?

  var kind: ChangeKind { old == nil ? .added : new == nil ? .deleted : .modified }
}

/// The changed files of one sample: its record and its label files.
struct SampleFiles: Sendable {
  var key: String
  /// `<s1>/<s2>/<encoded key>.json`.
  var suffix: String
  var record: ChangedFile?
  var labels: [(field: String, file: ChangedFile)] = []
}

/// A diff whose changed files are known and whose samples are still to be read.
///
/// Made by ``CairnRepository/planDiff(_:)``; ``CairnRepository/forEachSampleDiff(in:_:)``
/// then reads and compares the samples in key order.
package struct DiffPlan: Sendable {
  /// The sides, and the schema, view, group and other changes.
  package var header: DiffHeader
  /// Changed samples, sorted by key bytes.
  var samples: [SampleFiles]
  /// Only labels of this field, without record member changes.
  var field: String?
}

extension CairnRepository {
  /// How many samples are read and compared per parallel batch; bounds memory for large
  /// diffs while keeping both cores busy.
  static let diffBatchSize = 1024

  /// Finds what differs between the two sides of `request`, reading no sample or label file.
  ///
  /// Between two commits the trees are walked with ``TreeWalk/differences(from:to:prefix:_:)``,
  /// which skips identical subtrees; against the working tree, the stat cache of `status`
  /// tells which files changed without reading the others (when the old side is not `HEAD`,
  /// the changes from it to `HEAD` are walked and composed with those). Only `schema.json`,
  /// views and group records are read here.
  ///
  /// - Throws: `CairnError` `.notFound` for an unknown revision, view, field or sample key,
  ///   `.invalidInput` for an invalid key, `.bareRepository` for the working tree of a bare
  ///   repository.
  /// - Complexity: O(changed files × tree depth) tree reads, plus one status scan for the
  ///   working tree.
  package func planDiff(_ request: DiffRequest) throws(CairnError) -> DiffPlan {
    for key in request.keys {
      if let problem = FormatV1.keyProblem(key) {
        throw CairnError(.invalidInput, "invalid sample key '\(key)': \(problem)")
      }
    }
    if let field = request.field, let problem = FormatV1.fieldProblem(field) {
      throw CairnError(.invalidInput, "invalid field name '\(field)': \(problem)")
    }
    let fromRevision = request.from ?? "HEAD"
    let fromCommit = try resolve(fromRevision)
    let fromTree = try CairnError.wrap { try git.readCommit(fromCommit).tree }
    var header = DiffHeader(fromCommit: fromCommit, fromRevision: fromRevision)
    var files: [ChangedFile] = []
    var toTree: ObjectID?
    var root: String?
    switch request.to {
    case .revision(let revision):
      let commit = try resolve(revision)
      header.toCommit = commit
      header.toRevision = revision
      let tree = try CairnError.wrap { try git.readCommit(commit).tree }
      toTree = tree
      try CairnError.wrap {
        try TreeWalk(repository: git).differences(from: fromTree, to: tree) { difference in
          guard FormatV1.isTracked(difference.path) else { return }
          files.append(
            ChangedFile(
              path: difference.path, old: difference.old.map { .blob($0) },
              new: difference.new.map { .blob($0) }))
        }
      }
    case .workingTree:
      root = try requireRoot(for: "a diff against the working tree")
      files = try workingTreeChanges(from: fromTree)
    }

    // Which samples to keep.
    var wanted: Set<String>?
    if !request.keys.isEmpty || request.view != nil {
      var suffixes: Set<String> = []
      for key in request.keys {
        let inOld = try sampleExists(key, tree: fromTree)
        let inNew = try sampleExists(key, tree: toTree, root: root)
        guard inOld || inNew else {
          throw CairnError(
            .notFound,
            "no sample '\(key)' in \(fromRevision) or \(header.toRevision ?? "the working tree")")
        }
        suffixes.insert(String(FormatV1.samplePath(key).dropFirst("samples/".count)))
      }
      if let view = request.view {
        for key in try viewKeys(view, from: fromRevision, to: request.to) {
          suffixes.insert(String(FormatV1.samplePath(key).dropFirst("samples/".count)))
        }
      }
      wanted = suffixes
    }
    if let field = request.field {
      try checkField(field, fromTree: fromTree, toTree: toTree, root: root)
    }

    // Sort the files by what they hold.
    var samples: [SampleFiles] = []
    var position: [String: Int] = [:]
    func sample(_ suffix: String) -> Int? {
      if let index = position[suffix] { return index }
      guard let slash = suffix.utf8.lastIndex(of: UInt8(ascii: "/")),
        let key = SampleTable.key(fromFileName: suffix[suffix.index(after: slash)...])
      else { return nil }
      samples.append(SampleFiles(key: key, suffix: suffix))
      position[suffix] = samples.count - 1
      return samples.count - 1
    }
    var schemaFile: ChangedFile?
    var groupFiles: [ChangedFile] = []
    for file in files {
      let parts = file.path.split(separator: "/", omittingEmptySubsequences: false)
      switch parts[0] {
      case "samples" where parts.count == 4:
        let suffix = parts[1...].joined(separator: "/")
        if let wanted, !wanted.contains(suffix) { continue }
        if let index = sample(suffix) {
          samples[index].record = file
          continue
        }
      case "labels" where parts.count == 5:
        let field = String(parts[1])
        let suffix = parts[2...].joined(separator: "/")
        if let only = request.field, only != field { continue }
        if let wanted, !wanted.contains(suffix) { continue }
        if let index = sample(suffix) {
          samples[index].labels.append((field, file))
          continue
        }
      case "schema.json" where parts.count == 1:
        schemaFile = file
        continue
      case "views" where parts.count == 2 && parts[1].hasSuffix(".json"):
        if request.field == nil && wanted == nil {
          header.views.append(
            ViewChange(name: String(parts[1].dropLast(5)), change: file.kind))
        }
        continue
      case "groups" where parts.count == 4:
        if request.field == nil && wanted == nil { groupFiles.append(file) }
        continue
      default: break
      }
      if request.field == nil && wanted == nil {
        header.other.append(FileChange(path: file.path, change: file.kind))
      }
    }
    if request.field != nil {
      // Records are read only to tell added and deleted samples apart.
      samples.removeAll { $0.labels.isEmpty }
    }
    samples.sort { ByteOrder.precedes($0.key, $1.key) }
    for index in samples.indices {
      samples[index].labels.sort { ByteOrder.precedes($0.field, $1.field) }
    }
    header.sampleCount = samples.count

    let reader = ContentReader(gitDirectory: git.gitDirectory, root: root)
    if let schemaFile {
      var schema = schemaDiff(schemaFile, reader: reader)
      if let field = request.field { schema = schema.restricted(to: field) }
      if !schema.isEmpty { header.schema = schema }
    }
    for file in groupFiles {
      let name = file.path.split(separator: "/").last.map(String.init) ?? file.path
      let id = FormatV1.decodeKey(String(name.dropLast(5))) ?? name
      let old = file.old.flatMap { try? reader.json($0, path: file.path) }
      let new = file.new.flatMap { try? reader.json($0, path: file.path) }
      var changes: [MemberChange] = []
      if let old, let new { changes = LabelComparison.memberChanges(old: old, new: new) }
      if file.kind == .modified && changes.isEmpty && old != nil && new != nil { continue }
      header.groups.append(GroupDiff(id: id, change: file.kind, changes: changes))
    }
    header.groups.sort { ByteOrder.precedes($0.id, $1.id) }
    return DiffPlan(header: header, samples: samples, field: request.field)
  }

  /// Reads and compares the samples of `plan` in key order, on all cores, calling `body` with
  /// each sample that changed, in order.
  ///
  /// Samples are read in batches, so memory stays bounded however many samples changed. A
  /// label file whose labels are byte-identical except for one label has only that label
  /// parsed (``LabelFileScanner``).
  ///
  /// - Complexity: two blob or file reads per changed file.
  package func forEachSampleDiff(in plan: DiffPlan, _ body: (SampleDiff) -> Void) {
    let gitDirectory = git.gitDirectory
    let root = root
    var start = 0
    while start < plan.samples.count {
      let end = min(plan.samples.count, start + Self.diffBatchSize)
      let batch = Array(plan.samples[start..<end])
      let results = parallelMap(
        count: batch.count, state: ContentReader(gitDirectory: gitDirectory, root: root)
      ) { reader, index in
        Self.sampleDiff(batch[index], field: plan.field, reader: reader)
      }
      for result in results {
        if let result { body(result) }
      }
      start = end
    }
  }

  // MARK: Sides

  /// The tracked files that differ between `fromTree` and the working tree.
  private func workingTreeChanges(from fromTree: ObjectID) throws(CairnError) -> [ChangedFile] {
    let snapshot = try snapshot()
    let root = try requireRoot(for: "a diff against the working tree")
    let entries = snapshot.entries
    let candidates = entries.indices.filter { entries[$0].needsRead }
    let hashed = parallelMap(count: candidates.count, state: ()) { _, index -> ObjectID? in
      guard let bytes = try? FileIO.read(root + "/" + entries[candidates[index]].path) else {
        return nil
      }
      return ObjectHasher.id(of: .blob, bytes)
    }
    var current = entries.map(\.knownID)
    for (index, id) in zip(candidates, hashed) { current[index] = id }
    // HEAD → working tree, by path: HEAD's blob and the working file's (nil: absent).
    var working: [(path: String, head: ObjectID?, file: ObjectID?)] = []
    for index in entries.indices
    where snapshot.change(at: index, currentID: current[index]) != nil {
      let present = entries[index].stat != nil
      working.append((entries[index].path, entries[index].headID, present ? current[index] : nil))
    }
    func reference(_ path: String, _ id: ObjectID?, file: Bool) -> ContentReference? {
      guard let id else { return nil }
      return file ? .file(path) : .blob(id)
    }
    guard let headTree = snapshot.headTree, headTree != fromTree else {
      return working.map {
        ChangedFile(
          path: $0.path, old: reference($0.path, $0.head, file: false),
          new: reference($0.path, $0.file, file: true))
      }
    }
    // From the old side to HEAD, then HEAD to the working tree.
    var committed: [String: (old: ObjectID?, head: ObjectID?)] = [:]
    try CairnError.wrap {
      try TreeWalk(repository: git).differences(from: fromTree, to: headTree) { difference in
        if FormatV1.isTracked(difference.path) {
          committed[difference.path] = (difference.old, difference.new)
        }
      }
    }
    var files: [ChangedFile] = []
    for change in working {
      let old = committed.removeValue(forKey: change.path)?.old ?? change.head
      if old == change.file { continue }
      files.append(
        ChangedFile(
          path: change.path, old: reference(change.path, old, file: false),
          new: reference(change.path, change.file, file: true)))
    }
    for (path, change) in committed {
      files.append(
        ChangedFile(
          path: path, old: reference(path, change.old, file: false),
          new: reference(path, change.head, file: false)))
    }
    files.sort { ByteOrder.precedes($0.path, $1.path) }
    return files
  }

  private func sampleExists(_ key: String, tree: ObjectID?, root: String? = nil)
    throws(CairnError) -> Bool
  {
    let path = FormatV1.samplePath(key)
    if let tree {
      return try CairnError.wrap { try TreeWalk(repository: git).entry(at: path, in: tree) } != nil
    }
    if let root { return FileStat.of(root + "/" + path) != nil }
    return false
  }

  /// The keys view `name` selects on either side; the view's definition is taken from the new
  /// side, or from the old one when the new side has no such view.
  private func viewKeys(_ name: String, from: String, to: DiffSide) throws(CairnError) -> Set<
    String
  > {
    let newSource: DataSource
    switch to {
    case .revision(let revision): newSource = .revision(revision)
    case .workingTree: newSource = .workingTree
    }
    let oldSource = DataSource.revision(from)
    let definition: ViewDefinition
    do throws(CairnError) {
      definition = try view(named: name, in: newSource)
    } catch  where error.code == .notFound {
      do throws(CairnError) {
        definition = try view(named: name, in: oldSource)
      } catch  where error.code == .notFound {
        let place = to == .workingTree ? "the working tree" : "the other revision"
        throw CairnError(.notFound, "no view '\(name)' in \(from) or \(place)")
      }
    }
    var keys = Set(try evaluate(definition, in: oldSource).keys)
    keys.formUnion(try evaluate(definition, in: newSource).keys)
    return keys
  }

  private func checkField(_ field: String, fromTree: ObjectID, toTree: ObjectID?, root: String?)
    throws(CairnError)
  {
    let walk = TreeWalk(repository: git)
    for tree in [fromTree, toTree].compactMap({ $0 }) {
      let labels = try CairnError.wrap { try walk.entry(at: "labels/" + field, in: tree) }
      if labels != nil { return }
      let schema = try CairnError.wrap { try walk.entry(at: "schema.json", in: tree) }
      if let schema, let bytes = try? git.readBlob(schema.id),
        let parsed = try? Schema.parse(bytes), parsed.fields[field] != nil
      {
        return
      }
    }
    if let root {
      if FileStat.of(root + "/labels/" + field) != nil { return }
      if let bytes = try? FileIO.read(root + "/schema.json"),
        let parsed = try? Schema.parse(bytes), parsed.fields[field] != nil
      {
        return
      }
    }
    throw CairnError(.notFound, "no label field '\(field)' on either side of the diff")
  }

  private func schemaDiff(_ file: ChangedFile, reader: ContentReader) -> SchemaDiff {
    func schema(_ reference: ContentReference?) -> Result<Schema, RecordProblem> {
      guard let reference else { return .success(.empty) }
      do {
        return .success(try Schema.parse(try reader.read(reference)))
      } catch let problem as RecordProblem {
        return .failure(problem)
      } catch {
        return .failure(RecordProblem("schema.json cannot be read: \(error)"))
      }
    }
    switch (schema(file.old), schema(file.new)) {
    case (.success(let old), .success(let new)): return SchemaDiff(old: old, new: new)
    case (.failure(let problem), _), (_, .failure(let problem)):
      var diff = SchemaDiff()
      diff.problem = problem.reason
      return diff
    }
  }

  // MARK: Samples

  /// Compares one sample's changed files; nil when they differ in bytes only.
  static func sampleDiff(_ files: SampleFiles, field: String?, reader: ContentReader)
    -> SampleDiff?
  {
    var result = SampleDiff(key: files.key, change: .modified)
    if let record = files.record {
      do {
        let old = try record.old.map { (reference) throws(CairnError.Violation) in
          try reader.json(reference, path: record.path)
        }
        let new = try record.new.map { (reference) throws(CairnError.Violation) in
          try reader.json(reference, path: record.path)
        }
        switch (old, new) {
        case (nil, let new?):
          result.change = .added
          result.newRecord = new
        case (let old?, nil):
          result.change = .deleted
          result.oldRecord = old
        case (let old?, let new?):
          if field == nil {
            result.recordChanges = LabelComparison.memberChanges(old: old, new: new)
          }
        case (nil, nil): break
        }
      } catch {
        result.problem = "\(error.location): \(error.reason)"
      }
    }
    for (name, file) in files.labels {
      var diff = FieldDiff(field: name, file: file.kind, labels: [])
      do {
        let old = try file.old.map { try labelElements($0, path: file.path, reader: reader) } ?? []
        let new = try file.new.map { try labelElements($0, path: file.path, reader: reader) } ?? []
        diff.labels = try LabelComparison.labelChanges(old: old, new: new)
      } catch let error as CairnError.Violation {
        diff.problem = "\(error.location): \(error.reason)"
      } catch {
        diff.problem = "\(file.path): broken JSON at \(error)"
      }
      if diff.file == .modified && diff.labels.isEmpty && diff.problem == nil { continue }
      result.fields.append(diff)
    }
    if result.change == .modified && result.recordChanges.isEmpty && result.fields.isEmpty
      && result.problem == nil
    {
      return nil
    }
    return result
  }

  /// The raw bytes of each label of a label file.
  private static func labelElements(
    _ reference: ContentReference, path: String, reader: ContentReader
  ) throws(CairnError.Violation) -> [ArraySlice<UInt8>] {
    let bytes: [UInt8]
    do {
      bytes = try reader.read(reference)
    } catch {
      throw CairnError.Violation(path, "cannot be read: \(error.message)")
    }
    if let elements = LabelFileScanner.labelElements(bytes) { return elements }
    // Not something the scanner follows: parse it whole for a precise message.
    let value: JSONValue
    do {
      value = try JSONParser.parse(bytes)
    } catch {
      throw CairnError.Violation(path, "broken JSON at \(error.description)")
    }
    guard let labels = value["labels"]?.array else {
      throw CairnError.Violation(path, "\"labels\" must be an array of labels")
    }
    return labels.map { CanonicalJSON.encode($0).dropLast() }
  }
}
