internal import Dispatch
internal import GitStore

#if canImport(Glibc)
internal import Glibc
#endif

/// A file that differs between the two sides of a diff, with where each side's bytes are.
struct ChangedFile: Sendable {
  var path: String
  var old: ContentReference?
  var new: ContentReference?

  var kind: ChangeKind { old == nil ? .added : new == nil ? .deleted : .modified }

  /// Whether a side is a working-tree file, which need not be canonical JSON.
  var isFromWorkingTree: Bool {
    if case .file = old { return true }
    if case .file = new { return true }
    return false
  }
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
  /// How much of each change to work out.
  var detail: DiffDetail
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
      for difference in try differences(from: fromTree, to: tree)
      where FormatV1.isTracked(difference.path) {
        files.append(
          ChangedFile(
            path: difference.path, old: difference.old.map { .blob($0) },
            new: difference.new.map { .blob($0) }))
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
      guard let key = Self.key(ofSuffix: suffix) else { return nil }
      samples.append(SampleFiles(key: key, suffix: suffix))
      position[suffix] = samples.count - 1
      return samples.count - 1
    }
    var schemaFile: ChangedFile?
    var groupFiles: [ChangedFile] = []
    for file in files {
      switch Self.classifyChanged(file.path) {
      case .sample(let suffix):
        if let wanted, !wanted.contains(suffix) { continue }
        if let index = sample(suffix) {
          samples[index].record = file
          continue
        }
      case .label(let field, let suffix):
        if let only = request.field, only != field { continue }
        if let wanted, !wanted.contains(suffix) { continue }
        if let index = sample(suffix) {
          samples[index].labels.append((field, file))
          continue
        }
      case .schema:
        schemaFile = file
        continue
      case .view(let name):
        if request.field == nil && wanted == nil {
          header.views.append(ViewChange(name: name, change: file.kind))
        }
        continue
      case .group:
        if request.field == nil && wanted == nil { groupFiles.append(file) }
        continue
      case .other: break
      }
      if request.field == nil && wanted == nil {
        header.other.append(FileChange(path: file.path, change: file.kind))
      }
    }
    header.views.sort { ByteOrder.precedes($0.name, $1.name) }
    header.other.sort { ByteOrder.precedes($0.path, $1.path) }
    if request.field != nil {
      // Records are read only to tell added and deleted samples apart.
      samples.removeAll { $0.labels.isEmpty }
    }
    // Sort positions, not the records themselves (moving them costs more than comparing).
    let keys = samples.map(\.key)
    samples = keys.indices.sorted { ByteOrder.precedes(keys[$0], keys[$1]) }.map { samples[$0] }
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
    return DiffPlan(
      header: header, samples: samples, field: request.field, detail: request.detail)
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
    guard !plan.samples.isEmpty else { return }
    let workers = min(
      max(1, ProcessInfoLite.activeProcessorCount), max(1, plan.samples.count / 64 + 1))
    // One reader (and so one repository handle and one set of pack mappings) per worker for
    // the whole diff: a fresh mapping per batch would fault every page in again.
    let readers = UncheckedBox(
      (0..<workers).map { _ in ContentReader(gitDirectory: git.gitDirectory, root: root) })
    var start = 0
    while start < plan.samples.count {
      let end = min(plan.samples.count, start + Self.diffBatchSize)
      let batch = UncheckedBox(Array(plan.samples[start..<end]))
      let results = UncheckedBox(
        UnsafeMutableBufferPointer<SampleDiff?>.allocate(capacity: end - start))
      results.value.initialize(repeating: nil)
      let field = plan.field
      let detail = plan.detail
      DispatchQueue.concurrentPerform(iterations: workers) { worker in
        let reader = readers.value[worker]
        var index = worker
        while index < batch.value.count {
          results.value[index] = Self.sampleDiff(
            batch.value[index], field: field, detail: detail, reader: reader)
          index += workers
        }
      }
      for result in results.value {
        if let result { body(result) }
      }
      results.value.deinitialize()
      results.value.deallocate()
      start = end
    }
  }

  /// What a changed path holds, read from its bytes (no validation: a committed tree's
  /// paths were validated when they were committed).
  private enum ChangedPath {
    case sample(suffix: String)
    case label(field: String, suffix: String)
    case schema
    case view(name: String)
    case group
    case other
  }

  private static func classifyChanged(_ path: String) -> ChangedPath {
    var path = path
    return path.withUTF8 { bytes -> ChangedPath in
      // Up to five slashes matter: their offsets, found in one pass over the bytes.
      var slashes = (0, 0, 0, 0)
      var count = 0
      for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: "/") {
        switch count {
        case 0: slashes.0 = offset
        case 1: slashes.1 = offset
        case 2: slashes.2 = offset
        case 3: slashes.3 = offset
        default: return .other
        }
        count += 1
      }
      func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
      }
      func root(_ name: StaticString) -> Bool {
        guard slashes.0 == name.utf8CodeUnitCount, let base = bytes.baseAddress else {
          return false
        }
        return memcmp(base, name.utf8Start, slashes.0) == 0
      }
      switch count {
      case 0:
        return bytes.elementsEqual("schema.json".utf8) ? .schema : .other
      case 1
      where root("views") && bytes.count > slashes.0 + 6
        && bytes[(bytes.count - 5)...].elementsEqual(".json".utf8):
        return .view(name: text((slashes.0 + 1)..<(bytes.count - 5)))
      case 3 where root("samples"):
        return .sample(suffix: text((slashes.0 + 1)..<bytes.count))
      case 3 where root("groups"): return .group
      case 4 where root("labels"):
        return .label(
          field: text((slashes.0 + 1)..<slashes.1), suffix: text((slashes.1 + 1)..<bytes.count))
      default: return .other
      }
    }
  }

  /// The key of `<s1>/<s2>/<encoded key>.json`: the name itself when it has no escapes.
  private static func key(ofSuffix suffix: String) -> String? {
    var suffix = suffix
    return suffix.withUTF8 { bytes -> String? in
      guard bytes.count > 11, bytes[2] == UInt8(ascii: "/"), bytes[5] == UInt8(ascii: "/"),
        bytes[(bytes.count - 5)...].elementsEqual(".json".utf8)
      else { return nil }
      let name = UnsafeBufferPointer(rebasing: bytes[6..<(bytes.count - 5)])
      let plain =
        name.first != UInt8(ascii: ".")
        && name.allSatisfy { byte in
          (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
      let text = String(decoding: name, as: UTF8.self)
      return plain ? text : FormatV1.decodeKey(text)
    }
  }

  /// Every file that differs between two trees, walked on all cores.
  ///
  /// The top levels are walked here until there are enough differing folder pairs (the shard
  /// folders of a dataset) to share out; each worker then walks its pairs with its own
  /// repository handle, since libgit2 handles are not thread-safe. The result is in no
  /// particular order.
  func differences(from old: ObjectID, to new: ObjectID) throws(CairnError) -> [TreeDifference] {
    let workers = max(1, ProcessInfoLite.activeProcessorCount)
    var files: [TreeDifference] = []
    var folders: [(path: String, old: ObjectID?, new: ObjectID?)] = [("", old, new)]
    let walk = TreeWalk(repository: git)
    // Expand a few levels: the dataset's roots, label fields, first shard level.
    var depth = 0
    while !folders.isEmpty && folders.count < 16 * workers && depth < 4 {
      var next: [(path: String, old: ObjectID?, new: ObjectID?)] = []
      for folder in folders {
        let entries = try CairnError.wrap {
          try walk.level(from: folder.old, to: folder.new, prefix: folder.path)
        }
        for entry in entries {
          switch entry {
          case .file(let difference): files.append(difference)
          case .folder(let path, let old, let new): next.append((path, old, new))
          }
        }
      }
      folders = next
      depth += 1
    }
    if workers == 1 || folders.count < 2 {
      try CairnError.wrap {
        for folder in folders {
          try walk.differences(from: folder.old, to: folder.new, prefix: folder.path) {
            files.append($0)
          }
        }
      }
      return files
    }
    let gitDirectory = git.gitDirectory
    let tasks = UncheckedBox(folders)
    let slots = UncheckedBox(
      UnsafeMutableBufferPointer<Result<[TreeDifference], CairnError>>.allocate(capacity: workers))
    slots.value.initialize(repeating: .success([]))
    defer {
      slots.value.deinitialize()
      slots.value.deallocate()
    }
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      slots.value[worker] = Self.walk(tasks.value, worker: worker, of: workers, gitDirectory)
    }
    for result in slots.value { files += try result.get() }
    return files
  }

  /// Walks every `of`-th folder pair from `worker` on, with a repository handle of its own.
  private static func walk(
    _ folders: [(path: String, old: ObjectID?, new: ObjectID?)], worker: Int, of workers: Int,
    _ gitDirectory: String
  ) -> Result<[TreeDifference], CairnError> {
    do {
      let handle = try GitRepository.open(at: gitDirectory)
      let walk = TreeWalk(repository: handle)
      var found: [TreeDifference] = []
      var index = worker
      while index < folders.count {
        let folder = folders[index]
        try walk.differences(from: folder.old, to: folder.new, prefix: folder.path) {
          found.append($0)
        }
        index += workers
      }
      return .success(found)
    } catch let error as GitError {
      return .failure(CairnError(error))
    } catch {
      return .failure(CairnError(.internalError, "\(error)"))
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
  static func sampleDiff(
    _ files: SampleFiles, field: String?, detail: DiffDetail, reader: ContentReader
  ) -> SampleDiff? {
    var result = SampleDiff(key: files.key, change: .modified)
    if detail == .counts, let record = files.record, !record.isFromWorkingTree {
      // Committed records are canonical JSON: different blobs are different values, so
      // whether the sample was added, deleted or modified is known without reading them.
      if record.old == nil {
        result.change = .added
      } else if record.new == nil {
        result.change = .deleted
      } else if field == nil {
        // As in the full diff, a field's diff leaves record changes out.
        result.recordModified = true
      }
    } else if let record = files.record {
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
        // Working-tree files need not be canonical: compare them as values.
        var fileDetail = detail
        if case .file = file.new { fileDetail = .full }
        diff.labels = try LabelComparison.labelChanges(old: old, new: new, detail: fileDetail)
      } catch let error as CairnError.Violation {
        diff.problem = "\(error.location): \(error.reason)"
      } catch {
        diff.problem = "\(file.path): a label is not valid JSON (\(error))"
      }
      if diff.file == .modified && diff.labels.isEmpty && diff.problem == nil { continue }
      result.fields.append(diff)
    }
    if result.change == .modified && result.recordChanges.isEmpty && !result.recordModified
      && result.fields.isEmpty && result.problem == nil
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
