import CairnTestSupport
import Curation
import Foundation
import Testing

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
