import Testing

@testable import Curation

@Suite struct PCATests {
  @Test func aRotatedGridProjectsOntoItsOwnAxes() {
    // A grid of t ∈ {-3, -1, 1, 3} along (3, 4)/5 and s ∈ {-0.2, 0.2} along (-4, 3)/5, shifted:
    // t and s are uncorrelated, so the components are those two directions.
    var rows: [[Float]] = []
    var expected: [(Double, Double)] = []
    for t in [-3.0, -1, 1, 3] {
      for s in [-0.2, 0.2] {
        rows.append([Float(3 * t / 5 - 4 * s / 5 + 7), Float(4 * t / 5 + 3 * s / 5 - 2)])
        expected.append((t, s))
      }
    }
    let points = PCA.project(EmbeddingMatrix(rows: rows))
    for (point, (t, s)) in zip(points, expected) {
      #expect(abs(abs(point.x) - abs(t)) < 1e-5, "\(point)")
      #expect(abs(abs(point.y) - abs(s)) < 1e-5, "\(point)")
    }
    let single = PCA.project(EmbeddingMatrix(rows: [[1, 2]]))
    #expect(single.count == 1 && single[0].x == 0 && single[0].y == 0)
  }
}
