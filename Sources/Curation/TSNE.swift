#if canImport(Glibc)
import Glibc
#endif

/// The parameters of a t-SNE run, with scikit-learn's defaults.
package struct TSNEParameters: Sendable, Equatable {
  /// The effective number of neighbours each point's input Gaussian covers.
  package var perplexity: Double
  /// Gradient steps in total, the early exaggeration steps included.
  package var iterations: Int
  /// The factor on the input affinities during the first steps, which lets clusters form
  /// before they settle.
  package var earlyExaggeration: Double
  /// How many of the first steps use `earlyExaggeration` (and momentum 0.5).
  package var exaggerationIterations: Int
  /// The step size, or nil for scikit-learn's "auto": max(N / earlyExaggeration / 4, 50).
  package var learningRate: Double?

  /// Parameters for a run; every argument defaults to scikit-learn's value.
  ///
  /// - Parameters:
  ///   - perplexity: Effective neighbours (30); clamped to (N − 1) / 3 for small sets.
  ///   - iterations: Steps in total (`max_iter`, 1000).
  ///   - earlyExaggeration: The factor on P at first (12).
  ///   - exaggerationIterations: Steps with exaggeration (250).
  ///   - learningRate: The step size, or nil for "auto".
  package init(
    perplexity: Double = 30, iterations: Int = 1000, earlyExaggeration: Double = 12,
    exaggerationIterations: Int = 250, learningRate: Double? = nil
  ) {
    precondition(perplexity > 0, "perplexity must be positive")
    precondition(iterations >= 0 && exaggerationIterations >= 0, "negative iteration count")
    precondition(earlyExaggeration > 0, "earlyExaggeration must be positive")
    self.perplexity = perplexity
    self.iterations = iterations
    self.earlyExaggeration = earlyExaggeration
    self.exaggerationIterations = exaggerationIterations
    self.learningRate = learningRate
  }

  /// The perplexity used for `count` points: `perplexity`, at most (N − 1) / 3 so that the
  /// 3 · perplexity neighbours exist, and at least 1.
  ///
  /// - Parameter count: N.
  /// - Returns: The perplexity.
  package func perplexity(for count: Int) -> Double {
    max(1, min(perplexity, Double(count - 1) / 3))
  }

  /// The step size used for `count` points.
  ///
  /// - Parameter count: N.
  /// - Returns: `learningRate`, or max(N / earlyExaggeration / 4, 50) when it is nil.
  package func learningRate(for count: Int) -> Double {
    learningRate ?? max(Double(count) / earlyExaggeration / 4, 50)
  }
}

/// t-distributed stochastic neighbour embedding (van der Maaten and Hinton, 2008) to two
/// dimensions, as scikit-learn's `TSNE` runs it.
///
/// Input affinities: each point's 3 · perplexity + 1 nearest neighbours (euclidean), a
/// Gaussian on the squared distances whose precision is found by bisection so that the
/// conditional distribution has the requested perplexity, then P = (P + Pᵀ) / ΣP; this is the
/// sparse P of scikit-learn's default Barnes-Hut method, and of van der Maaten's own (2014).
/// The gradient of KL(P‖Q), with Q the Student-t (one degree of freedom) affinities of the
/// map, is exact: its repulsive part visits all N² pairs in every step (in `Float`, eight
/// lanes at a time; everything else is `Double`). Gradient descent
/// follows scikit-learn: momentum 0.5 and P × `earlyExaggeration` for the first steps, then
/// momentum 0.8; per-coordinate gains (+0.2 when the step changes direction, × 0.8
/// otherwise, at least 0.01); a phase stops early when its gradient norm, checked every 50
/// steps, is at most 10⁻⁷. scikit-learn also stops when the KL divergence has not improved
/// for 300 steps; that test is not made here, so a run never stops before its stalled
/// equivalent would.
///
/// The start is the data's first two principal components, scaled so that the first has
/// standard deviation 10⁻⁴ (scikit-learn's `init="pca"`), plus seeded Gaussian jitter of
/// standard deviation 10⁻⁶, which separates duplicate points and is the only random choice.
package enum TSNE {
  /// The most points `embed` accepts: its exact gradient costs N² pair terms per step, about
  /// a minute for 10 000 points on two cores.
  package static let maximumCount = 10_000
  /// The standard deviation of the first coordinate at the start.
  static let initialSpread = 1e-4
  /// The standard deviation of the seeded jitter added to the start.
  static let jitter = 1e-6
  /// Steps between two checks of the gradient norm.
  static let checkInterval = 50
  /// The gradient norm under which a phase stops.
  static let minimumGradientNorm = 1e-7

  /// The 2-D t-SNE map of every row.
  ///
  /// - Parameters:
  ///   - embeddings: N × D embeddings, N at most `maximumCount`.
  ///   - parameters: The run's parameters.
  ///   - seed: Fixes the jitter of the start: the same seed gives the same map on any
  ///     machine and thread count.
  /// - Returns: N points `(x, y)`; all zero when N < 2.
  /// - Complexity: O(N² D) for the neighbours, then O(N²) per step; O(N · perplexity)
  ///   memory.
  package static func embed(
    _ embeddings: EmbeddingMatrix, parameters: TSNEParameters = TSNEParameters(), seed: UInt64
  ) -> [(x: Double, y: Double)] {
    let count = embeddings.count
    guard count >= 2 else { return Array(repeating: (0, 0), count: count) }
    precondition(count <= maximumCount, "t-SNE of \(count) points; at most \(maximumCount)")
    let affinities = Self.affinities(embeddings, perplexity: parameters.perplexity(for: count))
    var positions = start(embeddings, seed: seed)
    var descent = Descent(count: count, learningRate: parameters.learningRate(for: count))
    let exploration = min(parameters.exaggerationIterations, parameters.iterations)
    descent.run(
      &positions, affinities: affinities, steps: exploration, momentum: 0.5,
      exaggeration: parameters.earlyExaggeration)
    descent.run(
      &positions, affinities: affinities, steps: parameters.iterations - exploration,
      momentum: 0.8, exaggeration: 1)
    return (0..<count).map { (positions[2 * $0], positions[2 * $0 + 1]) }
  }

  /// The symmetric input affinities P over each point's 3 · perplexity + 1 nearest
  /// neighbours, summing to 1.
  ///
  /// - Parameters:
  ///   - embeddings: N × D embeddings, N ≥ 2.
  ///   - perplexity: The perplexity of every point's conditional distribution.
  /// - Returns: P.
  static func affinities(_ embeddings: EmbeddingMatrix, perplexity: Double) -> SparseRows {
    let count = embeddings.count
    let graph = EuclideanNeighbours.nearest(
      embeddings, k: min(count - 1, Int(3 * perplexity + 1)))
    let k = graph.k
    var conditional = [Double](repeating: 0, count: count * k)
    conditional.withUnsafeMutableBufferPointer { buffer in
      let output = SharedBuffer(base: buffer)
      let workers = min(Parallel.workerCount, count)
      Parallel.forEach(workers) { worker in
        var squared = [Double](repeating: 0, count: k)
        var row = worker
        while row < count {
          for slot in 0..<k {
            let distance = graph.distances[row * k + slot]
            squared[slot] = distance * distance
          }
          let probabilities = conditionalProbabilities(squared, perplexity: perplexity)
          for slot in 0..<k { output[row * k + slot] = probabilities[slot] }
          row += workers
        }
      }
    }
    var joint = SparseRows.symmetrised(graph, weights: conditional, combine: +)
    let total = joint.values.reduce(0, +)
    if total > 0 {
      for entry in joint.values.indices { joint.values[entry] /= total }
    }
    return joint
  }

  /// p(j | i) over one point's neighbours: exp(−β d²ⱼ) normalised, with β chosen by
  /// bisection so that the entropy is ln(perplexity) (to 10⁻⁵, at most 100 halvings).
  ///
  /// The distances are shifted by the smallest before exponentiating, which changes neither
  /// the probabilities nor the entropy but keeps the largest term at 1, so that no β
  /// underflows the whole row.
  ///
  /// - Parameters:
  ///   - squared: Squared distances to the neighbours, ascending.
  ///   - perplexity: The target perplexity.
  /// - Returns: One probability per neighbour, summing to 1.
  static func conditionalProbabilities(_ squared: [Double], perplexity: Double) -> [Double] {
    guard let nearest = squared.first else { return [] }
    let shifted = squared.map { $0 - nearest }
    let target = log(perplexity)
    let mean = shifted.reduce(0, +) / Double(shifted.count)
    var beta = mean > 0 ? 1 / mean : 1
    var low = 0.0
    var high = Double.infinity
    func sums(_ beta: Double) -> (weights: Double, weighted: Double) {
      var weights = 0.0
      var weighted = 0.0
      for distance in shifted {
        let weight = exp(-beta * distance)
        weights += weight
        weighted += weight * distance
      }
      return (weights, weighted)
    }
    for _ in 0..<100 {
      let (weights, weighted) = sums(beta)
      let entropy = log(weights) + beta * weighted / weights
      if abs(entropy - target) < 1e-5 { break }
      if entropy > target {
        low = beta
        beta = high.isInfinite ? beta * 2 : (beta + high) / 2
      } else {
        high = beta
        beta = (beta + low) / 2
      }
    }
    let weights = sums(beta).weights
    return shifted.map { exp(-beta * $0) / weights }
  }

  /// The PCA start, scaled to `initialSpread`, plus seeded jitter; x and y interleaved.
  static func start(_ embeddings: EmbeddingMatrix, seed: UInt64) -> [Double] {
    let projected = PCA.project(embeddings)
    let count = Double(projected.count)
    let mean = projected.reduce(0) { $0 + $1.x } / count
    let variance = projected.reduce(0) { $0 + ($1.x - mean) * ($1.x - mean) } / count
    let scale = variance > 0 ? initialSpread / variance.squareRoot() : 0
    var random = SeededRandom(seed: seed)
    var positions: [Double] = []
    positions.reserveCapacity(2 * projected.count)
    for point in projected {
      positions.append(point.x * scale + jitter * random.normal())
      positions.append(point.y * scale + jitter * random.normal())
    }
    return positions
  }

  /// Gradient descent with momentum and per-coordinate gains, as scikit-learn's.
  struct Descent {
    let count: Int
    let learningRate: Double
    var gradient: [Double]
    var attraction: [Double]
    var repulsion: [Double]
    var normalisers: [Double]
    /// The map's coordinates as `Float`, x then y, each padded to a multiple of
    /// `Repulsion.lanes` with `Repulsion.padding`.
    var columns: [Float]

    init(count: Int, learningRate: Double) {
      self.count = count
      self.learningRate = learningRate
      gradient = [Double](repeating: 0, count: 2 * count)
      attraction = gradient
      repulsion = gradient
      normalisers = [Double](repeating: 0, count: count)
      columns = [Float](repeating: Repulsion.padding, count: 2 * Repulsion.padded(count))
    }

    /// Runs one phase: `steps` steps from zero velocity and unit gains.
    mutating func run(
      _ positions: inout [Double], affinities: SparseRows, steps: Int, momentum: Double,
      exaggeration: Double
    ) {
      var update = [Double](repeating: 0, count: 2 * count)
      var gains = [Double](repeating: 1, count: 2 * count)
      for step in 0..<steps {
        computeGradient(positions, affinities: affinities, exaggeration: exaggeration)
        var squaredNorm = 0.0
        for coordinate in 0..<(2 * count) {
          let slope = gradient[coordinate]
          if update[coordinate] * slope < 0 {
            gains[coordinate] += 0.2
          } else {
            gains[coordinate] *= 0.8
          }
          gains[coordinate] = max(gains[coordinate], 0.01)
          let scaled = slope * gains[coordinate]
          squaredNorm += scaled * scaled
          update[coordinate] = momentum * update[coordinate] - learningRate * scaled
          positions[coordinate] += update[coordinate]
        }
        if (step + 1) % TSNE.checkInterval == 0
          && squaredNorm.squareRoot() <= TSNE.minimumGradientNorm
        {
          break
        }
      }
    }

    /// The gradient of KL(P‖Q) into `gradient`:
    /// 4 Σⱼ (exaggeration · pᵢⱼ − qᵢⱼ) (1 + ‖yᵢ − yⱼ‖²)⁻¹ (yᵢ − yⱼ).
    ///
    /// The attractive part runs over P's entries in `Double`; the repulsive part over all
    /// points in `Float` (see `Repulsion`). Each worker takes whole rows, and each row's sums
    /// run in a fixed order, so every sum is the same whatever the thread count; the
    /// normaliser Z is then summed over the rows in order.
    mutating func computeGradient(
      _ positions: [Double], affinities: SparseRows, exaggeration: Double
    ) {
      let count = self.count
      let stride = Repulsion.padded(count)
      for row in 0..<count {
        columns[row] = Float(positions[2 * row])
        columns[stride + row] = Float(positions[2 * row + 1])
      }
      positions.withUnsafeBufferPointer { positionBuffer in
        columns.withUnsafeBufferPointer { columnBuffer in
          attraction.withUnsafeMutableBufferPointer { attractionBuffer in
            repulsion.withUnsafeMutableBufferPointer { repulsionBuffer in
              normalisers.withUnsafeMutableBufferPointer { normaliserBuffer in
                let points = SharedReadBuffer(base: positionBuffer)
                let columns = SharedReadBuffer(base: columnBuffer)
                let attraction = SharedBuffer(base: attractionBuffer)
                let repulsion = SharedBuffer(base: repulsionBuffer)
                let normalisers = SharedBuffer(base: normaliserBuffer)
                let workers = min(Parallel.workerCount, count)
                Parallel.forEach(workers) { worker in
                  guard let y = points.base.baseAddress, let xs = columns.base.baseAddress
                  else { return }
                  var row = worker
                  while row < count {
                    let x0 = y[2 * row]
                    let y0 = y[2 * row + 1]
                    var attractX = 0.0
                    var attractY = 0.0
                    for entry in affinities.offsets[row]..<affinities.offsets[row + 1] {
                      let other = affinities.columns[entry]
                      let dx = x0 - y[2 * other]
                      let dy = y0 - y[2 * other + 1]
                      let force = affinities.values[entry] / (1 + dx * dx + dy * dy)
                      attractX += force * dx
                      attractY += force * dy
                    }
                    attraction[2 * row] = attractX
                    attraction[2 * row + 1] = attractY
                    let sums = Repulsion.sums(
                      xs[row], xs[stride + row], xs: xs, ys: xs + stride, stride: stride)
                    repulsion[2 * row] = sums.x
                    repulsion[2 * row + 1] = sums.y
                    // The row's own term adds 1 to the normaliser and nothing to the force.
                    normalisers[row] = sums.normaliser - 1
                    row += workers
                  }
                }
              }
            }
          }
        }
      }
      var normaliser = 0.0
      for row in 0..<count { normaliser += normalisers[row] }
      let inverse = normaliser > 0 ? 1 / normaliser : 0
      for coordinate in 0..<(2 * count) {
        gradient[coordinate] =
          4 * (exaggeration * attraction[coordinate] - inverse * repulsion[coordinate])
      }
    }
  }

  /// The repulsive sums of one point over all points: Σⱼ kⱼ and Σⱼ kⱼ² (y − yⱼ), with
  /// kⱼ = 1 / (1 + ‖y − yⱼ‖²).
  ///
  /// The O(N²) part of every step, so it runs in `Float`, eight lanes at a time: lane l
  /// accumulates the points j ≡ l (mod 8), and the lanes are added in order in `Double` at
  /// the end. `simd` does it with `SIMD8<Float>`; `scalar` does exactly the same arithmetic
  /// one lane at a time (no operation is fused or reordered in either), so both give the
  /// same bits. Optimised builds use `simd`, about six times faster than `Double` scalar code;
  /// debug builds use `scalar`, because unoptimised SIMD code is some twenty times slower
  /// than scalar code there.
  enum Repulsion {
    static let lanes = 8
    /// The coordinate of the padding points: the square overflows to infinity, so their
    /// kernel is exactly 0 and so is their force (0 × finite).
    static let padding: Float = 1e30

    /// `count` rounded up to a multiple of `lanes`.
    static func padded(_ count: Int) -> Int { (count + lanes - 1) / lanes * lanes }

    /// The sums for the point (x, y) over `stride` points (padding included), in the
    /// build's kernel.
    @inline(__always)
    static func sums(
      _ x: Float, _ y: Float, xs: UnsafePointer<Float>, ys: UnsafePointer<Float>, stride: Int
    ) -> (normaliser: Double, x: Double, y: Double) {
      #if DEBUG
      scalar(x, y, xs: xs, ys: ys, stride: stride)
      #else
      simd(x, y, xs: xs, ys: ys, stride: stride)
      #endif
    }

    static func simd(
      _ x: Float, _ y: Float, xs: UnsafePointer<Float>, ys: UnsafePointer<Float>, stride: Int
    ) -> (normaliser: Double, x: Double, y: Double) {
      let x0 = SIMD8<Float>(repeating: x)
      let y0 = SIMD8<Float>(repeating: y)
      var normaliser = SIMD8<Float>()
      var forceX = SIMD8<Float>()
      var forceY = SIMD8<Float>()
      let columnX = UnsafeRawPointer(xs)
      let columnY = UnsafeRawPointer(ys)
      var offset = 0
      while offset < stride {
        let dx = x0 - columnX.loadUnaligned(fromByteOffset: 4 * offset, as: SIMD8<Float>.self)
        let dy = y0 - columnY.loadUnaligned(fromByteOffset: 4 * offset, as: SIMD8<Float>.self)
        let kernel = 1 / (1 + dx * dx + dy * dy)
        normaliser += kernel
        let squared = kernel * kernel
        forceX += squared * dx
        forceY += squared * dy
        offset += lanes
      }
      var sums = (normaliser: 0.0, x: 0.0, y: 0.0)
      for lane in 0..<lanes {
        sums.normaliser += Double(normaliser[lane])
        sums.x += Double(forceX[lane])
        sums.y += Double(forceY[lane])
      }
      return sums
    }

    static func scalar(
      _ x: Float, _ y: Float, xs: UnsafePointer<Float>, ys: UnsafePointer<Float>, stride: Int
    ) -> (normaliser: Double, x: Double, y: Double) {
      var sums = (normaliser: 0.0, x: 0.0, y: 0.0)
      for lane in 0..<lanes {
        var normaliser: Float = 0
        var forceX: Float = 0
        var forceY: Float = 0
        var offset = lane
        while offset < stride {
          let dx = x - xs[offset]
          let dy = y - ys[offset]
          let kernel = 1 / (1 + dx * dx + dy * dy)
          normaliser += kernel
          let squared = kernel * kernel
          forceX += squared * dx
          forceY += squared * dy
          offset += lanes
        }
        sums.normaliser += Double(normaliser)
        sums.x += Double(forceX)
        sums.y += Double(forceY)
      }
      return sums
    }
  }
}
