/// Principal component analysis down to two dimensions, for maps of an embedding space.
package enum PCA {
  /// The coordinates of every row on the first two principal components.
  ///
  /// The covariance of the mean-centred rows is built once (D × D) and its two leading
  /// eigenvectors found by power iteration with deflation, from a fixed start, so the map is
  /// deterministic; each component's sign is fixed so that its largest coefficient is
  /// positive.
  ///
  /// - Parameter embeddings: N × D embeddings.
  /// - Returns: N points `(x, y)`; all zero when N < 2.
  package static func project(_ embeddings: EmbeddingMatrix) -> [(x: Double, y: Double)] {
    let n = embeddings.count
    let d = embeddings.dimension
    guard n >= 2, d >= 1 else { return Array(repeating: (0, 0), count: n) }
    var mean = [Double](repeating: 0, count: d)
    for row in 0..<n {
      for column in 0..<d { mean[column] += Double(embeddings.values[row * d + column]) }
    }
    for column in 0..<d { mean[column] /= Double(n) }
    var covariance = [Double](repeating: 0, count: d * d)
    var centred = [Double](repeating: 0, count: d)
    for row in 0..<n {
      for column in 0..<d {
        centred[column] = Double(embeddings.values[row * d + column]) - mean[column]
      }
      for a in 0..<d where centred[a] != 0 {
        let value = centred[a]
        for b in a..<d { covariance[a * d + b] += value * centred[b] }
      }
    }
    for a in 0..<d {
      for b in a..<d {
        covariance[a * d + b] /= Double(n - 1)
        covariance[b * d + a] = covariance[a * d + b]
      }
    }
    let first = leadingVector(covariance, d: d, excluding: [])
    let second =
      d > 1 ? leadingVector(covariance, d: d, excluding: [first]) : [Double](repeating: 0, count: d)
    return (0..<n).map { row in
      var x = 0.0
      var y = 0.0
      for column in 0..<d {
        let value = Double(embeddings.values[row * d + column]) - mean[column]
        x += value * first[column]
        y += value * second[column]
      }
      return (x, y)
    }
  }

  /// The leading eigenvector of a symmetric matrix, orthogonal to `excluding`.
  private static func leadingVector(_ matrix: [Double], d: Int, excluding: [[Double]])
    -> [Double]
  {
    var vector = (0..<d).map { 1 + Double($0 % 7) / 10 }
    func orthogonalise(_ v: inout [Double]) {
      for other in excluding {
        let dot = zip(v, other).reduce(0) { $0 + $1.0 * $1.1 }
        for index in 0..<d { v[index] -= dot * other[index] }
      }
    }
    func normalise(_ v: inout [Double]) -> Bool {
      let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
      guard norm > 1e-300 else { return false }
      for index in 0..<d { v[index] /= norm }
      return true
    }
    orthogonalise(&vector)
    guard normalise(&vector) else { return [Double](repeating: 0, count: d) }
    for _ in 0..<300 {
      var next = [Double](repeating: 0, count: d)
      for a in 0..<d {
        var sum = 0.0
        for b in 0..<d { sum += matrix[a * d + b] * vector[b] }
        next[a] = sum
      }
      orthogonalise(&next)
      guard normalise(&next) else { return [Double](repeating: 0, count: d) }
      let change = zip(next, vector).reduce(0) { max($0, abs($1.0 - $1.1)) }
      vector = next
      if change < 1e-12 { break }
    }
    if let largest = vector.indices.max(by: { abs(vector[$0]) < abs(vector[$1]) }),
      vector[largest] < 0
    {
      vector = vector.map { -$0 }
    }
    return vector
  }
}
