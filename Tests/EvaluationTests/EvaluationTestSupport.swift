import CairnTestSupport
import Evaluation
import Foundation
import Testing

/// A fixture file's path, or nil to skip; under CI a missing fixtures folder is a failure.
func fixture(_ relative: String) -> String? {
  guard let path = Fixtures.path(relative) else {
    if Fixtures.isCI { Issue.record("fixtures are required under CI (missing \(relative))") }
    return nil
  }
  return path
}

/// A COCO ground-truth file and a results file turned into a problem the way pycocotools reads
/// them: images by sorted id, categories by sorted id, results of unknown images or categories
/// dropped.
struct COCOFiles {
  var problem: DetectionProblem
  var imageIds: [Int]
  var categoryIds: [Int]

  init(groundTruth: Data, results: Data) throws {
    let gt = try #require(try JSONSerialization.jsonObject(with: groundTruth) as? [String: Any])
    let images = try #require(gt["images"] as? [[String: Any]])
    let categories = try #require(gt["categories"] as? [[String: Any]])
    let annotations = try #require(gt["annotations"] as? [[String: Any]])
    let detections = try #require(
      try JSONSerialization.jsonObject(with: results) as? [[String: Any]])

    imageIds = try images.map { try #require(($0["id"] as? NSNumber)?.intValue) }.sorted()
    let namedCategories = try categories.map {
      (id: try #require(($0["id"] as? NSNumber)?.intValue), name: $0["name"] as? String ?? "")
    }.sorted { $0.id < $1.id }
    categoryIds = namedCategories.map(\.id)
    let imageIndex = Dictionary(uniqueKeysWithValues: imageIds.enumerated().map { ($1, $0) })
    let categoryIndex = Dictionary(uniqueKeysWithValues: categoryIds.enumerated().map { ($1, $0) })

    func box(_ object: [String: Any], isResult: Bool) throws -> EvalBox? {
      let imageId = try #require((object["image_id"] as? NSNumber)?.intValue)
      let categoryId = try #require((object["category_id"] as? NSNumber)?.intValue)
      guard let image = imageIndex[imageId], let category = categoryIndex[categoryId] else {
        return nil
      }
      let bbox = try #require(object["bbox"] as? [NSNumber]).map(\.doubleValue)
      try #require(bbox.count == 4)
      return EvalBox(
        image: Int32(image), category: Int32(category), x: bbox[0], y: bbox[1], width: bbox[2],
        height: bbox[3],
        area: isResult ? nil : (object["area"] as? NSNumber)?.doubleValue,
        crowd: isResult ? false : (object["iscrowd"] as? NSNumber)?.intValue == 1,
        score: isResult ? try #require((object["score"] as? NSNumber)?.doubleValue) : 1)
    }
    problem = DetectionProblem(
      imageCount: imageIds.count, categories: namedCategories.map(\.name),
      groundTruth: try annotations.compactMap { try box($0, isResult: false) },
      predictions: try detections.compactMap { try box($0, isResult: true) })
  }
}

/// pycocotools' numbers for a pair of files, computed by the installed Python package.
struct PycocotoolsReference {
  var stats: [Double]
  /// Per category: mean of `precision[:, :, k, 0, -1]` over entries above -1, or -1.
  var perClassAP: [Double]
  var precision: [Double]
  var recall: [Double]

  private static let script = """
    import contextlib, io, json, sys
    import numpy as np
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(sys.argv[1])
        dt = gt.loadRes(sys.argv[2])
        ev = COCOeval(gt, dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    p = ev.eval["precision"]
    per_class = []
    for k in range(p.shape[2]):
        s = p[:, :, k, 0, -1]
        s = s[s > -1]
        per_class.append(float(np.mean(s)) if s.size else -1.0)
    print(json.dumps({
        "stats": [float(x) for x in ev.stats],
        "perClass": per_class,
        "precision": [float(x) for x in p.ravel()],
        "recall": [float(x) for x in ev.eval["recall"].ravel()],
    }))
    """

  /// Whether `python3` can import pycocotools; under CI its absence is recorded as a failure.
  static func isAvailable() -> Bool {
    let available =
      (try? CommandRunner.run(
        "/usr/bin/env", ["python3", "-c", "import pycocotools"], in: "/"
      ).exitCode) == 0
    if !available {
      if Fixtures.isCI {
        Issue.record("python3 with pycocotools is required under CI")
      } else {
        print("skipping: python3 cannot import pycocotools")
      }
    }
    return available
  }

  /// Runs pycocotools on two JSON files.
  init(groundTruthPath: String, resultsPath: String, in directory: TemporaryDirectory) throws {
    try directory.write(Self.script, to: "reference_cocoeval.py")
    let result = try CommandRunner.run(
      "/usr/bin/env",
      ["python3", directory.appending("reference_cocoeval.py"), groundTruthPath, resultsPath],
      in: directory.path)
    try #require(result.exitCode == 0, "\(result)")
    let line = try #require(result.stdout.split(separator: "\n").last)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    func numbers(_ key: String) throws -> [Double] {
      try #require(object[key] as? [NSNumber]).map(\.doubleValue)
    }
    stats = try numbers("stats")
    perClassAP = try numbers("perClass")
    precision = try numbers("precision")
    recall = try numbers("recall")
  }

  /// Records every difference from `result` beyond `tolerance`.
  func expectAgreement(with result: COCOResult, tolerance: Double = 1e-9) {
    #expect(result.stats.count == stats.count)
    for (index, (ours, theirs)) in zip(result.stats, stats).enumerated() {
      #expect(
        abs(ours - theirs) <= tolerance, "\(COCOResult.statNames[index]): \(ours) vs \(theirs)")
    }
    #expect(result.categories.count == perClassAP.count)
    for (category, theirs) in zip(result.categories, perClassAP) {
      let ours = category.ap ?? -1
      #expect(abs(ours - theirs) <= tolerance, "AP of \(category.name): \(ours) vs \(theirs)")
    }
    #expect(result.precision.count == precision.count)
    #expect(result.recall.count == recall.count)
    let precisionOff = zip(result.precision, precision).filter { abs($0 - $1) > tolerance }.count
    let recallOff = zip(result.recall, recall).filter { abs($0 - $1) > tolerance }.count
    #expect(precisionOff == 0, "\(precisionOff) precision entries differ")
    #expect(recallOff == 0, "\(recallOff) recall entries differ")
  }
}
