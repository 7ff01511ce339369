package import Curation
internal import GitStore

/// What `cairn select` is asked for.
package struct SelectionOptions: Sendable {
  package var name: String
  package var budget: Int
  /// The view whose samples may be picked (nil: every sample).
  package var view: String?
  /// The field being annotated: a sample with a label there is labelled, never picked.
  package var field: String
  package var embeddings: String
  package var coverageShare: Double
  package var strategy: CoverageStrategy
  /// An evaluation run whose failing samples (false negatives, then false positives) are
  /// targeted.
  package var targetRun: String?
  /// A predictions field whose confidences give each sample's uncertainty.
  package var uncertainField: String?
  /// Samples this close (cosine distance of normalised embeddings) to a protected sample are
  /// not picked either: near-duplicates of the test set would leak into training.
  package var leakDistance: Double
  package var seed: UInt64

  package init(
    name: String, budget: Int, view: String?, field: String, embeddings: String,
    coverageShare: Double = 0.3, strategy: CoverageStrategy = .typical, targetRun: String? = nil,
    uncertainField: String? = nil, leakDistance: Double = 0.02, seed: UInt64 = 0
  ) {
    self.name = name
    self.budget = budget
    self.view = view
    self.field = field
    self.embeddings = embeddings
    self.coverageShare = coverageShare
    self.strategy = strategy
    self.targetRun = targetRun
    self.uncertainField = uncertainField
    self.leakDistance = leakDistance
    self.seed = seed
  }
}

/// One picked sample and why.
package struct SelectedSample: Sendable {
  package var key: String
  /// `coverage` or `targeted`.
  package var source: String
  /// What decided the pick: a score, a failure it is near, an uncertainty.
  package var reason: JSONValue
}

/// The batch `cairn select` chose, and what it left out.
package struct Selection: Sendable {
  package var picks: [SelectedSample]
  /// Samples of the view that could be picked.
  package var poolSize: Int
  package var excludedLabelled: Int
  package var excludedProtected: Int
  package var excludedNearProtected: Int
  package var excludedWithoutEmbedding: Int
  package var failures: Int
  /// The run record stored under `runs/select/<name>/run.json`.
  package var record: JSONValue
}

extension CairnRepository {
  /// Chooses the next batch to label from the working tree, and records it.
  ///
  /// The pool is the view's samples minus those labelled in `field`, those of every frozen
  /// test set and golden set (by key), those whose embedding is within `leakDistance` of a
  /// protected sample's, and those without an embedding. ``BatchSelector`` then spends the
  /// budget (see its rules). The batch is saved as a pinned view `name` (at `HEAD`), its
  /// samples tagged `batch:<name>` and `source:coverage` or `source:targeted`, and the picks
  /// with their reasons written to `runs/select/<name>/run.json` — all in the working tree,
  /// to be recorded with a commit.
  ///
  /// - Throws: `CairnError` `.notFound` for an unknown view, field, embedding set or run;
  ///   `.alreadyExists` when the view or run exists; `.invalidInput` for an object embedding
  ///   set or an empty pool.
  package func select(_ options: SelectionOptions) throws(CairnError) -> Selection {
    let root = try requireRoot(for: "selecting a batch")
    if let problem = ViewDefinition.nameProblem(options.name) {
      throw CairnError(.invalidInput, "invalid batch name '\(options.name)': \(problem)")
    }
    let runPath = root + "/runs/select/" + options.name + "/run.json"
    if FileStat.of(root + "/" + ViewDefinition.path(options.name)) != nil
      || FileStat.of(runPath) != nil
    {
      throw CairnError(
        .alreadyExists,
        "a batch named '\(options.name)' exists (views/\(options.name).json or "
          + "runs/select/\(options.name)/); choose another name")
    }
    let head = try resolve("HEAD")
    let schema = try self.schema(at: head.hex)
    guard schema.fields[options.field] != nil else {
      throw CairnError(.notFound, "field '\(options.field)' is not in the schema")
    }
    let set = try embeddings(named: options.embeddings, in: .workingTree)
    guard set.kind == .sample else {
      throw CairnError(
        .invalidInput,
        "embedding set '\(options.embeddings)' holds objects; selection needs one vector per sample"
      )
    }
    var row: [String: Int] = [:]
    for (index, key) in set.keys.enumerated() { row[key.sample] = index }
    let matrix = EmbeddingMatrix(
      count: set.keys.count, dimension: set.dimension, values: set.vectors)

    // Every sample with its labels in the field, and the view's samples.
    var fields: Set<String> = [options.field]
    if let uncertain = options.uncertainField { fields.insert(uncertain) }
    let everything = try evaluate(ViewDefinition(stages: []), in: .workingTree).samples(
      fields: fields)
    let candidates: [String]
    if let view = options.view {
      candidates = try evaluate(try self.view(named: view, in: .workingTree), in: .workingTree).keys
    } else {
      candidates = everything.map(\.key)
    }
    var labelled: Set<String> = []
    var uncertainty = [Double?](repeating: nil, count: set.keys.count)
    for sample in everything {
      if !(sample.labels[options.field] ?? []).isEmpty { labelled.insert(sample.key) }
      if let field = options.uncertainField, let index = row[sample.key] {
        let confidences = (sample.labels[field] ?? []).compactMap { $0["confidence"]?.number }
        if !confidences.isEmpty {
          uncertainty[index] = Hardness.detections(confidences: confidences).meanEntropy
        }
      }
    }
    var protected: Set<String> = []
    for protectedSet in try protectedSets() {
      let (table, _, _) = try sampleTable(.revision(protectedSet.commit.hex), includeExcluded: true)
      protected.formUnion(table.keys)
    }
    // Each candidate's nearest protected sample: every near copy is found, however many.
    let protectedRows = protected.compactMap { row[$0] }
    var nearProtected: Set<Int> = []
    if !protectedRows.isEmpty && options.leakDistance > 0 {
      let rows = candidates.filter { !protected.contains($0) }.compactMap { row[$0] }
      let nearest = Neighbours.nearest(
        queries: rows, in: protectedRows, of: matrix, k: 1, centred: false)
      for (index, list) in zip(rows, nearest)
      where (list.first?.distance ?? .infinity) <= options.leakDistance {
        nearProtected.insert(index)
      }
    }
    var pool: [Int] = []
    var counts = (labelled: 0, protected: 0, near: 0, missing: 0)
    for key in candidates {
      if protected.contains(key) {
        counts.protected += 1
      } else if labelled.contains(key) {
        counts.labelled += 1
      } else if let index = row[key] {
        if nearProtected.contains(index) { counts.near += 1 } else { pool.append(index) }
      } else {
        counts.missing += 1
      }
    }
    guard !pool.isEmpty else {
      throw CairnError(
        .invalidInput,
        "nothing to select: of \(candidates.count) sample(s), \(counts.labelled) are labelled "
          + "in '\(options.field)', \(counts.protected) protected, \(counts.near) near a "
          + "protected sample and \(counts.missing) without an embedding in "
          + "'\(options.embeddings)'")
    }

    var failures: [Int] = []
    if let key = options.targetRun {
      let run = try self.run(key, in: .workingTree)
      var seen = Set<Int>()
      for kind in [FailureKind.falseNegatives, .falsePositives] {
        for sample in run.failures(kind).keys {
          if let index = row[sample], seen.insert(index).inserted { failures.append(index) }
        }
      }
    }
    let request = BatchRequest(
      budget: options.budget, pool: pool, labelled: labelled.compactMap { row[$0] }.sorted(),
      coverageShare: options.coverageShare, strategy: options.strategy, failures: failures,
      uncertainty: options.uncertainField == nil ? nil : uncertainty, seed: options.seed)
    let picks = BatchSelector.select(request, embeddings: matrix)
    let selected = picks.map { pick in
      SelectedSample(
        key: set.keys[pick.index].sample, source: pick.isCoverage ? "coverage" : "targeted",
        reason: Self.reason(pick.reason, keys: set.keys))
    }
    let record = Self.selectionRecord(
      options, head: head, picks: selected, pool: pool.count, failures: failures.count)
    try writeSelection(options.name, picks: selected, record: record, head: head)
    return Selection(
      picks: selected, poolSize: pool.count, excludedLabelled: counts.labelled,
      excludedProtected: counts.protected, excludedNearProtected: counts.near,
      excludedWithoutEmbedding: counts.missing, failures: failures.count, record: record)
  }

  private static func reason(_ reason: PickReason, keys: [EmbeddingKey]) -> JSONValue {
    switch reason {
    case .coverage(let score):
      return .object(["coverage": EvaluationRun.number(score)])
    case .nearFailure(let failure, let distance):
      return .object([
        "near_failure": .string(keys[failure].sample), "distance": EvaluationRun.number(distance),
      ])
    case .uncertain(let score):
      return .object(["uncertainty": EvaluationRun.number(score)])
    }
  }

  private static func selectionRecord(
    _ options: SelectionOptions, head: ObjectID, picks: [SelectedSample], pool: Int,
    failures: Int
  ) -> JSONValue {
    var parameters: [String: JSONValue] = [
      "budget": .int(Int64(options.budget)), "field": .string(options.field),
      "embeddings": .string(options.embeddings), "coverage": .double(options.coverageShare),
      "strategy": .string(options.strategy.rawValue), "seed": .int(Int64(bitPattern: options.seed)),
      "leak_distance": .double(options.leakDistance),
    ]
    if let view = options.view { parameters["view"] = .string(view) }
    if let run = options.targetRun { parameters["target"] = .string(run) }
    if let field = options.uncertainField { parameters["target_uncertain"] = .string(field) }
    return .object([
      "version": .int(1), "name": .string(options.name), "kind": .string("selection"),
      "commit": .string(head.hex), "parameters": .object(parameters),
      "pool": .int(Int64(pool)), "failures": .int(Int64(failures)),
      "picks": .array(
        picks.map {
          .object(["key": .string($0.key), "source": .string($0.source), "reason": $0.reason])
        }),
    ])
  }

  /// Writes the pinned view, the run record and the tags.
  private func writeSelection(
    _ name: String, picks: [SelectedSample], record: JSONValue, head: ObjectID
  ) throws(CairnError) {
    let root = try requireRoot(for: "selecting a batch")
    try saveView(
      name,
      ViewDefinition(
        description: "batch \(name) chosen by cairn select", stages: [],
        pinned: PinnedKeys(commit: head, keys: picks.map(\.key))),
      replace: false)
    do {
      let lock = try WriterLock(path: lockPath)
      defer { lock.release() }
      try CairnError.wrap {
        try FileIO.makeDirectories(root + "/runs/select/" + name)
        try FileIO.writeAtomically(
          CanonicalJSON.encode(record), to: root + "/runs/select/" + name + "/run.json")
      }
    }
    _ = try editTags(
      ["batch:" + name], add: true, selection: SampleSelection(stages: [.keys(picks.map(\.key))]),
      labels: nil)
    for source in ["coverage", "targeted"] {
      let keys = picks.filter { $0.source == source }.map(\.key)
      if keys.isEmpty { continue }
      _ = try editTags(
        ["source:" + source], add: true, selection: SampleSelection(stages: [.keys(keys)]),
        labels: nil)
    }
  }
}
