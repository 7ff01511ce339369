package import GitStore

/// Where views and the data they select are read from.
package enum DataSource: Sendable, Equatable {
  /// The working tree: its view files and its sample and label files (in a sparse checkout,
  /// HEAD's blobs for the samples left out).
  case workingTree
  /// A revision: its view files and its data, as committed.
  case revision(String)
}

/// A view found in the working tree or a revision.
package struct ViewListing: Sendable {
  package var name: String
  /// The definition, or nil when the file breaks the view rules.
  package var definition: ViewDefinition?
  /// Why the file is not a valid view.
  package var problem: String?
}

/// The result of applying a view.
package struct ViewEvaluation: Sendable {
  /// The commit whose data was read; nil for the working tree.
  package var commit: ObjectID?
  /// The selected keys, in the view's order.
  package var keys: [String]
  /// Keys of a pinned view that the data no longer holds (not in `keys`).
  package var missing: [String]
  /// How many samples the data holds.
  package var total: Int
  let evaluator: ViewEvaluator
  let indices: [Int]
  let filters: [(field: String, predicate: QueryExpression)]

  /// The selected samples, in order, with their labels after the view's label filters.
  package func samples() throws(CairnError) -> [ViewSample] {
    try evaluator.samples(indices, filters: filters)
  }

  /// The selected samples, in order, with only the labels of `fields` (after the view's label
  /// filters): label files of other fields are not read.
  package func samples(fields: Set<String>) throws(CairnError) -> [ViewSample] {
    try evaluator.samples(indices, filters: filters, fields: fields)
  }
}

extension CairnRepository {
  /// Reads view `name` from the working tree or a revision.
  ///
  /// - Throws: `CairnError` `.notFound` when there is no such view, `.invalidInput` when its
  ///   file breaks the view rules (the message names the file, the member and the position).
  package func view(named name: String, in source: DataSource) throws(CairnError)
    -> ViewDefinition
  {
    if let problem = ViewDefinition.nameProblem(name) {
      throw CairnError(.invalidInput, "invalid view name '\(name)': \(problem)")
    }
    let path = ViewDefinition.path(name)
    let bytes: [UInt8]
    switch try resolved(source) {
    case .workingTree(let root):
      guard FileStat.of(root + "/" + path) != nil else {
        throw CairnError(.notFound, "no view '\(name)' in the working tree (\(path))")
      }
      bytes = try CairnError.wrap { try FileIO.read(root + "/" + path) }
    case .commit(let revision, let commit):
      let tree = try CairnError.wrap { try git.readCommit(commit).tree }
      guard
        let entry = try CairnError.wrap(
          nil, { try TreeWalk(repository: git).entry(at: path, in: tree) })
      else {
        throw CairnError(.notFound, "no view '\(name)' in \(revision) (\(commit.short))")
      }
      bytes = try CairnError.wrap { try git.readBlob(entry.id) }
    }
    return try Self.parseView(bytes, path: path)
  }

  static func parseView(_ bytes: [UInt8], path: String) throws(CairnError) -> ViewDefinition {
    do {
      return try ViewDefinition(json: try JSONParser.parse(bytes))
    } catch let error as JSONParseError {
      throw CairnError(.invalidInput, "\(path): broken JSON at \(error.description)")
    } catch let problem as RecordProblem {
      throw CairnError(.invalidInput, "\(path): \(problem.reason)")
    } catch {
      throw CairnError(.invalidInput, "\(path): \(error)")
    }
  }

  /// Every view in the working tree or a revision, sorted by name.
  package func views(in source: DataSource) throws(CairnError) -> [ViewListing] {
    var files: [(name: String, bytes: () throws -> [UInt8])] = []
    switch try resolved(source) {
    case .workingTree(let root):
      for file in FileIO.list(root + "/views") ?? [] where file.hasSuffix(".json") {
        files.append((String(file.dropLast(5)), { try FileIO.read(root + "/views/" + file) }))
      }
    case .commit(_, let commit):
      let git = git
      let tree = try CairnError.wrap { try git.readCommit(commit).tree }
      if let entry = try CairnError.wrap(
        nil, { try TreeWalk(repository: git).entry(at: "views", in: tree) }),
        entry.isTree
      {
        for file in try CairnError.wrap(nil, { try git.readTree(entry.id) })
        where !file.isTree && file.name.hasSuffix(".json") {
          files.append((String(file.name.dropLast(5)), { try git.readBlob(file.id) }))
        }
      }
    }
    files.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    return files.map { file in
      do {
        let definition = try Self.parseView(try file.bytes(), path: ViewDefinition.path(file.name))
        return ViewListing(name: file.name, definition: definition)
      } catch let error as CairnError {
        return ViewListing(name: file.name, problem: error.message)
      } catch {
        return ViewListing(name: file.name, problem: "\(error)")
      }
    }
  }

  /// Writes `views/<name>.json` into the working tree (record it with a commit).
  ///
  /// - Parameters:
  ///   - name: The view name.
  ///   - definition: The view.
  ///   - replace: Overwrite an existing view instead of refusing.
  /// - Returns: Whether a view was replaced.
  /// - Throws: `CairnError` `.invalidInput` for an invalid name, `.alreadyExists` when the view
  ///   exists and `replace` is false, `.locked` while another writer runs.
  @discardableResult
  package func saveView(_ name: String, _ definition: ViewDefinition, replace: Bool)
    throws(CairnError) -> Bool
  {
    let root = try requireRoot(for: "saving a view")
    if let problem = ViewDefinition.nameProblem(name) {
      throw CairnError(.invalidInput, "invalid view name '\(name)': \(problem)")
    }
    let lock = try WriterLock(path: lockPath)
    defer { lock.release() }
    let path = root + "/" + ViewDefinition.path(name)
    let exists = FileStat.of(path) != nil
    if exists && !replace {
      throw CairnError(
        .alreadyExists,
        "view '\(name)' already exists (\(ViewDefinition.path(name))); use --force to replace it")
    }
    try CairnError.wrap {
      try FileIO.makeDirectories(root + "/views")
      try FileIO.writeAtomically(definition.encoded, to: path)
    }
    return exists
  }

  /// Deletes `views/<name>.json` from the working tree (record it with a commit).
  ///
  /// - Throws: `CairnError` `.notFound` when the working tree has no such view.
  package func removeView(_ name: String) throws(CairnError) {
    let root = try requireRoot(for: "removing a view")
    if let problem = ViewDefinition.nameProblem(name) {
      throw CairnError(.invalidInput, "invalid view name '\(name)': \(problem)")
    }
    let lock = try WriterLock(path: lockPath)
    defer { lock.release() }
    let path = ViewDefinition.path(name)
    guard FileStat.of(root + "/" + path) != nil else {
      throw CairnError(.notFound, "no view '\(name)' in the working tree (\(path))")
    }
    try CairnError.wrap { try FileIO.remove(root + "/" + path) }
    FileIO.removeDirectoryIfEmpty(root + "/views")
  }

  /// Applies a view (and optional further stages) to the data of `source`.
  ///
  /// A pinned view yields its stored keys, in order, whatever the data holds; keys the data
  /// lacks are reported in `missing`. `extra` stages then run on those samples.
  ///
  /// - Parameters:
  ///   - definition: The view.
  ///   - extra: Stages run after the view's own.
  ///   - source: Where the data is read from.
  ///   - includeExcluded: In a sparse working tree, also read the samples left out (from
  ///     HEAD); when false only the materialised samples are seen.
  /// - Returns: The selected keys, and what is needed to read the selected samples.
  /// - Throws: `CairnError` `.notFound` for an unknown revision, `.invalidInput` listing the
  ///   files that could not be read as JSON.
  /// - Complexity: one read of every record and of the label files the stages name, on all
  ///   cores; see ``ViewEvaluator``.
  package func evaluate(
    _ definition: ViewDefinition, extra: [ViewStage] = [], in source: DataSource,
    includeExcluded: Bool = true
  ) throws(CairnError) -> ViewEvaluation {
    let (table, commit, root) = try sampleTable(source, includeExcluded: includeExcluded)
    let evaluator = ViewEvaluator(table: table, gitDirectory: git.gitDirectory, root: root)
    var start: [Int]
    var missing: [String] = []
    var stages = extra
    if let pinned = definition.pinned {
      let index = table.indexByKey()
      start = []
      start.reserveCapacity(pinned.keys.count)
      for key in pinned.keys {
        if let position = index[key] { start.append(position) } else { missing.append(key) }
      }
    } else {
      start = Array(table.keys.indices)
      stages = definition.stages + extra
    }
    let indices = try evaluator.run(stages, on: start)
    var filters: [(field: String, predicate: QueryExpression)] = []
    for stage in definition.stages + extra {
      if case .filterLabels(let field, let predicate) = stage { filters.append((field, predicate)) }
    }
    return ViewEvaluation(
      commit: commit, keys: indices.map { table.keys[$0] }, missing: missing,
      total: table.keys.count, evaluator: evaluator, indices: indices, filters: filters)
  }

  /// The commit `source` names, or the working tree root (HEAD's data for a bare repository).
  enum ResolvedSource {
    case workingTree(root: String)
    case commit(revision: String, id: ObjectID)
  }

  func resolved(_ source: DataSource) throws(CairnError) -> ResolvedSource {
    switch source {
    case .revision(let revision): return .commit(revision: revision, id: try resolve(revision))
    case .workingTree:
      if let root { return .workingTree(root: root) }
      return .commit(revision: "HEAD", id: try resolve("HEAD"))
    }
  }

  /// The samples of `source`, the commit read (nil for the working tree) and the working tree
  /// root files are read from.
  func sampleTable(_ source: DataSource, includeExcluded: Bool) throws(CairnError) -> (
    SampleTable, ObjectID?, String?
  ) {
    switch try resolved(source) {
    case .commit(_, let commit):
      let tree = try CairnError.wrap { try git.readCommit(commit).tree }
      let files = try CairnError.wrap { try SampleTable.files(tree: tree, git: git) }
      return (SampleTable(samples: files.samples, labels: files.labels), commit, nil)
    case .workingTree(let root):
      var files = SampleTable.files(workingTree: root)
      if includeExcluded, let sparse = try SparseCheckout.load(gitDirectory: git.gitDirectory),
        !sparse.excluded.isEmpty, let tree = try headTree()
      {
        // The samples left out are read from HEAD, unless their files are back in the tree.
        let head = try CairnError.wrap { try SampleTable.files(tree: tree, git: git) }
        let present = Set(files.samples.map(\.suffix))
        files.samples += head.samples.filter {
          sparse.excluded.contains($0.suffix) && !present.contains($0.suffix)
        }
        for (field, labels) in head.labels {
          let there = Set((files.labels[field] ?? []).map(\.suffix))
          files.labels[field, default: []] += labels.filter {
            sparse.excluded.contains($0.suffix) && !there.contains($0.suffix)
          }
        }
      }
      return (SampleTable(samples: files.samples, labels: files.labels), nil, root)
    }
  }
}
