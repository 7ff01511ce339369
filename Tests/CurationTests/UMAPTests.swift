import Foundation
import Testing

@testable import Curation

@Suite struct UMAPTests {
  @Test func curveParametersAsUmapLearnFitsThem() {
    // umap-learn's find_ab_params(1.0, 0.1) = (1.576943460405378, 0.8950608781227859).
    let (a, b) = UMAP.curve(minimumDistance: 0.1, spread: 1)
    #expect(abs(a - 1.576943) < 1e-4, "a \(a)")
    #expect(abs(b - 0.895061) < 1e-4, "b \(b)")
    let loose = UMAP.curve(minimumDistance: 0.5, spread: 1)
    #expect(loose.a < a && loose.b > b, "\(loose)")
  }

  @Test func smoothDistancesReachTheTarget() {
    let distances = [0.5, 0.7, 0.8, 1.1, 1.3, 1.4, 2.0]
    let target = log2(8.0)
    let (rho, sigma) = UMAP.smoothDistances(distances, target: target, meanDistance: 1)
    #expect(rho == 0.5)
    let sum = distances.reduce(0) { $0 + exp(-max(0, $1 - rho) / sigma) }
    #expect(abs(sum - target) < 1e-4, "Σ \(sum)")
    // All neighbours at distance 0: ρ is 0 and σ the floor.
    let zero = UMAP.smoothDistances([0, 0, 0], target: 2, meanDistance: 4)
    #expect(zero.rho == 0 && abs(zero.sigma - 4e-3) < 1e-12, "\(zero)")
  }

  @Test func theFuzzyGraphIsSymmetricAndHoldsEachNearestNeighbour() {
    let (matrix, _) = labelledClusters(count: 60, dimension: 8, clusters: 3, seed: 5)
    let graph = UMAP.fuzzyGraph(matrix, neighbours: 6)
    let (entries, asymmetric): ([Int: Double], [Int]) = entriesAndAsymmetry(graph)
    let outOfRange = entries.values.filter { $0 <= 0 || $0 > 1 + 1e-12 }
    #expect(asymmetric.isEmpty)
    #expect(outOfRange.isEmpty)
    let nearest = EuclideanNeighbours.nearest(matrix, k: 1)
    let notOne = (0..<60).filter { (row: Int) -> Bool in
      let membership: Double = entries[row * 60 + nearest.indices[row]] ?? 0
      return abs(membership - 1) > 1e-12
    }
    #expect(notOne.isEmpty, "membership 1 to the nearest neighbour")
  }

  @Test func separatesWellSeparatedClusters() {
    let (matrix, labels) = labelledClusters(count: 200, dimension: 50, clusters: 5, seed: 11)
    let map = UMAP.embed(matrix, seed: 1)
    let agreement = neighbourAgreement(map, labels: labels, k: 5)
    let trust = trustworthiness(matrix, map, k: 5)
    #expect(agreement >= 0.95, "5-NN label agreement \(agreement)")
    #expect(trust >= 0.9, "trustworthiness \(trust)")
  }

  @Test func aSeedFixesTheMap() {
    let (matrix, _) = labelledClusters(count: 80, dimension: 10, clusters: 4, seed: 2)
    let parameters = UMAPParameters(epochs: 200)
    let first = UMAP.embed(matrix, parameters: parameters, seed: 7)
    let again = UMAP.embed(matrix, parameters: parameters, seed: 7)
    let other = UMAP.embed(matrix, parameters: parameters, seed: 8)
    #expect(identical(first, again))
    #expect(!identical(first, other))
  }

  @Test func smallSetsAndDefaults() {
    #expect(UMAP.embed(EmbeddingMatrix(rows: []), seed: 0).isEmpty)
    let single = UMAP.embed(EmbeddingMatrix(rows: [[1, 2]]), seed: 0)
    #expect(single.count == 1 && single[0].x == 0 && single[0].y == 0)
    let small = UMAP.embed(EmbeddingMatrix(rows: [[0, 0], [1, 1], [1, 1], [5, 5]]), seed: 0)
    let finite = small.filter { $0.x.isFinite && $0.y.isFinite }.count
    #expect(finite == 4)
    #expect(UMAPParameters().epochs(for: 10_000) == 500)
    #expect(UMAPParameters().epochs(for: 10_001) == 200)
  }

  @Test func trustworthinessOnDigitsNearScikitLearnsTSNE() throws {
    guard let digits = try DigitsReference.shared.get() else { return }
    let map = UMAP.embed(digits.embeddings, seed: 0)
    let ours = trustworthiness(digits.distances, map, k: 5)
    print(
      "digits[:\(digits.labels.count)] trustworthiness(5): UMAP \(ours), "
        + "sklearn t-SNE \(digits.trustworthiness)")
    #expect(ours >= digits.trustworthiness - 0.02, "ours \(ours), sklearn t-SNE")
    #expect(neighbourAgreement(map, labels: digits.labels, k: 5) >= 0.9)
  }
}
