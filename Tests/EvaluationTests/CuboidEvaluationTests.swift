import Testing

@testable import Evaluation

/// A 2×2×2 cube about z with its centre at `x` on the x axis (heading +x).
private func cube(_ x: Double, z: Double = 0) -> OrientedBox {
  OrientedBox(center: SIMD3(x, 0, z), dimensions: SIMD3(2, 2, 2), yaw: 0, up: .z)
}

private func detection(
  _ sample: Int, _ name: String, _ box: OrientedBox, score: Double = 1
) -> CuboidDetection {
  CuboidDetection(sample: sample, className: name, box: box, score: score)
}

private func close(_ a: Double?, _ b: Double) -> Bool {
  guard let a else { return false }
  return abs(a - b) < 1e-12
}

@Suite struct CuboidEvaluationTests {
  @Test func handBuiltAveragePrecision() throws {
    // Ground truth: A (sample 0, x = 0), B (sample 0, x = 10), C (sample 1, x = 0).
    // Predictions by score: p1 0.9 on A (IoU 1, TP); p2 0.8 far away (FP); p3 0.7 on C shifted
    // by 0.4 = 0.2·l (IoU 0.8/1.2 = 2/3 ≥ 0.5, TP); p4 0.6 on A again (A is taken, B gives 0:
    // FP). They are given out of order to check the ranking.
    // Rank: 1 2 3 4 — precision 1, 1/2, 2/3, 1/2 — recall 1/3, 1/3, 2/3, 2/3.
    // Interpolated precision: 1 up to recall 1/3, 2/3 up to 2/3, 0 beyond.
    // R40: levels k/40 ≤ 1/3 are k = 1…13, ≤ 2/3 are k = 14…26:
    //   (13·1 + 13·2/3) / 40 = 13/24.
    // R11: levels 0, .1, .2, .3 give 1; .4, .5, .6 give 2/3; .7 … 1 give 0: (4 + 2) / 11 = 6/11.
    let truth = [
      detection(0, "Pedestrian", cube(0)), detection(0, "Pedestrian", cube(10)),
      detection(1, "Pedestrian", cube(0)),
    ]
    let predictions = [
      detection(1, "Pedestrian", cube(0.4), score: 0.7),
      detection(0, "Pedestrian", cube(0), score: 0.6),
      detection(0, "Pedestrian", cube(0), score: 0.9),
      detection(0, "Pedestrian", cube(50), score: 0.8),
    ]
    let results = try CuboidEvaluator.evaluate(groundTruth: truth, predictions: predictions)
    #expect(results.map(\.name) == ["Pedestrian"])
    let result = try #require(results.first)
    #expect(result.threshold == 0.5)
    #expect(result.groundTruthCount == 3 && result.predictionCount == 4)
    for ap in [result.birdsEye, result.threeD] {
      #expect(ap.truePositives == 2 && ap.falsePositives == 2 && ap.falseNegatives == 1)
      #expect(close(ap.ap40, 13.0 / 24))
      #expect(close(ap.ap11, 6.0 / 11))
    }
  }

  @Test func thresholdsDependOnTheClassIgnoringCase() throws {
    // Shifted by 0.5 = 0.25·l: IoU 0.75/1.25 = 0.6, below a car's 0.7, above the others' 0.5.
    var truth: [CuboidDetection] = []
    var predictions: [CuboidDetection] = []
    for (sample, name) in ["Car", "CAR", "pedestrian", "Truck"].enumerated() {
      truth.append(detection(sample, name, cube(0)))
      predictions.append(detection(sample, name, cube(0.5)))
    }
    let results = try CuboidEvaluator.evaluate(groundTruth: truth, predictions: predictions)
    let found = Dictionary(uniqueKeysWithValues: results.map { ($0.name, $0) })
    #expect(results.map(\.name) == ["CAR", "Car", "Truck", "pedestrian"])
    #expect(found["Car"]?.threshold == 0.7 && found["CAR"]?.threshold == 0.7)
    #expect(found["Car"]?.threeD.truePositives == 0 && found["CAR"]?.birdsEye.truePositives == 0)
    #expect(found["pedestrian"]?.threeD.truePositives == 1)
    #expect(found["Truck"]?.threshold == 0.5 && found["Truck"]?.birdsEye.truePositives == 1)

    let relaxed = try CuboidEvaluator.evaluate(
      groundTruth: truth, predictions: predictions,
      thresholds: CuboidThresholds(overrides: ["car": 0.55], fallback: 0.65))
    let relaxedFound = Dictionary(uniqueKeysWithValues: relaxed.map { ($0.name, $0) })
    #expect(relaxedFound["Car"]?.threshold == 0.55 && relaxedFound["Car"]?.threeD.ap40 == 1)
    #expect(relaxedFound["pedestrian"]?.threshold == 0.5)
    #expect(relaxedFound["Truck"]?.threshold == 0.65 && relaxedFound["Truck"]?.threeD.ap40 == 0)
  }

  @Test func greedyMatchingTakesTheBestUnmatchedBox() throws {
    // G1 at x = 0, G2 at x = 0.5. P1 (0.9) at 0.4: IoU 2/3 with G1, 1.9/2.1 with G2 → G2.
    // P2 (0.8) at −0.3: IoU 1.7/2.3 with G1 → TP. Had P1 taken G1, P2 would get only
    // 1.2/2.8 < 0.5 from G2.
    let truth = [detection(0, "Cyclist", cube(0)), detection(0, "Cyclist", cube(0.5))]
    let predictions = [
      detection(0, "Cyclist", cube(0.4), score: 0.9),
      detection(0, "Cyclist", cube(-0.3), score: 0.8),
    ]
    let result = try #require(
      try CuboidEvaluator.evaluate(groundTruth: truth, predictions: predictions).first)
    #expect(result.birdsEye.truePositives == 2 && result.birdsEye.falsePositives == 0)
    #expect(result.birdsEye.ap40 == 1 && result.birdsEye.ap11 == 1)
  }

  @Test func matchesStayWithinTheirSample() throws {
    let truth = [detection(0, "Car", cube(0))]
    let predictions = [detection(1, "Car", cube(0), score: 0.9)]
    let result = try #require(
      try CuboidEvaluator.evaluate(groundTruth: truth, predictions: predictions).first)
    #expect(result.threeD.truePositives == 0 && result.threeD.falsePositives == 1)
    #expect(result.threeD.falseNegatives == 1 && result.threeD.ap40 == 0)
  }

  @Test func birdsEyeIgnoresHeightButThreeDDoesNot() throws {
    // Raised by 1 (half the height): bird's-eye IoU 1, 3D IoU 1/3 — below 0.5.
    let truth = [detection(0, "Pedestrian", cube(0))]
    let predictions = [detection(0, "Pedestrian", cube(0, z: 1), score: 0.5)]
    let result = try #require(
      try CuboidEvaluator.evaluate(groundTruth: truth, predictions: predictions).first)
    #expect(result.birdsEye.truePositives == 1 && result.birdsEye.ap40 == 1)
    #expect(result.threeD.truePositives == 0 && result.threeD.ap40 == 0)
  }

  @Test func equalScoresKeepTheirInputOrder() throws {
    // A miss then a hit at the same score: precision 1/2 at recall 1, so AP = 1/2 for every
    // level; the other way round it would be 1.
    let truth = [detection(0, "Car", cube(0))]
    let predictions = [
      detection(0, "Car", cube(30), score: 0.5), detection(0, "Car", cube(0), score: 0.5),
    ]
    let result = try #require(
      try CuboidEvaluator.evaluate(groundTruth: truth, predictions: predictions).first)
    #expect(result.threeD.ap40 == 0.5 && result.threeD.ap11 == 0.5)
    let reversed = try #require(
      try CuboidEvaluator.evaluate(groundTruth: truth, predictions: predictions.reversed())
        .first)
    #expect(reversed.threeD.ap40 == 1)
  }

  @Test func classesWithoutGroundTruthHaveNoAP() throws {
    let results = try CuboidEvaluator.evaluate(
      groundTruth: [detection(0, "Car", cube(0))],
      predictions: [detection(0, "Van", cube(0), score: 0.9)])
    #expect(results.map(\.name) == ["Car", "Van"])
    #expect(results[1].threeD.ap40 == nil && results[1].threeD.falsePositives == 1)
    #expect(results[0].threeD.ap40 == 0 && results[0].threeD.falseNegatives == 1)
  }

  @Test func mixedUpAxesAreRefused() {
    let lidar = detection(0, "Car", cube(0))
    let camera = detection(
      0, "Car", OrientedBox(center: .zero, dimensions: SIMD3(2, 2, 2), yaw: 0, up: .y))
    #expect(throws: CuboidProblem.self) {
      try CuboidEvaluator.evaluate(groundTruth: [lidar], predictions: [camera])
    }
  }

  @Test func averagePrecisionOfRankedHits() {
    // Hits at ranks 2 and 4 of 2 ground truth: precision 1/2 at recall 1/2 and at recall 1.
    let hits = [false, true, false, true]
    #expect(
      CuboidEvaluator.averagePrecision(
        hits: hits, groundTruthCount: 2, levels: CuboidEvaluator.recall40) == 0.5)
    #expect(
      CuboidEvaluator.averagePrecision(
        hits: hits, groundTruthCount: 2, levels: CuboidEvaluator.recall11) == 0.5)
    #expect(
      CuboidEvaluator.averagePrecision(
        hits: [], groundTruthCount: 2, levels: CuboidEvaluator.recall40) == 0)
    #expect(
      CuboidEvaluator.averagePrecision(
        hits: [true], groundTruthCount: 0, levels: CuboidEvaluator.recall40) == nil)
    #expect(CuboidEvaluator.recall40.first == 1.0 / 40 && CuboidEvaluator.recall40.count == 40)
    #expect(CuboidEvaluator.recall11 == [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1])
  }
}
