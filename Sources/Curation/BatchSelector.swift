/// How the coverage part of a batch is chosen.
package enum CoverageStrategy: String, Sendable, CaseIterable {
  /// Typical-cluster coverage (TypiClust): the most typical sample of each of the largest
  /// clusters holding the fewest labelled samples. The default: with the uncertainty
  /// targeting that follows it, it beats random in every round of the digits loop, from a
  /// cold start (Docs/performance.md, "Selection loop").
  case typical
  /// k-center greedy from the labelled set (Sener & Savarese). At a cold start its first
  /// picks are the most spread-out, unusual samples, and it trails random for the first rounds
  /// of the digits loop.
  case kcenter
  /// The highest ZCore scores among the pool.
  case zcore
  /// The highest uniqueness scores among the pool.
  case uniqueness
  /// Uniformly at random (seeded): the baseline.
  case random
}

/// Why a sample was picked.
package enum PickReason: Sendable, Equatable {
  /// Coverage: its score (typical: its typicality; k-center: its distance to the nearest
  /// labelled or picked sample; zcore, uniqueness: that score).
  case coverage(score: Double)
  /// Near a failure: the failure sample's index and the cosine distance to it.
  case nearFailure(failure: Int, distance: Double)
  /// The model is unsure of it: its uncertainty score.
  case uncertain(score: Double)
}

/// One pick of a batch.
package struct BatchPick: Sendable, Equatable {
  package var index: Int
  package var reason: PickReason

  /// Whether the pick is a coverage pick (else targeted).
  package var isCoverage: Bool {
    if case .coverage = reason { return true }
    return false
  }

  package init(index: Int, reason: PickReason) {
    self.index = index
    self.reason = reason
  }
}

/// What a batch selection is asked to do.
package struct BatchRequest: Sendable {
  /// The batch size.
  package var budget: Int
  /// Samples that may be picked (the unlabelled pool, outside protected sets).
  package var pool: [Int]
  /// Samples already labelled (k-center starts from them).
  package var labelled: [Int]
  /// The share of the budget spent on coverage once there is something to target (0.3);
  /// without failures or uncertainty scores the whole budget is coverage.
  package var coverageShare: Double
  package var strategy: CoverageStrategy
  /// Failure samples (false negatives first), whose nearest pool samples are targeted.
  package var failures: [Int]
  /// Per sample, the current model's uncertainty (higher: less sure); nil entries are unknown.
  package var uncertainty: [Double?]?
  /// Neighbours considered per failure (FiftyOne's tutorial: 5).
  package var neighboursPerFailure: Int
  /// Uncertainty targeting shortlists this many times the samples it needs, most uncertain
  /// first, and picks the most typical sample of each cluster of the shortlist, so that a
  /// batch is not spent on near copies of one confusing sample (1: the most uncertain samples
  /// as they come; default 2).
  package var uncertaintySpread: Int
  package var zcore: ZCoreParameters
  package var seed: UInt64

  package init(
    budget: Int, pool: [Int], labelled: [Int] = [], coverageShare: Double = 0.3,
    strategy: CoverageStrategy = .typical, failures: [Int] = [], uncertainty: [Double?]? = nil,
    neighboursPerFailure: Int = 5, uncertaintySpread: Int = 2,
    zcore: ZCoreParameters = ZCoreParameters(), seed: UInt64 = 0
  ) {
    self.budget = budget
    self.pool = pool
    self.labelled = labelled
    self.coverageShare = coverageShare
    self.strategy = strategy
    self.failures = failures
    self.uncertainty = uncertainty
    self.neighboursPerFailure = neighboursPerFailure
    self.uncertaintySpread = uncertaintySpread
    self.zcore = zcore
    self.seed = seed
  }

  /// Whether there is anything to target.
  package var targets: Bool { !failures.isEmpty || uncertainty != nil }
}

/// Chooses the next batch to label: coverage of the embedding space, then targeting of the
/// model's failures and uncertainty.
///
/// At cold start (no failures, no uncertainty) the whole budget is coverage. Otherwise
/// `round(budget × coverageShare)` picks are coverage and the rest targeting: first the pool
/// samples nearest to the failures (round-robin over the failures, ``Targeting/pick``), then,
/// while budget remains, the most uncertain pool samples (spread over the clusters of a
/// shortlist, ``BatchRequest/uncertaintySpread``); coverage fills whatever targeting could
/// not use. The same request gives the same batch.
package enum BatchSelector {
  /// Selects a batch.
  ///
  /// - Parameters:
  ///   - request: The budget, pool, strategy and targets.
  ///   - embeddings: N × D embeddings of every sample the request's indices refer to.
  /// - Returns: The picks, targeted ones first, without repeats, at most `budget`.
  package static func select(_ request: BatchRequest, embeddings: EmbeddingMatrix)
    -> [BatchPick]
  {
    var seen = Set<Int>()
    let pool = request.pool.filter { seen.insert($0).inserted }
    let budget = min(request.budget, pool.count)
    guard budget > 0 else { return [] }
    var picks: [BatchPick] = []
    var taken = Set<Int>()
    if request.targets {
      let coverage = Int((Double(budget) * request.coverageShare).rounded())
      let targeted = budget - min(max(coverage, 0), budget)
      if !request.failures.isEmpty && targeted > 0 {
        let lists = Neighbours.nearest(
          queries: request.failures, in: pool, of: embeddings,
          k: request.neighboursPerFailure)
        var round = 0
        while picks.count < targeted && round < request.neighboursPerFailure {
          for (failure, list) in zip(request.failures, lists) where round < list.count {
            guard picks.count < targeted else { break }
            let neighbour = list[round]
            if taken.insert(neighbour.index).inserted {
              picks.append(
                BatchPick(
                  index: neighbour.index,
                  reason: .nearFailure(failure: failure, distance: neighbour.distance)))
            }
          }
          round += 1
        }
      }
      if let uncertainty = request.uncertainty, picks.count < targeted {
        let ranked =
          pool
          .filter { !taken.contains($0) && $0 < uncertainty.count && uncertainty[$0] != nil }
          .sorted { a, b in
            let (x, y) = (uncertainty[a] ?? 0, uncertainty[b] ?? 0)
            return x != y ? x > y : a < b
          }
        let wanted = targeted - picks.count
        var chosen = Array(ranked.prefix(wanted))
        if request.uncertaintySpread > 1 {
          let shortlist = Array(ranked.prefix(wanted * request.uncertaintySpread))
          chosen = Typical.select(
            embeddings, budget: wanted, candidates: shortlist, seed: request.seed
          ).map(\.index)
        }
        for index in chosen {
          taken.insert(index)
          picks.append(BatchPick(index: index, reason: .uncertain(score: uncertainty[index] ?? 0)))
        }
      }
    }
    let remaining = budget - picks.count
    if remaining > 0 {
      picks += coverage(
        request, pool: pool.filter { !taken.contains($0) }, count: remaining,
        alreadyPicked: picks.map(\.index), embeddings: embeddings)
    }
    return picks
  }

  /// `count` coverage picks from `pool` by the request's strategy.
  private static func coverage(
    _ request: BatchRequest, pool: [Int], count: Int, alreadyPicked: [Int],
    embeddings: EmbeddingMatrix
  ) -> [BatchPick] {
    switch request.strategy {
    case .kcenter:
      return KCenter.select(
        embeddings, budget: count, initial: request.labelled + alreadyPicked, candidates: pool
      ).map { BatchPick(index: $0.index, reason: .coverage(score: $0.distance)) }
    case .typical:
      return Typical.select(
        embeddings, budget: count, initial: request.labelled + alreadyPicked, candidates: pool,
        seed: request.seed
      ).map { BatchPick(index: $0.index, reason: .coverage(score: $0.typicality)) }
    case .zcore:
      let scores = ZCore.scores(embeddings, parameters: request.zcore, seed: request.seed)
      return top(pool, count: count, scores: scores)
    case .uniqueness:
      return top(pool, count: count, scores: Uniqueness.scores(embeddings))
    case .random:
      var generator = SeededRandom(seed: request.seed)
      var shuffled = pool
      shuffled.shuffle(using: &generator)
      return shuffled.prefix(count).map { BatchPick(index: $0, reason: .coverage(score: 0)) }
    }
  }

  private static func top(_ pool: [Int], count: Int, scores: [Double]) -> [BatchPick] {
    pool.sorted { a, b in scores[a] != scores[b] ? scores[a] > scores[b] : a < b }
      .prefix(count).map { BatchPick(index: $0, reason: .coverage(score: scores[$0])) }
  }
}
