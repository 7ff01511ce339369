internal import GitStore

/// Label Studio's JSON export (and import) format for image object detection: an array of
/// tasks, each with `data.image` and `annotations[].result[]` (or `predictions[].result[]`)
/// items of type `rectanglelabels` whose `value` holds `x`, `y`, `width`, `height` in percent
/// of the image and `rectanglelabels: [class]`.
///
/// Percent coordinates are relative already, so a box needs no image size: `bbox` is
/// `[x, y, width, height] / 100`. A result's `id` becomes the label's `source_id`, and an
/// export writes it back (or the Cairn label id when there is none), so boxes keep their
/// identity through Label Studio.
package enum LabelStudioFormat {
  /// Reads a Label Studio JSON export.
  ///
  /// Each task contributes one annotation: the one marked `ground_truth`, else the last one
  /// not cancelled (with `predictions`, the last prediction, whose `score`s become
  /// `confidence`). Results other than `rectanglelabels` are counted and reported.
  ///
  /// - Parameters:
  ///   - path: The exported `.json` file.
  ///   - mediaDirectory: The folder image names are relative to (default: the file's folder).
  ///   - predictions: Read `predictions` instead of `annotations`.
  /// - Returns: One sample per task; the image name is `?d=` of a local-files URL, the file
  ///   name of an upload (without Label Studio's 8-character prefix), the path of any other
  ///   URL, or the path as written.
  /// - Throws: `CairnError` `.notFound` for a missing file, `.invalidInput` naming the task
  ///   and result of broken JSON or of a box that breaks a rule.
  package static func read(path: String, mediaDirectory: String?, predictions: Bool)
    throws(CairnError) -> ExternalDataset
  {
    let bytes: [UInt8]
    do {
      bytes = try FileIO.read(path)
    } catch {
      throw CairnError(.notFound, "cannot read \(path): \(error.message)")
    }
    let document: JSONValue
    do {
      document = try JSONParser.parse(bytes)
    } catch {
      throw CairnError(.invalidInput, "\(path): broken JSON at \(error)")
    }
    guard let tasks = document.array ?? (document.object != nil ? [document] : nil) else {
      throw CairnError(.invalidInput, "\(path): expected an array of Label Studio tasks")
    }
    var problems: [CairnError.Violation] = []
    var samples: [ExternalSample] = []
    var names: Set<String> = []
    var skipped: [String: Int] = [:]
    var several = 0
    let section = predictions ? "predictions" : "annotations"
    for (index, task) in tasks.enumerated() {
      let origin = "\(path): task \(task["id"].map(\.brief) ?? "#\(index + 1)")"
      guard let data = task["data"]?.object else {
        problems.append(CairnError.Violation(origin, "the task has no \"data\" object"))
        continue
      }
      let strings = data.values.compactMap(\.string)
      guard let image = data["image"]?.string ?? (strings.count == 1 ? strings[0] : nil) else {
        problems.append(
          CairnError.Violation(origin, "the task's data has no \"image\" (an image URL or path)"))
        continue
      }
      var sample = ExternalSample(
        file: fileName(image, mediaDirectory: mediaDirectory ?? parent(of: path)),
        origin: origin)
      let entries = (task[section]?.array ?? []).filter {
        $0["was_cancelled"]?.bool != true
      }
      if entries.count > 1 { several += 1 }
      let chosen =
        predictions
        ? entries.last
        : (entries.last { $0["ground_truth"]?.bool == true } ?? entries.last)
      for (number, result) in (chosen?["result"]?.array ?? []).enumerated() {
        let at = "\(origin), result \(result["id"].map(\.brief) ?? "#\(number + 1)")"
        let type = result["type"]?.string ?? "?"
        guard type == "rectanglelabels" else {
          skipped[type, default: 0] += 1
          continue
        }
        guard
          let label = box(
            result, at: at,
            score: predictions ? result["score"]?.number ?? chosen?["score"]?.number : nil,
            problems: &problems)
        else { continue }
        if sample.width == nil, let width = result["original_width"]?.int, width > 0 {
          sample.width = Int(width)
        }
        if sample.height == nil, let height = result["original_height"]?.int, height > 0 {
          sample.height = Int(height)
        }
        names.insert(label.className)
        sample.labels.append(label)
      }
      samples.append(sample)
    }
    if !problems.isEmpty {
      throw CairnError(
        .invalidInput,
        "import refused: \(problems.count) problem(s) in \(path); nothing was written",
        violations: problems)
    }
    var warnings: [String] = []
    if several > 0 {
      warnings.append(
        "\(several) task(s) have several \(section); one of each was imported "
          + (predictions ? "(the last)" : "(the ground truth, else the last)"))
    }
    if !skipped.isEmpty {
      let counts = skipped.keys.sorted().map { "\(skipped[$0] ?? 0) \($0)" }
      warnings.append(
        "\(counts.joined(separator: ", ")) result(s) were not imported: a detections field "
          + "holds rectanglelabels only")
    }
    return ExternalDataset(
      mediaDirectory: mediaDirectory ?? parent(of: path), classes: names.sorted(),
      fieldType: .detections, samples: samples, warnings: warnings)
  }

  /// One `rectanglelabels` result as a label, or nil after recording its problems.
  private static func box(
    _ result: JSONValue, at: String, score: Double?, problems: inout [CairnError.Violation]
  ) -> ExternalLabel? {
    guard let value = result["value"]?.object else {
      problems.append(CairnError.Violation(at, "the result has no \"value\""))
      return nil
    }
    guard let classes = value["rectanglelabels"]?.array?.compactMap(\.string), classes.count == 1
    else {
      problems.append(
        CairnError.Violation(at, "\"rectanglelabels\" must name exactly one class"))
      return nil
    }
    var box: [Double] = []
    for name in ["x", "y", "width", "height"] {
      guard let number = value[name]?.number, number.isFinite else {
        problems.append(CairnError.Violation(at, "\"value\" needs a number in \"\(name)\""))
        return nil
      }
      box.append(number)
    }
    if box[2] < 0 || box[3] < 0 {
      problems.append(CairnError.Violation(at, "negative box: width or height below 0"))
      return nil
    }
    if let rotation = value["rotation"]?.number, rotation != 0 {
      problems.append(
        CairnError.Violation(
          at, "the box is rotated by \(rotation)°; Cairn boxes are axis-aligned"))
      return nil
    }
    var members: [String: JSONValue] = [
      "bbox": .array(box.map { .double(CairnRepository.rounded($0 / 100)) })
    ]
    if let score { members["confidence"] = .double(score) }
    let sourceID: String? =
      switch result["id"] {
      case .string(let text)?: text
      case .int(let number)?: String(number)
      default: nil
      }
    return ExternalLabel(
      className: classes[0], sourceID: sourceID, members: members, origin: at)
  }

  /// The file name, relative to the media directory, of a task's image reference.
  static func fileName(_ reference: String, mediaDirectory: String) -> String {
    var text = Substring(reference)
    if let scheme = text.firstRange(of: "://") {
      text = text[scheme.upperBound...]
      text = text.drop { $0 != "/" }
    }
    if let query = text.firstRange(of: "/data/local-files/?") {
      let parameters = text[query.upperBound...].split(separator: "&")
      if let d = parameters.first(where: { $0.hasPrefix("d=") }) {
        return percentDecoded(String(d.dropFirst(2)))
      }
    }
    if let question = text.firstIndex(of: "?") { text = text[..<question] }
    let path = percentDecoded(String(text))
    if path.hasPrefix("/data/upload/") {
      var name = String(path.split(separator: "/").last ?? "")
      let prefix = name.prefix(9)
      if prefix.count == 9, prefix.last == "-",
        prefix.dropLast().allSatisfy({ $0.isHexDigit })
      {
        name = String(name.dropFirst(9))
      }
      return name
    }
    if reference.contains("://") { return String(path.drop { $0 == "/" }) }
    if path.hasPrefix("/"), let inside = relative(path, to: mediaDirectory) { return inside }
    return path
  }

  /// A key as a URL query value: `%`, space, `#`, `&`, `+` and `?` escaped.
  static func percentEncoded(_ text: String) -> String {
    var out = ""
    for character in text {
      switch character {
      case "%": out += "%25"
      case " ": out += "%20"
      case "#": out += "%23"
      case "&": out += "%26"
      case "+": out += "%2B"
      case "?": out += "%3F"
      default: out.append(character)
      }
    }
    return out
  }

  /// How an export names images and results.
  package struct ExportOptions: Sendable {
    /// Put before each (escaped) sample key to make `data.image`.
    package var imagePrefix: String
    /// The labeling config's `<RectangleLabels name>` and `<Image name>`.
    package var fromName: String
    package var toName: String
    /// Write `predictions` (with `score`s) instead of `annotations`.
    package var predictions: Bool

    package init(
      imagePrefix: String = "/data/local-files/?d=", fromName: String = "label",
      toName: String = "image", predictions: Bool = false
    ) {
      self.imagePrefix = imagePrefix
      self.fromName = fromName
      self.toName = toName
      self.predictions = predictions
    }
  }

  /// Writes `batch` as a Label Studio import file, `tasks.json`: one task per sample in key
  /// order with `data.image` = prefix + key and one annotation (or prediction) whose results'
  /// ids are the labels' `source_id`, else their Cairn id.
  ///
  /// - Returns: The number of files written.
  /// - Throws: `CairnError` `.invalidInput` for a label without a box.
  package static func write(_ batch: ExportBatch, to directory: String, options: ExportOptions)
    throws(CairnError) -> Int
  {
    var tasks: [JSONValue] = []
    for sample in batch.samples {
      var results: [JSONValue] = []
      for label in sample.labels {
        guard let box = LabelRules.numbers(label["bbox"], count: 4),
          let name = label["label"]?.string
        else {
          throw CairnError(
            .invalidInput,
            "sample '\(sample.key)': Label Studio export writes boxes only; label "
              + "\(label["id"]?.string ?? "?") has none")
        }
        var result: [String: JSONValue] = [
          "id": label["source_id"] ?? label["id"] ?? .null,
          "type": .string("rectanglelabels"),
          "from_name": .string(options.fromName),
          "to_name": .string(options.toName),
          "image_rotation": .int(0),
          "value": .object([
            "x": percent(box[0]), "y": percent(box[1]), "width": percent(box[2]),
            "height": percent(box[3]), "rotation": .int(0),
            "rectanglelabels": .array([.string(name)]),
          ]),
        ]
        if let width = sample.media.width, let height = sample.media.height {
          result["original_width"] = .int(width)
          result["original_height"] = .int(height)
        }
        if options.predictions, let confidence = label["confidence"] {
          result["score"] = confidence
        }
        results.append(.object(result))
      }
      var entry: [String: JSONValue] = ["result": .array(results)]
      if options.predictions { entry["model_version"] = .string("cairn \(batch.commit.hex)") }
      tasks.append(
        .object([
          "data": .object([
            "image": .string(options.imagePrefix + percentEncoded(sample.key))
          ]),
          (options.predictions ? "predictions" : "annotations"): .array([.object(entry)]),
        ]))
    }
    try PixelBoxes.write(
      String(decoding: CanonicalJSON.encode(.array(tasks)), as: UTF8.self),
      to: directory + "/tasks.json")
    return 1
  }

  /// A relative coordinate in percent, rounded to 10 decimals (no float noise).
  private static func percent(_ value: Double) -> JSONValue {
    .double((value * 100 * 1e10).rounded() / 1e10)
  }
}
