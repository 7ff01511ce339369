/// A neighbour found by `Neighbours.nearest`.
package struct Neighbour: Sendable, Equatable {
  /// The pool sample.
  package var index: Int
  /// Its cosine distance from the query.
  package var distance: Double

  /// A neighbour.
  ///
  /// - Parameters:
  ///   - index: The pool sample.
  ///   - distance: Its cosine distance from the query.
  package init(index: Int, distance: Double) {
    self.index = index
    self.distance = distance
  }
}

/// Cosine nearest neighbours of some queries among a pool of samples.
package enum Neighbours {
  /// The `k` pool samples nearest to each query sample (a query never neighbours itself).
  ///
  /// - Parameters:
  ///   - queries: Sample indices to search from (failures, say).
  ///   - pool: The sample indices that may be returned (the unlabelled pool).
  ///   - embeddings: N × D embeddings of all samples.
  ///   - k: Neighbours per query.
  ///   - centred: Subtract the mean embedding first (recommended: cosine similarity of
  ///     uncentred embeddings ignores a shift shared by a whole slice, such as darkness).
  /// - Returns: Per query, up to `k` neighbours, nearest first, ties to the smaller index.
  package static func nearest(
    queries: [Int], in pool: [Int], of embeddings: EmbeddingMatrix, k: Int, centred: Bool = true
  ) -> [[Neighbour]] {
    let rows = UnitRows(embeddings, subtracting: centred ? embeddings.columnMeans() : nil)
    return search(
      queryCount: queries.count, queryRow: { query in rows.row(queries[query]) },
      exclude: { queries[$0] }, pool: pool, rows: rows, k: k)
  }

  /// The `k` pool samples nearest to each query embedding.
  ///
  /// - Parameters:
  ///   - queries: Embeddings from outside the matrix (same dimension), centred with the
  ///     matrix's mean when `centred`.
  ///   - pool: The sample indices that may be returned.
  ///   - embeddings: N × D embeddings of all samples.
  ///   - k: Neighbours per query.
  ///   - centred: Subtract the matrix's mean embedding from both sides first.
  /// - Returns: Per query, up to `k` neighbours, nearest first, ties to the smaller index.
  package static func nearest(
    queries: EmbeddingMatrix, in pool: [Int], of embeddings: EmbeddingMatrix, k: Int,
    centred: Bool = true
  ) -> [[Neighbour]] {
    precondition(queries.dimension == embeddings.dimension, "queries of another dimension")
    let means = centred ? embeddings.columnMeans() : nil
    let rows = UnitRows(embeddings, subtracting: means)
    let queryRows = UnitRows(queries, subtracting: means)
    return search(
      queryCount: queries.count, queryRow: { queryRows.row($0) }, exclude: { _ in -1 },
      pool: pool, rows: rows, k: k)
  }

  private static func search(
    queryCount: Int, queryRow: (Int) -> [Float], exclude: (Int) -> Int, pool: [Int],
    rows: UnitRows, k: Int
  ) -> [[Neighbour]] {
    guard k > 0 else { return [[Neighbour]](repeating: [], count: queryCount) }
    var results = [[Neighbour]](repeating: [], count: queryCount)
    let stride = rows.stride
    let queries = (0..<queryCount).map { (row: queryRow($0), excluded: exclude($0)) }
    results.withUnsafeMutableBufferPointer { buffer in
      rows.values.withUnsafeBufferPointer { values in
        let shared = SharedBuffer(base: buffer)
        let matrix = SharedReadBuffer(base: values)
        let workers = min(Parallel.workerCount, max(1, queryCount))
        Parallel.forEach(workers) { worker in
          guard let base = matrix.base.baseAddress else { return }
          var query = worker
          while query < queryCount {
            var best: [(similarity: Float, index: Int)] = []
            queries[query].row.withUnsafeBufferPointer { row in
              guard let target = row.baseAddress else { return }
              for sample in pool where sample != queries[query].excluded {
                var dot = SIMD4<Float>()
                var offset = 0
                while offset < stride {
                  dot += load4(base + sample * stride + offset) * load4(target + offset)
                  offset += 4
                }
                let similarity = dot.sum()
                if best.count == k {
                  guard let last = best.last,
                    similarity > last.similarity
                      || (similarity == last.similarity && sample < last.index)
                  else { continue }
                  best.removeLast()
                }
                var position = best.count
                while position > 0
                  && (best[position - 1].similarity < similarity
                    || (best[position - 1].similarity == similarity
                      && best[position - 1].index > sample))
                {
                  position -= 1
                }
                best.insert((similarity, sample), at: position)
              }
            }
            shared[query] = best.map {
              Neighbour(index: $0.index, distance: min(2, max(0, 1 - Double($0.similarity))))
            }
            query += workers
          }
        }
      }
    }
    return results
  }
}

extension UnitRows {
  /// The floats of row `index`, padding included.
  ///
  /// - Parameter index: A row index.
  /// - Returns: `stride` floats.
  func row(_ index: Int) -> [Float] {
    Array(values[(index * stride)..<((index + 1) * stride)])
  }
}

/// Targeting: labelling the pool samples nearest to a model's failures.
package enum Targeting {
  /// Picks pool samples near the failures, round-robin over the failures.
  ///
  /// Each failure gets its `perFailure` nearest pool samples (cosine, centred); then round r
  /// takes the r-th neighbour of every failure in the caller's order (put false negatives
  /// first), skipping samples already picked, until `budget` samples are picked or the lists
  /// run out.
  ///
  /// - Parameters:
  ///   - failures: Failure samples, most important first.
  ///   - pool: Samples that may be picked (unlabelled, outside frozen test and golden sets).
  ///   - perFailure: Neighbours considered per failure (5 in FiftyOne's tutorial).
  ///   - budget: The most samples to pick.
  ///   - embeddings: N × D embeddings of all samples.
  ///   - centred: Subtract the mean embedding before cosine distances.
  /// - Returns: The picked samples, in pick order, without repeats.
  package static func pick(
    failures: [Int], pool: [Int], perFailure: Int, budget: Int, embeddings: EmbeddingMatrix,
    centred: Bool = true
  ) -> [Int] {
    guard budget > 0, perFailure > 0 else { return [] }
    let lists = Neighbours.nearest(
      queries: failures, in: pool, of: embeddings, k: perFailure, centred: centred)
    var picked: [Int] = []
    var seen = Set<Int>()
    for round in 0..<perFailure {
      for list in lists where round < list.count {
        guard picked.count < budget else { return picked }
        if seen.insert(list[round].index).inserted { picked.append(list[round].index) }
      }
    }
    return picked
  }
}
