import Curation
import Foundation
import Testing

@Suite struct KCenterTests {
  /// Points at x = 0, 1, 2, 10 on a line.
  let line = EmbeddingMatrix(rows: [[0, 0], [1, 0], [2, 0], [10, 0]])

  @Test func picksTheFarthestPointFromTheLabelledSet() {
    let picks = KCenter.select(line, budget: 3, initial: [0])
    #expect(
      picks == [
        KCenterPick(index: 3, distance: 10), KCenterPick(index: 2, distance: 2),
        KCenterPick(index: 1, distance: 1),
      ])
  }

  @Test func startsNearTheMeanWithoutLabels() {
    let picks = KCenter.select(line, budget: 10)
    #expect(picks.map(\.index) == [2, 3, 0, 1])
    #expect(picks[0].distance == .infinity)
    #expect(picks.dropFirst().map(\.distance) == [8, 2, 1])
  }

  @Test func neverPicksOutsideTheCandidatesOrTheLabelled() {
    let picks = KCenter.select(line, budget: 5, initial: [1], candidates: [0, 1, 2])
    #expect(picks.map(\.index) == [0, 2])
    #expect(KCenter.select(line, budget: 0).isEmpty)
  }

  @Test func cosineIgnoresLength() {
    let rows: [[Float]] = [[1, 0], [10, 0.1], [0, 1], [0.7, 0.7]]
    let picks = KCenter.select(
      EmbeddingMatrix(rows: rows), budget: 2, initial: [0], metric: .cosine)
    #expect(picks.map(\.index) == [2, 3])
    #expect(abs(picks[0].distance - 1) < 1e-6)
  }
}

@Suite struct HardnessTests {
  @Test func evenLogitsAreHardest() {
    let hardness = Hardness.scores(logits: [0, 0])
    #expect(abs(hardness.entropy - log(2)) < 1e-12)
    #expect(hardness.margin == 0)
    #expect(hardness.leastConfidence == 0.5)
  }

  @Test func handValues() {
    let hardness = Hardness.scores(logits: [0, log(3)])
    #expect(abs(hardness.entropy - -(0.25 * log(0.25) + 0.75 * log(0.75))) < 1e-12)
    #expect(abs(hardness.margin - 0.5) < 1e-12)
    #expect(abs(hardness.leastConfidence - 0.25) < 1e-12)
    let softmax = Hardness.softmax([1000, 1000, 1000])
    #expect(softmax.allSatisfy { abs($0 - 1.0 / 3) < 1e-12 })
    #expect(Hardness.scores(probabilities: [2, 6]).margin == 0.5)
  }

  @Test func detections() {
    let hardness = Hardness.detections(confidences: [0.5, 1.0])
    #expect(abs(hardness.meanEntropy - log(2) / 2) < 1e-12)
    #expect(abs(hardness.maxEntropy - log(2)) < 1e-12)
    #expect(
      Hardness.detections(confidences: []) == DetectionHardness(meanEntropy: 0, maxEntropy: 0))
  }
}

@Suite struct DuplicateTests {
  @Test func nearDuplicatesGreedyInIndexOrder() {
    let rows: [[Float]] = [[1, 0], [0.99, 0.1], [0, 1], [0.1, 0.99], [1, 0.05], [-1, 0]]
    let result = NearDuplicates.groups(EmbeddingMatrix(rows: rows))
    #expect(result.kept == [true, false, true, false, false, true])
    #expect(result.pairs.map { [$0.kept, $0.duplicate] } == [[0, 1], [0, 4], [2, 3]])
  }

  /// 0° and 30° are near, 30° and 60° are near, 0° and 60° are not: the 30° sample is dropped,
  /// so it drops nothing and 60° stays.
  @Test func droppedSamplesDropNothing() {
    let rows = [0.0, 30, 60].map { angle -> [Float] in
      [Float(cos(angle * Double.pi / 180)), Float(sin(angle * Double.pi / 180))]
    }
    let result = NearDuplicates.groups(
      EmbeddingMatrix(rows: rows), threshold: 1 - cos(35 * Double.pi / 180))
    #expect(result.kept == [true, false, true])
  }

  @Test func exactDuplicatesByHash() {
    let hashes = ["a", "b", "a", "c", "b", "a"]
    #expect(ExactDuplicates.groups(hashes: hashes) == [[0, 2, 5], [1, 4]])
    #expect(ExactDuplicates.kept(hashes: hashes) == [true, true, false, true, false, false])
  }
}

@Suite struct TargetingTests {
  /// Two clusters around (5, 0) and (0, 5) plus a far sample, centred first.
  let embeddings = EmbeddingMatrix(rows: [
    [5, 0], [5, 0.2], [5, -0.3], [0, 5], [0.2, 5], [-0.4, 5], [-5, -5],
  ])

  @Test func nearestNeighboursInThePool() {
    let lists = Neighbours.nearest(
      queries: [0, 3], in: [1, 2, 4, 5, 6], of: embeddings, k: 2)
    #expect(lists.map { $0.map(\.index) } == [[1, 2], [4, 5]])
    #expect(lists.allSatisfy { $0.allSatisfy { $0.distance >= 0 && $0.distance < 0.05 } })
    let external = Neighbours.nearest(
      queries: EmbeddingMatrix(rows: [[4.9, 0.1]]), in: [0, 1, 3], of: embeddings, k: 1)
    #expect(external.map { $0.map(\.index) } == [[0]])
  }

  @Test func roundRobinWithoutRepeats() {
    let picks = Targeting.pick(
      failures: [0, 1, 3], pool: [2, 4, 5, 6], perFailure: 2, budget: 3, embeddings: embeddings)
    // Round 0: failure 0 → 2, failure 1 → 2 (repeat, skipped), failure 3 → 4; round 1: 0 → ...
    #expect(picks.count == 3)
    #expect(Set(picks).count == 3)
    #expect(Array(picks.prefix(2)) == [2, 4])
    #expect(picks.allSatisfy { [2, 4, 5, 6].contains($0) })
  }
}
