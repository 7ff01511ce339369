import Testing

@testable import Curation

@Suite struct EuclideanNeighboursTests {
  @Test(arguments: [(7, 3, 2), (150, 5, 10), (301, 33, 15)])
  func agreeWithBruteForce(count: Int, dimension: Int, k: Int) {
    var (matrix, _) = labelledClusters(
      count: count, dimension: dimension, clusters: 4, seed: UInt64(count))
    // Rows 1 and 2 are copies of row 0: neighbours at distance 0, ties to the smaller index.
    for column in 0..<dimension {
      matrix.values[dimension + column] = matrix.values[column]
      matrix.values[2 * dimension + column] = matrix.values[column]
    }
    let graph = EuclideanNeighbours.nearest(matrix, k: k)
    #expect(graph.k == min(k, count - 1))
    var mismatches: [Int] = []
    for row in 0..<count {
      var distances: [(Double, Int)] = []
      for other in 0..<count where other != row {
        var squares = 0.0
        for column in 0..<dimension {
          let difference =
            Double(matrix.values[row * dimension + column])
            - Double(matrix.values[other * dimension + column])
          squares += difference * difference
        }
        distances.append((squares.squareRoot(), other))
      }
      let expected = distances.sorted { $0 < $1 }.prefix(graph.k)
      let indices = Array(graph.indices[(row * graph.k)..<((row + 1) * graph.k)])
      let found = Array(graph.distances[(row * graph.k)..<((row + 1) * graph.k)])
      if indices != expected.map(\.1) || found != expected.map(\.0) { mismatches.append(row) }
    }
    #expect(mismatches.isEmpty, "rows \(mismatches.prefix(5))")
    #expect(graph.indices[0] == 1 && graph.distances[0] == 0)
  }
}
