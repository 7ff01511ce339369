internal import Dispatch
package import Evaluation
internal import GitStore

#if canImport(Glibc)
internal import Glibc
#endif

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
  /// Each file is taken into memory whole (mapped when it is a regular file, so that its bytes
  /// are neither copied nor zeroed first) and scanned in place: no JSON tree is built,
  /// segmentation is skipped with a structural scan (balanced brackets and strings).
  ///
  /// - Parameters:
  ///   - groundTruth: The path of a COCO instances file.
  ///   - results: The path of a COCO results file (a JSON array of detections).
  /// - Returns: The problem and its id maps.
  /// - Throws: `CairnError` `.notFound` when a file does not exist, `.io` when it cannot be
  ///   read, `.invalidInput` when one is malformed (the message names the file, the line and
  ///   column, and what was expected).
  package static func load(groundTruth: String, results: String) throws(CairnError)
    -> COCOEvaluationFiles
  {
    let groundTruthBytes = try COCOFileBytes(path: groundTruth)
    let resultBytes = try COCOFileBytes(path: results)
    return try withExtendedLifetime((groundTruthBytes, resultBytes)) { () throws(CairnError) in
      try parse(
        groundTruthBytes.bytes, file: groundTruth, resultBytes.bytes, file: results)
    }
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
    let outcome = groundTruth.withUnsafeBytes { truth in
      results.withUnsafeBytes { detections -> Result<COCOEvaluationFiles, CairnError> in
        do throws(CairnError) {
          return .success(
            try parse(truth, file: groundTruthFile, detections, file: resultsFile))
        } catch {
          return .failure(error)
        }
      }
    }
    return try outcome.get()
  }

  /// Scans the two files at once (results on a second thread), then resolves the results'
  /// ids against the ground truth's.
  private static func parse(
    _ groundTruth: UnsafeRawBufferPointer, file groundTruthFile: String,
    _ results: UnsafeRawBufferPointer, file resultsFile: String
  ) throws(CairnError) -> COCOEvaluationFiles {
    var truth: Result<COCOGroundTruthCatalog, CairnError>?
    var detections: Result<[COCOResultRecord], CairnError>?
    let slots = UncheckedBox((groundTruth, results))
    withUnsafeMutablePointer(to: &truth) { truthSlot in
      withUnsafeMutablePointer(to: &detections) { detectionSlot in
        let outputs = UncheckedBox((truthSlot, detectionSlot))
        DispatchQueue.concurrentPerform(iterations: 2) { part in
          if part == 0 {
            var scanner = COCOScanner(slots.value.0, file: groundTruthFile)
            outputs.value.0.pointee = Result { () throws(CairnError) in
              try scanner.readGroundTruth()
            }
          } else {
            var scanner = COCOScanner(slots.value.1, file: resultsFile)
            outputs.value.1.pointee = Result { () throws(CairnError) in
              try scanner.readResults()
            }
          }
        }
      }
    }
    guard let truth, let detections else {
      throw CairnError(.internalError, "reading \(groundTruthFile) and \(resultsFile) failed")
    }
    var catalog = try truth.get()
    var files = catalog.resolve()
    files.add(try detections.get(), catalog: catalog)
    return files
  }

  /// Keeps the results whose image and category the ground truth lists, counting the others.
  private mutating func add(_ records: [COCOResultRecord], catalog: COCOGroundTruthCatalog) {
    var predictions: [EvalBox] = []
    predictions.reserveCapacity(records.count)
    var indices: [Int32] = []
    indices.reserveCapacity(records.count)
    for (index, record) in records.enumerated() {
      let image = catalog.images[record.imageID]
      let category = catalog.categoryIndex[record.categoryID]
      if image < 0 {
        droppedResultsUnknownImage += 1
      } else if category < 0 {
        droppedResultsUnknownCategory += 1
      } else {
        let box = record.box
        predictions.append(
          EvalBox(
            image: image, category: category, x: box[0], y: box[1], width: box[2],
            height: box[3], area: box[2] * box[3], score: record.score))
        indices.append(Int32(truncatingIfNeeded: index))
      }
    }
    problem.predictions = predictions
    resultIndices = indices
    resultCount = records.count
  }
}

/// One entry of a results file as written.
struct COCOResultRecord {
  var imageID: Int64
  var categoryID: Int64
  var box: SIMD4<Double>
  var score: Double
}

/// A whole file's bytes: mapped read-only when it is a regular file, else read.
///
/// Reading 50 MB into a new array costs the kernel zeroing every page and copying the page
/// cache into it (a quarter of the load time measured on the benchmark files); a private
/// mapping of the page cache costs neither.
final class COCOFileBytes {
  /// The bytes; valid while this object lives.
  let bytes: UnsafeRawBufferPointer
  private let mapped: Bool

  /// Maps or reads `path`.
  ///
  /// - Throws: `CairnError` `.notFound` when the file does not exist, `.io` when it cannot be
  ///   opened or read.
  init(path: String) throws(CairnError) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      let code: CairnError.Code = errno == ENOENT ? .notFound : .io
      throw CairnError(code, "cannot read \(path): \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    var info = stat()
    if fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size > 0,
      let address = mmap(nil, Int(info.st_size), PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0),
      address != MAP_FAILED
    {
      bytes = UnsafeRawBufferPointer(start: address, count: Int(info.st_size))
      mapped = true
      return
    }
    // Not a regular file (a pipe, a device) or not mappable: read it and keep a copy.
    let content: [UInt8]
    do {
      content = try FileIO.read(path)
    } catch {
      throw CairnError(error.code == .notFound ? .notFound : .io, error.message)
    }
    let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: content.count, alignment: 8)
    content.withUnsafeBytes { storage.copyMemory(from: $0) }
    bytes = UnsafeRawBufferPointer(storage)
    mapped = false
  }

  deinit {
    guard let base = bytes.baseAddress else { return }
    if mapped {
      munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
    } else {
      UnsafeMutableRawPointer(mutating: base).deallocate()
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
