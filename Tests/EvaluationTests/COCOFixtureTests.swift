import CairnTestSupport
import Evaluation
import Foundation
import Testing

@Suite struct COCOFixtureTests {
  private static let folder = "coco_val2014_100_eval"

  private func load() throws -> (COCOFiles, gtPath: String, resultsPath: String)? {
    guard let gtPath = fixture("\(Self.folder)/instances_val2014_100.json"),
      let resultsPath = fixture("\(Self.folder)/instances_val2014_fakebbox100_results.json")
    else { return nil }
    let files = try COCOFiles(
      groundTruth: try Data(contentsOf: URL(fileURLWithPath: gtPath)),
      results: try Data(contentsOf: URL(fileURLWithPath: resultsPath)))
    return (files, gtPath, resultsPath)
  }

  @Test func statsMatchThePublishedValues() throws {
    guard let (files, _, _) = try load(), let expectedPath = fixture("\(Self.folder)/EXPECTED.txt")
    else { return }
    let expectedText = try String(contentsOfFile: expectedPath, encoding: .utf8)
    let line = try #require(expectedText.split(separator: "\n").first { $0.hasPrefix("bbox ") })
    let expected = line.split(separator: " ").dropFirst().compactMap { Double($0) }
    try #require(expected.count == 12)

    let result = COCOEvaluator.evaluate(files.problem)
    #expect(result.stats.count == 12)
    for (index, (ours, theirs)) in zip(result.stats, expected).enumerated() {
      #expect(abs(ours - theirs) <= 1e-9, "\(COCOResult.statNames[index]): \(ours) vs \(theirs)")
    }
    #expect(result.categories.count == 80)
    #expect(result.categories.map(\.groundTruthCount).reduce(0, +) == 830)
    #expect(result.categories.map(\.predictionCount).reduce(0, +) == 734)
  }

  @Test func everyArrayMatchesPycocotools() throws {
    guard let (files, gtPath, resultsPath) = try load(), PycocotoolsReference.isAvailable() else {
      return
    }
    let directory = try TemporaryDirectory("cairn-coco-fixture")
    defer { directory.remove() }
    let reference = try PycocotoolsReference(
      groundTruthPath: gtPath, resultsPath: resultsPath, in: directory)
    reference.expectAgreement(with: COCOEvaluator.evaluate(files.problem))
  }
}
