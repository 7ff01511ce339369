internal import GitStore

/// CVAT for images, XML 1.1: `<annotations>` with `<meta>` (the task's or project's labels and
/// their attributes) and one `<image id name width height>` per image holding its shapes.
///
/// Only boxes are imported (`<box label xtl ytl xbr ybr occluded>` with `<attribute name>`
/// children): a detections field holds boxes, and polygons, polylines, points, masks,
/// ellipses, cuboids, skeletons and tags are counted and reported instead. CVAT 1.1 gives
/// boxes no id in images mode, so labels keep their ids across re-imports by class and
/// overlap; no `source_id` is written.
package enum CVATFormat {
  /// `occluded`, which every CVAT box carries; declared with a new field, stored only when
  /// true.
  package static let attributes: [String: AttributeDefinition] = [
    "occluded": AttributeDefinition(kind: .bool, defaultValue: .bool(false))
  ]

  /// Shapes of CVAT for images that a detections field cannot hold.
  static let otherShapes: Set<String> = [
    "polygon", "polyline", "points", "mask", "ellipse", "cuboid", "skeleton", "tag",
  ]

  /// Reads a CVAT for images 1.1 file.
  ///
  /// - Parameters:
  ///   - path: The `annotations.xml` file.
  ///   - mediaDirectory: The folder image names are relative to (default: `images/` beside
  ///     the file when it exists, else the file's folder).
  /// - Returns: One sample per `<image>`, with the size CVAT recorded; the classes of
  ///   `<meta>` in order, with their attributes as class attributes.
  /// - Throws: `CairnError` `.notFound` for a missing file, `.invalidInput` naming the line
  ///   of broken XML, of a CVAT for video file, or of a box that breaks a rule.
  package static func read(path: String, mediaDirectory: String?) throws(CairnError)
    -> ExternalDataset
  {
    let document = try XMLReader.parse(file: path)
    let at = { (element: XMLElement) in "\(path): line \(element.line)" }
    guard document.name == "annotations" else {
      throw CairnError(
        .invalidInput,
        "\(at(document)): the root element is <\(document.name)>, not CVAT's <annotations>")
    }
    if let version = document.childText("version"), version != "1.1", version != "1.0" {
      throw CairnError(
        .invalidInput, "\(path): CVAT XML version \(version); Cairn reads versions 1.0 and 1.1")
    }
    if let track = document.child("track") {
      throw CairnError(
        .invalidInput,
        "\(at(track)): <track> belongs to CVAT for video; export the task as "
          + "'CVAT for images 1.1'")
    }
    var problems: [CairnError.Violation] = []
    var (classes, classAttributes) = labels(of: document)
    var samples: [ExternalSample] = []
    var skipped: [String: Int] = [:]
    for image in document.children("image") {
      guard let name = image[attribute: "name"], !name.isEmpty else {
        problems.append(CairnError.Violation(at(image), "<image> has no name"))
        continue
      }
      var sample = ExternalSample(file: name, origin: "\(at(image)): image '\(name)'")
      for (attribute, slot) in [
        ("width", \ExternalSample.width), ("height", \ExternalSample.height),
      ] {
        guard let text = image[attribute: attribute] else { continue }
        guard let value = Int(text), value > 0 else {
          problems.append(
            CairnError.Violation(
              at(image), "\(attribute) must be a positive integer, not '\(text)'"))
          continue
        }
        sample[keyPath: slot] = value
      }
      var index = 0
      for shape in image.children {
        guard shape.name == "box" else {
          if otherShapes.contains(shape.name) { skipped[shape.name, default: 0] += 1 }
          continue
        }
        index += 1
        if let label = box(
          shape, origin: "\(at(shape)): box \(index) of '\(name)'",
          definitions: &classAttributes, problems: &problems)
        {
          sample.labels.append(label)
        }
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
    if !skipped.isEmpty {
      let counts = skipped.keys.sorted().map { "\(skipped[$0] ?? 0) \($0)" }
      warnings.append(
        "\(counts.joined(separator: ", ")) shape(s) were not imported: a detections field "
          + "holds boxes only")
    }
    let base = parent(of: path)
    let media =
      mediaDirectory
      ?? (FileStat.of(base + "/images")?.isDirectory == true ? base + "/images" : base)
    return ExternalDataset(
      mediaDirectory: media, classes: classes, fieldType: .detections, samples: samples,
      attributes: attributes,
      classAttributes: classAttributes.filter { !$0.value.isEmpty }, warnings: warnings)
  }

  /// One `<box>` as a label, or nil after recording its problems.
  private static func box(
    _ shape: XMLElement, origin: String,
    definitions: inout [String: [String: AttributeDefinition]],
    problems: inout [CairnError.Violation]
  ) -> ExternalLabel? {
    guard let label = shape[attribute: "label"], !label.isEmpty else {
      problems.append(CairnError.Violation(origin, "<box> has no label"))
      return nil
    }
    var corners: [Double] = []
    for name in ["xtl", "ytl", "xbr", "ybr"] {
      guard let text = shape[attribute: name], let value = Double(text), value.isFinite else {
        problems.append(CairnError.Violation(origin, "<box> needs a number in \(name)"))
        return nil
      }
      corners.append(value)
    }
    if corners[2] < corners[0] || corners[3] < corners[1] {
      problems.append(
        CairnError.Violation(origin, "negative box: xbr < xtl or ybr < ytl"))
      return nil
    }
    if let rotation = shape[attribute: "rotation"], (Double(rotation) ?? 1) != 0 {
      problems.append(
        CairnError.Violation(
          origin, "the box is rotated by \(rotation)°; Cairn boxes are axis-aligned"))
      return nil
    }
    var values: [String: JSONValue] = [:]
    switch shape[attribute: "occluded"] {
    case "1", "true": values["occluded"] = .bool(true)
    case nil, "0", "false": break
    case let other?:
      problems.append(CairnError.Violation(origin, "occluded must be 0 or 1, not '\(other)'"))
    }
    for attribute in shape.children("attribute") {
      guard let name = attribute[attribute: "name"], !name.isEmpty else {
        problems.append(CairnError.Violation(origin, "<attribute> has no name"))
        continue
      }
      let text = attribute.text
      guard let definition = definitions[label]?[name] else {
        // Not in <meta>: kept as text, and declared so.
        if Schema.attributeNameProblem(name) == nil && name != "occluded" {
          definitions[label, default: [:]][name] = AttributeDefinition(kind: .string)
        }
        values[name] = .string(text)
        continue
      }
      guard let value = typed(text, definition.kind) else {
        problems.append(
          CairnError.Violation(
            "\(origin), line \(attribute.line)",
            "attribute '\(name)' = '\(text)' is not a valid \(definition.kind.rawValue)"))
        continue
      }
      values[name] = value
    }
    return ExternalLabel(
      className: label, members: values.isEmpty ? [:] : ["attributes": .object(values)],
      pixelBox: [corners[0], corners[1], corners[2] - corners[0], corners[3] - corners[1]],
      origin: origin)
  }

  /// The text of an attribute as a value of `kind`.
  private static func typed(_ text: String, _ kind: AttributeDefinition.Kind) -> JSONValue? {
    switch kind {
    case .bool:
      switch text.trimmingWhitespace() {
      case "true", "1": .bool(true)
      case "false", "0": .bool(false)
      default: nil
      }
    case .int: Int64(text.trimmingWhitespace()).map { .int($0) }
    case .float: Double(text.trimmingWhitespace()).flatMap { $0.isFinite ? .double($0) : nil }
    case .string: .string(text)
    }
  }

  /// The classes declared in `<meta>` (task, project or job) in order, and their attributes.
  private static func labels(of document: XMLElement) -> (
    [String], [String: [String: AttributeDefinition]]
  ) {
    guard let meta = document.child("meta") else { return ([], [:]) }
    var classes: [String] = []
    var definitions: [String: [String: AttributeDefinition]] = [:]
    for owner in ["task", "project", "job"] {
      guard let list = meta.child(owner)?.child("labels") else { continue }
      for label in list.children("label") {
        guard let name = label.childText("name"), !name.isEmpty, !classes.contains(name) else {
          continue
        }
        classes.append(name)
        var table: [String: AttributeDefinition] = [:]
        for attribute in label.child("attributes")?.children("attribute") ?? [] {
          guard let attributeName = attribute.childText("name"),
            Schema.attributeNameProblem(attributeName) == nil, attributeName != "occluded"
          else { continue }
          table[attributeName] = definition(of: attribute)
        }
        definitions[name] = table
      }
      break
    }
    return (classes, definitions)
  }

  /// A CVAT attribute specification as a Cairn attribute definition: `checkbox` → bool,
  /// `number` (`min`, `max`, `step` lines) → int or float with its range, `select` and
  /// `radio` → string with its values, `text` → string.
  private static func definition(of attribute: XMLElement) -> AttributeDefinition {
    var definition = rawDefinition(of: attribute)
    // A default that breaks its own definition would make the schema invalid: drop it.
    if let value = definition.defaultValue, definition.problem(value) != nil {
      definition.defaultValue = nil
    }
    return definition
  }

  private static func rawDefinition(of attribute: XMLElement) -> AttributeDefinition {
    let values = (attribute.child("values")?.text ?? "").split(separator: "\n").map {
      String($0).trimmingWhitespace()
    }.filter { !$0.isEmpty }
    let fallback = attribute.childText("default_value")
    switch attribute.childText("input_type") {
    case "checkbox":
      return AttributeDefinition(
        kind: .bool, defaultValue: fallback.flatMap { typed($0, .bool) })
    case "number":
      let numbers = values.compactMap(Double.init)
      let integral = numbers.allSatisfy { $0 == $0.rounded() }
      let kind: AttributeDefinition.Kind = integral ? .int : .float
      return AttributeDefinition(
        kind: kind, minimum: numbers.count >= 2 ? numbers[0] : nil,
        maximum: numbers.count >= 2 ? numbers[1] : nil,
        defaultValue: fallback.flatMap { typed($0, kind) })
    case "select", "radio":
      let list = values.filter { $0 != "__undefined__" }
      return AttributeDefinition(
        kind: .string, values: list.isEmpty ? nil : list.map { .string($0) },
        defaultValue: fallback.flatMap { list.contains($0) ? .string($0) : nil })
    default:
      return AttributeDefinition(kind: .string, defaultValue: fallback.map { .string($0) })
    }
  }

  /// Writes `batch` as CVAT for images 1.1: `annotations.xml` with the field's classes (and
  /// their attributes) in `<meta><task><labels>`, one `<image>` per sample in key order with
  /// its boxes (coordinates with two decimals, as CVAT writes them), and `images/<key>` links
  /// to the media.
  ///
  /// - Returns: The number of files written.
  /// - Throws: `CairnError` `.invalidInput` for a label without a box or a sample whose
  ///   image size is unknown.
  package static func write(_ batch: ExportBatch, to directory: String) throws(CairnError) -> Int {
    var xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<annotations>\n"
    xml += "  <version>1.1</version>\n  <meta>\n    <task>\n"
    xml += "      <name>\(XMLReader.escaped(batch.field)) at \(batch.commit.hex)</name>\n"
    xml += "      <size>\(batch.samples.count)</size>\n      <mode>annotation</mode>\n"
    xml += "      <labels>\n"
    for name in batch.classes {
      xml += "        <label>\n          <name>\(XMLReader.escaped(name))</name>\n"
      xml += "          <attributes>\n"
      var table = batch.definition.attributes.filter { $0.key != "occluded" }
      table.merge(batch.definition.classAttributes[name] ?? [:]) { first, _ in first }
      for (attribute, definition) in table.sorted(by: { $0.key < $1.key }) {
        xml += specification(attribute, definition)
      }
      xml += "          </attributes>\n        </label>\n"
    }
    xml += "      </labels>\n    </task>\n  </meta>\n"
    var files = 0
    for (index, sample) in batch.samples.enumerated() {
      let (width, height) = try PixelBoxes.size(of: sample, format: "CVAT")
      xml +=
        "  <image id=\"\(index)\" name=\"\(XMLReader.escaped(sample.key))\" "
        + "width=\"\(width)\" height=\"\(height)\">\n"
      for label in sample.labels {
        guard let box = PixelBoxes.corners(of: label, width: width, height: height),
          let name = label["label"]?.string
        else {
          throw CairnError(
            .invalidInput,
            "sample '\(sample.key)': CVAT export writes boxes only; label "
              + "\(label["id"]?.string ?? "?") has none")
        }
        let values = label["attributes"]?.object ?? [:]
        xml += "    <box label=\"\(XMLReader.escaped(name))\" "
        xml += "occluded=\"\(values["occluded"] == .bool(true) ? 1 : 0)\" source=\"manual\" "
        xml +=
          "xtl=\"\(PixelBoxes.twoDecimals(box.x0))\" ytl=\"\(PixelBoxes.twoDecimals(box.y0))\" "
        xml +=
          "xbr=\"\(PixelBoxes.twoDecimals(box.x1))\" ybr=\"\(PixelBoxes.twoDecimals(box.y1))\" "
        xml += "z_order=\"0\">\n"
        for (attribute, value) in values.sorted(by: { $0.key < $1.key })
        where attribute != "occluded" {
          xml +=
            "      <attribute name=\"\(XMLReader.escaped(attribute))\">"
            + "\(XMLReader.escaped(PixelBoxes.text(of: value, words: true)))</attribute>\n"
        }
        xml += "    </box>\n"
      }
      xml += "  </image>\n"
      files += try PixelBoxes.linkMedia(sample, at: directory + "/images/" + sample.key)
    }
    xml += "</annotations>\n"
    try PixelBoxes.write(xml, to: directory + "/annotations.xml")
    return files + 1
  }

  /// The `<attribute>` specification of a label in `<meta>`.
  private static func specification(_ name: String, _ definition: AttributeDefinition) -> String {
    let inputType: String
    var values: [String] = []
    switch definition.kind {
    case .bool:
      inputType = "checkbox"
      values = ["false", "true"]
    case .int, .float:
      inputType = "number"
      if let minimum = definition.minimum, let maximum = definition.maximum {
        values = [minimum, maximum, 1].map { PixelBoxes.text(of: .double($0)) }
      }
    case .string:
      inputType = definition.values == nil ? "text" : "select"
      values = (definition.values ?? []).compactMap(\.string)
    }
    let fallback = definition.defaultValue.map { PixelBoxes.text(of: $0, words: true) }
    var xml = "            <attribute>\n"
    xml += "              <name>\(XMLReader.escaped(name))</name>\n"
    xml += "              <mutable>false</mutable>\n"
    xml += "              <input_type>\(inputType)</input_type>\n"
    xml += "              <default_value>\(XMLReader.escaped(fallback ?? values.first ?? ""))"
    xml += "</default_value>\n"
    xml += "              <values>\(XMLReader.escaped(values.joined(separator: "\n")))</values>\n"
    xml += "            </attribute>\n"
    return xml
  }
}
