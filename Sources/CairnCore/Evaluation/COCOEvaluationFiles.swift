package import Evaluation
internal import GitStore

/// A COCO ground-truth file and a COCO results file, read into a ``DetectionProblem``.
///
/// The problem is laid out as pycocotools' `COCOeval` (bbox) sees the two files: images in
/// ascending image id, categories in ascending category id, ground-truth boxes and predictions
/// in file order (the evaluator's sorts are stable, so ties keep that order). Ground truth keeps
/// the annotation's own `area`; a prediction's area is `w * h`, as `COCO.loadRes` computes it.
///
/// Where pycocotools refuses or silently ignores input, this loader drops and counts:
/// results whose image id the ground truth does not list (pycocotools' `loadRes` asserts), and
/// results or annotations whose category id is not among the categories (pycocotools never
/// looks at them). The caller reports the counts.
package struct COCOEvaluationFiles: Sendable {
  /// The boxes, by index.
  package var problem: DetectionProblem
  /// The COCO image id of each image index.
  package var imageIDs: [Int64]
  /// The COCO category id of each category index.
  package var categoryIDs: [Int64]
  /// The annotation id of each ground-truth box.
  package var annotationIDs: [Int64]
  /// For each prediction, its position in the results file's array.
  package var resultIndices: [Int32]
  /// The number of entries in the results file, kept or not.
  package var resultCount: Int
  /// Results dropped because their image id is not an image of the ground truth.
  package var droppedResultsUnknownImage: Int
  /// Results dropped because their category id is not a category of the ground truth.
  package var droppedResultsUnknownCategory: Int
  /// Annotations dropped because their image or category is not listed in the ground truth.
  package var droppedAnnotations: Int

  /// Reads and parses both files.
  ///
  /// Each file is read into memory in one go and scanned in place: no JSON tree is built,
  /// segmentation is skipped with a structural scan (balanced brackets and strings).
  ///
  /// - Parameters:
  ///   - groundTruth: The path of a COCO instances file.
  ///   - results: The path of a COCO results file (a JSON array of detections).
  /// - Returns: The problem and its id maps.
  /// - Throws: `CairnError` `.notFound` when a file cannot be read, `.invalidInput` when one is
  ///   malformed (the message names the file, the line and column, and what was expected).
  package static func load(groundTruth: String, results: String) throws(CairnError)
    -> COCOEvaluationFiles
  {
    let groundTruthBytes = try read(groundTruth)
    let resultBytes = try read(results)
    return try parse(
      groundTruth: groundTruthBytes, file: groundTruth, results: resultBytes, file: results)
  }

  /// Parses the bytes of both files.
  ///
  /// - Parameters:
  ///   - groundTruth: The ground-truth file's bytes.
  ///   - groundTruthFile: Its name, for error messages.
  ///   - results: The results file's bytes.
  ///   - resultsFile: Its name, for error messages.
  /// - Returns: The problem and its id maps.
  /// - Throws: `CairnError` `.invalidInput` when a file is malformed.
  package static func parse(
    groundTruth: [UInt8], file groundTruthFile: String, results: [UInt8],
    file resultsFile: String
  ) throws(CairnError) -> COCOEvaluationFiles {
    let read = groundTruth.withUnsafeBytes { raw -> Result<COCOGroundTruthCatalog, CairnError> in
      var scanner = COCOScanner(raw, file: groundTruthFile)
      do throws(CairnError) {
        return .success(try scanner.readGroundTruth())
      } catch {
        return .failure(error)
      }
    }
    var catalog = try read.get()
    var files = catalog.resolve()
    let outcome = results.withUnsafeBytes { raw -> Result<Void, CairnError> in
      var scanner = COCOScanner(raw, file: resultsFile)
      do throws(CairnError) {
        try scanner.readResults(into: &files, catalog: catalog)
        return .success(())
      } catch {
        return .failure(error)
      }
    }
    try outcome.get()
    return files
  }

  private static func read(_ path: String) throws(CairnError) -> [UInt8] {
    do {
      return try FileIO.read(path)
    } catch {
      throw CairnError(error.code == .notFound ? .notFound : .io, error.message)
    }
  }
}

/// Image and category ids mapped to their indices: a table when the ids are dense enough, else
/// a dictionary.
struct COCOIDIndex: Sendable {
  private var lowest: Int64 = 0
  private var table: [Int32] = []
  private var dictionary: [Int64: Int32] = [:]
  private var usesTable = false

  /// Maps each of `ids` (distinct) to its position.
  init(_ ids: [Int64]) {
    guard let low = ids.min(), let high = ids.max() else { return }
    let span = high.subtractingReportingOverflow(low)
    if !span.overflow && span.partialValue < max(1 << 16, Int64(ids.count) * 64) {
      usesTable = true
      lowest = low
      table = [Int32](repeating: -1, count: Int(span.partialValue) + 1)
      for (index, id) in ids.enumerated() { table[Int(id - low)] = Int32(index) }
    } else {
      dictionary.reserveCapacity(ids.count)
      for (index, id) in ids.enumerated() { dictionary[id] = Int32(index) }
    }
  }

  /// The index of `id`, or -1.
  @inline(__always)
  subscript(id: Int64) -> Int32 {
    if usesTable {
      let offset = id &- lowest
      guard offset >= 0, offset < Int64(table.count) else { return -1 }
      return table[Int(offset)]
    }
    return dictionary[id] ?? -1
  }
}

/// The ground-truth file as read, before its ids are resolved.
struct COCOGroundTruthCatalog {
  /// One annotation as written.
  struct Annotation {
    var id: Int64
    var imageID: Int64
    var categoryID: Int64
    var box: SIMD4<Double>
    var area: Double
    var crowd: Bool
  }

  var imageIDs: [Int64] = []
  var categories: [(id: Int64, name: String)] = []
  var annotations: [Annotation] = []
  var images = COCOIDIndex([])
  var categoryIndex = COCOIDIndex([])

  /// Sorts the images and categories, indexes them, and builds the ground-truth boxes.
  mutating func resolve() -> COCOEvaluationFiles {
    // pycocotools keys images and categories by id: a repeated id counts once, the last
    // category name wins.
    var names: [Int64: String] = [:]
    for category in categories { names[category.id] = category.name }
    let categoryIDs = names.keys.sorted()
    let sortedImages = Set(imageIDs).sorted()
    images = COCOIDIndex(sortedImages)
    categoryIndex = COCOIDIndex(categoryIDs)
    var boxes: [EvalBox] = []
    boxes.reserveCapacity(annotations.count)
    var annotationIDs: [Int64] = []
    annotationIDs.reserveCapacity(annotations.count)
    var dropped = 0
    for annotation in annotations {
      let image = images[annotation.imageID]
      let category = categoryIndex[annotation.categoryID]
      guard image >= 0, category >= 0 else {
        dropped += 1
        continue
      }
      boxes.append(
        EvalBox(
          image: image, category: category, x: annotation.box[0], y: annotation.box[1],
          width: annotation.box[2], height: annotation.box[3], area: annotation.area,
          crowd: annotation.crowd))
      annotationIDs.append(annotation.id)
    }
    annotations = []
    return COCOEvaluationFiles(
      problem: DetectionProblem(
        imageCount: sortedImages.count, categories: categoryIDs.map { names[$0] ?? "" },
        groundTruth: boxes, predictions: []),
      imageIDs: sortedImages, categoryIDs: categoryIDs, annotationIDs: annotationIDs,
      resultIndices: [], resultCount: 0, droppedResultsUnknownImage: 0,
      droppedResultsUnknownCategory: 0, droppedAnnotations: dropped)
  }
}
