internal import GitStore

/// One line of a KITTI object label file (`label_2/<frame>.txt`): class, truncation,
/// occlusion, observation angle, the 2D box in pixels, the 3D box in the rectified camera
/// frame, and a score for detections.
package struct KITTILabel: Sendable, Equatable {
  package var type: String
  package var truncated: Double
  package var occluded: Int
  package var alpha: Double
  /// `left, top, right, bottom` in pixels.
  package var box: [Double]
  /// Height, width, length in metres.
  package var dimensions: [Double]
  /// The bottom centre of the 3D box, in the rectified camera frame.
  package var location: [Double]
  package var rotationY: Double
  package var score: Double?

  /// Whether the line has a 3D box (DontCare regions have `-1` dimensions).
  package var hasCuboid: Bool { dimensions.allSatisfy { $0 >= 0 } && type != "DontCare" }

  /// Parses one line; returns why it is malformed.
  package static func parse(_ line: Substring) -> Result<KITTILabel, RecordProblem> {
    let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
    guard fields.count == 15 || fields.count == 16 else {
      return .failure(RecordProblem("expected 15 fields (16 with a score), found \(fields.count)"))
    }
    let numbers = fields.dropFirst().map { Double($0) }
    guard numbers.allSatisfy({ $0?.isFinite ?? false }) else {
      return .failure(RecordProblem("fields 2 to \(fields.count) must be numbers"))
    }
    let values = numbers.compactMap { $0 }
    guard values[1] == values[1].rounded() else {
      return .failure(RecordProblem("occluded must be an integer"))
    }
    let box = Array(values[3...6])
    if box[2] < box[0] || box[3] < box[1] {
      return .failure(
        RecordProblem("the 2D box has its right or bottom edge before its left or top edge"))
    }
    return .success(
      KITTILabel(
        type: String(fields[0]), truncated: values[0], occluded: Int(values[1]),
        alpha: values[2], box: box, dimensions: Array(values[7...9]),
        location: Array(values[10...12]), rotationY: values[13],
        score: values.count == 15 ? values[14] : nil))
  }

  /// The line as KITTI writes it: numbers with two decimals, occlusion as an integer, and the
  /// whole-number placeholders of DontCare regions (`-1`, `-10`, `-1000`) without decimals.
  package var line: String {
    let placeholders = type == "DontCare"
    func text(_ value: Double) -> String {
      if placeholders && value == value.rounded() { return String(Int64(value)) }
      let hundredths = Int64((value * 100).rounded())
      let magnitude = abs(hundredths)
      let fraction = magnitude % 100
      return (hundredths < 0 ? "-" : "") + "\(magnitude / 100)." + (fraction < 10 ? "0" : "")
        + "\(fraction)"
    }
    var parts = [type, text(truncated), String(occluded), text(alpha)]
    parts += box.map(text) + dimensions.map(text) + location.map(text) + [text(rotationY)]
    if let score { parts.append(text(score)) }
    return parts.joined(separator: " ")
  }
}

/// KITTI object detection datasets: `image_2/`, `velodyne/`, `calib/` and `label_2/` with one
/// file per frame.
///
/// Each frame becomes a group (the `left` image and the `pcd` point cloud, with calibration;
/// see ``CairnRepository/importGroups(directory:prefix:options:)``). Each label line becomes a
/// 2D detection on the left image in the field `<field>_2d` (class, box, and the attributes
/// `truncated`, `occluded`, `alpha`) and, unless it is a DontCare region, a cuboid in the field
/// `<field>` in the `left` frame (KITTI's rectified camera frame, the frame `P2` projects):
/// centre = location − (0, h/2, 0), dimensions = [l, h, w], rotation = [0, ry, 0]. Both carry
/// the `source_id` `<frame>:<line>` that joins them again on export.
package enum KITTIFormat {
  /// The attributes of KITTI's 2D labels.
  package static let attributes: [String: AttributeDefinition] = [
    "truncated": AttributeDefinition(kind: .float, minimum: -1, maximum: 1),
    "occluded": AttributeDefinition(kind: .int, minimum: -1, maximum: 3),
    "alpha": AttributeDefinition(kind: .float),
  ]

  /// The folder of label files, the image folder and the field suffix of the 2D labels.
  package static let labelFolder = "label_2"
  package static let imageFolder = "image_2"
  package static let boxFieldSuffix = "_2d"

  /// Reads `directory/label_2/*.txt` into a cuboid dataset and a box dataset whose sample
  /// files are the frames' images (`image_2/<frame>.png`) relative to `directory`.
  ///
  /// - Throws: `CairnError` `.notFound` without `label_2`, `.invalidInput` naming the file and
  ///   line of every malformed label line or a frame without an image.
  package static func read(directory: String) throws(CairnError) -> (
    cuboids: ExternalDataset, boxes: ExternalDataset
  ) {
    let labels = directory + "/" + labelFolder
    guard let names = FileIO.list(labels) else {
      throw CairnError(.notFound, "no \(labelFolder) folder in \(directory)")
    }
    let images = Dictionary(
      (FileIO.list(directory + "/" + imageFolder) ?? []).map { name -> (String, String) in
        (String(name.split(separator: ".").first ?? ""), name)
      }, uniquingKeysWith: { a, _ in a })
    var cuboidSamples: [ExternalSample] = []
    var boxSamples: [ExternalSample] = []
    var classes: [String] = []
    var problems: [CairnError.Violation] = []
    for name in names.sorted() where name.hasSuffix(".txt") {
      let frame = String(name.dropLast(4))
      let path = labels + "/" + name
      guard let image = images[frame] else {
        problems.append(
          CairnError.Violation(path, "no image \(imageFolder)/\(frame).* for this frame"))
        continue
      }
      let file = imageFolder + "/" + image
      var cuboids = ExternalSample(file: file, origin: path)
      var boxes = ExternalSample(file: file, origin: path)
      let text = try readText(path)
      for (lineIndex, line) in text.split(separator: "\n", omittingEmptySubsequences: false)
        .enumerated() where !line.allSatisfy(\.isWhitespace)
      {
        let origin = "\(path): line \(lineIndex + 1)"
        let label: KITTILabel
        switch KITTILabel.parse(line) {
        case .success(let value): label = value
        case .failure(let problem):
          problems.append(CairnError.Violation(origin, problem.reason))
          continue
        }
        if !classes.contains(label.type) { classes.append(label.type) }
        let source = "\(frame):\(lineIndex + 1)"
        var members: [String: JSONValue] = [
          "attributes": .object([
            "truncated": number(label.truncated), "occluded": .int(Int64(label.occluded)),
            "alpha": number(label.alpha),
          ])
        ]
        if let score = label.score { members["confidence"] = number(min(max(score, 0), 1)) }
        boxes.labels.append(
          ExternalLabel(
            className: label.type, sourceID: source, members: members,
            pixelBox: [
              label.box[0], label.box[1], label.box[2] - label.box[0], label.box[3] - label.box[1],
            ], origin: origin))
        guard label.hasCuboid else { continue }
        let (h, w, l) = (label.dimensions[0], label.dimensions[1], label.dimensions[2])
        var cuboid: [String: JSONValue] = [
          "center": .array(
            [label.location[0], label.location[1] - h / 2, label.location[2]].map(number)),
          "dimensions": .array([l, h, w].map(number)),
          "rotation": .array([0, label.rotationY, 0].map(number)),
          "frame": .string("left"),
        ]
        if let confidence = members["confidence"] { cuboid["confidence"] = confidence }
        cuboids.labels.append(
          ExternalLabel(className: label.type, sourceID: source, members: cuboid, origin: origin))
      }
      cuboidSamples.append(cuboids)
      boxSamples.append(boxes)
    }
    if !problems.isEmpty {
      throw CairnError(
        .invalidInput,
        "import refused: \(problems.count) problem(s) in \(labelFolder); nothing was written",
        violations: problems)
    }
    var boxes = ExternalDataset(
      mediaDirectory: directory, classes: classes, fieldType: .detections, samples: boxSamples)
    boxes.attributes = attributes
    let cuboids = ExternalDataset(
      mediaDirectory: directory, classes: classes.filter { $0 != "DontCare" },
      fieldType: .cuboids, samples: cuboidSamples)
    return (cuboids, boxes)
  }

  /// Writes `label_2/<frame>.txt` for every sample of `cuboids` and `boxes` (the same commit),
  /// joining the two by `source_id`; lines come in the order of their source line numbers
  /// (labels without one last).
  ///
  /// - Returns: The number of files written.
  /// - Throws: `CairnError` `.invalidInput` for a label that has no 2D box.
  package static func write(cuboids: ExportBatch, boxes: ExportBatch, to directory: String)
    throws(CairnError) -> Int
  {
    let folder = directory + "/" + labelFolder
    try CairnError.wrap { try FileIO.makeDirectories(folder) }
    let cuboidSamples = Dictionary(
      cuboids.samples.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
    var files = 0
    for sample in boxes.samples where !sample.labels.isEmpty {
      let width = Double(sample.media.width ?? 0)
      let height = Double(sample.media.height ?? 0)
      guard width > 0, height > 0 else {
        throw CairnError(.invalidInput, "sample '\(sample.key)': the image size is unknown")
      }
      var cuboidBySource: [String: JSONValue] = [:]
      for label in cuboidSamples[sample.key]?.labels ?? [] {
        if let source = label["source_id"]?.string { cuboidBySource[source] = label }
      }
      var lines: [(order: Int, text: String)] = []
      for (index, label) in sample.labels.enumerated() {
        guard let box = LabelRules.numbers(label["bbox"], count: 4),
          let type = label["label"]?.string
        else {
          throw CairnError(
            .invalidInput, "sample '\(sample.key)': label \(label["id"]?.string ?? "?") has no box")
        }
        let attributes = label["attributes"]
        var kitti = KITTILabel(
          type: type, truncated: attributes?["truncated"]?.number ?? 0,
          occluded: Int(attributes?["occluded"]?.int ?? 0),
          alpha: attributes?["alpha"]?.number ?? -10,
          box: [
            box[0] * width, box[1] * height, (box[0] + box[2]) * width, (box[1] + box[3]) * height,
          ],
          dimensions: [-1, -1, -1], location: [-1000, -1000, -1000], rotationY: -10,
          score: label["confidence"]?.number)
        let source = label["source_id"]?.string
        if let source, let cuboid = cuboidBySource[source],
          let center = LabelRules.numbers(cuboid["center"], count: 3),
          let size = LabelRules.numbers(cuboid["dimensions"], count: 3),
          let rotation = LabelRules.numbers(cuboid["rotation"], count: 3)
        {
          let (l, h, w) = (size[0], size[1], size[2])
          kitti.dimensions = [h, w, l]
          kitti.location = [center[0], center[1] + h / 2, center[2]]
          kitti.rotationY = rotation[1]
        }
        let order =
          source.flatMap { $0.split(separator: ":").last.flatMap { Int($0) } } ?? (100_000 + index)
        lines.append((order, kitti.line))
      }
      lines.sort { $0.order < $1.order }
      let frame = String(sample.key.split(separator: "/").last?.split(separator: ".").first ?? "")
      let text = lines.map(\.text).joined(separator: "\n") + "\n"
      try CairnError.wrap {
        try FileIO.writeAtomically(Array(text.utf8), to: folder + "/" + frame + ".txt")
      }
      files += 1
    }
    return files
  }

  private static func number(_ value: Double) -> JSONValue {
    if let exact = Int64(exactly: value) { return .int(exact) }
    return .double(value)
  }
}
