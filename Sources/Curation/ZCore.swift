#if canImport(Glibc)
import Glibc
#endif

/// The parameters of a ZCore run, with the reference's defaults.
package struct ZCoreParameters: Sendable, Equatable {
  /// The number of random draws; nil for min(1 000 000, 10 · N), the FiftyOne plugin's choice.
  package var sampleCount: Int?
  /// How many embedding dimensions each draw looks at.
  package var sampleDimension: Int
  /// How many neighbours of a covering point share its redundancy penalty.
  ///
  /// The reference's scoring function ignores its own `redund_nn` argument and always uses
  /// 1000, so 1000 is the default here; other values are honoured.
  package var redundancyNeighbours: Int
  /// The exponent of the inverse-distance redundancy weights.
  package var redundancyExponent: Double
  /// Whether to start every score at uniform(0, 1) noise, which breaks ties.
  package var randomInitialisation: Bool

  /// Parameters for a run; every argument defaults to the reference's value.
  ///
  /// - Parameters:
  ///   - sampleCount: Draws in total, or nil for min(1 000 000, 10 · N).
  ///   - sampleDimension: Dimensions per draw (`sample_dim`, 2).
  ///   - redundancyNeighbours: Neighbours penalised per draw (`redund_nn`, 1000).
  ///   - redundancyExponent: Inverse-distance exponent (`redund_exp`, 4).
  ///   - randomInitialisation: Start from uniform noise (`rand_init`, true).
  package init(
    sampleCount: Int? = nil, sampleDimension: Int = 2, redundancyNeighbours: Int = 1000,
    redundancyExponent: Double = 4, randomInitialisation: Bool = true
  ) {
    precondition(sampleDimension >= 1, "sampleDimension must be at least 1")
    precondition(redundancyNeighbours >= 1, "redundancyNeighbours must be at least 1")
    self.sampleCount = sampleCount
    self.sampleDimension = sampleDimension
    self.redundancyNeighbours = redundancyNeighbours
    self.redundancyExponent = redundancyExponent
    self.randomInitialisation = randomInitialisation
  }

  /// The number of draws for `count` samples.
  ///
  /// - Parameter count: N, the number of samples.
  /// - Returns: `sampleCount`, or min(1 000 000, 10 · N) when it is nil.
  package func draws(for count: Int) -> Int {
    sampleCount ?? min(1_000_000, 10 * count)
  }
}

/// ZCore zero-shot coreset scores (voxel51/zcore's `zcore_score`): coverage minus redundancy
/// of each sample under random draws in random low-dimensional subspaces.
///
/// Each draw picks `sampleDimension` distinct dimensions and a point whose coordinates follow
/// the triangular distribution (min, median, max) of each dimension; the sample nearest to it
/// by L1 distance in that subspace gains 1, and that sample's `redundancyNeighbours` nearest
/// other samples (L1, same subspace; equal distances in an arbitrary order) lose d⁻ᵉ / Σ d⁻ᵉ
/// each, or, when the covering sample has exact duplicates in the subspace, one of those copies
/// (chosen uniformly, never the covering sample itself) loses 1. Scores start at uniform noise
/// and are min–max normalised to [0, 1]; higher means more worth labelling.
package enum ZCore {
  /// The most chunks the draws are split into; each chunk has its own generator and score
  /// array, summed in chunk order, so the result does not depend on the thread count.
  static let maximumChunks = 64
  /// The fewest draws per chunk.
  static let minimumChunkDraws = 2_048
  /// The value padding columns to a multiple of 8; far from any draw.
  static let padding: Float = 1e30

  /// The ZCore score of every sample.
  ///
  /// Dimensions whose minimum equals their maximum (an always-zero pixel, say) carry no
  /// information and would break the triangular draw; they are never chosen. When fewer than
  /// `sampleDimension` dimensions vary, no draw is made and the scores are the noise alone
  /// (or all 0 without it). When every score is equal, every score is 0.
  ///
  /// - Parameters:
  ///   - embeddings: N × D embeddings.
  ///   - parameters: The run's parameters.
  ///   - seed: Fixes every random choice: the same seed gives the same scores on any machine
  ///     and thread count.
  /// - Returns: N scores in [0, 1].
  /// - Complexity: O(draws · N · sampleDimension) time; O(N D) memory plus one score array
  ///   per chunk.
  package static func scores(
    _ embeddings: EmbeddingMatrix, parameters: ZCoreParameters = ZCoreParameters(),
    seed: UInt64
  ) -> [Double] {
    let count = embeddings.count
    guard count > 0 else { return [] }
    let columns = ColumnStatistics(embeddings)
    var scores = [Double](repeating: 0, count: count)
    let draws = parameters.draws(for: count)
    if columns.varying.count >= parameters.sampleDimension && count > 1 && draws > 0 {
      let chunkDraws = max(
        minimumChunkDraws, (draws + maximumChunks - 1) / maximumChunks)
      let chunks = (draws + chunkDraws - 1) / chunkDraws
      var chunkScores = [[Double]](repeating: [], count: chunks)
      chunkScores.withUnsafeMutableBufferPointer { buffer in
        let shared = SharedBuffer(base: buffer)
        let workers = min(Parallel.workerCount, chunks)
        Parallel.forEach(workers) { worker in
          var drawer = ZCoreDrawer(columns: columns, parameters: parameters)
          var chunk = worker
          while chunk < chunks {
            var random = SeededRandom(seed: seed, stream: UInt64(chunk) + 1)
            let first = chunk * chunkDraws
            shared[chunk] = drawer.run(draws: min(chunkDraws, draws - first), random: &random)
            chunk += workers
          }
        }
      }
      for chunk in chunkScores {
        for index in 0..<count { scores[index] += chunk[index] }
      }
    }
    if parameters.randomInitialisation {
      var random = SeededRandom(seed: seed, stream: 0)
      for index in 0..<count { scores[index] += random.unit() }
    }
    return minMaxNormalised(scores)
  }

  /// `values` mapped linearly onto [0, 1]; all 0 when they are all equal.
  static func minMaxNormalised(_ values: [Double]) -> [Double] {
    guard let low = values.min(), let high = values.max(), high > low else {
      return [Double](repeating: 0, count: values.count)
    }
    return values.map { ($0 - low) / (high - low) }
  }
}

/// The embeddings column by column, with each column's minimum, median and maximum.
struct ColumnStatistics: Sendable {
  let count: Int
  /// Rows per column: `count` rounded up to a multiple of 8, padded with `ZCore.padding`.
  let stride: Int
  /// `dimension × stride` floats, column-major.
  let values: [Float]
  let minimum: [Double]
  let median: [Double]
  let maximum: [Double]
  /// The dimensions whose minimum is below their maximum.
  let varying: [Int]

  init(_ embeddings: EmbeddingMatrix) {
    let count = embeddings.count
    let dimension = embeddings.dimension
    let stride = (count + 7) / 8 * 8
    var values = [Float](repeating: ZCore.padding, count: dimension * stride)
    for row in 0..<count {
      for column in 0..<dimension {
        values[column * stride + row] = embeddings.values[row * dimension + column]
      }
    }
    var minimum = [Double](repeating: 0, count: dimension)
    var median = minimum
    var maximum = minimum
    for column in 0..<dimension {
      let sorted = values[(column * stride)..<(column * stride + count)].sorted()
      guard let low = sorted.first, let high = sorted.last else { continue }
      minimum[column] = Double(low)
      maximum[column] = Double(high)
      // numpy's median: the mean of the two middle values for an even count.
      median[column] =
        count % 2 == 1
        ? Double(sorted[count / 2])
        : (Double(sorted[count / 2 - 1]) + Double(sorted[count / 2])) / 2
    }
    self.count = count
    self.stride = stride
    self.values = values
    self.minimum = minimum
    self.median = median
    self.maximum = maximum
    varying = (0..<dimension).filter { maximum[$0] > minimum[$0] }
  }
}

/// One worker's state: scratch buffers reused from draw to draw.
struct ZCoreDrawer {
  let columns: ColumnStatistics
  let parameters: ZCoreParameters
  /// The varying dimensions, partially shuffled by each draw.
  private var dimensions: [Int]
  private var distances: [Float]
  private var keys: [UInt64]
  private var point: [Float]
  private var chosen: [Int]
  private var weights: [Double]

  init(columns: ColumnStatistics, parameters: ZCoreParameters) {
    self.columns = columns
    self.parameters = parameters
    dimensions = columns.varying
    distances = [Float](repeating: 0, count: columns.stride)
    keys = [UInt64](repeating: 0, count: columns.count)
    point = [Float](repeating: 0, count: parameters.sampleDimension)
    chosen = [Int](repeating: 0, count: parameters.sampleDimension)
    weights = [Double](repeating: 0, count: min(parameters.redundancyNeighbours, columns.count))
  }

  /// Makes `draws` draws and returns the score changes they cause.
  mutating func run(draws: Int, random: inout SeededRandom) -> [Double] {
    var scores = [Double](repeating: 0, count: columns.count)
    dimensions = columns.varying
    for _ in 0..<draws { draw(&scores, &random) }
    return scores
  }

  private mutating func draw(_ scores: inout [Double], _ random: inout SeededRandom) {
    let count = columns.count
    let sampleDimension = parameters.sampleDimension
    // Distinct dimensions by a partial Fisher–Yates shuffle, and a triangular point.
    for slot in 0..<sampleDimension {
      let pick = slot + random.below(dimensions.count - slot)
      dimensions.swapAt(slot, pick)
      let dimension = dimensions[slot]
      chosen[slot] = dimension
      point[slot] = Float(
        Self.triangular(
          columns.minimum[dimension], columns.median[dimension], columns.maximum[dimension],
          random.unit()))
    }
    let covering = nearest()
    scores[covering] += 1

    for slot in 0..<sampleDimension {
      point[slot] = columns.values[chosen[slot] * columns.stride + covering]
    }
    l1Distances()
    // The redundancy neighbours: the smallest keys (distance, then a tag that orders equal
    // distances arbitrarily, as numpy's unstable sort does) of the other samples.
    let order = TieOrder(salt: UInt32(truncatingIfNeeded: random.next()))
    var keyCount = 0
    distances.withUnsafeBufferPointer { distances in
      keys.withUnsafeMutableBufferPointer { keys in
        for index in 0..<count where index != covering {
          keys[keyCount] = UInt64(distances[index].bitPattern) << 32 | UInt64(order.tag(index))
          keyCount += 1
        }
        let neighbours = min(parameters.redundancyNeighbours, keyCount)
        Selection.smallest(neighbours, of: keys, count: keyCount)
      }
    }
    let neighbours = min(parameters.redundancyNeighbours, keyCount)
    guard neighbours > 0 else { return }
    var closest = 0
    for slot in 1..<max(1, neighbours) where keys[slot] < keys[closest] { closest = slot }
    let closestDistance = Double(Float(bitPattern: UInt32(keys[closest] >> 32)))
    if closestDistance == 0 {
      // Exact copies of the covering sample: the sample itself is dropped and one copy, chosen
      // uniformly, loses 1 (the reference takes whichever copy numpy's sort puts first, an
      // order that depends on the numpy build; see `ReferencePorts.zcore`).
      var copies = 0
      for index in 0..<count where distances[index] == 0 && index != covering { copies += 1 }
      var choice = random.below(copies)
      for index in 0..<count where distances[index] == 0 && index != covering {
        if choice == 0 {
          scores[index] -= 1
          return
        }
        choice -= 1
      }
      return
    }
    var total = 0.0
    for slot in 0..<neighbours {
      let distance = Double(Float(bitPattern: UInt32(keys[slot] >> 32)))
      let weight = Self.power(closestDistance / distance, parameters.redundancyExponent)
      weights[slot] = weight
      total += weight
    }
    for slot in 0..<neighbours {
      scores[order.index(keys[slot])] -= weights[slot] / total
    }
  }

  /// The first sample at the smallest L1 distance from `point` in the chosen dimensions.
  private mutating func nearest() -> Int {
    l1Distances()
    return distances.withUnsafeBufferPointer { distances in
      guard let base = distances.baseAddress else { return 0 }
      var lowest = SIMD8<Float>(repeating: .infinity)
      var offset = 0
      while offset < columns.stride {
        lowest = pointwiseMin(
          lowest, UnsafeRawPointer(base + offset).loadUnaligned(as: SIMD8<Float>.self))
        offset += 8
      }
      let target = lowest.min()
      for index in 0..<columns.count where distances[index] == target { return index }
      return 0
    }
  }

  /// Fills `distances` with every sample's L1 distance from `point` in the chosen dimensions.
  private mutating func l1Distances() {
    let stride = columns.stride
    distances.withUnsafeMutableBufferPointer { distances in
      columns.values.withUnsafeBufferPointer { values in
        guard let output = distances.baseAddress, let input = values.baseAddress else { return }
        for slot in 0..<parameters.sampleDimension {
          let column = input + chosen[slot] * stride
          let centre = SIMD8<Float>(repeating: point[slot])
          var offset = 0
          while offset < stride {
            let value = UnsafeRawPointer(column + offset).loadUnaligned(as: SIMD8<Float>.self)
            var difference = value - centre
            difference.replace(with: -difference, where: difference .< 0)
            let target = UnsafeMutableRawPointer(output + offset)
            if slot == 0 {
              target.storeBytes(of: difference, as: SIMD8<Float>.self)
            } else {
              let sum = target.loadUnaligned(as: SIMD8<Float>.self) + difference
              target.storeBytes(of: sum, as: SIMD8<Float>.self)
            }
            offset += 8
          }
        }
      }
    }
  }

  /// A draw from the triangular distribution on [low, high] with mode `mode`, by inverting its
  /// distribution function at `unit` ∈ [0, 1).
  static func triangular(_ low: Double, _ mode: Double, _ high: Double, _ unit: Double) -> Double {
    let width = high - low
    let split = (mode - low) / width
    if unit < split { return low + (unit * width * (mode - low)).squareRoot() }
    return high - ((1 - unit) * width * (high - mode)).squareRoot()
  }

  /// `base` raised to `exponent`, by repeated squaring when the exponent is a small integer.
  static func power(_ base: Double, _ exponent: Double) -> Double {
    if exponent == 4 {
      let square = base * base
      return square * square
    }
    if exponent == exponent.rounded(), abs(exponent) <= 64 {
      var result = 1.0
      var factor = exponent < 0 ? 1 / base : base
      var remaining = Int(abs(exponent))
      while remaining > 0 {
        if remaining & 1 == 1 { result *= factor }
        factor *= factor
        remaining >>= 1
      }
      return result
    }
    return pow(base, exponent)
  }
}

/// A per-draw order among samples at equal distance: each index maps to a 32-bit tag by a
/// bijection salted from the draw's generator, and keys sort by tag after distance.
///
/// Breaking ties by index would always favour the first rows of the dataset whenever more
/// samples share the distance at the `redundancyNeighbours` boundary than fit (common on
/// integer embeddings such as raw pixels); the reference's numpy sort leaves that order
/// arbitrary, and so does this.
struct TieOrder {
  /// An odd multiplier (the 32-bit golden ratio), invertible modulo 2³².
  static let multiplier: UInt32 = 0x9E37_79B1
  /// The inverse of `multiplier` modulo 2³², by Newton's iteration (each step doubles the
  /// correct low bits, from 3 to more than 32).
  static let inverse: UInt32 = {
    var inverse = multiplier
    for _ in 0..<4 { inverse = inverse &* (2 &- multiplier &* inverse) }
    return inverse
  }()

  let salt: UInt32

  /// The tag of sample `index` (below 2³²).
  func tag(_ index: Int) -> UInt32 {
    (UInt32(truncatingIfNeeded: index) ^ salt) &* Self.multiplier
  }

  /// The sample index in the low 32 bits of `key`.
  func index(_ key: UInt64) -> Int {
    Int((UInt32(truncatingIfNeeded: key) &* Self.inverse) ^ salt)
  }
}

/// Partial selection (as C++'s `nth_element`) on 64-bit keys.
enum Selection {
  /// Moves the `k` smallest of the first `count` keys to the front, in no particular order.
  ///
  /// Quickselect with a median-of-three pivot; average O(count).
  static func smallest(_ k: Int, of keys: UnsafeMutableBufferPointer<UInt64>, count: Int) {
    guard k > 0, k < count else { return }
    var low = 0
    var high = count - 1
    let target = k - 1
    while low < high {
      let middle = low + (high - low) / 2
      // Median of three as the pivot.
      if keys[middle] < keys[low] { keys.swapAt(middle, low) }
      if keys[high] < keys[low] { keys.swapAt(high, low) }
      if keys[high] < keys[middle] { keys.swapAt(high, middle) }
      let pivot = keys[middle]
      var i = low
      var j = high
      while i <= j {
        while keys[i] < pivot { i += 1 }
        while keys[j] > pivot { j -= 1 }
        if i <= j {
          keys.swapAt(i, j)
          i += 1
          j -= 1
        }
      }
      if target <= j {
        high = j
      } else if target >= i {
        low = i
      } else {
        return
      }
    }
  }
}
