internal import CairnCore
internal import Foundation
internal import GitStore

/// A failure the API reports to the browser: an HTTP status, a message and the broken rules.
struct APIError: Error {
  var status: Int
  var message: String
  var violations: [CairnError.Violation] = []

  init(status: Int, _ message: String, violations: [CairnError.Violation] = []) {
    self.status = status
    self.message = message
    self.violations = violations
  }

  /// The error a core failure maps to.
  init(_ error: CairnError) {
    let status: Int
    switch error.code {
    case .notFound: status = 404
    case .invalidInput, .validationFailed: status = 422
    case .locked, .concurrentUpdate, .nothingToCommit, .conflicts, .protectedReference,
      .alreadyExists:
      status = 409
    default: status = 500
    }
    self.init(status: status, error.message, violations: error.violations)
  }

  var json: JSONValue {
    .object([
      "error": .string(message),
      "violations": .array(
        violations.map {
          .object(["location": .string($0.location), "reason": .string($0.reason)])
        }),
    ])
  }
}

/// Which samples a grid page shows.
struct SampleFilter: Hashable {
  var view: String?
  var tag: String?
  var labelClass: String?
  var field: String?
  /// An evaluation run (`runs/eval/<key>`) whose outcome selects samples.
  var evaluation: String?
  /// `tp`, `fp` or `fn`: samples with at least one; `cell`: samples behind the confusion-matrix
  /// cell (`truth`, `predicted`; `background` for a miss or a false alarm).
  var outcome: String?
  var truth: String?
  var predicted: String?
  /// Only the samples last selected on the map.
  var selection = false
}

/// The app's view of one working tree: every read and write goes through this actor, which
/// opens a fresh repository handle per operation (libgit2 handles are not thread-safe) and
/// keeps the in-memory sample index in step with the edits it makes.
actor AppStore {
  let root: String
  var index: SampleIndex
  /// Bumped by every write, so cached view results are recomputed after it.
  var generation = 0
  /// The keys last selected on the map (`PUT /api/selection`), which the grid can show.
  var selection: Set<String> = []
  /// How many times the sample index was built (at start and by each reload): paging and
  /// filtering never rebuild it.
  private(set) var indexBuilds = 1
  private var viewCache: [String: (generation: Int, keys: [String])] = [:]
  var filterCache: (filter: SampleFilter, generation: Int, positions: [Int])?

  /// Whether `index` holds every sample's tags and classes; until then it holds the keys only.
  private(set) var indexed = false
  /// The background read of every record and label file, started by ``startIndexing()``.
  private var indexing: Task<Void, Never>?
  /// Samples edited while the background read ran: their summaries are read again after it.
  private var editedWhileIndexing: Set<String> = []
  private var indexProblem: String?

  /// Lists the working tree's samples (keys only, no file read); ``startIndexing()`` then
  /// reads their tags and classes in the background.
  init(root: String) throws(CairnError) {
    self.root = root
    index = try CairnRepository.open(from: root).sampleKeys()
  }

  /// Starts reading every record and label file in the background (on all cores); pages that
  /// need no tag or class are served meanwhile.
  func startIndexing() {
    let root = root
    indexing = Task.detached(priority: .userInitiated) {
      var built: SampleIndex?
      var problem: String?
      do {
        built = try CairnRepository.open(from: root).sampleIndex()
      } catch {
        problem = "\(error)"
      }
      await self.install(built, problem: problem)
    }
  }

  /// Waits until the background read is done, or `seconds` have passed when given.
  func waitForIndex(upTo seconds: Double? = nil) async {
    guard !indexed, let indexing else { return }
    guard let seconds else {
      await indexing.value
      return
    }
    let deadline = Date().addingTimeInterval(seconds)
    while !indexed && Date() < deadline { try? await Task.sleep(nanoseconds: 5_000_000) }
  }

  private func install(_ built: SampleIndex?, problem: String?) {
    if let built {
      index = built
      for key in editedWhileIndexing { try? refresh(key) }
    }
    indexProblem = problem
    editedWhileIndexing = []
    indexed = true
    filterCache = nil
  }

  func open() throws(APIError) -> CairnRepository {
    do {
      return try CairnRepository.open(from: root)
    } catch {
      throw APIError(error)
    }
  }

  func attempt<T>(_ body: (CairnRepository) throws(CairnError) -> T) throws(APIError) -> T {
    let repository = try open()
    do {
      return try body(repository)
    } catch {
      throw APIError(error)
    }
  }

  // MARK: Reads

  /// The branch, protected sets, views, tag and class counts, and the schema; `indexing` is
  /// true (and the counts empty) while the samples are still being read.
  func info() throws(APIError) -> JSONValue {
    try attempt { (repository) throws(CairnError) -> JSONValue in
      let head = try repository.head()
      var branch: JSONValue = .null
      if case .branch(let name, _) = head { branch = .string(name) }
      let schemaBytes =
        (try? Data(contentsOf: URL(fileURLWithPath: root + "/schema.json"))) ?? Data()
      let schema = (try? JSONParser.parse(Array(schemaBytes))) ?? .null
      let views = try repository.views(in: .workingTree).map { JSONValue.string($0.name) }
      let sets = try repository.protectedSets().map { set -> JSONValue in
        .object([
          "kind": .string(set.kind.rawValue), "name": .string(set.name),
          "commit": .string(set.commit.hex), "samples": .int(Int64(set.samples)),
        ])
      }
      let classes = index.classCounts().mapValues { counts -> JSONValue in
        .array(
          counts.map { .object(["label": .string($0.label), "count": .int(Int64($0.count))]) })
      }
      return .object([
        "root": .string(URL(fileURLWithPath: root).lastPathComponent),
        "branch": branch,
        "head": head.target.map { .string($0.hex) } ?? .null,
        "samples": .int(Int64(index.summaries.count)),
        "schema": schema,
        "views": .array(views),
        "protected": .array(sets),
        "tags": .array(
          index.tagCounts().map {
            .object(["tag": .string($0.tag), "count": .int(Int64($0.count))])
          }),
        "classes": .object(classes),
        "indexing": .bool(!indexed),
        "index_problem": indexProblem.map { .string($0) } ?? .null,
      ])
    }
  }

  /// One page of the samples `filter` selects, each with its record and labels.
  ///
  /// A filter by tag or class waits for the background read of the samples.
  func samples(_ filter: SampleFilter, offset: Int, limit: Int) async throws(APIError)
    -> JSONValue
  {
    if !(filter.tag ?? "").isEmpty || !(filter.labelClass ?? "").isEmpty {
      await waitForIndex()
    }
    let positions = try selected(filter)
    let start = min(max(0, offset), positions.count)
    let end = min(positions.count, start + max(0, min(limit, 500)))
    let repository = try open()
    var page: [JSONValue] = []
    for position in positions[start..<end] {
      let key = index.summaries[position].key
      page.append(sampleJSON(key: key, repository: repository))
    }
    return .object([
      "total": .int(Int64(positions.count)), "offset": .int(Int64(start)),
      "samples": .array(page),
    ])
  }

  /// One sample with its record and labels.
  func sample(key: String) throws(APIError) -> JSONValue {
    let repository = try open()
    do {
      _ = try repository.sampleDetails(key: key)
    } catch {
      throw APIError(error)
    }
    return sampleJSON(key: key, repository: repository)
  }

  func sampleJSON(key: String, repository: CairnRepository) -> JSONValue {
    do {
      let details = try repository.sampleDetails(key: key)
      let media = details.record.media
      var mediaJSON: [String: JSONValue] = [
        "uri": .string(media.uri), "kind": .string(media.kind), "format": .string(media.format),
        "url": MediaFiles.urlPath(forURI: media.uri).map { .string($0) } ?? .null,
      ]
      if let width = media.width { mediaJSON["width"] = .int(width) }
      if let height = media.height { mediaJSON["height"] = .int(height) }
      return .object([
        "key": .string(key),
        "media": .object(mediaJSON),
        "tags": .array(details.record.tags.map { .string($0) }),
        "fields": .object(details.record.fields),
        "labels": .object(details.labels.mapValues { .array($0) }),
        "group": details.record.group?.json ?? .null,
      ])
    } catch {
      return .object(["key": .string(key), "error": .string(error.message)])
    }
  }

  /// Positions in the index of the samples `filter` selects, in order.
  private func selected(_ filter: SampleFilter) throws(APIError) -> [Int] {
    if let cached = filterCache, cached.filter == filter, cached.generation == generation {
      return cached.positions
    }
    var positions: [Int]
    if let view = filter.view, !view.isEmpty {
      positions = try viewKeys(view).compactMap { index.position(of: $0) }
    } else {
      positions = Array(index.summaries.indices)
    }
    if filter.selection {
      positions = positions.filter { selection.contains(index.summaries[$0].key) }
    }
    if let tag = filter.tag, !tag.isEmpty {
      positions = positions.filter { index.summaries[$0].tags.contains(tag) }
    }
    if let labelClass = filter.labelClass, !labelClass.isEmpty {
      let field = filter.field.flatMap { $0.isEmpty ? nil : $0 }
      positions = positions.filter { position in
        let classes = index.summaries[position].classes
        if let field { return classes[field]?.contains(labelClass) ?? false }
        return classes.values.contains { $0.contains(labelClass) }
      }
    }
    if let evaluation = filter.evaluation, !evaluation.isEmpty {
      let keys = try outcomeKeys(evaluation, filter)
      positions = positions.filter { keys.contains(index.summaries[$0].key) }
    }
    filterCache = (filter, generation, positions)
    return positions
  }

  /// The keys of the samples of run `key` with the outcome `filter` names.
  private func outcomeKeys(_ key: String, _ filter: SampleFilter) throws(APIError) -> Set<String> {
    let run = try attempt { (repository) throws(CairnError) -> EvaluationRun in
      try repository.run(key, in: .workingTree)
    }
    var keys: Set<String> = []
    let truth = filter.truth ?? ""
    let predicted = filter.predicted ?? ""
    for (sample, outcome) in run.samples["samples"]?.object ?? [:] {
      let selected: Bool
      switch filter.outcome ?? "" {
      case "tp", "fp", "fn": selected = (outcome[filter.outcome ?? ""]?.int ?? 0) > 0
      case "cell":
        if truth == "background" {
          selected = (outcome["false_positives"]?.array ?? []).contains {
            $0.array?.last?.string == predicted
          }
        } else if predicted == "background" {
          selected = (outcome["false_negatives"]?.array ?? []).contains {
            $0.array?.last?.string == truth
          }
        } else {
          selected = (outcome["matches"]?.array ?? []).contains { match in
            let parts = match.array ?? []
            return parts.count > 3 && parts[1].string == truth && parts[3].string == predicted
          }
        }
      default: selected = true
      }
      if selected { keys.insert(sample) }
    }
    return keys
  }

  /// Every evaluation run of the working tree: key, kind, commit and summary metrics.
  func evaluations() throws(APIError) -> JSONValue {
    try attempt { (repository) throws(CairnError) -> JSONValue in
      .array(
        try repository.runs(in: .workingTree).map { listing -> JSONValue in
          guard let run = listing.run else {
            return .object([
              "key": .string(listing.key), "problem": .string(listing.problem ?? "unreadable"),
            ])
          }
          return .object([
            "key": .string(run.key), "kind": .string(run.kind), "commit": .string(run.commit),
            "metrics": run.record["metrics"] ?? .null,
          ])
        })
    }
  }

  /// One evaluation run's `run.json`: parameters, metrics, per-class rows, confusion matrix.
  func evaluation(key: String) throws(APIError) -> JSONValue {
    try attempt { (repository) throws(CairnError) -> JSONValue in
      try repository.run(key, in: .workingTree, samples: false).record
    }
  }

  private func viewKeys(_ name: String) throws(APIError) -> [String] {
    if let cached = viewCache[name], cached.generation == generation { return cached.keys }
    let keys = try attempt { (repository) throws(CairnError) -> [String] in
      let definition = try repository.view(named: name, in: .workingTree)
      return try repository.evaluate(definition, in: .workingTree).keys
    }
    viewCache[name] = (generation, keys)
    return keys
  }

  /// What changed since HEAD, as `cairn status` reports it.
  func status() throws(APIError) -> JSONValue {
    try attempt { (repository) throws(CairnError) -> JSONValue in
      let report = try repository.status()
      var branch: JSONValue = .null
      if case .branch(let name, _) = report.head { branch = .string(name) }
      return .object([
        "branch": branch,
        "head": report.head.target.map { .string($0.hex) } ?? .null,
        "changes": .array(
          report.changes.map {
            .object(["path": .string($0.path), "change": .string($0.change.rawValue)])
          }),
      ])
    }
  }

  // MARK: Writes

  /// Replaces the labels of one field of one sample, through the commit's checks.
  func replaceLabels(key: String, field: String, labels: [JSONValue]) throws(APIError) -> JSONValue
  {
    let written = try attempt { (repository) throws(CairnError) -> [JSONValue] in
      try repository.replaceLabels(key: key, field: field, labels: labels)
    }
    try refresh(key)
    return .object(["key": .string(key), "field": .string(field), "labels": .array(written)])
  }

  /// Sets the tags of one sample.
  func setTags(key: String, tags: [String]) throws(APIError) -> JSONValue {
    let written = try attempt { (repository) throws(CairnError) -> [String] in
      try repository.setSampleTags(key: key, tags: tags)
    }
    try refresh(key)
    return .object(["key": .string(key), "tags": .array(written.map { .string($0) })])
  }

  /// Commits the working tree, as `cairn commit -m MESSAGE` does.
  func commit(message: String) throws(APIError) -> JSONValue {
    let trimmed = message.trimmingCharacters(in: .whitespacesAndNewlines)
    guard !trimmed.isEmpty else { throw APIError(status: 422, "the commit message is empty") }
    let result = try attempt { (repository) throws(CairnError) -> CommitResult in
      try repository.commit(message: message, now: Int64(Date().timeIntervalSince1970))
    }
    generation += 1
    return .object([
      "commit": .string(result.id.hex),
      "branch": result.branch.map { .string($0) } ?? .null,
      "changes": .int(Int64(result.changes.count)),
    ])
  }

  /// Reads every sample again (after changes made outside the app).
  func reload() async throws(APIError) -> JSONValue {
    await waitForIndex()
    index = try attempt { (repository) throws(CairnError) -> SampleIndex in
      try repository.sampleIndex()
    }
    generation += 1
    indexBuilds += 1
    indexed = true
    return .object(["samples": .int(Int64(index.summaries.count))])
  }

  func refresh(_ key: String) throws(APIError) {
    generation += 1
    if !indexed { editedWhileIndexing.insert(key) }
    let summary = try attempt { (repository) throws(CairnError) -> SampleSummary? in
      try repository.sampleSummary(key: key)
    }
    if let summary { index.update(summary) } else { index.remove(key) }
  }
}
