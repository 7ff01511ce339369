/// Embeddings of `count` samples, `dimension` floats each, stored row by row.
///
/// Row `i` is `values[i * dimension ..< (i + 1) * dimension]`. The curation algorithms take
/// embeddings in this form so that callers can hand over one contiguous buffer (as read from
/// a `.npy` file or a model's output) without per-sample arrays.
package struct EmbeddingMatrix: Sendable {
  /// The number of rows (samples).
  package var count: Int
  /// The number of columns (floats per embedding).
  package var dimension: Int
  /// The `count × dimension` floats, row-major.
  package var values: [Float]

  /// Wraps row-major values.
  ///
  /// - Parameters:
  ///   - count: The number of rows.
  ///   - dimension: The number of floats in each row.
  ///   - values: Exactly `count * dimension` floats, row after row.
  package init(count: Int, dimension: Int, values: [Float]) {
    precondition(count >= 0 && dimension >= 0, "negative embedding shape")
    precondition(values.count == count * dimension, "values do not fill \(count) × \(dimension)")
    self.count = count
    self.dimension = dimension
    self.values = values
  }

  /// Builds a matrix from one array per row.
  ///
  /// - Parameter rows: Rows of equal length.
  package init(rows: [[Float]]) {
    let dimension = rows.first?.count ?? 0
    precondition(rows.allSatisfy { $0.count == dimension }, "rows of different lengths")
    self.init(count: rows.count, dimension: dimension, values: rows.flatMap { $0 })
  }

  /// The floats of row `index`.
  ///
  /// - Parameter index: A row index.
  /// - Returns: A copy of that row.
  package func row(_ index: Int) -> [Float] {
    Array(values[(index * dimension)..<((index + 1) * dimension)])
  }

  /// The mean of every column, accumulated in `Double`.
  ///
  /// - Returns: `dimension` means (all zero for an empty matrix).
  package func columnMeans() -> [Double] {
    var sums = [Double](repeating: 0, count: dimension)
    guard count > 0 else { return sums }
    values.withUnsafeBufferPointer { values in
      for row in 0..<count {
        let base = row * dimension
        for column in 0..<dimension { sums[column] += Double(values[base + column]) }
      }
    }
    return sums.map { $0 / Double(count) }
  }

  /// The matrix with its mean row subtracted from every row.
  ///
  /// The FiftyOne similarity backend centres embeddings this way before cosine distances, and
  /// cosine neighbours of centred embeddings no longer ignore a shift shared by a whole slice
  /// (a dark "night" slice, say).
  ///
  /// - Returns: The centred matrix (means in `Double`, rounded back to `Float`).
  package func centred() -> EmbeddingMatrix {
    let means = columnMeans()
    var centred = values
    for row in 0..<count {
      let base = row * dimension
      for column in 0..<dimension {
        centred[base + column] = Float(Double(values[base + column]) - means[column])
      }
    }
    return EmbeddingMatrix(count: count, dimension: dimension, values: centred)
  }
}
