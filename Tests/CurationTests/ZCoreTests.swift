import CairnTestSupport
import Curation
import Foundation
import Testing

@Suite struct ZCoreTests {
  @Test func sameSeedSameScores() {
    let matrix = clusteredEmbeddings(count: 600, dimension: 16, clusters: 5, seed: 3)
    let parameters = ZCoreParameters(sampleCount: 9_000, redundancyNeighbours: 50)
    let first = ZCore.scores(matrix, parameters: parameters, seed: 11)
    let second = ZCore.scores(matrix, parameters: parameters, seed: 11)
    let other = ZCore.scores(matrix, parameters: parameters, seed: 12)
    #expect(first == second)
    #expect(first != other)
    #expect(first.min() == 0 && first.max() == 1)
  }

  @Test func defaultsFollowTheReference() {
    let parameters = ZCoreParameters()
    #expect(parameters.sampleDimension == 2)
    #expect(parameters.redundancyNeighbours == 1_000)
    #expect(parameters.redundancyExponent == 4)
    #expect(parameters.randomInitialisation)
    #expect(parameters.draws(for: 500) == 5_000)
    #expect(parameters.draws(for: 1_000_000) == 1_000_000)
  }

  /// A constant dimension is never drawn (the reference's triangular draw would fail on it).
  @Test func constantDimensionsAreSkipped() {
    var rows: [[Float]] = []
    for index in 0..<40 { rows.append([Float(index), 5, Float((index * 7) % 40)]) }
    rows.append([100, 5, 100])
    let scores = ZCore.scores(
      EmbeddingMatrix(rows: rows),
      parameters: ZCoreParameters(
        sampleCount: 4_000, redundancyNeighbours: 10, randomInitialisation: false),
      seed: 1)
    #expect(scores.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
    #expect(scores.min() == 0 && scores.max() == 1)
  }

  @Test func noVaryingDimensionGivesNoiseOnly() {
    let rows: [[Float]] = [[1, 2], [1, 2], [1, 2]]
    let scores = ZCore.scores(
      EmbeddingMatrix(rows: rows), parameters: ZCoreParameters(sampleCount: 10), seed: 5)
    #expect(scores.count == 3 && scores.min() == 0 && scores.max() == 1)
  }

  /// Cairn against a NumPy port of the reference on scikit-learn's digits (dithered, see
  /// `referenceScript`): the reference is Monte Carlo and unseeded, so Cairn must agree with it
  /// about as well as it agrees with itself.
  @Test func agreesWithTheReferenceAsItAgreesWithItself() throws {
    guard PythonReference.isAvailable() else { return }
    let directory = try TemporaryDirectory("cairn-zcore")
    defer { directory.remove() }
    let output = try PythonReference.run(
      Self.referenceScript, [directory.appending("digits.f32"), "20000", "50"], in: directory)
    let object = try #require(output as? [String: Any])
    let runs = try #require(object["runs"] as? [[Double]])
    let count = try #require(object["n"] as? Int)
    let dimension = try #require(object["d"] as? Int)
    let bytes = try #require(
      FileManager.default.contents(atPath: directory.appending("digits.f32")))
    let values = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    let matrix = EmbeddingMatrix(count: count, dimension: dimension, values: values)
    let parameters = ZCoreParameters(sampleCount: 20_000, redundancyNeighbours: 50)
    let ours = [1, 2].map { ZCore.scores(matrix, parameters: parameters, seed: UInt64($0)) }
    #expect(ZCore.scores(matrix, parameters: parameters, seed: 1) == ours[0])

    let referenceRank = spearman(runs[0], runs[1])
    let referenceTop = topOverlap(runs[0], runs[1], fraction: 0.1)
    let crossRank = (spearman(ours[0], runs[0]) + spearman(ours[1], runs[1])) / 2
    let crossTop =
      (topOverlap(ours[0], runs[0], fraction: 0.1) + topOverlap(ours[1], runs[1], fraction: 0.1))
      / 2
    let ownRank = spearman(ours[0], ours[1])
    print(
      "zcore digits: reference vs reference ρ \(referenceRank), top-10 % \(referenceTop); "
        + "Cairn vs reference ρ \(crossRank), top-10 % \(crossTop); Cairn seeds 1 vs 2 ρ \(ownRank)"
    )
    #expect(crossRank >= referenceRank - 0.05)
    #expect(crossTop >= referenceTop - 0.05)
  }

  /// A NumPy port of `zcore_score` written from its description; runs it twice (seeds 1 and 2)
  /// on the digits' pixel vectors and writes those as float32 for Cairn.
  ///
  /// The pixels are integers 0…16, so in a 2-D subspace most samples have exact duplicates,
  /// and the reference then penalises whichever member of the tied group numpy's unstable
  /// argsort happens to put second: a fixed function of the data, which makes two reference
  /// runs agree (ρ 0.77) in a way no other implementation reproduces (ρ 0.64 for Cairn's
  /// uniform choice in the group). A fixed ±0.05 dither removes the ties, so the comparison
  /// measures the algorithm rather than numpy's sort.
  static let referenceScript =
    ReferencePorts.zcore + """
      import json, sys
      from sklearn.datasets import load_digits

      data = load_digits().data.astype(np.float32)
      data += np.random.default_rng(12345).uniform(-0.05, 0.05, data.shape).astype(np.float32)
      data.tofile(sys.argv[1])
      n_sample, redund_nn = int(sys.argv[2]), int(sys.argv[3])
      runs = [zcore(data, n_sample, 2, redund_nn, 4, True, np.random.default_rng(seed)).tolist()
              for seed in (1, 2)]
      print(json.dumps({"n": data.shape[0], "d": data.shape[1], "runs": runs}))

      """
}
