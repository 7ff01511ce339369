internal import GitStore

/// Pascal VOC detection annotations: one XML file per image (`annotation/filename`,
/// `size/width,height`, `object/name`, `object/bndbox/xmin,ymin,xmax,ymax` in pixels,
/// `difficult`, `truncated`, `occluded`, `pose`), as VOCdevkit, LabelImg, CVAT and Datumaro
/// write them; also the VOCdevkit layout (`Annotations/`, `JPEGImages/`, `ImageSets/Main/`,
/// Datumaro's `labelmap.txt`).
///
/// Coordinates are kept as written: a box is `[xmin, ymin, xmax − xmin, ymax − ymin]` pixels,
/// without VOCdevkit's 1-based, inclusive pixel indices (no −1 on import, no +1 on export).
/// CVAT, Datumaro and the usual YOLO and COCO conversions read the numbers the same way, so
/// one box has the same pixels in every format, and a round trip gives back the numbers.
package enum VOCFormat {
  /// The object flags VOC defines, declared with a new field; a value equal to its default
  /// is not stored.
  package static let attributes: [String: AttributeDefinition] = [
    "difficult": AttributeDefinition(kind: .bool, defaultValue: .bool(false)),
    "truncated": AttributeDefinition(kind: .bool, defaultValue: .bool(false)),
    "occluded": AttributeDefinition(kind: .bool, defaultValue: .bool(false)),
    "pose": AttributeDefinition(kind: .string, defaultValue: .string("Unspecified")),
  ]

  /// Reads a VOC dataset.
  ///
  /// - Parameters:
  ///   - path: A folder of `.xml` files (searched recursively), a VOCdevkit-style folder
  ///     holding `Annotations/`, or one `.xml` file.
  ///   - mediaDirectory: The folder `filename` is relative to (default: the dataset's
  ///     `JPEGImages/`, else the folder itself).
  ///   - imageSet: Read only the images listed in `ImageSets/Main/<imageSet>.txt`.
  /// - Returns: One sample per XML file, keyed by its `filename`.
  /// - Throws: `CairnError` `.notFound` for a missing path or set, `.invalidInput` naming the
  ///   file and line of broken XML or of an object that breaks a rule.
  package static func read(path: String, mediaDirectory: String?, imageSet: String?)
    throws(CairnError) -> ExternalDataset
  {
    guard let info = FileStat.of(FileIO.realPath(path) ?? path) else {
      throw CairnError(.notFound, "not found: \(path)")
    }
    var root = path
    var annotations = path
    var files: [String] = []
    var problems: [CairnError.Violation] = []
    if !info.isDirectory {
      root = parent(of: path)
      files = [path]
    } else {
      if FileStat.of(path + "/Annotations")?.isDirectory == true {
        annotations = path + "/Annotations"
      }
      if let imageSet {
        let list = path + "/ImageSets/Main/" + imageSet + ".txt"
        let text = try readText(list)
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false)
          .enumerated()
        {
          guard
            let id = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
              .first
          else { continue }
          let file = annotations + "/" + id + ".xml"
          if FileStat.of(file) == nil {
            problems.append(
              CairnError.Violation(
                "\(list): line \(number + 1)", "no annotation file \(id).xml in \(annotations)"))
          }
          files.append(file)
        }
      } else {
        collectXML(annotations, into: &files)
        files.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      }
    }
    if files.isEmpty && problems.isEmpty {
      throw CairnError(.notFound, "no .xml annotation files in \(annotations)")
    }
    let media =
      mediaDirectory
      ?? (FileStat.of(root + "/JPEGImages")?.isDirectory == true ? root + "/JPEGImages" : root)

    var samples: [ExternalSample] = []
    var names: Set<String> = []
    var skipped: [String: Int] = [:]
    for file in files where FileStat.of(file) != nil {
      let document: XMLElement
      do {
        document = try XMLReader.parse(try readBytes(file))
      } catch {
        problems.append(
          CairnError.Violation("\(file): line \(error.line)", "broken XML: \(error.reason)"))
        continue
      }
      if let sample = self.sample(
        document, file: file, problems: &problems, skipped: &skipped)
      {
        names.formUnion(sample.labels.map(\.className))
        samples.append(sample)
      }
    }
    if !problems.isEmpty {
      throw CairnError(
        .invalidInput,
        "import refused: \(problems.count) problem(s) in the VOC files; nothing was written",
        violations: problems)
    }
    var classes = try labelMap(root + "/labelmap.txt") ?? []
    classes += names.subtracting(classes).sorted()
    let warnings = skipped.keys.sorted().map {
      "\(skipped[$0] ?? 0) <\($0)> element(s) of objects were not imported "
        + "(Cairn keeps name, bndbox, difficult, truncated, occluded and pose)"
    }
    return ExternalDataset(
      mediaDirectory: media, classes: classes, fieldType: .detections, samples: samples,
      attributes: attributes, warnings: warnings)
  }

  /// The sample one annotation file describes, or nil after recording its problems.
  private static func sample(
    _ document: XMLElement, file: String, problems: inout [CairnError.Violation],
    skipped: inout [String: Int]
  ) -> ExternalSample? {
    let at = { (element: XMLElement) in "\(file): line \(element.line)" }
    guard document.name == "annotation" else {
      problems.append(
        CairnError.Violation(
          at(document), "the root element is <\(document.name)>, not <annotation>"))
      return nil
    }
    guard let filename = document.childText("filename"), !filename.isEmpty else {
      problems.append(CairnError.Violation(at(document), "<annotation> has no <filename>"))
      return nil
    }
    var sample = ExternalSample(file: filename, origin: file)
    if let size = document.child("size") {
      for (name, slot) in [("width", \ExternalSample.width), ("height", \ExternalSample.height)] {
        guard let text = size.childText(name), !text.isEmpty else { continue }
        guard let value = Double(text), value >= 0, value == value.rounded(), value < 1e9 else {
          problems.append(
            CairnError.Violation(
              at(size.child(name) ?? size), "<\(name)> must be a whole number, not '\(text)'"))
          continue
        }
        sample[keyPath: slot] = value > 0 ? Int(value) : nil
      }
    }
    let known: Set<String> = [
      "name", "bndbox", "difficult", "truncated", "occluded", "pose",
    ]
    for (index, object) in document.children("object").enumerated() {
      let origin = "\(at(object)): object \(index + 1)"
      guard let name = object.childText("name"), !name.isEmpty else {
        problems.append(CairnError.Violation(origin, "<object> has no <name>"))
        continue
      }
      guard let box = object.child("bndbox") else {
        problems.append(CairnError.Violation(origin, "<object> has no <bndbox>"))
        continue
      }
      var corners: [Double] = []
      for corner in ["xmin", "ymin", "xmax", "ymax"] {
        guard let text = box.childText(corner), let value = Double(text), value.isFinite else {
          problems.append(
            CairnError.Violation(origin, "<bndbox> needs a number in <\(corner)>"))
          break
        }
        corners.append(value)
      }
      guard corners.count == 4 else { continue }
      if corners[2] < corners[0] || corners[3] < corners[1] {
        let axis = corners[2] < corners[0] ? ("x", 0) : ("y", 1)
        problems.append(
          CairnError.Violation(
            origin,
            "negative box: \(axis.0)max \(PixelBoxes.number(corners[axis.1 + 2])) < "
              + "\(axis.0)min \(PixelBoxes.number(corners[axis.1]))"))
        continue
      }
      var values: [String: JSONValue] = [:]
      for flag in ["difficult", "truncated", "occluded"] {
        guard let text = object.childText(flag), !text.isEmpty else { continue }
        switch text {
        case "1", "true": values[flag] = .bool(true)
        case "0", "false": break
        default:
          problems.append(CairnError.Violation(origin, "<\(flag)> must be 0 or 1, not '\(text)'"))
        }
      }
      if let pose = object.childText("pose"), !pose.isEmpty, pose != "Unspecified" {
        values["pose"] = .string(pose)
      }
      for child in object.children where !known.contains(child.name) {
        skipped[child.name, default: 0] += 1
      }
      sample.labels.append(
        ExternalLabel(
          className: name, members: values.isEmpty ? [:] : ["attributes": .object(values)],
          pixelBox: [corners[0], corners[1], corners[2] - corners[0], corners[3] - corners[1]],
          origin: origin))
    }
    return sample
  }

  /// The bytes of an annotation file; an unreadable file counts as broken at line 1.
  private static func readBytes(_ path: String) throws(XMLProblem) -> [UInt8] {
    do {
      return try FileIO.read(path)
    } catch {
      throw XMLProblem(line: 1, "cannot read the file: \(error.message)")
    }
  }

  /// Every `.xml` file under `folder`, recursively, skipping hidden names.
  private static func collectXML(_ folder: String, into files: inout [String]) {
    for name in FileIO.list(folder) ?? [] where !name.hasPrefix(".") {
      let path = folder + "/" + name
      if FileStat.of(path)?.isDirectory == true {
        collectXML(path, into: &files)
      } else if name.lowercased().hasSuffix(".xml") {
        files.append(path)
      }
    }
  }

  /// The classes of Datumaro's `labelmap.txt` (`name:color:parts:actions` lines, without
  /// `background`), or nil when there is none.
  private static func labelMap(_ path: String) throws(CairnError) -> [String]? {
    guard FileStat.of(path) != nil else { return nil }
    var classes: [String] = []
    for line in try readText(path).split(whereSeparator: \.isNewline) {
      let text = String(line).trimmingWhitespace()
      if text.isEmpty || text.hasPrefix("#") { continue }
      let name = String(text.prefix { $0 != ":" })
      if name != "background" && !name.isEmpty && !classes.contains(name) { classes.append(name) }
    }
    return classes
  }

  /// Writes `batch` as a VOCdevkit-style folder: `Annotations/<key stem>.xml` (one per
  /// sample), `JPEGImages/<key>` (links to the media), `ImageSets/Main/default.txt` and
  /// `labelmap.txt` (the classes in schema order).
  ///
  /// Every object gets `pose`, `truncated` and `difficult` (VOC's readers expect them; an
  /// absent attribute is written as its default), `occluded` when set; `filename` is the
  /// sample key, so `cairn import voc` on the folder gives back the same keys.
  ///
  /// - Returns: The number of files written.
  /// - Throws: `CairnError` `.invalidInput` for a label without a box, a sample whose image
  ///   size is unknown, or two keys with the same stem.
  package static func write(_ batch: ExportBatch, to directory: String) throws(CairnError) -> Int {
    var files = 0
    var stems: [String: String] = [:]
    var ids = ""
    for sample in batch.samples {
      let stem = PixelBoxes.stem(sample.key)
      if let other = stems[stem] {
        throw CairnError(
          .invalidInput,
          "samples '\(other)' and '\(sample.key)' would share Annotations/\(stem).xml")
      }
      stems[stem] = sample.key
      let (width, height) = try PixelBoxes.size(of: sample, format: "VOC")
      var xml = "<annotation>\n"
      xml += "  <filename>\(XMLReader.escaped(sample.key))</filename>\n"
      xml += "  <size>\n    <width>\(width)</width>\n    <height>\(height)</height>\n  </size>\n"
      for label in sample.labels {
        guard let box = PixelBoxes.corners(of: label, width: width, height: height),
          let name = label["label"]?.string
        else {
          throw CairnError(
            .invalidInput,
            "sample '\(sample.key)': VOC holds boxes only; label "
              + "\(label["id"]?.string ?? "?") has none")
        }
        let values = label["attributes"]?.object ?? [:]
        let flag = { (name: String) -> String in
          PixelBoxes.text(
            of: values[name] ?? batch.definition.attributes[name]?.defaultValue
              ?? .bool(false))
        }
        xml += "  <object>\n    <name>\(XMLReader.escaped(name))</name>\n"
        let pose = values["pose"]?.string ?? "Unspecified"
        xml += "    <pose>\(XMLReader.escaped(pose))</pose>\n"
        xml += "    <truncated>\(flag("truncated"))</truncated>\n"
        xml += "    <difficult>\(flag("difficult"))</difficult>\n"
        if values["occluded"] == .bool(true) { xml += "    <occluded>1</occluded>\n" }
        xml += "    <bndbox>\n"
        xml += "      <xmin>\(PixelBoxes.number(box.x0))</xmin>\n"
        xml += "      <ymin>\(PixelBoxes.number(box.y0))</ymin>\n"
        xml += "      <xmax>\(PixelBoxes.number(box.x1))</xmax>\n"
        xml += "      <ymax>\(PixelBoxes.number(box.y1))</ymax>\n"
        xml += "    </bndbox>\n  </object>\n"
      }
      xml += "</annotation>\n"
      try PixelBoxes.write(xml, to: directory + "/Annotations/" + stem + ".xml")
      files += 1
      files += try PixelBoxes.linkMedia(sample, at: directory + "/JPEGImages/" + sample.key)
      ids += stem + "\n"
    }
    try PixelBoxes.write(ids, to: directory + "/ImageSets/Main/default.txt")
    var labelmap = "# label:color_rgb:parts:actions\n"
    for name in batch.classes { labelmap += name + ":::\n" }
    try PixelBoxes.write(labelmap, to: directory + "/labelmap.txt")
    return files + 2
  }
}
