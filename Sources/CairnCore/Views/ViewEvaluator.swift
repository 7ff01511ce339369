internal import Crypto

/// A sample as a view shows it: its record, and its labels after the view's label filters.
package struct ViewSample: Sendable {
  package var key: String
  package var record: JSONValue
  /// Labels by field, for every field the sample has a label file in.
  package var labels: [String: [JSONValue]]
}

/// Runs a view's stages over a ``SampleTable``.
///
/// Stages that look at one sample at a time (`match`, `filter_labels`, and the values a `sort`
/// needs) run in parallel passes over the current samples, each worker with its own reader;
/// a pass reads only what its stages use (the record, and only the label fields named), and
/// checks conditions on the record before reading any label file. Stages that look at the
/// whole list (`keys`, `sort`, `skip`, `limit`, `take`) run on sample indices only. Nothing
/// parsed is kept between passes: a pass re-applies the earlier label filters it needs.
struct ViewEvaluator {
  let table: SampleTable
  let gitDirectory: String?
  let root: String?

  private enum Outcome: Sendable {
    case keep(JSONValue?)
    case drop
    case failure(CairnError.Violation)
  }

  private func makeReader() -> ContentReader {
    ContentReader(gitDirectory: gitDirectory, root: root)
  }

  /// The samples `stages` select from `start` (table indices, in order), in their final order.
  ///
  /// - Throws: `CairnError` `.invalidInput` listing the files that could not be read or
  ///   parsed.
  func run(_ stages: [ViewStage], on start: [Int]) throws(CairnError) -> [Int] {
    var current = start
    var earlierFilters: [(field: String, predicate: QueryExpression)] = []
    var index = 0
    while index < stages.count {
      switch stages[index] {
      case .match, .filterLabels:
        var end = index
        while end < stages.count, stages[end].looksAtOneSample { end += 1 }
        var sort: (QueryOperand, Bool)?
        if end < stages.count, case .sort(let by, let descending) = stages[end] {
          sort = (by, descending)
        }
        let group = Array(stages[index..<end])
        let kept = try pass(current, earlier: earlierFilters, stages: group, sortKey: sort?.0)
        for stage in group {
          if case .filterLabels(let field, let predicate) = stage {
            earlierFilters.append((field, predicate))
          }
        }
        if let sort {
          current = Self.sorted(kept, descending: sort.1)
          index = end + 1
        } else {
          current = kept.map(\.0)
          index = end
        }
      case .sort(let by, let descending):
        if by == .path(QueryPath(["key"])) {
          current = descending ? current.sorted(by: >) : current.sorted()
        } else {
          let values = try pass(current, earlier: earlierFilters, stages: [], sortKey: by)
          current = Self.sorted(values, descending: descending)
        }
        index += 1
      case .keys(let keys):
        let wanted = Set(keys)
        current = current.filter { wanted.contains(table.keys[$0]) }
        index += 1
      case .skip(let count):
        current = Array(current.dropFirst(count))
        index += 1
      case .limit(let count):
        current = Array(current.prefix(count))
        index += 1
      case .take(let count, let seed):
        current = take(count, seed: seed, from: current)
        index += 1
      }
    }
    return current
  }

  /// Orders `(index, value)` pairs: by value kind, then value (reversed when descending), then
  /// key; missing and null values last in both directions.
  private static func sorted(_ items: [(Int, JSONValue?)], descending: Bool) -> [Int] {
    items.sorted { a, b in
      let ra = QueryValues.rank(a.1)
      let rb = QueryValues.rank(b.1)
      if ra != rb { return ra < rb }
      let order = QueryValues.order(a.1, b.1)
      if order != 0 { return descending ? order > 0 : order < 0 }
      return a.0 < b.0
    }.map(\.0)
  }

  /// `count` samples chosen by the smallest SHA-256 of `"<seed>:<key>"` (first 8 bytes, big
  /// endian), kept in their current order.
  private func take(_ count: Int, seed: Int64, from current: [Int]) -> [Int] {
    if count >= current.count { return current }
    let keys = table.keys
    let hashes = parallelMap(count: current.count, state: ()) { _, position -> UInt64 in
      ViewStage.takeRank(seed: seed, key: keys[current[position]])
    }
    let chosen = current.indices.sorted { a, b in
      hashes[a] != hashes[b] ? hashes[a] < hashes[b] : current[a] < current[b]
    }.prefix(count)
    let keep = Set(chosen)
    return current.indices.filter { keep.contains($0) }.map { current[$0] }
  }

  /// One parallel pass: applies `stages` (matches and label filters) to each sample of
  /// `candidates`, after re-applying the `earlier` label filters they depend on, and computes
  /// the sort value of each sample kept.
  private func pass(
    _ candidates: [Int], earlier: [(field: String, predicate: QueryExpression)],
    stages: [ViewStage], sortKey: QueryOperand?
  ) throws(CairnError) -> [(Int, JSONValue?)] {
    var fields: Set<String> = []
    var readsRecord = sortKey?.readsRecord ?? false
    if case .count(let path) = sortKey, let field = path.labelField { fields.insert(field) }
    // Conditions on the record alone commute with label filters: run them first, before any
    // label file is read.
    var recordMatches: [QueryExpression] = []
    var rest: [ViewStage] = []
    for stage in stages {
      switch stage {
      case .match(let predicate):
        readsRecord = readsRecord || predicate.readsRecord
        if predicate.labelFields.isEmpty {
          recordMatches.append(predicate)
        } else {
          fields.formUnion(predicate.labelFields)
          rest.append(stage)
        }
      case .filterLabels(let field, _):
        fields.insert(field)
        rest.append(stage)
      default: rest.append(stage)
      }
    }
    let earlierNeeded = earlier.filter { fields.contains($0.field) }
    // Only the members the stages read are built from each file.
    var recordPaths = sortKey?.paths ?? []
    var labelPaths: [String: [QueryPath]] = [:]
    for filter in earlierNeeded { labelPaths[filter.field, default: []] += filter.predicate.paths }
    for stage in stages {
      switch stage {
      case .match(let predicate): recordPaths += predicate.paths
      case .filterLabels(let field, let predicate):
        labelPaths[field, default: []] += predicate.paths
      default: break
      }
    }
    let recordProjection = JSONProjection.members(
      reading: recordPaths.filter { $0.labelField == nil })
    let labelProjections = labelPaths.mapValues { JSONProjection.members(reading: $0) }
    let table = table
    let outcomes = parallelMap(count: candidates.count, state: makeReader()) {
      reader, position -> Outcome in
      let index = candidates[position]
      do throws(CairnError.Violation) {
        var subject = QuerySubject(value: .null)
        if readsRecord {
          subject.value = try reader.json(
            table.records[index], path: "samples/" + table.suffixes[index],
            keeping: recordProjection)
        }
        for predicate in recordMatches where !predicate.matches(subject) { return .drop }
        for field in fields {
          guard let reference = table.labels[field]?[index] else { continue }
          var labels = try reader.labels(
            reference, path: "labels/\(field)/" + table.suffixes[index],
            keeping: labelProjections[field] ?? .members([:]))
          for filter in earlierNeeded where filter.field == field {
            labels = labels.filter { filter.predicate.matches(QuerySubject(value: $0)) }
          }
          subject.labels[field] = labels
        }
        for stage in rest {
          switch stage {
          case .match(let predicate):
            if !predicate.matches(subject) { return .drop }
          case .filterLabels(let field, let predicate):
            let kept = (subject.labels[field] ?? []).filter {
              predicate.matches(QuerySubject(value: $0))
            }
            if kept.isEmpty { return .drop }
            subject.labels[field] = kept
          default: break
          }
        }
        return .keep(sortKey.flatMap { subject.resolve($0) })
      } catch {
        return .failure(error)
      }
    }
    var kept: [(Int, JSONValue?)] = []
    var violations: [CairnError.Violation] = []
    for (position, outcome) in outcomes.enumerated() {
      switch outcome {
      case .keep(let value): kept.append((candidates[position], value))
      case .drop: break
      case .failure(let violation): violations.append(violation)
      }
    }
    if !violations.isEmpty { throw Self.unreadable(violations) }
    return kept
  }

  /// Reads the records and labels of `indices`, with `filters` applied to the labels.
  func samples(
    _ indices: [Int], filters: [(field: String, predicate: QueryExpression)],
    fields only: Set<String>? = nil
  ) throws(CairnError) -> [ViewSample] {
    let table = table
    let fields = table.fields.filter { only?.contains($0) ?? true }
    let results = parallelMap(count: indices.count, state: makeReader()) {
      reader, position -> Result<ViewSample, CairnError.Violation> in
      let index = indices[position]
      do throws(CairnError.Violation) {
        let record = try reader.json(
          table.records[index], path: "samples/" + table.suffixes[index])
        var labels: [String: [JSONValue]] = [:]
        for field in fields {
          guard let reference = table.labels[field]?[index] else { continue }
          var values = try reader.labels(
            reference, path: "labels/\(field)/" + table.suffixes[index])
          for filter in filters where filter.field == field {
            values = values.filter { filter.predicate.matches(QuerySubject(value: $0)) }
          }
          labels[field] = values
        }
        return .success(ViewSample(key: table.keys[index], record: record, labels: labels))
      } catch {
        return .failure(error)
      }
    }
    var samples: [ViewSample] = []
    var violations: [CairnError.Violation] = []
    for result in results {
      switch result {
      case .success(let sample): samples.append(sample)
      case .failure(let violation): violations.append(violation)
      }
    }
    if !violations.isEmpty { throw Self.unreadable(violations) }
    return samples
  }

  private static func unreadable(_ violations: [CairnError.Violation]) -> CairnError {
    let sorted = violations.sorted { $0.location.utf8.lexicographicallyPrecedes($1.location.utf8) }
    let summary = sorted.count == 1 ? "1 file" : "\(sorted.count) files"
    return CairnError(
      .invalidInput, "cannot evaluate the view: \(summary) could not be read as JSON",
      violations: sorted)
  }
}

extension ViewStage {
  /// Whether the stage decides about each sample on its own (`match`, `filter_labels`).
  var looksAtOneSample: Bool {
    switch self {
    case .match, .filterLabels: true
    default: false
    }
  }
}

extension ViewStage {
  /// The rank of `key` in a `take` stage with `seed`: the first 8 bytes (big endian) of
  /// SHA-256 of the UTF-8 bytes of `"<seed>:<key>"`; the samples of smallest rank are taken.
  package static func takeRank(seed: Int64, key: String) -> UInt64 {
    let digest = SHA256.hash(data: Array("\(seed):\(key)".utf8))
    var value: UInt64 = 0
    for byte in digest.prefix(8) { value = value << 8 | UInt64(byte) }
    return value
  }
}
