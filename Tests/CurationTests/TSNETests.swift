import Foundation
import Testing

@testable import Curation

@Suite struct TSNETests {
  @Test func eachRowHasThePerplexityAsked() {
    let squared = (0..<40).map { Double($0 * $0) / 50 + 3 }
    for perplexity in [2.0, 5, 12.5] {
      let probabilities = TSNE.conditionalProbabilities(squared, perplexity: perplexity)
      let sum = probabilities.reduce(0, +)
      let entropy = -probabilities.reduce(0) { $0 + ($1 > 0 ? $1 * log($1) : 0) }
      #expect(abs(sum - 1) < 1e-12)
      #expect(abs(exp(entropy) - perplexity) < 1e-3, "perplexity \(exp(entropy))")
      let descending = zip(probabilities, probabilities.dropFirst()).allSatisfy { $0 >= $1 }
      #expect(descending)
    }
  }

  @Test func affinitiesAreSymmetricAndSumToOne() {
    let (matrix, _) = labelledClusters(count: 60, dimension: 8, clusters: 3, seed: 5)
    let p = TSNE.affinities(matrix, perplexity: 5)
    let (entries, asymmetric) = entriesAndAsymmetry(p)
    #expect(asymmetric.isEmpty)
    #expect(abs(p.values.reduce(0, +) - 1) < 1e-12)
    #expect(entries[0] == nil, "no point is its own neighbour")
  }

  @Test func bothRepulsionKernelsGiveTheSameBits() {
    var random = SeededRandom(seed: 3)
    let count = 37
    let stride = TSNE.Repulsion.padded(count)
    var columns = [Float](repeating: TSNE.Repulsion.padding, count: 2 * stride)
    for index in 0..<count {
      columns[index] = Float(20 * random.normal())
      columns[stride + index] = Float(20 * random.normal())
    }
    var differences = 0
    columns.withUnsafeBufferPointer { buffer in
      guard let xs = buffer.baseAddress else { return }
      for row in 0..<count {
        let x = columns[row]
        let y = columns[stride + row]
        let simd = TSNE.Repulsion.simd(x, y, xs: xs, ys: xs + stride, stride: stride)
        let scalar = TSNE.Repulsion.scalar(x, y, xs: xs, ys: xs + stride, stride: stride)
        if simd != scalar || !simd.normaliser.isFinite || !simd.x.isFinite { differences += 1 }
      }
    }
    #expect(differences == 0)
  }

  @Test func separatesWellSeparatedClusters() {
    let (matrix, labels) = labelledClusters(count: 200, dimension: 50, clusters: 5, seed: 11)
    let map = TSNE.embed(matrix, seed: 1)
    let agreement = neighbourAgreement(map, labels: labels, k: 5)
    let trust = trustworthiness(matrix, map, k: 5)
    #expect(agreement >= 0.95, "5-NN label agreement \(agreement)")
    #expect(trust >= 0.9, "trustworthiness \(trust)")
  }

  @Test func aSeedFixesTheMap() {
    let (matrix, _) = labelledClusters(count: 80, dimension: 10, clusters: 4, seed: 2)
    let parameters = TSNEParameters(perplexity: 10, iterations: 400)
    let first = TSNE.embed(matrix, parameters: parameters, seed: 7)
    let again = TSNE.embed(matrix, parameters: parameters, seed: 7)
    let other = TSNE.embed(matrix, parameters: parameters, seed: 8)
    #expect(identical(first, again))
    #expect(!identical(first, other))
  }

  @Test func smallSetsAndDefaults() {
    #expect(TSNE.embed(EmbeddingMatrix(rows: []), seed: 0).isEmpty)
    let single = TSNE.embed(EmbeddingMatrix(rows: [[1, 2]]), seed: 0)
    #expect(single.count == 1 && single[0].x == 0 && single[0].y == 0)
    // Two points, and three identical ones: finite coordinates, the copies pulled apart by
    // the jitter.
    let pair = TSNE.embed(EmbeddingMatrix(rows: [[0, 0], [1, 1]]), seed: 0)
    let copies = TSNE.embed(EmbeddingMatrix(rows: [[1, 1], [1, 1], [1, 1], [5, 5]]), seed: 0)
    let finite = (pair + copies).filter { $0.x.isFinite && $0.y.isFinite }.count
    #expect(finite == 6)
    #expect(copies[0].x != copies[1].x)
    let defaults = TSNEParameters()
    #expect(defaults.perplexity(for: 1_000) == 30)
    #expect(defaults.perplexity(for: 61) == 20)
    #expect(defaults.learningRate(for: 1_000) == 50)
    #expect(defaults.learningRate(for: 6_000) == 125)
  }

  @Test func trustworthinessOnDigitsWithinTwoHundredthsOfScikitLearn() throws {
    guard let digits = try DigitsReference.shared.get() else { return }
    // Our trustworthiness on sklearn's own map gives sklearn's number, but for the order of
    // equally distant points (the digits' pixels are integers, so ties are common): ranked
    // by index here, as NumPy's unstable argsort leaves them there.
    let theirs = trustworthiness(digits.distances, digits.map, k: 5)
    #expect(abs(theirs - digits.trustworthiness) < 1e-4, "\(theirs) vs \(digits.trustworthiness)")
    let map = TSNE.embed(digits.embeddings, seed: 0)
    let ours = trustworthiness(digits.distances, map, k: 5)
    let pca = trustworthiness(digits.distances, PCA.project(digits.embeddings), k: 5)
    print(
      "digits[:\(digits.labels.count)] trustworthiness(5): t-SNE \(ours), "
        + "sklearn t-SNE \(digits.trustworthiness), PCA \(pca)")
    #expect(ours >= digits.trustworthiness - 0.02, "ours \(ours), sklearn \(theirs)")
    #expect(neighbourAgreement(map, labels: digits.labels, k: 5) >= 0.9)
  }
}
