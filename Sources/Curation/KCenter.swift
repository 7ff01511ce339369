/// The distance k-center greedy measures with.
package enum KCenterMetric: Sendable, Equatable {
  /// Euclidean distance between the embeddings as given.
  case euclidean
  /// 1 − cosine similarity (the embeddings are normalised, not centred: centre them first
  /// with `EmbeddingMatrix.centred()` when wanted).
  case cosine
}

/// One pick of k-center greedy.
package struct KCenterPick: Sendable, Equatable {
  /// The sample picked.
  package var index: Int
  /// Its distance to the nearest sample already labelled or picked when it was picked
  /// (infinity for a first pick made without any labelled sample).
  package var distance: Double

  /// A pick of `index` at `distance`.
  ///
  /// - Parameters:
  ///   - index: The sample picked.
  ///   - distance: Its distance at pick time.
  package init(index: Int, distance: Double) {
    self.index = index
    self.distance = distance
  }
}

/// k-center greedy (Sener & Savarese 2018, the "core-set" approach to active learning).
///
/// Repeatedly picks the candidate farthest from everything labelled or picked so far, which
/// greedily minimises the largest distance from any sample to its nearest labelled one.
package enum KCenter {
  /// Picks up to `budget` candidates, farthest first.
  ///
  /// With an empty `initial` set the first pick is the candidate nearest to the candidates'
  /// mean embedding (deterministic, unlike the paper's random start). Ties go to the smaller
  /// sample index. Samples in `initial` are never picked.
  ///
  /// - Parameters:
  ///   - embeddings: N × D embeddings.
  ///   - budget: The most samples to pick.
  ///   - initial: Samples already labelled.
  ///   - candidates: The samples that may be picked (nil: every sample not in `initial`).
  ///   - metric: The distance.
  /// - Returns: The picks in order, each with its distance at pick time; fewer than `budget`
  ///   when the candidates run out.
  /// - Complexity: O((|initial| + budget) · |candidates| · D).
  package static func select(
    _ embeddings: EmbeddingMatrix, budget: Int, initial: [Int] = [], candidates: [Int]? = nil,
    metric: KCenterMetric = .euclidean
  ) -> [KCenterPick] {
    let pool = candidatePool(count: embeddings.count, initial: initial, candidates: candidates)
    guard budget > 0, !pool.isEmpty else { return [] }
    let space = MetricSpace(embeddings, metric: metric)
    var nearest = [Double](repeating: .infinity, count: pool.count)
    for sample in Set(initial).sorted() { space.lower(&nearest, pool: pool, toward: sample) }
    var picks: [KCenterPick] = []
    var taken = [Bool](repeating: false, count: pool.count)
    if initial.isEmpty {
      let first = space.nearestToMean(of: pool)
      picks.append(KCenterPick(index: pool[first], distance: .infinity))
      taken[first] = true
      space.lower(&nearest, pool: pool, toward: pool[first])
    }
    while picks.count < min(budget, pool.count) {
      var best = -1
      for position in pool.indices where !taken[position] {
        if best < 0 || nearest[position] > nearest[best]
          || (nearest[position] == nearest[best] && pool[position] < pool[best])
        {
          best = position
        }
      }
      guard best >= 0 else { break }
      picks.append(KCenterPick(index: pool[best], distance: nearest[best]))
      taken[best] = true
      space.lower(&nearest, pool: pool, toward: pool[best])
    }
    return picks
  }
}

/// The samples a coverage strategy may pick: `candidates` (nil: every sample) without the
/// `initial` (labelled) ones and without repeats, in their given order.
func candidatePool(count: Int, initial: [Int], candidates: [Int]?) -> [Int] {
  let labelled = Set(initial)
  var seen = Set<Int>()
  return (candidates ?? Array(0..<count)).filter {
    !labelled.contains($0) && seen.insert($0).inserted
  }
}

/// Embeddings prepared for one metric: padded rows, normalised for cosine.
struct MetricSpace: Sendable {
  let metric: KCenterMetric
  let rows: UnitRows

  init(_ embeddings: EmbeddingMatrix, metric: KCenterMetric) {
    self.metric = metric
    rows =
      metric == .cosine ? UnitRows(embeddings, subtracting: nil) : UnitRows(padding: embeddings)
  }

  /// The distance between two padded rows.
  func distance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>) -> Double {
    switch metric {
    case .cosine:
      var dot = SIMD4<Float>()
      var offset = 0
      while offset < rows.stride {
        dot += load4(a + offset) * load4(b + offset)
        offset += 4
      }
      return min(2, max(0, 1 - Double(dot.sum())))
    case .euclidean:
      var squares = SIMD4<Float>()
      var offset = 0
      while offset < rows.stride {
        let difference = load4(a + offset) - load4(b + offset)
        squares += difference * difference
        offset += 4
      }
      return Double(squares.sum()).squareRoot()
    }
  }

  /// Lowers `nearest[p]` to the distance from `pool[p]` to `sample`, on all cores.
  func lower(_ nearest: inout [Double], pool: [Int], toward sample: Int) {
    let stride = rows.stride
    nearest.withUnsafeMutableBufferPointer { buffer in
      rows.values.withUnsafeBufferPointer { values in
        let shared = SharedBuffer(base: buffer)
        let matrix = SharedReadBuffer(base: values)
        let workers = pool.count >= 4_096 ? Parallel.workerCount : 1
        Parallel.forEach(workers) { worker in
          guard let base = matrix.base.baseAddress else { return }
          let target = base + sample * stride
          var position = worker
          while position < pool.count {
            let distance = self.distance(base + pool[position] * stride, target)
            if distance < shared[position] { shared[position] = distance }
            position += workers
          }
        }
      }
    }
  }

  /// The position in `pool` of the sample nearest to the pool's mean row (the first on ties).
  func nearestToMean(of pool: [Int]) -> Int {
    let stride = rows.stride
    var mean = [Double](repeating: 0, count: stride)
    for sample in pool {
      for column in 0..<stride { mean[column] += Double(rows.values[sample * stride + column]) }
    }
    var centre = mean.map { Float($0 / Double(pool.count)) }
    if metric == .cosine {
      let norm = centre.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
      if norm > 0 { centre = centre.map { Float(Double($0) / norm) } }
    }
    var best = 0
    var bestDistance = Double.infinity
    centre.withUnsafeBufferPointer { centre in
      rows.values.withUnsafeBufferPointer { values in
        guard let centreBase = centre.baseAddress, let base = values.baseAddress else { return }
        for (position, sample) in pool.enumerated() {
          let distance = self.distance(base + sample * stride, centreBase)
          if distance < bestDistance {
            bestDistance = distance
            best = position
          }
        }
      }
    }
    return best
  }
}

extension UnitRows {
  /// The rows of `matrix` unchanged (not normalised), padded with zeros to a multiple of 4.
  ///
  /// - Parameter matrix: The embeddings.
  init(padding matrix: EmbeddingMatrix) {
    let stride = (matrix.dimension + 3) / 4 * 4
    var values = [Float](repeating: 0, count: matrix.count * stride)
    for row in 0..<matrix.count {
      for column in 0..<matrix.dimension {
        values[row * stride + column] = matrix.values[row * matrix.dimension + column]
      }
    }
    self.init(count: matrix.count, stride: stride, values: values)
  }
}
