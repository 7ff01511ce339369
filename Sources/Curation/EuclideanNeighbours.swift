/// The `k` nearest other rows of every row, by euclidean distance.
struct NeighbourGraph: Sendable {
  /// The number of rows.
  let count: Int
  /// Neighbours per row.
  let k: Int
  /// `count × k` row indices, nearest first, ties to the smaller index.
  let indices: [Int]
  /// `count × k` euclidean distances, in the order of `indices`.
  let distances: [Double]
}

/// Exact euclidean nearest neighbours of every row among all rows, for the neighbour graphs
/// of t-SNE and UMAP.
enum EuclideanNeighbours {
  /// Candidates kept per row beyond `k` by the `Float` search, so that rounding there cannot
  /// push a true neighbour out of the exact ranking.
  static let spareCandidates = 4

  /// The `k` nearest other rows of every row.
  ///
  /// Candidates come from the all-pairs `Float` kernel of the cosine searches, run on the
  /// mean-centred rows (centring leaves distances unchanged and keeps the norms small, which
  /// limits the cancellation in ‖a‖² + ‖b‖² − 2 a·b); their distances are then recomputed in
  /// `Double` from the original values and ranked again. The order is total, so the result
  /// does not depend on the number of workers.
  ///
  /// - Parameters:
  ///   - embeddings: N × D embeddings.
  ///   - k: Neighbours per row; at most N − 1 are returned.
  /// - Returns: The graph.
  /// - Complexity: O(N² D) time, O(N k) memory per worker.
  static func nearest(_ embeddings: EmbeddingMatrix, k: Int) -> NeighbourGraph {
    let count = embeddings.count
    let k = max(0, min(k, count - 1))
    guard k > 0 else { return NeighbourGraph(count: count, k: 0, indices: [], distances: []) }
    let candidates = min(count - 1, k + spareCandidates)
    let rows = centredRows(embeddings)
    let norms = UnsafeMutablePointer<Float>.allocate(capacity: count)
    defer { norms.deallocate() }
    for row in 0..<count {
      var squares: Float = 0
      for column in 0..<rows.stride {
        let value = rows.values[row * rows.stride + column]
        squares += value * value
      }
      norms[row] = squares
    }
    var visitors = (0..<CosinePairs.workers(for: count)).map { _ in
      DistanceLists(lists: NeighbourLists(rows: count, k: candidates), norms: norms)
    }
    CosinePairs.forEach(rows, visitors: &visitors)
    let lists = visitors[0].lists
    for other in visitors.dropFirst() {
      lists.merge(other.lists, rows: count)
      other.lists.release()
    }
    defer { lists.release() }

    var indices = [Int](repeating: 0, count: count * k)
    var distances = [Double](repeating: 0, count: count * k)
    let dimension = embeddings.dimension
    indices.withUnsafeMutableBufferPointer { indexBuffer in
      distances.withUnsafeMutableBufferPointer { distanceBuffer in
        embeddings.values.withUnsafeBufferPointer { values in
          let indexOutput = SharedBuffer(base: indexBuffer)
          let distanceOutput = SharedBuffer(base: distanceBuffer)
          let source = SharedReadBuffer(base: values)
          let workers = min(Parallel.workerCount, count)
          Parallel.forEach(workers) { worker in
            var ranked: [(distance: Double, index: Int)] = []
            ranked.reserveCapacity(candidates)
            var row = worker
            while row < count {
              ranked.removeAll(keepingCapacity: true)
              for slot in 0..<candidates {
                let other = Int(lists.index(row, slot))
                var squares = 0.0
                for column in 0..<dimension {
                  let difference =
                    Double(source[row * dimension + column])
                    - Double(source[other * dimension + column])
                  squares += difference * difference
                }
                ranked.append((squares.squareRoot(), other))
              }
              ranked.sort {
                $0.distance < $1.distance || ($0.distance == $1.distance && $0.index < $1.index)
              }
              for slot in 0..<k {
                indexOutput[row * k + slot] = ranked[slot].index
                distanceOutput[row * k + slot] = ranked[slot].distance
              }
              row += workers
            }
          }
        }
      }
    }
    return NeighbourGraph(count: count, k: k, indices: indices, distances: distances)
  }

  /// The rows minus their mean, as `Float`, padded with zeros to a multiple of 4 floats.
  private static func centredRows(_ embeddings: EmbeddingMatrix) -> UnitRows {
    let dimension = embeddings.dimension
    let stride = (dimension + 3) / 4 * 4
    let means = embeddings.columnMeans()
    var values = [Float](repeating: 0, count: embeddings.count * stride)
    for row in 0..<embeddings.count {
      for column in 0..<dimension {
        values[row * stride + column] = Float(
          Double(embeddings.values[row * dimension + column]) - means[column])
      }
    }
    return UnitRows(count: embeddings.count, stride: stride, values: values)
  }
}

/// Keeps, for every row, the rows of smallest squared distance ‖a‖² + ‖b‖² − 2 a·b, as
/// neighbour lists ranked by its negation.
private struct DistanceLists: PairVisitor, @unchecked Sendable {
  var lists: NeighbourLists
  let norms: UnsafeMutablePointer<Float>

  @inline(__always)
  mutating func visit(_ row: Int, _ column: Int, _ similarity: Float) {
    lists.visit(row, column, 2 * similarity - norms[row] - norms[column])
  }
}
