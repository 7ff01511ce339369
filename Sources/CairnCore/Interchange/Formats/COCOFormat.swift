internal import GitStore

/// COCO object detection files: an instances file (`images`, `annotations`, `categories`)
/// or a results file (a JSON array of `{image_id, category_id, bbox, score}`), read as
/// detections.
///
/// Files are read with ``JSONPullReader``: the document is walked, never built as a tree, so a
/// file of a million annotations needs memory for the file's bytes and one compact record
/// per annotation, not for a dictionary per JSON object.
package enum COCOFormat {
  /// Reads a COCO instances file, or a results file with the images and categories of a
  /// ground-truth file.
  ///
  /// Classes are the category names in category-id order. Each image becomes a sample (its
  /// `file_name` relative to the media directory, its `width` and `height` as the sample
  /// size), with or without annotations. Each annotation becomes a detection: `bbox` in
  /// pixels, its `id` as `source_id`, `area`, `iscrowd` as `crowd`, polygons (relative, like
  /// the box) or RLE (as written) from `segmentation`, `score` as `confidence`.
  ///
  /// - Parameters:
  ///   - path: The instances file, or a results file when `imagesPath` is given.
  ///   - imagesPath: A ground-truth instances file whose `images` and `categories` the
  ///     annotations of `path` refer to (its own annotations are not read).
  ///   - mediaDirectory: The folder `file_name`s are relative to (default: the folder of the
  ///     file holding the images).
  /// - Returns: The dataset: one sample per image, in the file's order.
  /// - Throws: `CairnError` `.notFound` for a file that cannot be read; `.invalidInput` for
  ///   broken JSON (file, line and column) and, listing every one, records that break COCO's
  ///   rules: unknown `image_id` or `category_id`, a box of negative size, missing or
  ///   mistyped members, repeated ids.
  package static func read(path: String, imagesPath: String?, mediaDirectory: String?)
    throws(CairnError) -> ExternalDataset
  {
    let bytes = try load(path)
    var problems: [CairnError.Violation] = []
    let main = try parse(bytes, file: path, annotations: true, images: imagesPath == nil)
    problems += main.problems
    var catalog = main
    if let imagesPath {
      catalog = try parse(try load(imagesPath), file: imagesPath, annotations: false, images: true)
      problems += catalog.problems
    } else if main.isResults {
      throw CairnError(
        .invalidInput,
        "\(path) is a COCO results file (a JSON array); pass --images GT.json, the instances "
          + "file whose images and categories it refers to")
    }
    let built = build(
      annotations: main.annotations, catalog: catalog, bytes: bytes, file: path,
      catalogFile: imagesPath ?? path, results: main.isResults)
    problems += built.problems
    if !problems.isEmpty {
      throw CairnError(
        .invalidInput,
        "import refused: \(problems.count) problem(s) in the COCO file(s); nothing was written",
        violations: problems)
    }
    var dataset = ExternalDataset(
      mediaDirectory: mediaDirectory ?? parent(of: imagesPath ?? path), classes: built.classes,
      fieldType: .detections, samples: built.samples)
    if let table = built.labels {
      dataset.deferredLabels = { index in table.labels(ofSample: index) }
      dataset.deferredClasses = built.usedClasses
    }
    return dataset
  }

  // MARK: - Records

  /// An image or annotation id: COCO writes integers, some tools strings.
  enum Identifier: Hashable, Sendable {
    case int(Int64)
    case string(String)

    /// The id as text: `42`, or the string itself.
    var text: String {
      switch self {
      case .int(let value): String(value)
      case .string(let value): value
      }
    }
  }

  struct Image: Sendable {
    var id: Identifier?
    var fileName: String?
    var width: Int?
    var height: Int?
  }

  struct Category {
    var id: Identifier?
    var name: String?
  }

  /// One annotation, compact: its segmentation stays in the file's bytes until it is used.
  struct Annotation: Sendable {
    var index: Int
    var id: Identifier?
    var imageID: Identifier?
    var categoryID: Identifier?
    var box: SIMD4<Double>?
    var area: JSONValue?
    var crowd = false
    var score: JSONValue?
    /// The bytes of the `segmentation` value.
    var segmentation: Range<Int>?
    /// The first mistyped member found.
    var problem: String?

    init(index: Int) { self.index = index }
  }

  /// What one file holds.
  struct Document {
    var isResults = false
    var images: [Image] = []
    var categories: [Category] = []
    var annotations: [Annotation] = []
    var sawImages = false
    var sawCategories = false
    var problems: [CairnError.Violation] = []
  }

  // MARK: - Reading

  static func load(_ path: String) throws(CairnError) -> [UInt8] {
    do {
      return try FileIO.read(path)
    } catch {
      throw CairnError(.notFound, "cannot read \(path): \(error.message)")
    }
  }

  /// Walks one file, keeping the parts asked for.
  static func parse(_ bytes: [UInt8], file: String, annotations: Bool, images: Bool)
    throws(CairnError) -> Document
  {
    let result = bytes.withUnsafeBytes { raw -> Result<Document, JSONParseError> in
      var reader = JSONPullReader(raw)
      var document = Document()
      do throws(JSONParseError) {
        switch try reader.peek() {
        case .array:
          document.isResults = true
          if annotations {
            try readAnnotations(&reader, into: &document, file: file)
          } else {
            try reader.skipValue()
          }
        case .object:
          try reader.readObject { reader, name throws(JSONParseError) in
            switch name {
            case "images" where images:
              document.sawImages = true
              try readImages(&reader, into: &document, file: file)
            case "categories" where images:
              document.sawCategories = true
              try readCategories(&reader, into: &document, file: file)
            case "annotations" where annotations:
              try readAnnotations(&reader, into: &document, file: file)
            default: try reader.skipValue()
            }
          }
          if images && !document.sawImages {
            document.problems.append(CairnError.Violation(file, "has no \"images\" array"))
          }
          if images && !document.sawCategories {
            document.problems.append(CairnError.Violation(file, "has no \"categories\" array"))
          }
        default:
          throw reader.error("a COCO file is a JSON object (instances) or array (results)")
        }
        try reader.finish()
        return .success(document)
      } catch {
        return .failure(error)
      }
    }
    switch result {
    case .success(let document): return document
    case .failure(let error):
      throw CairnError(
        .invalidInput,
        "\(file): broken JSON at line \(error.line), column \(error.column): \(error.reason); "
          + "nothing was written")
    }
  }

  private static func readImages(
    _ reader: inout JSONPullReader, into document: inout Document, file: String
  ) throws(JSONParseError) {
    guard try reader.peek() == .array else {
      document.problems.append(CairnError.Violation(file, "\"images\" must be an array"))
      try reader.skipValue()
      return
    }
    try reader.readArray { reader, index throws(JSONParseError) in
      let origin = "\(file): images[\(index)]"
      guard try reader.peek() == .object else {
        document.problems.append(CairnError.Violation(origin, "must be an object"))
        try reader.skipValue()
        return
      }
      var image = Image()
      var problem: String?
      try reader.readObject { reader, name throws(JSONParseError) in
        switch name {
        case "id": image.id = try readIdentifier(&reader, "id", &problem)
        case "file_name": image.fileName = try readString(&reader, "file_name", &problem)
        case "width": image.width = try readSize(&reader, "width", &problem)
        case "height": image.height = try readSize(&reader, "height", &problem)
        default: try reader.skipValue()
        }
      }
      if problem == nil && image.id == nil { problem = "has no \"id\"" }
      if problem == nil && image.fileName == nil { problem = "has no \"file_name\"" }
      if let problem {
        let name = image.id.map { "\(file): image \($0.text)" } ?? origin
        document.problems.append(CairnError.Violation(name, problem))
      }
      document.images.append(image)
    }
  }

  private static func readCategories(
    _ reader: inout JSONPullReader, into document: inout Document, file: String
  ) throws(JSONParseError) {
    guard try reader.peek() == .array else {
      document.problems.append(CairnError.Violation(file, "\"categories\" must be an array"))
      try reader.skipValue()
      return
    }
    try reader.readArray { reader, index throws(JSONParseError) in
      let origin = "\(file): categories[\(index)]"
      guard try reader.peek() == .object else {
        document.problems.append(CairnError.Violation(origin, "must be an object"))
        try reader.skipValue()
        return
      }
      var category = Category()
      var problem: String?
      try reader.readObject { reader, name throws(JSONParseError) in
        switch name {
        case "id": category.id = try readIdentifier(&reader, "id", &problem)
        case "name": category.name = try readString(&reader, "name", &problem)
        default: try reader.skipValue()
        }
      }
      if problem == nil && category.id == nil { problem = "has no \"id\"" }
      if problem == nil && (category.name ?? "").isEmpty { problem = "has no non-empty \"name\"" }
      if let problem { document.problems.append(CairnError.Violation(origin, problem)) }
      document.categories.append(category)
    }
  }

  private static func readAnnotations(
    _ reader: inout JSONPullReader, into document: inout Document, file: String
  ) throws(JSONParseError) {
    guard try reader.peek() == .array else {
      document.problems.append(CairnError.Violation(file, "\"annotations\" must be an array"))
      try reader.skipValue()
      return
    }
    try reader.readArray { reader, index throws(JSONParseError) in
      var annotation = Annotation(index: index)
      guard try reader.peek() == .object else {
        annotation.problem = "must be an object"
        try reader.skipValue()
        document.annotations.append(annotation)
        return
      }
      var problem: String?
      try reader.readObject { reader, name throws(JSONParseError) in
        switch name {
        case "id": annotation.id = try readIdentifier(&reader, "id", &problem)
        case "image_id": annotation.imageID = try readIdentifier(&reader, "image_id", &problem)
        case "category_id":
          annotation.categoryID = try readIdentifier(&reader, "category_id", &problem)
        case "bbox": annotation.box = try readBox(&reader, &problem)
        case "area":
          annotation.area = try readNumber(&reader, "area", &problem)
          if let area = annotation.area?.number, area < 0 {
            problem = problem ?? "\"area\" is negative"
          }
        case "score": annotation.score = try readNumber(&reader, "score", &problem)
        case "iscrowd":
          switch try reader.peek() {
          case .bool: annotation.crowd = try reader.readBool()
          case .number:
            let value = try reader.readNumber()
            if value != .int(0) && value != .int(1) {
              problem = problem ?? "\"iscrowd\" must be 0 or 1"
            }
            annotation.crowd = value == .int(1)
          default:
            problem = problem ?? "\"iscrowd\" must be 0 or 1"
            try reader.skipValue()
          }
        case "segmentation":
          _ = try reader.peek()
          let start = reader.position
          try reader.skipValue()
          annotation.segmentation = start..<reader.position
        default: try reader.skipValue()
        }
      }
      annotation.problem = problem
      document.annotations.append(annotation)
    }
  }

  private static func readIdentifier(
    _ reader: inout JSONPullReader, _ name: String, _ problem: inout String?
  ) throws(JSONParseError) -> Identifier? {
    switch try reader.peek() {
    case .number:
      if case .int(let value) = try reader.readNumber() { return .int(value) }
    case .string:
      let text = try reader.readString()
      if !text.isEmpty { return .string(text) }
    default: try reader.skipValue()
    }
    problem = problem ?? "\"\(name)\" must be an integer or a non-empty string"
    return nil
  }

  private static func readString(
    _ reader: inout JSONPullReader, _ name: String, _ problem: inout String?
  ) throws(JSONParseError) -> String? {
    if try reader.peek() == .string { return try reader.readString() }
    try reader.skipValue()
    problem = problem ?? "\"\(name)\" must be a string"
    return nil
  }

  private static func readNumber(
    _ reader: inout JSONPullReader, _ name: String, _ problem: inout String?
  ) throws(JSONParseError) -> JSONValue? {
    if try reader.peek() == .number { return try reader.readNumber() }
    try reader.skipValue()
    problem = problem ?? "\"\(name)\" must be a number"
    return nil
  }

  private static func readSize(
    _ reader: inout JSONPullReader, _ name: String, _ problem: inout String?
  ) throws(JSONParseError) -> Int? {
    if try reader.peek() == .number {
      if case .int(let value) = try reader.readNumber(), value > 0, value <= Int64(Int32.max) {
        return Int(value)
      }
    } else {
      try reader.skipValue()
    }
    problem = problem ?? "\"\(name)\" must be a positive integer"
    return nil
  }

  private static func readBox(_ reader: inout JSONPullReader, _ problem: inout String?)
    throws(JSONParseError) -> SIMD4<Double>?
  {
    guard try reader.peek() == .array else {
      try reader.skipValue()
      problem = problem ?? "\"bbox\" must be [x, y, width, height] numbers"
      return nil
    }
    var box = SIMD4<Double>()
    var count = 0
    var numeric = true
    try reader.readArray { reader, index throws(JSONParseError) in
      count += 1
      if try reader.peek() == .number, index < 4 {
        box[index] = try reader.readDouble()
      } else {
        numeric = false
        try reader.skipValue()
      }
    }
    guard numeric, count == 4 else {
      problem = problem ?? "\"bbox\" must be [x, y, width, height] numbers"
      return nil
    }
    return box
  }

  // MARK: - Building the dataset

  struct Built {
    var classes: [String] = []
    /// The classes annotations use, in order of first use.
    var usedClasses: [String] = []
    var samples: [ExternalSample] = []
    var labels: LabelTable?
    var problems: [CairnError.Violation] = []
  }

  /// Resolves annotations against the images and categories and makes the samples.
  static func build(
    annotations: [Annotation], catalog: Document, bytes: [UInt8], file: String,
    catalogFile: String, results: Bool
  ) -> Built {
    var built = Built()
    let elsewhere = catalogFile == file ? "" : " of \(catalogFile)"
    // Categories: classes in category-id order.
    var categoryNames: [Identifier: String] = [:]
    var ordered: [(Identifier, String)] = []
    for category in catalog.categories {
      guard let id = category.id, let name = category.name, !name.isEmpty else { continue }
      if categoryNames[id] != nil {
        built.problems.append(
          CairnError.Violation(
            "\(catalogFile): category \(id.text)", "the category id is used more than once"))
        continue
      }
      categoryNames[id] = name
      ordered.append((id, name))
    }
    ordered.sort { precedes($0.0, $1.0) }
    var seenClasses: Set<String> = []
    for (_, name) in ordered where seenClasses.insert(name).inserted {
      built.classes.append(name)
    }
    // Images.
    var imageSlot: [Identifier: Int] = [:]
    imageSlot.reserveCapacity(catalog.images.count)
    for (index, image) in catalog.images.enumerated() {
      guard let id = image.id else { continue }
      if imageSlot[id] != nil {
        built.problems.append(
          CairnError.Violation(
            "\(catalogFile): image \(id.text)", "the image id is used more than once"))
        continue
      }
      imageSlot[id] = index
    }
    // Annotations, grouped by image (a counting sort keeps the file's order within an image).
    var usedNames: Set<String> = []
    var slots = [Int](repeating: -1, count: annotations.count)
    var counts = [Int](repeating: 0, count: catalog.images.count + 1)
    for (index, annotation) in annotations.enumerated() {
      let origin = annotationOrigin(annotation, file: file, results: results)
      if let problem = annotation.problem {
        built.problems.append(CairnError.Violation(origin, problem))
        continue
      }
      guard let imageID = annotation.imageID else {
        built.problems.append(CairnError.Violation(origin, "has no \"image_id\""))
        continue
      }
      guard let slot = imageSlot[imageID] else {
        built.problems.append(
          CairnError.Violation(
            origin, "image_id \(imageID.text) is not in the images\(elsewhere)"))
        continue
      }
      guard let categoryID = annotation.categoryID else {
        built.problems.append(CairnError.Violation(origin, "has no \"category_id\""))
        continue
      }
      guard categoryNames[categoryID] != nil else {
        built.problems.append(
          CairnError.Violation(
            origin, "category_id \(categoryID.text) is not in the categories\(elsewhere)"))
        continue
      }
      guard let box = annotation.box else {
        built.problems.append(
          CairnError.Violation(
            origin, "has no \"bbox\" (cairn imports COCO detections: every record needs a box)"))
        continue
      }
      if box[2] < 0 || box[3] < 0 {
        built.problems.append(
          CairnError.Violation(
            origin,
            "bbox [\(box[0]), \(box[1]), \(box[2]), \(box[3])] has a negative width or height"))
        continue
      }
      if let name = categoryNames[categoryID], usedNames.insert(name).inserted {
        built.usedClasses.append(name)
      }
      slots[index] = slot
      counts[slot + 1] += 1
    }
    for slot in 0..<catalog.images.count { counts[slot + 1] += counts[slot] }
    var order = [Int](repeating: 0, count: counts[catalog.images.count])
    var next = counts
    for (index, slot) in slots.enumerated() where slot >= 0 {
      order[next[slot]] = index
      next[slot] += 1
    }
    built.samples.reserveCapacity(catalog.images.count)
    var slotOfSample: [Int] = []
    for (slot, image) in catalog.images.enumerated() {
      guard let id = image.id, let fileName = image.fileName else { continue }
      built.samples.append(
        ExternalSample(
          file: fileName, origin: "\(catalogFile): image \(id.text)", width: image.width,
          height: image.height))
      slotOfSample.append(slot)
    }
    built.labels = LabelTable(
      bytes: bytes, annotations: annotations, order: order, starts: counts,
      slotOfSample: slotOfSample, images: catalog.images, categoryNames: categoryNames,
      file: file, results: results)
    return built
  }

  /// Makes the labels of one image from the compact annotations, when the import needs them.
  struct LabelTable: Sendable {
    var bytes: [UInt8]
    var annotations: [Annotation]
    /// Annotation indices grouped by image slot: those of slot s are
    /// `order[starts[s]..<starts[s + 1]]`.
    var order: [Int]
    var starts: [Int]
    var slotOfSample: [Int]
    var images: [Image]
    var categoryNames: [Identifier: String]
    var file: String
    /// Whether `file` is a results file (for messages).
    var results: Bool

    /// The labels of sample `index`, and the segmentations that could not be read.
    func labels(ofSample index: Int) -> (labels: [ExternalLabel], problems: [CairnError.Violation])
    {
      let slot = slotOfSample[index]
      let image = images[slot]
      var labels: [ExternalLabel] = []
      var problems: [CairnError.Violation] = []
      labels.reserveCapacity(starts[slot + 1] - starts[slot])
      bytes.withUnsafeBytes { raw in
        for position in starts[slot]..<starts[slot + 1] {
          let annotation = annotations[order[position]]
          let origin = annotationOrigin(annotation, file: file, results: results)
          guard let categoryID = annotation.categoryID,
            let className = categoryNames[categoryID], let box = annotation.box
          else { continue }
          var members: [String: JSONValue] = [:]
          if let area = annotation.area { members["area"] = area }
          if annotation.crowd { members["crowd"] = .bool(true) }
          if let score = annotation.score { members["confidence"] = score }
          if let range = annotation.segmentation {
            switch segmentation(raw, range, width: image.width, height: image.height) {
            case .success(let found):
              for (name, value) in found { members[name] = value }
            case .failure(let violation):
              problems.append(CairnError.Violation(origin, violation.reason))
              continue
            }
          }
          labels.append(
            ExternalLabel(
              className: className, sourceID: annotation.id?.text, members: members,
              pixelBox: [box[0], box[1], box[2], box[3]], origin: origin))
        }
      }
      return (labels, problems)
    }
  }

  /// Integers in numeric order before strings in byte order.
  private static func precedes(_ a: Identifier, _ b: Identifier) -> Bool {
    switch (a, b) {
    case (.int(let x), .int(let y)): x < y
    case (.int, .string): true
    case (.string, .int): false
    case (.string(let x), .string(let y)): x.utf8.lexicographicallyPrecedes(y.utf8)
    }
  }

  /// `instances.json: annotation 17`, or by position when the annotation has no id
  /// (`results.json: results[3]`).
  static func annotationOrigin(_ annotation: Annotation, file: String, results: Bool) -> String {
    if let id = annotation.id { return "\(file): annotation \(id.text)" }
    return "\(file): \(results ? "results" : "annotations")[\(annotation.index)]"
  }

  /// The `polygons` or `rle` members of a `segmentation` value; none for `[]`.
  static func segmentation(
    _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, width: Int?, height: Int?
  ) -> Result<[String: JSONValue], CairnError.Violation> {
    var reader = JSONPullReader(bytes, at: range.lowerBound)
    let value: JSONValue
    do {
      value = try reader.readValue()
    } catch {
      return .failure(CairnError.Violation("", "\"segmentation\": \(error.reason)"))
    }
    switch value {
    case .array(let shapes):
      if shapes.isEmpty { return .success([:]) }
      guard let width, let height else {
        return .failure(
          CairnError.Violation(
            "", "the image has no width and height, needed to store polygons relative to it"))
      }
      var polygons: [JSONValue] = []
      for (index, shape) in shapes.enumerated() {
        guard let coordinates = shape.array, !coordinates.isEmpty, coordinates.count % 2 == 0
        else {
          return .failure(
            CairnError.Violation(
              "", "segmentation polygon \(index) must be a non-empty list x1, y1, x2, y2, …"))
        }
        var points: [JSONValue] = []
        points.reserveCapacity(coordinates.count / 2)
        var pair = 0
        while pair < coordinates.count {
          guard let x = coordinates[pair].number, let y = coordinates[pair + 1].number else {
            return .failure(
              CairnError.Violation("", "segmentation polygon \(index) holds a non-number"))
          }
          points.append(
            .array([
              .double(CairnRepository.rounded(x / Double(width))),
              .double(CairnRepository.rounded(y / Double(height))),
            ]))
          pair += 2
        }
        polygons.append(.array(points))
      }
      return .success(["polygons": .array(polygons)])
    case .object(let members):
      let size = members["size"]?.array
      guard let size, size.count == 2, let rows = size[0].int, let columns = size[1].int,
        rows > 0, columns > 0
      else {
        return .failure(
          CairnError.Violation("", "RLE segmentation needs \"size\": [height, width]"))
      }
      switch members["counts"] {
      case .string(let text) where !text.isEmpty: break
      case .array(let runs) where runs.allSatisfy({ ($0.int ?? -1) >= 0 }): break
      default:
        return .failure(
          CairnError.Violation(
            "", "RLE \"counts\" must be a compressed string or a list of run lengths"))
      }
      return .success([
        "rle": .object([
          "size": .array([.int(rows), .int(columns)]), "counts": members["counts"] ?? .null,
        ])
      ])
    default:
      return .failure(
        CairnError.Violation("", "\"segmentation\" must be a list of polygons or an RLE object"))
    }
  }
}
