/// One pick of typical-cluster coverage.
package struct TypicalPick: Sendable, Equatable {
  /// The sample picked.
  package var index: Int
  /// Its typicality: 1 / (mean Euclidean distance to its nearest neighbours in its cluster).
  package var typicality: Double
  /// The cluster it was picked from.
  package var cluster: Int
}

/// Typical-cluster coverage (TypiClust, Hacohen, Dekel & Weinshall 2022, "Active Learning on
/// a Budget"): cluster the labelled and candidate samples into `|labelled| + budget` groups
/// with k-means, then repeatedly take, from the largest cluster holding the fewest labelled
/// samples, its most typical candidate — the one in the densest part of the cluster.
///
/// k-center greedy spreads a batch by picking the samples farthest from everything labelled,
/// which at a cold start are the most unusual ones; typical-cluster coverage spreads it over
/// the clusters but picks each cluster's most representative sample, which is what a model
/// trained on a handful of labels learns most from.
package enum Typical {
  /// Clusters smaller than this are passed over while a larger uncovered one remains
  /// (TypiClust's minimum cluster size).
  package static let minimumClusterSize = 5
  /// Neighbours averaged for typicality (TypiClust: 20, fewer in small clusters).
  package static let typicalityNeighbours = 20
  /// The most clusters fitted; larger batches take several picks per cluster.
  package static let maximumClusters = 500
  /// The most samples k-means is fitted on; every sample is then assigned to the nearest
  /// centre.
  package static let maximumFitSamples = 20_000

  /// Picks up to `budget` candidates.
  ///
  /// - Parameters:
  ///   - embeddings: N × D embeddings (Euclidean distances).
  ///   - budget: The most samples to pick.
  ///   - initial: Samples already labelled: they count towards their clusters' coverage and
  ///     are never picked.
  ///   - candidates: The samples that may be picked (nil: every sample not in `initial`).
  ///   - seed: Seeds k-means++ and the fitting subsample; the same inputs and seed give the
  ///     same picks.
  /// - Returns: The picks in order.
  /// - Complexity: O(I · min(N, 20 000) · K · D) for k-means with K = min(|initial| + budget,
  ///   500) clusters and I ≤ 50 iterations, plus O(N · K · D) to assign every sample, plus
  ///   O(s² · D) per cluster of size s picked from.
  package static func select(
    _ embeddings: EmbeddingMatrix, budget: Int, initial: [Int] = [], candidates: [Int]? = nil,
    seed: UInt64 = 0
  ) -> [TypicalPick] {
    let labelled = Set(initial)
    let pool = candidatePool(count: embeddings.count, initial: initial, candidates: candidates)
    guard budget > 0, !pool.isEmpty else { return [] }
    let members = labelled.sorted() + pool
    let clusterCount = max(1, min(labelled.count + budget, maximumClusters, members.count))
    let space = MetricSpace(embeddings, metric: .euclidean)
    var generator = SeededRandom(seed: seed, stream: 7)
    var fit = members
    if fit.count > maximumFitSamples {
      fit.shuffle(using: &generator)
      fit = Array(fit.prefix(maximumFitSamples)).sorted()
    }
    let centres = KMeans.fit(space, samples: fit, clusters: clusterCount, using: &generator)
    let assignment = KMeans.assign(space, samples: members, centres: centres)
    var clusterMembers = [[Int]](repeating: [], count: centres.count)
    var covered = [Int](repeating: 0, count: centres.count)
    for (sample, cluster) in zip(members, assignment) {
      clusterMembers[cluster].append(sample)
      if labelled.contains(sample) { covered[cluster] += 1 }
    }
    // Per cluster, its candidates by typicality, computed when the cluster is first used.
    var ranked = [[(sample: Int, typicality: Double)]?](repeating: nil, count: centres.count)
    var next = [Int](repeating: 0, count: centres.count)
    var picks: [TypicalPick] = []
    let target = min(budget, pool.count)
    while picks.count < target {
      var best = -1
      for cluster in centres.indices {
        if let list = ranked[cluster], next[cluster] >= list.count { continue }
        let candidates = clusterMembers[cluster].count - covered[cluster]
        guard candidates > 0 else { continue }
        if best < 0 || better(cluster, than: best, covered, clusterMembers) { best = cluster }
      }
      guard best >= 0 else { break }
      if ranked[best] == nil {
        ranked[best] = typicalities(
          space, members: clusterMembers[best], labelled: labelled, taken: Set(picks.map(\.index)))
      }
      guard let list = ranked[best], next[best] < list.count else { break }
      let choice = list[next[best]]
      next[best] += 1
      covered[best] += 1
      picks.append(TypicalPick(index: choice.sample, typicality: choice.typicality, cluster: best))
    }
    return picks
  }

  /// Whether cluster `a` is the better one to pick from next: clusters of at least
  /// ``minimumClusterSize`` first, then the fewest labelled samples, then the largest, then
  /// the lower index.
  private static func better(
    _ a: Int, than b: Int, _ covered: [Int], _ members: [[Int]]
  ) -> Bool {
    let (bigA, bigB) = (
      members[a].count >= minimumClusterSize, members[b].count >= minimumClusterSize
    )
    if bigA != bigB { return bigA }
    if covered[a] != covered[b] { return covered[a] < covered[b] }
    if members[a].count != members[b].count { return members[a].count > members[b].count }
    return a < b
  }

  /// The cluster's candidates (not labelled, not taken), most typical first.
  private static func typicalities(
    _ space: MetricSpace, members: [Int], labelled: Set<Int>, taken: Set<Int>
  ) -> [(sample: Int, typicality: Double)] {
    let k = min(typicalityNeighbours, members.count - 1)
    let stride = space.rows.stride
    var result: [(sample: Int, typicality: Double)] = []
    space.rows.values.withUnsafeBufferPointer { values in
      guard let base = values.baseAddress else { return }
      for sample in members where !labelled.contains(sample) && !taken.contains(sample) {
        guard k > 0 else {
          result.append((sample, 0))
          continue
        }
        var distances: [Double] = []
        distances.reserveCapacity(members.count - 1)
        for other in members where other != sample {
          distances.append(space.distance(base + sample * stride, base + other * stride))
        }
        distances.sort()
        let mean = distances.prefix(k).reduce(0, +) / Double(k)
        result.append((sample, 1 / (mean + 1e-5)))
      }
    }
    return result.sorted { a, b in
      a.typicality != b.typicality ? a.typicality > b.typicality : a.sample < b.sample
    }
  }
}

/// Lloyd's k-means with k-means++ seeding, in the Euclidean geometry of a ``MetricSpace``.
enum KMeans {
  /// The most Lloyd iterations.
  static let maximumIterations = 50

  /// Fits `clusters` centres to `samples`.
  ///
  /// - Returns: The centres, each `space.rows.stride` floats (padded like the rows).
  static func fit(
    _ space: MetricSpace, samples: [Int], clusters: Int, using generator: inout SeededRandom
  ) -> [[Float]] {
    let stride = space.rows.stride
    let values = space.rows.values
    func row(_ sample: Int) -> [Float] {
      Array(values[(sample * stride)..<((sample + 1) * stride)])
    }
    // k-means++: each next centre drawn with probability proportional to the squared
    // distance to the nearest centre so far.
    var centres = [row(samples[generator.below(samples.count)])]
    var nearest = samples.map { squaredDistance(space, $0, centres[0]) }
    while centres.count < clusters {
      let total = nearest.reduce(0, +)
      guard total > 0 else { break }
      var threshold = generator.unit() * total
      var chosen = samples.count - 1
      for (position, weight) in nearest.enumerated() {
        threshold -= weight
        if threshold < 0 {
          chosen = position
          break
        }
      }
      let centre = row(samples[chosen])
      centres.append(centre)
      for (position, sample) in samples.enumerated() {
        nearest[position] = min(nearest[position], squaredDistance(space, sample, centre))
      }
    }
    var assignment = [Int](repeating: -1, count: samples.count)
    for _ in 0..<maximumIterations {
      let next = assign(space, samples: samples, centres: centres)
      if next == assignment { break }
      assignment = next
      var sums = [[Double]](
        repeating: [Double](repeating: 0, count: stride), count: centres.count)
      var counts = [Int](repeating: 0, count: centres.count)
      for (sample, cluster) in zip(samples, assignment) {
        counts[cluster] += 1
        let base = sample * stride
        for column in 0..<stride { sums[cluster][column] += Double(values[base + column]) }
      }
      for cluster in centres.indices where counts[cluster] > 0 {
        centres[cluster] = sums[cluster].map { Float($0 / Double(counts[cluster])) }
      }
    }
    return centres
  }

  /// The index of each sample's nearest centre (the lower index on ties), on all cores.
  static func assign(_ space: MetricSpace, samples: [Int], centres: [[Float]]) -> [Int] {
    let stride = space.rows.stride
    let flat = centres.flatMap { $0 }
    var result = [Int](repeating: 0, count: samples.count)
    result.withUnsafeMutableBufferPointer { output in
      space.rows.values.withUnsafeBufferPointer { values in
        flat.withUnsafeBufferPointer { flat in
          let shared = SharedBuffer(base: output)
          let matrix = SharedReadBuffer(base: values)
          let centreRows = SharedReadBuffer(base: flat)
          let work = samples.count * centres.count
          let workers = work >= 65_536 ? Parallel.workerCount : 1
          Parallel.forEach(workers) { worker in
            guard let base = matrix.base.baseAddress, let centreBase = centreRows.base.baseAddress
            else { return }
            var position = worker
            while position < samples.count {
              let row = base + samples[position] * stride
              var best = 0
              var bestDistance = Double.infinity
              for cluster in 0..<centres.count {
                let distance = space.distance(row, centreBase + cluster * stride)
                if distance < bestDistance {
                  bestDistance = distance
                  best = cluster
                }
              }
              shared[position] = best
              position += workers
            }
          }
        }
      }
    }
    return result
  }

  private static func squaredDistance(_ space: MetricSpace, _ sample: Int, _ centre: [Float])
    -> Double
  {
    let stride = space.rows.stride
    return space.rows.values.withUnsafeBufferPointer { values in
      centre.withUnsafeBufferPointer { centre in
        guard let base = values.baseAddress, let centreBase = centre.baseAddress else { return 0 }
        let distance = space.distance(base + sample * stride, centreBase)
        return distance * distance
      }
    }
  }
}
