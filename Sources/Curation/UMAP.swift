#if canImport(Glibc)
import Glibc
#endif

/// The parameters of a UMAP run, with umap-learn's defaults.
package struct UMAPParameters: Sendable, Equatable {
  /// The size of each point's neighbourhood, the point itself included (umap-learn's
  /// `n_neighbors`): larger values keep more of the global structure.
  package var neighbours: Int
  /// How close points may sit in the map (`min_dist`).
  package var minimumDistance: Double
  /// The scale of the map's distances (`spread`).
  package var spread: Double
  /// Passes over the graph, or nil for 500 up to 10 000 points and 200 above.
  package var epochs: Int?
  /// The first step size; it falls linearly to 0 over the epochs.
  package var learningRate: Double
  /// Random repulsive samples per attractive one.
  package var negativeSamples: Int
  /// The weight of the repulsive samples (`repulsion_strength`).
  package var repulsion: Double

  /// Parameters for a run; every argument defaults to umap-learn's value.
  ///
  /// - Parameters:
  ///   - neighbours: `n_neighbors` (15).
  ///   - minimumDistance: `min_dist` (0.1).
  ///   - spread: `spread` (1).
  ///   - epochs: `n_epochs`, or nil for 500 (N ≤ 10 000) or 200.
  ///   - learningRate: `learning_rate` (1).
  ///   - negativeSamples: `negative_sample_rate` (5).
  ///   - repulsion: `repulsion_strength` (1).
  package init(
    neighbours: Int = 15, minimumDistance: Double = 0.1, spread: Double = 1, epochs: Int? = nil,
    learningRate: Double = 1, negativeSamples: Int = 5, repulsion: Double = 1
  ) {
    precondition(neighbours >= 2, "neighbours must be at least 2")
    precondition(minimumDistance >= 0 && spread > 0, "minimumDistance or spread out of range")
    precondition((epochs ?? 1) >= 1, "epochs must be at least 1")
    precondition(negativeSamples >= 0, "negativeSamples must not be negative")
    self.neighbours = neighbours
    self.minimumDistance = minimumDistance
    self.spread = spread
    self.epochs = epochs
    self.learningRate = learningRate
    self.negativeSamples = negativeSamples
    self.repulsion = repulsion
  }

  /// The number of epochs for `count` points.
  ///
  /// - Parameter count: N.
  /// - Returns: `epochs`, or 500 for N ≤ 10 000 and 200 above when it is nil.
  package func epochs(for count: Int) -> Int {
    epochs ?? (count <= 10_000 ? 500 : 200)
  }
}

/// Uniform manifold approximation and projection (McInnes, Healy and Melville, 2018) to two
/// dimensions, as umap-learn runs it.
///
/// The graph: each point's `neighbours − 1` nearest other points (euclidean, exact); ρᵢ, the
/// distance to the nearest one not at distance 0; σᵢ by bisection so that
/// Σⱼ exp(−max(0, dᵢⱼ − ρᵢ) / σᵢ) = log₂(neighbours), at least 10⁻³ times the mean neighbour
/// distance; memberships wᵢⱼ = exp(−max(0, dᵢⱼ − ρᵢ) / σᵢ), joined by the fuzzy union
/// wᵢⱼ + wⱼᵢ − wᵢⱼ wⱼᵢ; edges under max(w) / epochs are dropped. The map's similarity is
/// 1 / (1 + a d²ᵇ), with a and b fitted to `minimumDistance` and `spread` as umap-learn
/// does (a ≈ 1.577, b ≈ 0.895 for the defaults). The start is the first two principal
/// components scaled to at most 10 in absolute value plus Gaussian noise of deviation 10⁻⁴,
/// then each axis rescaled to [0, 10] (umap-learn's `init="pca"`; its default spectral start
/// is not built). Stochastic gradient descent then samples each edge once every
/// max(w) / w epochs, pulls both ends together, and pushes the head away from
/// `negativeSamples` uniformly drawn points per sample, with every gradient coordinate
/// clipped to ±4 and the step falling linearly from `learningRate` to 0.
///
/// The descent runs on one thread, in edge order, with one seeded generator, so a seed fixes
/// the map (umap-learn is also sequential when given a seed); the neighbour search runs on
/// all cores.
package enum UMAP {
  /// The 2-D UMAP map of every row.
  ///
  /// - Parameters:
  ///   - embeddings: N × D embeddings.
  ///   - parameters: The run's parameters.
  ///   - seed: Fixes the start's noise and the negative samples: the same seed gives the
  ///     same map on any machine and thread count.
  /// - Returns: N points `(x, y)`; all zero when N < 2.
  /// - Complexity: O(N² D) for the neighbours, then O(epochs · N · neighbours ·
  ///   negativeSamples).
  package static func embed(
    _ embeddings: EmbeddingMatrix, parameters: UMAPParameters = UMAPParameters(), seed: UInt64
  ) -> [(x: Double, y: Double)] {
    let count = embeddings.count
    guard count >= 2 else { return Array(repeating: (0, 0), count: count) }
    let epochs = parameters.epochs(for: count)
    let edges = Edges(
      fuzzyGraph(embeddings, neighbours: parameters.neighbours), epochs: epochs)
    let (a, b) = curve(minimumDistance: parameters.minimumDistance, spread: parameters.spread)
    var positions = start(embeddings, seed: seed)
    var random = SeededRandom(seed: seed, stream: 1)
    let negativeSamples = Double(parameters.negativeSamples)
    var nextSample = edges.epochsPerSample
    let negativeEvery = edges.epochsPerSample.map { $0 / negativeSamples }
    var nextNegative = negativeEvery
    func clip(_ value: Double) -> Double { min(4, max(-4, value)) }
    for epoch in 0..<epochs {
      let now = Double(epoch)
      let alpha = parameters.learningRate * (1 - now / Double(epochs))
      for edge in 0..<edges.heads.count where nextSample[edge] <= now {
        let head = edges.heads[edge]
        let tail = edges.tails[edge]
        let dx = positions[2 * head] - positions[2 * tail]
        let dy = positions[2 * head + 1] - positions[2 * tail + 1]
        let squared = dx * dx + dy * dy
        if squared > 0 {
          let coefficient =
            -2 * a * b * pow(squared, b - 1) / (a * pow(squared, b) + 1)
          let stepX = clip(coefficient * dx) * alpha
          let stepY = clip(coefficient * dy) * alpha
          positions[2 * head] += stepX
          positions[2 * head + 1] += stepY
          positions[2 * tail] -= stepX
          positions[2 * tail + 1] -= stepY
        }
        nextSample[edge] += edges.epochsPerSample[edge]
        guard parameters.negativeSamples > 0 else { continue }
        let negatives = max(0, Int((now - nextNegative[edge]) / negativeEvery[edge]))
        for _ in 0..<negatives {
          let other = random.below(count)
          guard other != head else { continue }
          let dx = positions[2 * head] - positions[2 * other]
          let dy = positions[2 * head + 1] - positions[2 * other + 1]
          let squared = dx * dx + dy * dy
          var stepX = 4.0
          var stepY = 4.0
          if squared > 0 {
            let coefficient =
              2 * parameters.repulsion * b / ((0.001 + squared) * (a * pow(squared, b) + 1))
            stepX = clip(coefficient * dx)
            stepY = clip(coefficient * dy)
          }
          positions[2 * head] += stepX * alpha
          positions[2 * head + 1] += stepY * alpha
        }
        nextNegative[edge] += Double(negatives) * negativeEvery[edge]
      }
    }
    return (0..<count).map { (positions[2 * $0], positions[2 * $0 + 1]) }
  }

  /// The fuzzy simplicial set of the data: symmetric memberships in [0, 1].
  ///
  /// - Parameters:
  ///   - embeddings: N × D embeddings, N ≥ 2.
  ///   - neighbours: The neighbourhood size, the point itself included.
  /// - Returns: The memberships.
  static func fuzzyGraph(_ embeddings: EmbeddingMatrix, neighbours: Int) -> SparseRows {
    let count = embeddings.count
    let graph = EuclideanNeighbours.nearest(embeddings, k: min(neighbours - 1, count - 1))
    let k = graph.k
    let target = log2(Double(k + 1))
    var memberships = [Double](repeating: 0, count: count * k)
    let meanDistance = graph.distances.reduce(0, +) / Double(max(1, graph.distances.count))
    memberships.withUnsafeMutableBufferPointer { buffer in
      let output = SharedBuffer(base: buffer)
      let workers = min(Parallel.workerCount, count)
      Parallel.forEach(workers) { worker in
        var row = worker
        while row < count {
          let distances = Array(graph.distances[(row * k)..<((row + 1) * k)])
          let (rho, sigma) = smoothDistances(
            distances, target: target, meanDistance: meanDistance)
          for slot in 0..<k {
            let excess = distances[slot] - rho
            output[row * k + slot] = excess <= 0 || sigma == 0 ? 1 : exp(-excess / sigma)
          }
          row += workers
        }
      }
    }
    return SparseRows.symmetrised(graph, weights: memberships) { $0 + $1 - $0 * $1 }
  }

  /// ρ and σ of one point (umap-learn's `smooth_knn_dist` with local connectivity 1).
  ///
  /// - Parameters:
  ///   - distances: The distances to the point's neighbours, ascending.
  ///   - target: log₂ of the neighbourhood size.
  ///   - meanDistance: The mean neighbour distance over all points, the floor's scale for a
  ///     point whose neighbours are all at distance 0.
  /// - Returns: ρ, the nearest non-zero distance (0 when there is none), and σ.
  static func smoothDistances(_ distances: [Double], target: Double, meanDistance: Double)
    -> (rho: Double, sigma: Double)
  {
    let rho = distances.first { $0 > 0 } ?? 0
    var low = 0.0
    var high = Double.infinity
    var sigma = 1.0
    for _ in 0..<64 {
      var sum = 0.0
      for distance in distances {
        let excess = distance - rho
        sum += excess > 0 ? exp(-excess / sigma) : 1
      }
      if abs(sum - target) < 1e-5 { break }
      if sum > target {
        high = sigma
        sigma = (low + high) / 2
      } else {
        low = sigma
        sigma = high.isInfinite ? sigma * 2 : (low + high) / 2
      }
    }
    let scale =
      rho > 0 ? distances.reduce(0, +) / Double(max(1, distances.count)) : meanDistance
    return (rho, max(sigma, 1e-3 * scale))
  }

  /// The PCA start, scaled and rescaled as umap-learn's; x and y interleaved.
  static func start(_ embeddings: EmbeddingMatrix, seed: UInt64) -> [Double] {
    let projected = PCA.project(embeddings)
    let largest = projected.reduce(0) { max($0, abs($1.x), abs($1.y)) }
    let expansion = largest > 0 ? 10 / largest : 0
    var random = SeededRandom(seed: seed, stream: 0)
    var positions: [Double] = []
    positions.reserveCapacity(2 * projected.count)
    for point in projected {
      positions.append(point.x * expansion + 1e-4 * random.normal())
      positions.append(point.y * expansion + 1e-4 * random.normal())
    }
    for axis in 0..<2 {
      var low = Double.infinity
      var high = -Double.infinity
      for index in stride(from: axis, to: positions.count, by: 2) {
        low = min(low, positions[index])
        high = max(high, positions[index])
      }
      let scale = high > low ? 10 / (high - low) : 0
      for index in stride(from: axis, to: positions.count, by: 2) {
        positions[index] = (positions[index] - low) * scale
      }
    }
    return positions
  }

  /// a and b of the map's similarity 1 / (1 + a d²ᵇ), fitted by least squares to
  /// 1 for d < `minimumDistance` and exp(−(d − minimumDistance) / spread) beyond, on 300
  /// evenly spaced d in [0, 3 · spread], as umap-learn's `find_ab_params` does (with
  /// Levenberg–Marquardt from a = b = 1, like its `curve_fit`).
  ///
  /// - Parameters:
  ///   - minimumDistance: `min_dist`.
  ///   - spread: `spread`.
  /// - Returns: a and b.
  package static func curve(minimumDistance: Double, spread: Double) -> (a: Double, b: Double) {
    let xs = (0..<300).map { 3 * spread * Double($0) / 299 }
    let ys = xs.map { $0 < minimumDistance ? 1 : exp(-($0 - minimumDistance) / spread) }
    func cost(_ a: Double, _ b: Double) -> Double {
      zip(xs, ys).reduce(0) { sum, point in
        let residual = 1 / (1 + a * pow(point.0, 2 * b)) - point.1
        return sum + residual * residual
      }
    }
    var a = 1.0
    var b = 1.0
    var current = cost(a, b)
    var damping = 1e-3
    for _ in 0..<500 {
      // Normal equations JᵀJ δ = −Jᵀr of the residuals g(x) − y, g = 1 / (1 + a x²ᵇ).
      var jaa = 0.0
      var jab = 0.0
      var jbb = 0.0
      var ra = 0.0
      var rb = 0.0
      for (x, y) in zip(xs, ys) where x > 0 {
        let power = pow(x, 2 * b)
        let g = 1 / (1 + a * power)
        let da = -power * g * g
        let db = -2 * a * power * log(x) * g * g
        let residual = g - y
        jaa += da * da
        jab += da * db
        jbb += db * db
        ra += da * residual
        rb += db * residual
      }
      let m11 = jaa * (1 + damping)
      let m22 = jbb * (1 + damping)
      let determinant = m11 * m22 - jab * jab
      guard determinant > 0 else { break }
      let stepA = -(m22 * ra - jab * rb) / determinant
      let stepB = -(m11 * rb - jab * ra) / determinant
      let trial = cost(a + stepA, b + stepB)
      if a + stepA > 0 && b + stepB > 0 && trial < current {
        let relative = abs(stepA) / a + abs(stepB) / b
        a += stepA
        b += stepB
        current = trial
        damping = max(damping / 10, 1e-12)
        if relative < 1e-12 { break }
      } else {
        damping *= 10
        if damping > 1e12 { break }
      }
    }
    return (a, b)
  }

  /// The graph's edges in row order, with how often each is sampled.
  struct Edges {
    var heads: [Int] = []
    var tails: [Int] = []
    /// Epochs between two samples of the edge: max(w) / w.
    var epochsPerSample: [Double] = []

    /// The edges of `graph` whose weight is at least max(w) / `epochs`.
    init(_ graph: SparseRows, epochs: Int) {
      let largest = graph.values.max() ?? 0
      guard largest > 0 else { return }
      let threshold = largest / Double(epochs)
      for row in 0..<graph.count {
        for entry in graph.offsets[row]..<graph.offsets[row + 1]
        where graph.values[entry] >= threshold {
          heads.append(row)
          tails.append(graph.columns[entry])
          epochsPerSample.append(largest / graph.values[entry])
        }
      }
    }
  }
}
