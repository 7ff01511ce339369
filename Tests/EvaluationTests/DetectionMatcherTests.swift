import Testing

@testable import Evaluation

/// A box `[x, y, w, h]` in an image and category.
private func box(
  _ image: Int32, _ category: Int32, _ x: Double, _ y: Double, _ width: Double, _ height: Double,
  crowd: Bool = false, score: Double = 1
) -> EvalBox {
  EvalBox(
    image: image, category: category, x: x, y: y, width: width, height: height, crowd: crowd,
    score: score)
}

@Suite struct DetectionMatcherTests {
  /// Image 0: a cat and a dog far apart; a dog prediction on the cat scores higher than the cat
  /// prediction on the cat.
  private let crossed = DetectionProblem(
    imageCount: 1, categories: ["cat", "dog"],
    groundTruth: [box(0, 0, 0, 0, 10, 10), box(0, 1, 100, 100, 10, 10)],
    predictions: [box(0, 0, 0, 0, 10, 10, score: 0.9), box(0, 1, 1, 0, 10, 10, score: 0.95)])

  @Test func classwiseMatchingKeepsCategoriesApart() {
    let matches = DetectionMatcher.match(crossed, iou: 0.5, classwise: true)
    #expect(matches.groundTruthMatch == [0, -1])
    #expect(matches.predictionMatch == [0, -1])
    #expect(matches.predictionIoU[0] == 1 && matches.predictionIoU[1] == 0)
    #expect(
      matches.categories[0]
        == ClassCounts(name: "cat", truePositives: 1, falsePositives: 0, falseNegatives: 0))
    #expect(
      matches.categories[1]
        == ClassCounts(name: "dog", truePositives: 0, falsePositives: 1, falseNegatives: 1))
    #expect(matches.images == [ImageCounts(truePositives: 1, falsePositives: 1, falseNegatives: 1)])
    // Rows: cat, dog, background; columns the same.
    #expect(matches.confusion == [1, 0, 0, 0, 0, 1, 0, 1, 0])
  }

  @Test func pooledMatchingLetsAPredictionTakeAnotherCategory() {
    let matches = DetectionMatcher.match(crossed, iou: 0.5, classwise: false)
    // The dog prediction (higher score) takes the cat box; the cat prediction finds it taken.
    #expect(matches.groundTruthMatch == [1, -1])
    #expect(matches.predictionMatch == [-1, 0])
    #expect(abs(matches.predictionIoU[1] - 90.0 / 110.0) < 1e-15)
    #expect(
      matches.categories[0]
        == ClassCounts(name: "cat", truePositives: 0, falsePositives: 1, falseNegatives: 1))
    #expect(
      matches.categories[1]
        == ClassCounts(name: "dog", truePositives: 0, falsePositives: 1, falseNegatives: 1))
    #expect(matches.images == [ImageCounts(truePositives: 0, falsePositives: 2, falseNegatives: 2)])
    // cat→dog confusion, the cat prediction in the background row, the dog box in the
    // background column.
    #expect(matches.confusion == [0, 1, 0, 0, 0, 1, 1, 0, 0])
  }

  @Test func crowdBoxesIgnoreTheirPredictionsAndAreNeverMissed() {
    let problem = DetectionProblem(
      imageCount: 2, categories: ["person"],
      groundTruth: [
        box(0, 0, 0, 0, 100, 100, crowd: true), box(0, 0, 200, 200, 10, 10),
        box(1, 0, 0, 0, 50, 50, crowd: true),
      ],
      predictions: [
        box(0, 0, 10, 10, 20, 20, score: 0.5), box(0, 0, 50, 50, 20, 20, score: 0.8),
        box(0, 0, 200, 200, 10, 10, score: 0.7), box(0, 0, 300, 300, 5, 5, score: 0.6),
      ])
    let matches = DetectionMatcher.match(problem, iou: 0.5, classwise: true)
    // Both predictions inside the crowd box match it (IoU over their own area is 1) and are
    // ignored; the crowd box records the higher-scored one.
    #expect(matches.predictionMatch == [0, 0, 1, -1])
    #expect(matches.predictionIgnored == [true, true, false, false])
    #expect(matches.predictionIoU[0] == 1 && matches.predictionIoU[1] == 1)
    #expect(matches.groundTruthMatch == [1, 2, -1])
    #expect(
      matches.categories[0]
        == ClassCounts(name: "person", truePositives: 1, falsePositives: 1, falseNegatives: 0))
    #expect(
      matches.images == [
        ImageCounts(truePositives: 1, falsePositives: 1, falseNegatives: 0), ImageCounts(),
      ])
    #expect(matches.confusion == [1, 0, 1, 0])
  }

  @Test func aNonCrowdMatchStopsTheSearchBeforeCrowdBoxes() {
    // The prediction overlaps a normal box at IoU 0.6 and lies inside a crowd box (IoU 1
    // there): pycocotools keeps the normal box.
    let problem = DetectionProblem(
      imageCount: 1, categories: ["a"],
      groundTruth: [box(0, 0, 0, 0, 200, 200, crowd: true), box(0, 0, 10, 10, 10, 10)],
      predictions: [box(0, 0, 10, 10, 10, 6)])
    let matches = DetectionMatcher.match(problem, iou: 0.5, classwise: true)
    #expect(matches.predictionMatch == [1])
    #expect(matches.predictionIgnored == [false])
    #expect(abs(matches.predictionIoU[0] - 0.6) < 1e-12)
    #expect(matches.categories[0].truePositives == 1)
  }

  @Test func tiesGoToTheLaterBoxAndTheThresholdIsInclusive() {
    let problem = DetectionProblem(
      imageCount: 1, categories: ["a"],
      groundTruth: [box(0, 0, 0, 0, 10, 10), box(0, 0, 0, 0, 10, 10), box(0, 0, 0, 0, 10, 5)],
      predictions: [box(0, 0, 0, 0, 10, 10, score: 0.9), box(0, 0, 0, 0, 10, 10, score: 0.9)])
    let matches = DetectionMatcher.match(problem, iou: 0.5, classwise: true)
    // Equal scores keep input order; equal IoU goes to the later box.
    #expect(matches.predictionMatch == [1, 0])
    #expect(matches.groundTruthMatch == [1, 0, -1])
    // The half box has IoU exactly 0.5 with a prediction: a match at threshold 0.5.
    let half = DetectionMatcher.match(
      DetectionProblem(
        imageCount: 1, categories: ["a"], groundTruth: [box(0, 0, 0, 0, 10, 5)],
        predictions: [box(0, 0, 0, 0, 10, 10)]), iou: 0.5, classwise: true)
    #expect(half.predictionMatch == [0])
    #expect(half.categories[0].truePositives == 1)
    let none = DetectionMatcher.match(
      DetectionProblem(
        imageCount: 1, categories: ["a"], groundTruth: [box(0, 0, 0, 0, 10, 5)],
        predictions: [box(0, 0, 0, 0, 10, 10)]), iou: 0.51, classwise: true)
    #expect(none.predictionMatch == [-1])
    #expect(
      none.categories[0]
        == ClassCounts(name: "a", truePositives: 0, falsePositives: 1, falseNegatives: 1))
  }

  @Test func outOfRangeBoxesTakeNoPart() {
    let problem = DetectionProblem(
      imageCount: 1, categories: ["a"], groundTruth: [box(0, 0, 0, 0, 10, 10)],
      predictions: [box(0, 3, 0, 0, 10, 10), box(5, 0, 0, 0, 10, 10), box(-1, 0, 0, 0, 10, 10)])
    for classwise in [true, false] {
      let matches = DetectionMatcher.match(problem, iou: 0.5, classwise: classwise)
      #expect(matches.predictionMatch == [-1, -1, -1])
      #expect(
        matches.categories[0]
          == ClassCounts(name: "a", truePositives: 0, falsePositives: 0, falseNegatives: 1))
      #expect(matches.confusion == [0, 1, 0, 0])
    }
    let coco = COCOEvaluator.evaluate(problem)
    #expect(coco.stats[0] == 0)
    #expect(coco.categories[0].predictionCount == 0)
  }
}

@Suite struct VOCEvaluatorTests {
  @Test func theBestBoxTakenMakesAFalsePositiveEvenIfAnotherIsFree() {
    let problem = DetectionProblem(
      imageCount: 1, categories: ["a"],
      groundTruth: [box(0, 0, 0, 0, 10, 10), box(0, 0, 2, 0, 10, 10)],
      predictions: [box(0, 0, 0, 0, 10, 10, score: 0.9), box(0, 0, 0, 0, 10, 10, score: 0.8)])
    let result = VOCEvaluator.evaluate(problem, iou: 0.5, pixelInclusive: false)[0]
    #expect(result.truePositives == 1 && result.falsePositives == 1)
    #expect(result.precision == [1, 0.5])
    #expect(result.recall == [0.5, 0.5])
    #expect(result.allPointAP == 0.5)
  }

  @Test func difficultBoxesIgnoreTheirPredictionsAndDoNotCount() {
    let problem = DetectionProblem(
      imageCount: 2, categories: ["a", "b"],
      groundTruth: [box(0, 0, 0, 0, 10, 10, crowd: true), box(1, 0, 0, 0, 10, 10)],
      predictions: [
        box(0, 0, 0, 0, 10, 10, score: 0.9), box(1, 0, 0, 0, 10, 10, score: 0.8),
        box(0, 0, 50, 50, 10, 10, score: 0.7),
      ])
    let results = VOCEvaluator.evaluate(problem, iou: 0.5, pixelInclusive: false)
    let a = results[0]
    #expect(a.groundTruthCount == 1 && a.predictionCount == 3)
    #expect(a.truePositives == 1 && a.falsePositives == 1)
    #expect(a.recall == [0, 1, 1])
    #expect(a.allPointAP == 1)
    // No ground truth: no AP; no predictions but ground truth: AP 0.
    #expect(results[1].allPointAP == nil && results[1].elevenPointAP == nil)
    let missed = VOCEvaluator.evaluate(
      DetectionProblem(
        imageCount: 1, categories: ["a"], groundTruth: [box(0, 0, 0, 0, 5, 5)], predictions: []),
      iou: 0.5, pixelInclusive: false)[0]
    #expect(missed.allPointAP == 0 && missed.elevenPointAP == 0)
  }

  @Test func interpolationsOnAKnownCurve() {
    // 2 boxes; predictions TP, FP, TP: precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1.
    let precision = [1, 0.5, 2.0 / 3]
    let recall = [0.5, 0.5, 1]
    #expect(abs(VOCEvaluator.allPointAP(precision: precision, recall: recall) - 5.0 / 6) < 1e-15)
    #expect(
      abs(VOCEvaluator.elevenPointAP(precision: precision, recall: recall) - (6 + 5 * 2.0 / 3) / 11)
        < 1e-15)
    // numpy's linspace level 0.6000000000000001 is above a recall of 0.6.
    #expect(VOCEvaluator.elevenPointAP(precision: [1], recall: [0.6]) == 6.0 / 11)
  }

  @Test func pixelInclusiveIoU() {
    let first = box(0, 0, 0, 0, 10, 10)
    let second = box(0, 0, 5, 0, 10, 10)
    #expect(abs(vocIoU(first, second, pixelInclusive: false) - 50.0 / 150) < 1e-15)
    #expect(abs(vocIoU(first, second, pixelInclusive: true) - 66.0 / 176) < 1e-15)
    // Touching corners share one pixel row or column in the devkit's convention.
    let touching = box(0, 0, 10, 0, 10, 10)
    #expect(vocIoU(first, touching, pixelInclusive: false) == 0)
    #expect(abs(vocIoU(first, touching, pixelInclusive: true) - 11.0 / 231) < 1e-15)
  }
}
