import Testing

@testable import Evaluation

@Suite struct COCOEvaluatorTests {
  @Test func anEqualIoUGoesToTheLaterBox() {
    // The first detection overlaps both boxes at IoU 90/110; the second overlaps only the later
    // box enough. Taking the later box leaves the second detection without a match below IoU
    // 0.7: AP50 is then 51/101 (precision 1 up to recall 0.5) instead of 1.
    let problem = DetectionProblem(
      imageCount: 1, categories: ["a"],
      groundTruth: [
        EvalBox(image: 0, category: 0, x: 0, y: 0, width: 10, height: 10),
        EvalBox(image: 0, category: 0, x: 2, y: 0, width: 10, height: 10),
      ],
      predictions: [
        EvalBox(image: 0, category: 0, x: 1, y: 0, width: 10, height: 10, score: 0.9),
        EvalBox(image: 0, category: 0, x: 4, y: 0, width: 10, height: 10, score: 0.8),
      ])
    let result = COCOEvaluator.evaluate(problem)
    #expect(abs(result.stats[1] - 51.0 / 101) < 1e-12)
    #expect(abs((result.categories[0].ap50 ?? 0) - 51.0 / 101) < 1e-12)
    #expect(result.categories[0].groundTruthCount == 2)
    #expect(result.categories[0].predictionCount == 2)
  }

  @Test func arrayShapesAndMissingCategories() {
    let problem = DetectionProblem(
      imageCount: 2, categories: ["a", "b"],
      groundTruth: [EvalBox(image: 1, category: 0, x: 0, y: 0, width: 10, height: 10)],
      predictions: [
        EvalBox(image: 1, category: 0, x: 0, y: 0, width: 10, height: 10, score: 0.5),
        EvalBox(image: 0, category: 1, x: 0, y: 0, width: 10, height: 10, score: 0.5),
      ])
    let result = COCOEvaluator.evaluate(problem)
    #expect(result.precision.count == 10 * 101 * 2 * 4 * 3)
    #expect(result.recall.count == 10 * 2 * 4 * 3)
    // A perfect small box: AP, APs and recalls 1 (precision 1 / (1 + ε), as pycocotools
    // computes it); no medium or large ground truth.
    let expected: [Double] = [1, 1, 1, 1, -1, -1, 1, 1, 1, 1, -1, -1]
    for (ours, theirs) in zip(result.stats, expected) { #expect(abs(ours - theirs) < 1e-15) }
    #expect(abs((result.categories[0].ap ?? 0) - 1) < 1e-15)
    #expect(result.categories[0].ar100 == 1)
    #expect(result.categories[1].ap == nil && result.categories[1].ap50 == nil)
    #expect(result.categories[1].predictionCount == 1)
  }
}
