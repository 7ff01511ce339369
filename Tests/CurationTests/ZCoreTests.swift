import CairnTestSupport
import Foundation
import Testing

@testable import Curation

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

  /// With exact copies of the covering sample, a copy loses 1, never the covering sample itself
  /// (the description drops the sample itself and penalises its nearest remaining neighbour).
  @Test func aCopyOfTheCoveringSampleIsPenalised() {
    // Pairs of identical rows: a single draw covers the first row of some pair (the first on
    // ties), which ends at 1, its copy at 0 and every other row at 0.5.
    var rows: [[Float]] = []
    for pair in 0..<6 {
      let row = [Float(pair), Float((pair * 5) % 6)]
      rows += [row, row]
    }
    let matrix = EmbeddingMatrix(rows: rows)
    let parameters = ZCoreParameters(sampleCount: 1, randomInitialisation: false)
    for seed in UInt64(1)...20 {
      let scores = ZCore.scores(matrix, parameters: parameters, seed: seed)
      let gained = scores.indices.filter { scores[$0] == 1 }
      let lost = scores.indices.filter { scores[$0] == 0 }
      let others = scores.filter { $0 != 0 && $0 != 1 }
      let covering = gained.first ?? -1
      #expect(gained.count == 1 && covering % 2 == 0, "seed \(seed): \(scores)")
      #expect(lost == [covering + 1], "seed \(seed): \(scores)")
      #expect(others == [Double](repeating: 0.5, count: rows.count - 2))
    }
  }

  /// The tags that order equal distances are a bijection: every index comes back from its key.
  @Test func tieOrderTagsRoundTrip() {
    #expect(TieOrder.multiplier &* TieOrder.inverse == 1)
    var random = SeededRandom(seed: 7)
    var mismatches = 0
    for _ in 0..<1_000 {
      let order = TieOrder(salt: UInt32(truncatingIfNeeded: random.next()))
      let index = random.below(1 << 32)
      let key = UInt64(Float(3).bitPattern) << 32 | UInt64(order.tag(index))
      if order.index(key) != index { mismatches += 1 }
    }
    #expect(mismatches == 0)
  }

  /// Cairn against the NumPy port of the reference (`ReferencePorts.zcore`) on structured data
  /// from scikit-learn: the reference is Monte Carlo and unseeded, so Cairn must agree with it
  /// about as well as it agrees with itself (Spearman ρ and top-10 % overlap, each at least the
  /// reference-vs-reference figure minus 0.05), with the same parameters.
  ///
  /// - `digits`: the 1 797 × 64 raw pixel vectors, integers 0…16 with three always-zero
  ///   pixels, so in a 2-D subspace most samples have exact copies and distances tie.
  /// - `blobs`: 1 500 × 16 Gaussian clusters (8 centres, unit spread), without ties.
  @Test(arguments: ["digits", "blobs"])
  func agreesWithTheReferenceAsItAgreesWithItself(dataset: String) throws {
    guard PythonReference.isAvailable() else { return }
    let directory = try TemporaryDirectory("cairn-zcore")
    defer { directory.remove() }
    let file = directory.appending("\(dataset).f32")
    let output = try PythonReference.run(
      Self.referenceScript, [file, dataset, "20000", "50"], in: directory)
    let object = try #require(output as? [String: Any])
    let runs = try #require(object["runs"] as? [[Double]])
    let count = try #require(object["n"] as? Int)
    let dimension = try #require(object["d"] as? Int)
    let bytes = try #require(FileManager.default.contents(atPath: file))
    let values = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    let matrix = EmbeddingMatrix(count: count, dimension: dimension, values: values)
    let parameters = ZCoreParameters(sampleCount: 20_000, redundancyNeighbours: 50)
    let ours = [1, 2].map { ZCore.scores(matrix, parameters: parameters, seed: UInt64($0)) }

    let referenceRank = spearman(runs[0], runs[1])
    let referenceTop = topOverlap(runs[0], runs[1], fraction: 0.1)
    let crossRank = (spearman(ours[0], runs[0]) + spearman(ours[1], runs[1])) / 2
    let crossTop =
      (topOverlap(ours[0], runs[0], fraction: 0.1) + topOverlap(ours[1], runs[1], fraction: 0.1))
      / 2
    let ownRank = spearman(ours[0], ours[1])
    print(
      "zcore \(dataset): reference vs reference ρ \(referenceRank), top-10 % \(referenceTop); "
        + "Cairn vs reference ρ \(crossRank), top-10 % \(crossTop); Cairn seeds 1 vs 2 ρ \(ownRank)"
    )
    #expect(crossRank >= referenceRank - 0.05)
    #expect(crossTop >= referenceTop - 0.05)
  }

  /// Writes the data set named by `argv[2]` as float32 to `argv[1]` for Cairn and runs the port
  /// on it twice (numpy seeds 1 and 2) with `argv[3]` draws and `redund_nn` `argv[4]`.
  static let referenceScript =
    ReferencePorts.zcore + """
      import json, sys
      from sklearn.datasets import load_digits, make_blobs

      if sys.argv[2] == "digits":
          data = load_digits().data.astype(np.float32)
      else:
          data = make_blobs(n_samples=1500, n_features=16, centers=8, cluster_std=1.0,
                            random_state=0)[0].astype(np.float32)
      data.tofile(sys.argv[1])
      n_sample, redund_nn = int(sys.argv[3]), int(sys.argv[4])
      runs = [zcore(data, n_sample, 2, redund_nn, 4, True, np.random.default_rng(seed)).tolist()
              for seed in (1, 2)]
      print(json.dumps({"n": data.shape[0], "d": data.shape[1], "runs": runs}))

      """
}
