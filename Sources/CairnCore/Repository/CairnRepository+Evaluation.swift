internal import GitStore

/// A stored run as `cairn eval list` shows it.
package struct EvaluationRunListing: Sendable {
  package var key: String
  /// The run, or nil when its files cannot be read (with the reason).
  package var run: EvaluationRun?
  package var problem: String?
}

extension CairnRepository {
  /// Writes `runs/eval/<key>/run.json` and `samples.json` into the working tree (record them
  /// with a commit).
  ///
  /// - Parameters:
  ///   - run: The run.
  ///   - replace: Overwrite a run of the same key instead of refusing.
  /// - Throws: `CairnError` `.invalidInput` for an invalid key, `.alreadyExists` when the run
  ///   exists and `replace` is false, `.locked` while another writer runs.
  package func saveRun(_ run: EvaluationRun, replace: Bool) throws(CairnError) {
    let root = try requireRoot(for: "saving an evaluation run")
    if let problem = EvaluationRun.keyProblem(run.key) {
      throw CairnError(.invalidInput, "invalid run key '\(run.key)': \(problem)")
    }
    let lock = try WriterLock(path: lockPath)
    defer { lock.release() }
    let folder = root + "/" + EvaluationRun.folder(run.key)
    if FileStat.of(folder + "/run.json") != nil && !replace {
      throw CairnError(
        .alreadyExists,
        "evaluation run '\(run.key)' already exists (\(EvaluationRun.folder(run.key))); "
          + "use --force to replace it")
    }
    try CairnError.wrap {
      try FileIO.makeDirectories(folder)
      try FileIO.writeAtomically(CanonicalJSON.encode(run.samples), to: folder + "/samples.json")
      try FileIO.writeAtomically(CanonicalJSON.encode(run.record), to: folder + "/run.json")
    }
  }

  /// Whether the working tree holds run `key`.
  ///
  /// - Throws: `CairnError` `.bareRepository` without a working tree.
  package func runExists(_ key: String) throws(CairnError) -> Bool {
    let root = try requireRoot(for: "saving an evaluation run")
    return FileStat.of(root + "/" + EvaluationRun.folder(key) + "/run.json") != nil
  }

  /// Every run under `runs/eval/` of the working tree or a revision, by key.
  package func runs(in source: DataSource) throws(CairnError) -> [EvaluationRunListing] {
    var keys: [String] = []
    switch try resolved(source) {
    case .workingTree(let root):
      keys = FileIO.list(root + "/runs/eval") ?? []
      keys = keys.filter { FileStat.of(root + "/runs/eval/" + $0 + "/run.json") != nil }
    case .commit(_, let commit):
      let git = self.git
      keys = try CairnError.wrap { () throws -> [String] in
        let tree = try git.readCommit(commit).tree
        guard let folder = try TreeWalk(repository: git).entry(at: "runs/eval", in: tree) else {
          return []
        }
        return try git.readTree(folder.id).filter(\.isTree).map(\.name)
      }
    }
    keys.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    return keys.map { key in
      do throws(CairnError) {
        return EvaluationRunListing(key: key, run: try run(key, in: source, samples: false))
      } catch {
        return EvaluationRunListing(key: key, run: nil, problem: error.message)
      }
    }
  }

  /// Reads run `key` from the working tree or a revision.
  ///
  /// - Parameters:
  ///   - key: The run's key.
  ///   - source: The working tree or a revision.
  ///   - samples: Also read `samples.json` (else `samples` is an empty object).
  /// - Returns: The run.
  /// - Throws: `CairnError` `.notFound` when there is no such run, `.invalidInput` when a file
  ///   is not JSON.
  package func run(_ key: String, in source: DataSource, samples: Bool = true)
    throws(CairnError) -> EvaluationRun
  {
    if let problem = EvaluationRun.keyProblem(key) {
      throw CairnError(.invalidInput, "invalid run key '\(key)': \(problem)")
    }
    let folder = EvaluationRun.folder(key)
    let resolvedSource = try resolved(source)
    func read(_ name: String) throws(CairnError) -> JSONValue {
      let path = folder + "/" + name
      let bytes: [UInt8]
      switch resolvedSource {
      case .workingTree(let root):
        guard FileStat.of(root + "/" + path) != nil else {
          throw CairnError(
            .notFound,
            "no evaluation run '\(key)' in the working tree (\(path)); "
              + "'cairn eval list' shows the runs")
        }
        bytes = try CairnError.wrap { try FileIO.read(root + "/" + path) }
      case .commit(let revision, let commit):
        let git = self.git
        let entry = try CairnError.wrap(nil) {
          try TreeWalk(repository: git).entry(at: path, in: try git.readCommit(commit).tree)
        }
        guard let entry else {
          throw CairnError(.notFound, "no evaluation run '\(key)' in \(revision) (\(path))")
        }
        bytes = try CairnError.wrap { try git.readBlob(entry.id) }
      }
      do {
        return try JSONParser.parse(bytes)
      } catch {
        throw CairnError(.invalidInput, "\(path): broken JSON at \(error.description)")
      }
    }
    let record = try read("run.json")
    return EvaluationRun(
      key: key, record: record, samples: samples ? try read("samples.json") : .object([:]))
  }
}
