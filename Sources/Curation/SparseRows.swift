/// A sparse square matrix stored row by row, columns ascending within each row.
struct SparseRows: Sendable {
  /// The number of rows (and columns).
  let count: Int
  /// Row `i` is entries `offsets[i]..<offsets[i + 1]`; `count + 1` offsets.
  let offsets: [Int]
  /// The column of each entry.
  let columns: [Int]
  /// The value of each entry.
  var values: [Double]

  /// The weights of a neighbour graph made symmetric.
  ///
  /// Entry (i, j) is `combine(w(i, j), w(j, i))`, where `w(i, j)` is the weight of j in i's
  /// list and 0 when j is not there. `combine` must be commutative, as the sum (t-SNE) and
  /// the fuzzy union a + b − ab (UMAP) are; then the result does not depend on the order in
  /// which the two weights are met.
  ///
  /// - Parameters:
  ///   - graph: The neighbour lists.
  ///   - weights: One weight per entry of `graph.indices`.
  ///   - combine: Joins the two directions' weights.
  /// - Returns: The symmetric matrix.
  static func symmetrised(
    _ graph: NeighbourGraph, weights: [Double], combine: (Double, Double) -> Double
  ) -> SparseRows {
    let count = graph.count
    let k = graph.k
    // Every list entry (i, j) lands in row i and, mirrored, in row j.
    var lengths = [Int](repeating: k, count: count)
    for index in graph.indices { lengths[index] += 1 }
    var starts = [Int](repeating: 0, count: count + 1)
    for row in 0..<count { starts[row + 1] = starts[row] + lengths[row] }
    var filled = Array(starts.dropLast())
    var columns = [Int](repeating: 0, count: starts[count])
    var values = [Double](repeating: 0, count: starts[count])
    for row in 0..<count {
      for slot in 0..<k {
        let other = graph.indices[row * k + slot]
        let weight = weights[row * k + slot]
        columns[filled[row]] = other
        values[filled[row]] = weight
        filled[row] += 1
        columns[filled[other]] = row
        values[filled[other]] = weight
        filled[other] += 1
      }
    }
    var offsets = [0]
    offsets.reserveCapacity(count + 1)
    var mergedColumns: [Int] = []
    var mergedValues: [Double] = []
    mergedColumns.reserveCapacity(columns.count)
    mergedValues.reserveCapacity(values.count)
    var entries: [(column: Int, value: Double)] = []
    for row in 0..<count {
      entries.removeAll(keepingCapacity: true)
      for entry in starts[row]..<starts[row + 1] {
        entries.append((columns[entry], values[entry]))
      }
      entries.sort { $0.column < $1.column }
      var entry = 0
      while entry < entries.count {
        let column = entries[entry].column
        if entry + 1 < entries.count && entries[entry + 1].column == column {
          mergedValues.append(combine(entries[entry].value, entries[entry + 1].value))
          entry += 2
        } else {
          mergedValues.append(combine(entries[entry].value, 0))
          entry += 1
        }
        mergedColumns.append(column)
      }
      offsets.append(mergedColumns.count)
    }
    return SparseRows(count: count, offsets: offsets, columns: mergedColumns, values: mergedValues)
  }
}
