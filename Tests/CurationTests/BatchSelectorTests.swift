import Testing

@testable import Curation

@Suite struct BatchSelectorTests {
  /// 90 day samples around (1, 0) and 10 night samples around (-1, 0), in 2-D.
  func dayAndNight() -> EmbeddingMatrix {
    var rows: [[Float]] = []
    var generator = SeededRandom(seed: 3)
    for index in 0..<100 {
      let night = index >= 90
      let jitter = { Float(generator.next() % 1000) / 10_000 - 0.05 }
      rows.append([night ? -1 + jitter() : 1 + jitter(), jitter()])
    }
    return EmbeddingMatrix(rows: rows)
  }

  @Test func coldStartSpendsTheWholeBudgetOnCoverage() {
    let request = BatchRequest(budget: 10, pool: Array(0..<100))
    let picks = BatchSelector.select(request, embeddings: dayAndNight())
    #expect(picks.count == 10)
    let allCoverage = picks.allSatisfy(\.isCoverage)
    #expect(allCoverage)
    #expect(Set(picks.map(\.index)).count == 10)
  }

  @Test func targetingTakesThirtySeventyAndFindsTheFailingSlice() {
    // The model failed on two night samples already labelled (91, 92).
    let pool = Array(0..<90) + Array(93..<100)
    let request = BatchRequest(
      budget: 10, pool: pool, labelled: [0, 1, 91, 92], failures: [91, 92])
    let picks = BatchSelector.select(request, embeddings: dayAndNight())
    #expect(picks.count == 10)
    let coverage = picks.filter(\.isCoverage).count
    #expect(coverage == 3)
    let night = picks.filter { $0.index >= 90 }.count
    #expect(night >= 7, "the 7 targeted picks are the night samples nearest the failures")
    let fromPool = picks.allSatisfy { pool.contains($0.index) }
    #expect(fromPool)
  }

  @Test func uncertaintyTargetsTheLeastSureAndSeedsRepeat() {
    var uncertainty = [Double?](repeating: 0.1, count: 100)
    for index in 90..<100 { uncertainty[index] = 0.9 }
    let request = BatchRequest(
      budget: 10, pool: Array(0..<100), strategy: .random, uncertainty: uncertainty,
      uncertaintySpread: 1, seed: 9)
    let picks = BatchSelector.select(request, embeddings: dayAndNight())
    let targeted = picks.filter { !$0.isCoverage }.map(\.index)
    #expect(targeted == Array(90..<97))
    #expect(picks == BatchSelector.select(request, embeddings: dayAndNight()))
    var other = request
    other.seed = 10
    let otherCoverage = BatchSelector.select(other, embeddings: dayAndNight()).filter(\.isCoverage)
    #expect(picks.filter(\.isCoverage) != otherCoverage)
  }

  /// Three tight groups far apart, most uncertain first: A (0.9), B (0.8), C (0.7), ten
  /// samples each, and 70 sure samples around the origin.
  func uncertainGroups() -> (EmbeddingMatrix, [Double?]) {
    var rows: [[Float]] = []
    var uncertainty: [Double?] = []
    var generator = SeededRandom(seed: 5)
    let centres: [(Float, Float, Double)] = [(10, 0, 0.9), (0, 10, 0.8), (-10, 0, 0.7)]
    for (x, y, score) in centres {
      for _ in 0..<10 {
        let jitter = { Float(generator.next() % 1000) / 10_000 - 0.05 }
        rows.append([x + jitter(), y + jitter()])
        uncertainty.append(score - Double(rows.count) * 1e-4)
      }
    }
    for _ in 0..<70 {
      let jitter = { Float(generator.next() % 1000) / 1_000 - 0.5 }
      rows.append([jitter(), jitter()])
      uncertainty.append(0.1)
    }
    return (EmbeddingMatrix(rows: rows), uncertainty)
  }

  @Test func spreadUncertaintyLeavesNearCopiesOfOneConfusingSample() {
    let (embeddings, uncertainty) = uncertainGroups()
    var request = BatchRequest(
      budget: 10, pool: Array(0..<100), coverageShare: 0.4, uncertainty: uncertainty,
      uncertaintySpread: 1, seed: 2)
    let plain = BatchSelector.select(request, embeddings: embeddings).filter { !$0.isCoverage }
    #expect(plain.map(\.index) == Array(0..<6), "the six most uncertain, all in group A")
    request.uncertaintySpread = 2
    let spread = BatchSelector.select(request, embeddings: embeddings).filter { !$0.isCoverage }
    let indices = spread.map(\.index)
    #expect(indices.count == 6)
    let shortlisted = indices.allSatisfy { $0 < 12 }
    #expect(shortlisted, "only the 12 most uncertain are considered")
    let groupB = indices.filter { $0 >= 10 }.count
    #expect(groupB >= 1, "group B gets a pick instead of a sixth copy from group A")
    #expect(
      spread == BatchSelector.select(request, embeddings: embeddings).filter { !$0.isCoverage })
  }
}
