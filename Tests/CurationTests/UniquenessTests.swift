import CairnTestSupport
import Curation
import Foundation
import Testing

@Suite struct UniquenessTests {
  @Test func threeOrFewerSamplesAllScoreOne() {
    for count in 0...3 {
      let matrix = EmbeddingMatrix(
        count: count, dimension: 2, values: (0..<(2 * count)).map { Float($0) })
      #expect(Uniqueness.scores(matrix) == [Double](repeating: 1, count: count))
    }
  }

  /// Six unit vectors at 0°, 10°, 20° and their opposites (mean zero, so centring changes
  /// nothing): the 0° and 20° samples have neighbours at 1 − cos 10°, 1 − cos 20° and
  /// 1 + cos 20°; the 10° sample at 1 − cos 10° twice and 1 + cos 10°.
  @Test func handCheckedAngles() {
    let degrees: [Double] = [0, 10, 20, 180, 190, 200]
    let rows = degrees.map { angle -> [Float] in
      let radians = angle * Double.pi / 180
      return [Float(cos(radians)), Float(sin(radians))]
    }
    let scores = Uniqueness.scores(EmbeddingMatrix(rows: rows))
    let c10 = cos(10 * Double.pi / 180)
    let c20 = cos(20 * Double.pi / 180)
    let edge = (0.6 * (1 - c10) + 0.3 * (1 - c20) + 0.1 * (1 + c20)) / 3
    let middle = (0.9 * (1 - c10) + 0.1 * (1 + c10)) / 3
    let largest = max(edge, middle)
    let expected = [edge, middle, edge, edge, middle, edge].map { $0 / largest }
    for (ours, theirs) in zip(scores, expected) {
      #expect(abs(ours - theirs) < 1e-6, "\(scores) vs \(expected)")
    }
  }

  /// The tiled kernel against a plain double-precision search, on shapes that leave partial
  /// tiles and partial 3 × 3 blocks.
  @Test(arguments: [(5, 3), (97, 7), (250, 13), (301, 32)])
  func agreesWithBruteForce(count: Int, dimension: Int) {
    let matrix = clusteredEmbeddings(
      count: count, dimension: dimension, clusters: 4, seed: UInt64(count))
    let scores = Uniqueness.scores(matrix)
    let expected = bruteForceUniqueness(matrix)
    let difference = zip(scores, expected).map { abs($0 - $1) }.max() ?? 0
    #expect(difference < 1e-9)
  }

  @Test func duplicatesAreNeighboursAtDistanceZero() {
    let rows: [[Float]] = [[1, 0], [1, 0], [0, 1], [-1, 0], [0, -1], [0.5, 0.5]]
    let scores = Uniqueness.scores(EmbeddingMatrix(rows: rows))
    #expect(abs(scores[0] - scores[1]) < 1e-12)
    #expect(scores.max() == 1)
  }

  @Test func matchesScikitLearn() throws {
    guard PythonReference.isAvailable() else { return }
    let matrix = clusteredEmbeddings(count: 2_000, dimension: 64, clusters: 12, seed: 7)
    let directory = try TemporaryDirectory("cairn-uniqueness")
    defer { directory.remove() }
    try directory.write(PythonReference.bytes(matrix), to: "embeddings.f32")
    let script = """
      import json, sys
      import numpy as np
      from sklearn.neighbors import NearestNeighbors
      n, d = int(sys.argv[2]), int(sys.argv[3])
      x = np.fromfile(sys.argv[1], dtype=np.float32).reshape(n, d).astype(np.float64)
      x = x - x.mean(axis=0)
      model = NearestNeighbors(n_neighbors=4, metric="cosine", algorithm="brute").fit(x)
      distances, _ = model.kneighbors(x)
      scores = (distances[:, 1:] * np.array([0.6, 0.3, 0.1])).mean(axis=1)
      print(json.dumps((scores / scores.max()).tolist()))

      """
    let output = try PythonReference.run(
      script, [directory.appending("embeddings.f32"), "2000", "64"], in: directory)
    let reference = try #require(output as? [Double])
    let scores = Uniqueness.scores(matrix)
    try #require(reference.count == scores.count)
    let difference = zip(scores, reference).map { abs($0 - $1) }.max() ?? 0
    #expect(difference <= 1e-6, "max |Δ| \(difference)")
  }
}

/// Uniqueness by the definition, in `Double`, comparing every pair.
func bruteForceUniqueness(_ matrix: EmbeddingMatrix) -> [Double] {
  let count = matrix.count
  let dimension = matrix.dimension
  let means = matrix.columnMeans()
  let rows = (0..<count).map { row in
    (0..<dimension).map { Double(matrix.values[row * dimension + $0]) - means[$0] }
  }
  let norms = rows.map { $0.reduce(0) { $0 + $1 * $1 }.squareRoot() }
  var scores: [Double] = []
  for i in 0..<count {
    var distances: [Double] = []
    for j in 0..<count where j != i {
      let dot = zip(rows[i], rows[j]).reduce(0) { $0 + $1.0 * $1.1 }
      let scale = norms[i] * norms[j]
      distances.append(scale > 0 ? min(2, max(0, 1 - dot / scale)) : 1)
    }
    distances.sort()
    scores.append((0.6 * distances[0] + 0.3 * distances[1] + 0.1 * distances[2]) / 3)
  }
  let largest = scores.max() ?? 1
  return scores.map { $0 / largest }
}
