/// A sample dropped as a near duplicate of a sample kept before it.
package struct DuplicatePair: Sendable, Equatable {
  /// The sample kept.
  package var kept: Int
  /// The later sample dropped.
  package var duplicate: Int
  /// Their cosine distance.
  package var distance: Double

  /// A pair.
  ///
  /// - Parameters:
  ///   - kept: The sample kept.
  ///   - duplicate: The sample dropped.
  ///   - distance: Their cosine distance.
  package init(kept: Int, duplicate: Int, distance: Double) {
    self.kept = kept
    self.duplicate = duplicate
    self.distance = distance
  }
}

/// The outcome of a near-duplicate pass.
package struct NearDuplicateResult: Sendable, Equatable {
  /// Per sample: whether the pass keeps it.
  package var kept: [Bool]
  /// Every dropped sample with the kept sample that dropped it, in the order of the pass.
  package var pairs: [DuplicatePair]
}

/// Near duplicates by embedding, as fiftyone-brain finds them.
package enum NearDuplicates {
  /// A greedy pass in index order: keep sample i, drop every later sample within `threshold`
  /// cosine distance of it; a dropped sample drops nothing.
  ///
  /// Embeddings are normalised (not centred). Similarities come from the `Float` all-pairs
  /// kernel, so a pair within about 1e-6 of the threshold may fall on either side.
  ///
  /// - Parameters:
  ///   - embeddings: N × D embeddings.
  ///   - threshold: The largest cosine distance of a near duplicate (FiftyOne's 0.2).
  /// - Returns: Kept flags and the dropped pairs.
  /// - Complexity: O(N² D / 2).
  package static func groups(_ embeddings: EmbeddingMatrix, threshold: Double = 0.2)
    -> NearDuplicateResult
  {
    let count = embeddings.count
    let rows = UnitRows(embeddings, subtracting: nil)
    var collectors = (0..<CosinePairs.workers(for: count)).map { _ in
      CloseCollector(threshold: threshold)
    }
    CosinePairs.forEach(rows, visitors: &collectors)
    var close = collectors.flatMap(\.pairs)
    close.sort { ($0.kept, $0.duplicate) < ($1.kept, $1.duplicate) }
    var kept = [Bool](repeating: true, count: count)
    var pairs: [DuplicatePair] = []
    for pair in close where kept[pair.kept] && kept[pair.duplicate] {
      kept[pair.duplicate] = false
      pairs.append(pair)
    }
    return NearDuplicateResult(kept: kept, pairs: pairs)
  }
}

/// Collects the pairs within a cosine distance.
struct CloseCollector: PairVisitor {
  let threshold: Double
  var pairs: [DuplicatePair] = []

  mutating func visit(_ row: Int, _ column: Int, _ similarity: Float) {
    let distance = min(2, max(0, 1 - Double(similarity)))
    if distance <= threshold {
      pairs.append(DuplicatePair(kept: row, duplicate: column, distance: distance))
    }
  }
}

/// Exact duplicates by a content hash.
package enum ExactDuplicates {
  /// The groups of samples sharing a hash.
  ///
  /// - Parameter hashes: One hash per sample (a media file's digest, say).
  /// - Returns: Groups of two or more sample indices, each in index order, ordered by their
  ///   first sample.
  package static func groups(hashes: [String]) -> [[Int]] {
    var byHash: [String: Int] = [:]
    var groups: [[Int]] = []
    for (index, hash) in hashes.enumerated() {
      if let group = byHash[hash] {
        groups[group].append(index)
      } else {
        byHash[hash] = groups.count
        groups.append([index])
      }
    }
    return groups.filter { $0.count > 1 }
  }

  /// Whether to keep each sample: the first of each hash is kept, later copies are not.
  ///
  /// - Parameter hashes: One hash per sample.
  /// - Returns: One flag per sample.
  package static func kept(hashes: [String]) -> [Bool] {
    var seen = Set<String>()
    return hashes.map { seen.insert($0).inserted }
  }
}
