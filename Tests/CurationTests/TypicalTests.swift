import Testing

@testable import Curation

@Suite struct TypicalTests {
  /// Four Gaussian-like clusters of 50 samples in 2-D, centred at (±10, ±10), each with
  /// three outliers far from its centre (the first three samples of the cluster).
  func clusters() -> (EmbeddingMatrix, centres: [[Float]]) {
    let centres: [[Float]] = [[10, 10], [-10, 10], [-10, -10], [10, -10]]
    var generator = SeededRandom(seed: 17)
    var rows: [[Float]] = []
    for centre in centres {
      for index in 0..<50 {
        let spread: Float = index < 3 ? 4 : 1
        let dx = (Float(generator.unit()) * 2 - 1) * spread
        let dy = (Float(generator.unit()) * 2 - 1) * spread
        rows.append([centre[0] + dx, centre[1] + dy])
      }
    }
    return (EmbeddingMatrix(rows: rows), centres)
  }

  func distance(_ row: [Float], _ centre: [Float]) -> Float {
    ((row[0] - centre[0]) * (row[0] - centre[0]) + (row[1] - centre[1]) * (row[1] - centre[1]))
      .squareRoot()
  }

  @Test func coldStartTakesTheMostTypicalSampleOfEachCluster() {
    let (matrix, centres) = clusters()
    let picks = Typical.select(matrix, budget: 4, seed: 1)
    let clustersPicked = Set(picks.map { $0.index / 50 })
    #expect(clustersPicked == [0, 1, 2, 3], "one pick per cluster")
    // Each pick lies nearer its cluster's centre than most of the cluster does.
    var medians: [Float] = []
    for cluster in 0..<4 {
      let sorted = (cluster * 50..<(cluster + 1) * 50).map {
        distance(matrix.row($0), centres[cluster])
      }.sorted()
      medians.append(sorted[25])
    }
    let distances = picks.map { distance(matrix.row($0.index), centres[$0.index / 50]) }
    let nearCentres = zip(picks, distances).allSatisfy { $1 < medians[$0.index / 50] }
    #expect(nearCentres, "picks \(distances), cluster medians \(medians)")
    // k-center greedy, for contrast, reaches for the outliers.
    let kcenter = KCenter.select(matrix, budget: 4).dropFirst()
    let kcenterFar = kcenter.map { distance(matrix.row($0.index), centres[$0.index / 50]) }
    #expect((kcenterFar.max() ?? 0) > 2)
  }

  @Test func coverageGoesToTheClustersWithoutLabels() {
    let (matrix, _) = clusters()
    let labelled = [10, 11, 60, 61]  // two samples each of clusters 0 and 1
    let picks = Typical.select(matrix, budget: 2, initial: labelled, seed: 3)
    #expect(Set(picks.map { $0.index / 50 }) == [2, 3])
    let none = picks.allSatisfy { !labelled.contains($0.index) }
    #expect(none)
  }

  @Test func onlyCandidatesArePickedAndTheSeedRepeats() {
    let (matrix, _) = clusters()
    let candidates = Array(100..<200)
    let picks = Typical.select(matrix, budget: 30, candidates: candidates, seed: 4)
    #expect(picks.count == 30)
    #expect(Set(picks.map(\.index)).count == 30)
    let inside = picks.allSatisfy { candidates.contains($0.index) }
    #expect(inside)
    #expect(picks == Typical.select(matrix, budget: 30, candidates: candidates, seed: 4))
    let all = Typical.select(matrix, budget: 500, seed: 4)
    #expect(all.count == 200, "a budget above the pool takes the whole pool once")
  }
}
