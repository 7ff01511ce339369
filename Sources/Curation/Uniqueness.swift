/// FiftyOne's uniqueness score: how far each sample is from its nearest neighbours.
///
/// The formula of fiftyone-brain's `compute_uniqueness` with its default similarity backend:
/// subtract the mean embedding, take cosine distances, and for each sample the distances
/// d1 ≤ d2 ≤ d3 to its three nearest other samples; the score is the mean of 0.6·d1, 0.3·d2
/// and 0.1·d3, divided by the largest score so that the most unique sample scores 1.
package enum Uniqueness {
  /// The weights of the first, second and third neighbour distances.
  package static let weights: [Double] = [0.6, 0.3, 0.1]

  /// Extra neighbours kept by the `Float` search and re-ranked in `Double`, so that rounding
  /// in the fast kernel cannot change which three distances are used.
  static let slack = 3

  /// The uniqueness of every sample.
  ///
  /// Neighbours come from an exact all-pairs search (a tiled `Float` kernel on all cores);
  /// the distances of the candidates it keeps are then recomputed in `Double` from the
  /// centred embeddings, so the scores agree with a float64 NumPy computation to about 1e-12.
  /// A sample's exact duplicates count as neighbours at distance 0. When every sample has
  /// three exact duplicates the largest score is 0; every score is then 0 (the reference
  /// would divide by zero).
  ///
  /// - Parameter embeddings: N × D embeddings.
  /// - Returns: N scores in [0, 1]; all 1 when N ≤ 3.
  /// - Complexity: O(N² D) time, O(N D) memory.
  package static func scores(_ embeddings: EmbeddingMatrix) -> [Double] {
    let count = embeddings.count
    guard count > weights.count else { return [Double](repeating: 1, count: count) }
    let means = embeddings.columnMeans()
    let rows = UnitRows(embeddings, subtracting: means)
    let keep = min(count - 1, weights.count + slack)
    let lists = CosinePairs.nearest(rows, k: keep)
    defer { lists.release() }
    let exact = ExactCosine(embeddings, means: means)
    var scores = [Double](repeating: 0, count: count)
    scores.withUnsafeMutableBufferPointer { buffer in
      let shared = SharedBuffer(base: buffer)
      let workers = Parallel.workerCount
      Parallel.forEach(workers) { worker in
        var distances = [Double](repeating: 0, count: keep)
        var row = worker
        while row < count {
          for slot in 0..<keep {
            distances[slot] = exact.distance(row, Int(lists.index(row, slot)))
          }
          distances.sort()
          var score = 0.0
          for (weight, distance) in zip(weights, distances) { score += weight * distance }
          shared[row] = score / Double(weights.count)
          row += workers
        }
      }
    }
    let largest = scores.max() ?? 0
    guard largest > 0 else { return [Double](repeating: 0, count: count) }
    return scores.map { $0 / largest }
  }
}

/// Cosine distances between centred rows computed in `Double`.
struct ExactCosine: Sendable {
  let embeddings: EmbeddingMatrix
  let means: [Double]
  /// The length of every centred row.
  let norms: [Double]

  init(_ embeddings: EmbeddingMatrix, means: [Double]) {
    self.embeddings = embeddings
    self.means = means
    let dimension = embeddings.dimension
    norms = (0..<embeddings.count).map { row in
      var squares = 0.0
      for column in 0..<dimension {
        let value = Double(embeddings.values[row * dimension + column]) - means[column]
        squares += value * value
      }
      return squares.squareRoot()
    }
  }

  /// 1 − cos(row, other), clipped to [0, 2] as scikit-learn's `cosine_distances`; a zero row
  /// has similarity 0 with everything.
  func distance(_ row: Int, _ other: Int) -> Double {
    let dimension = embeddings.dimension
    let scale = norms[row] * norms[other]
    guard scale > 0 else { return 1 }
    var dot = 0.0
    embeddings.values.withUnsafeBufferPointer { values in
      let a = row * dimension
      let b = other * dimension
      for column in 0..<dimension {
        dot +=
          (Double(values[a + column]) - means[column])
          * (Double(values[b + column]) - means[column])
      }
    }
    return min(2, max(0, 1 - dot / scale))
  }
}
