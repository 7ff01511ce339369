import CairnTestSupport
import Foundation
import Testing

@testable import Curation

/// The tests' seeded generator.
typealias TestGenerator = TestRandom

/// Embeddings around `clusters` random centres, with Gaussian spread.
func clusteredEmbeddings(count: Int, dimension: Int, clusters: Int, seed: UInt64)
  -> EmbeddingMatrix
{
  var random = TestGenerator(seed: seed)
  let centres = (0..<clusters).map { _ in (0..<dimension).map { _ in 3 * random.normal() } }
  var values: [Float] = []
  values.reserveCapacity(count * dimension)
  for _ in 0..<count {
    let centre = centres[Int(random.next() % UInt64(clusters))]
    for column in 0..<dimension { values.append(Float(centre[column] + random.normal())) }
  }
  return EmbeddingMatrix(count: count, dimension: dimension, values: values)
}

/// Runs Python scripts that use numpy and scikit-learn.
enum PythonReference {
  /// Whether `python3` imports numpy and scikit-learn; under CI their absence is a failure.
  static func isAvailable() -> Bool {
    let available =
      (try? CommandRunner.run(
        "/usr/bin/env", ["python3", "-c", "import numpy, sklearn"], in: "/"
      ).exitCode) == 0
    if !available {
      if Fixtures.isCI {
        Issue.record("python3 with numpy and scikit-learn is required under CI")
      } else {
        print("skipping: python3 cannot import numpy and sklearn")
      }
    }
    return available
  }

  /// Writes `script` into `directory`, runs it with `arguments` and returns its last line of
  /// output, parsed as JSON.
  static func run(_ script: String, _ arguments: [String], in directory: TemporaryDirectory)
    throws -> Any
  {
    try directory.write(script, to: "reference.py")
    let result = try CommandRunner.run(
      "/usr/bin/env", ["python3", directory.appending("reference.py")] + arguments,
      in: directory.path)
    try #require(result.exitCode == 0, "\(result)")
    let line = try #require(result.stdout.split(separator: "\n").last)
    return try JSONSerialization.jsonObject(with: Data(line.utf8))
  }

  /// The raw little-endian float32 bytes of a matrix, for `numpy.fromfile`.
  static func bytes(_ matrix: EmbeddingMatrix) -> [UInt8] {
    matrix.values.withUnsafeBytes { Array($0) }
  }
}

/// Spearman's rank correlation (average ranks for ties).
func spearman(_ a: [Double], _ b: [Double]) -> Double {
  pearson(ranks(a), ranks(b))
}

private func ranks(_ values: [Double]) -> [Double] {
  let order = values.indices.sorted { values[$0] < values[$1] }
  var ranks = [Double](repeating: 0, count: values.count)
  var start = 0
  while start < order.count {
    var end = start
    while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
    let average = Double(start + end) / 2
    for position in start...end { ranks[order[position]] = average }
    start = end + 1
  }
  return ranks
}

private func pearson(_ a: [Double], _ b: [Double]) -> Double {
  let meanA = a.reduce(0, +) / Double(a.count)
  let meanB = b.reduce(0, +) / Double(b.count)
  var covariance = 0.0
  var varianceA = 0.0
  var varianceB = 0.0
  for (x, y) in zip(a, b) {
    covariance += (x - meanA) * (y - meanB)
    varianceA += (x - meanA) * (x - meanA)
    varianceB += (y - meanB) * (y - meanB)
  }
  return covariance / (varianceA * varianceB).squareRoot()
}

/// The fraction of the top `fraction` of `a` (by score) that is also in the top of `b`.
func topOverlap(_ a: [Double], _ b: [Double], fraction: Double) -> Double {
  let size = max(1, Int(Double(a.count) * fraction))
  let topA = Set(a.indices.sorted { a[$0] > a[$1] }.prefix(size))
  let topB = Set(b.indices.sorted { b[$0] > b[$1] }.prefix(size))
  return Double(topA.intersection(topB).count) / Double(size)
}

/// Points around `clusters` random centres (coordinates N(0, 3²)) with unit Gaussian spread,
/// labelled round-robin by cluster.
func labelledClusters(count: Int, dimension: Int, clusters: Int, seed: UInt64)
  -> (embeddings: EmbeddingMatrix, labels: [Int])
{
  var random = TestGenerator(seed: seed)
  let centres = (0..<clusters).map { _ in (0..<dimension).map { _ in 3 * random.normal() } }
  var values: [Float] = []
  values.reserveCapacity(count * dimension)
  let labels = (0..<count).map { $0 % clusters }
  for label in labels {
    for column in 0..<dimension { values.append(Float(centres[label][column] + random.normal())) }
  }
  return (EmbeddingMatrix(count: count, dimension: dimension, values: values), labels)
}

/// Trustworthiness of a 2-D map at `k` neighbours, as scikit-learn's
/// `sklearn.manifold.trustworthiness` defines it (Venna and Kaski, 2001):
/// 1 − 2 / (N k (2N − 3k − 1)) Σᵢ Σ_{j ∈ map kNN(i)} max(0, r(i, j) − k), where r(i, j) is the
/// rank of j among i's neighbours in the input space (1 for the nearest; ties to the smaller
/// index).
func trustworthiness(_ data: EmbeddingMatrix, _ map: [(x: Double, y: Double)], k: Int) -> Double {
  trustworthiness(InputDistances(data), map, k: k)
}

/// Trustworthiness against input distances computed once.
func trustworthiness(_ input: InputDistances, _ map: [(x: Double, y: Double)], k: Int) -> Double {
  let count = input.count
  var penalty = 0
  for row in 0..<count {
    for other in mapNeighbours(map, of: row, k: k) {
      // r(i, j): one plus the points nearer to i than j.
      let distance = input.squared[row * count + other]
      var rank = 1
      for candidate in 0..<count where candidate != row && candidate != other {
        let value = input.squared[row * count + candidate]
        if value < distance || (value == distance && candidate < other) { rank += 1 }
      }
      penalty += max(0, rank - k)
    }
  }
  let n = Double(count)
  let neighbours = Double(k)
  return 1 - Double(penalty) * 2 / (n * neighbours * (2 * n - 3 * neighbours - 1))
}

/// The squared euclidean distances between all rows, in `Double`.
struct InputDistances: Sendable {
  let count: Int
  let squared: [Double]

  init(_ data: EmbeddingMatrix) {
    let count = data.count
    let dimension = data.dimension
    let values = data.values.map(Double.init)
    var squared = [Double](repeating: 0, count: count * count)
    for row in 0..<count {
      for other in (row + 1)..<max(row + 1, count) {
        var sum = 0.0
        for column in 0..<dimension {
          let difference = values[row * dimension + column] - values[other * dimension + column]
          sum += difference * difference
        }
        squared[row * count + other] = sum
        squared[other * count + row] = sum
      }
    }
    self.count = count
    self.squared = squared
  }
}

/// The `k` nearest other points of `row` in a 2-D map, nearest first, ties to the smaller
/// index.
func mapNeighbours(_ map: [(x: Double, y: Double)], of row: Int, k: Int) -> [Int] {
  var nearest: [(distance: Double, index: Int)] = []
  for other in map.indices where other != row {
    let dx = map[row].x - map[other].x
    let dy = map[row].y - map[other].y
    let distance = dx * dx + dy * dy
    if nearest.count == k {
      guard let last = nearest.last, distance < last.distance else { continue }
      nearest.removeLast()
    }
    var position = nearest.count
    while position > 0 && nearest[position - 1].distance > distance { position -= 1 }
    nearest.insert((distance, other), at: position)
  }
  return nearest.map(\.index)
}

/// The fraction of points whose `k` nearest map neighbours are mostly (a strict majority) of
/// their own label.
func neighbourAgreement(_ map: [(x: Double, y: Double)], labels: [Int], k: Int) -> Double {
  var agreeing = 0
  for row in map.indices {
    let same = mapNeighbours(map, of: row, k: k).filter { labels[$0] == labels[row] }.count
    if 2 * same > k { agreeing += 1 }
  }
  return Double(agreeing) / Double(map.count)
}

/// Whether two maps hold the same coordinates, bit for bit.
func identical(_ a: [(x: Double, y: Double)], _ b: [(x: Double, y: Double)]) -> Bool {
  a.count == b.count && zip(a, b).allSatisfy { $0.x == $1.x && $0.y == $1.y }
}

/// The first images of scikit-learn's digits (8 × 8 pixels, 0–16) with their labels,
/// sklearn's t-SNE of them and its trustworthiness at 5 neighbours.
struct DigitsReference: Sendable {
  var embeddings: EmbeddingMatrix
  var distances: InputDistances
  var labels: [Int]
  var map: [(x: Double, y: Double)]
  var trustworthiness: Double

  /// The images compared: 600, or 300 in debug builds, where our exact t-SNE gradient is
  /// about ten times slower than optimised.
  #if DEBUG
  static let count = 300
  #else
  static let count = 600
  #endif

  /// sklearn's run at perplexity 30, made once for every test that compares with it; nil
  /// when python3 with scikit-learn is missing.
  static let shared = Result { try load(count: count, perplexity: 30) }

  static let script = """
    import os
    os.environ["OMP_NUM_THREADS"] = "1"  # OpenMP threads crawl on a busy machine
    import json, sys
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.manifold import TSNE, trustworthiness
    count, perplexity, folder = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    x, y = load_digits(return_X_y=True)
    x = x[:count].astype(np.float32)
    x.tofile(folder + "/digits.f32")
    e = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=0).fit_transform(x)
    print(json.dumps({"labels": y[:count].tolist(), "map": e.astype(float).ravel().tolist(),
                      "trustworthiness": float(trustworthiness(x, e, n_neighbors=5))}))
    """

  /// Runs scikit-learn; nil (after printing why, or recording a failure under CI) when it is
  /// missing.
  static func load(count: Int, perplexity: Double) throws -> DigitsReference? {
    guard PythonReference.isAvailable() else { return nil }
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let output = try #require(
      try PythonReference.run(script, ["\(count)", "\(perplexity)", directory.path], in: directory)
        as? [String: Any])
    let labels = try #require(output["labels"] as? [Int])
    let flat = try #require(output["map"] as? [Double])
    let trust = try #require(output["trustworthiness"] as? Double)
    let bytes = try Data(contentsOf: URL(fileURLWithPath: directory.appending("digits.f32")))
    let values = bytes.withUnsafeBytes { raw in
      (0..<(count * 64)).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
    }
    let embeddings = EmbeddingMatrix(count: count, dimension: 64, values: values)
    return DigitsReference(
      embeddings: embeddings, distances: InputDistances(embeddings), labels: labels,
      map: (0..<count).map { (flat[2 * $0], flat[2 * $0 + 1]) }, trustworthiness: trust)
  }
}

/// The entries of a sparse matrix keyed by `row × count + column`, and the keys whose mirror
/// entry (column, row) is missing or different.
func entriesAndAsymmetry(_ rows: SparseRows) -> (entries: [Int: Double], asymmetric: [Int]) {
  var entries: [Int: Double] = [:]
  for row in 0..<rows.count {
    for entry in rows.offsets[row]..<rows.offsets[row + 1] {
      entries[row * rows.count + rows.columns[entry]] = rows.values[entry]
    }
  }
  let asymmetric = entries.compactMap { key, value in
    entries[(key % rows.count) * rows.count + key / rows.count] != value ? key : nil
  }
  return (entries, asymmetric)
}
