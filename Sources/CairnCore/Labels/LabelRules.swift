/// The format rules of one label (`Docs/storage-format.md` §7.4), independent of the schema.
package enum LabelRules {
  /// The label types of format v1.
  package static let types: Set<String> = [
    "classification", "detection", "polyline", "keypoints", "cuboid", "segmentation",
  ]
  static let common: Set<String> = [
    "id", "type", "label", "confidence", "attributes", "tags", "provenance", "source_id",
  ]
  static let payload: [String: Set<String>] = [
    "classification": [],
    "detection": ["bbox", "mask", "crowd", "polygons", "rle", "area"],
    "polyline": ["points", "closed", "filled"],
    "keypoints": ["points"],
    "cuboid": ["center", "dimensions", "rotation", "frame"],
    "segmentation": ["mask"],
  ]

  /// Why the label `members` (with id `id` and type `type`) breaks the format, or nil.
  static func problem(_ members: [String: JSONValue], type: String) -> String? {
    guard let allowed = payload[type] else {
      return "unknown label type '\(type)' (one of \(types.sorted().joined(separator: ", ")))"
    }
    for key in members.keys.sorted() where !common.contains(key) && !allowed.contains(key) {
      return "unknown member \"\(key)\" for a \(type) label"
    }
    if type != "segmentation" {
      guard let label = members["label"]?.string, !label.isEmpty else {
        return "a \(type) label needs a non-empty string \"label\" (its class)"
      }
    } else if let label = members["label"], label.string?.isEmpty ?? true {
      return "\"label\" must be a non-empty string"
    }
    if let value = members["confidence"] {
      guard let confidence = value.number, confidence >= 0, confidence <= 1 else {
        return "\"confidence\" must be a number from 0 to 1"
      }
    }
    if let value = members["attributes"] {
      guard let attributes = value.object else { return "\"attributes\" must be an object" }
      for name in attributes.keys.sorted() {
        if let reason = Schema.attributeNameProblem(name) {
          return "attribute '\(name)': \(reason)"
        }
        switch attributes[name] {
        case .bool, .int, .double, .string: break
        default: return "attribute '\(name)' must be a boolean, number or string"
        }
      }
    }
    if let value = members["tags"], let reason = tagsProblem(value) { return reason }
    if let value = members["source_id"], value.string?.isEmpty ?? true {
      return "\"source_id\" must be a non-empty string"
    }
    if let value = members["provenance"] {
      guard let object = value.object, object.count == 2, object["field"]?.string != nil,
        object["label"]?.string != nil
      else { return "\"provenance\" must be {\"field\": string, \"label\": string}" }
    }
    switch type {
    case "detection":
      guard let box = numbers(members["bbox"], count: 4) else {
        return "\"bbox\" must be [x, y, w, h] numbers"
      }
      if box[2] < 0 || box[3] < 0 { return "\"bbox\" has a negative width or height" }
      if let mask = members["mask"], let reason = mediaReferenceProblem(mask, "mask") {
        return reason
      }
      if let reason = outlineProblem(members) { return reason }
    case "polyline":
      guard let shapes = members["points"]?.array else {
        return "\"points\" must be an array of shapes, each an array of [x, y] points"
      }
      for (index, shape) in shapes.enumerated() {
        guard let points = shape.array, points.count >= 2,
          points.allSatisfy({ numbers($0, count: 2) != nil })
        else { return "shape \(index) of \"points\" needs at least 2 points [x, y]" }
      }
      for flag in ["closed", "filled"] where members[flag] != nil && members[flag]?.bool == nil {
        return "\"\(flag)\" must be a boolean"
      }
      if members["filled"]?.bool == true && members["closed"]?.bool != true {
        return "a filled polyline must be closed (\"closed\": true)"
      }
    case "keypoints":
      guard let points = members["points"]?.array, !points.isEmpty else {
        return "\"points\" must be a non-empty array of [x, y] or null"
      }
      for (index, point) in points.enumerated() where point != .null {
        if numbers(point, count: 2) == nil { return "point \(index) must be [x, y] or null" }
      }
    case "cuboid":
      guard numbers(members["center"], count: 3) != nil else {
        return "\"center\" must be [x, y, z] numbers"
      }
      guard let size = numbers(members["dimensions"], count: 3), size.allSatisfy({ $0 >= 0 })
      else { return "\"dimensions\" must be [dx, dy, dz] numbers, none negative" }
      guard numbers(members["rotation"], count: 3) != nil else {
        return "\"rotation\" must be [rx, ry, rz] numbers (radians)"
      }
      guard let frame = members["frame"]?.string, !frame.isEmpty else {
        return "\"frame\" must name the coordinate frame (a slice name or \"group\")"
      }
    case "segmentation":
      guard let mask = members["mask"] else { return "a segmentation label needs a \"mask\"" }
      if let reason = mediaReferenceProblem(mask, "mask") { return reason }
    default: break
    }
    return nil
  }

  /// Why the COCO-style members of a detection (`crowd`, `polygons`, `rle`, `area`) are
  /// invalid, or nil.
  private static func outlineProblem(_ members: [String: JSONValue]) -> String? {
    if let crowd = members["crowd"], crowd != .bool(true) {
      return "\"crowd\" must be true (leave it out for a non-crowd label)"
    }
    if let value = members["area"] {
      guard let area = value.number, area >= 0 else {
        return "\"area\" must be a number ≥ 0 (square pixels)"
      }
    }
    if let value = members["polygons"] {
      guard let shapes = value.array, !shapes.isEmpty else {
        return "\"polygons\" must be a non-empty array of shapes, each an array of [x, y] points"
      }
      for (index, shape) in shapes.enumerated() {
        guard let points = shape.array, !points.isEmpty,
          points.allSatisfy({ numbers($0, count: 2) != nil })
        else { return "shape \(index) of \"polygons\" needs at least 1 point [x, y]" }
      }
    }
    if let value = members["rle"] {
      if members["polygons"] != nil { return "a detection has \"polygons\" or \"rle\", not both" }
      guard let rle = value.object, rle.count == 2, let size = rle["size"]?.array,
        size.count == 2, size.allSatisfy({ ($0.int ?? 0) > 0 })
      else { return "\"rle\" must be {\"size\": [height, width], \"counts\": …}" }
      switch rle["counts"] {
      case .string(let text) where !text.isEmpty: break
      case .array(let runs) where runs.allSatisfy({ ($0.int ?? -1) >= 0 }): break
      default:
        return "\"rle.counts\" must be a non-empty string or an array of integers ≥ 0"
      }
    }
    return nil
  }

  /// Why a tags array is invalid, or nil: non-empty strings, sorted, no duplicates.
  package static func tagsProblem(_ value: JSONValue) -> String? {
    guard let values = value.array else { return "\"tags\" must be an array of strings" }
    var previous: String?
    for value in values {
      guard let tag = value.string, !tag.isEmpty else {
        return "\"tags\" holds non-empty strings only"
      }
      if let previous, !previous.utf8.lexicographicallyPrecedes(tag.utf8) {
        return "\"tags\" must be sorted and without duplicates"
      }
      previous = tag
    }
    return nil
  }

  private static func mediaReferenceProblem(_ value: JSONValue, _ name: String) -> String? {
    guard let object = value.object, let uri = object["uri"]?.string, !uri.isEmpty else {
      return "\"\(name)\" must be {\"uri\": string, \"sha256\": optional string}"
    }
    if let extra = object.keys.sorted().first(where: { $0 != "uri" && $0 != "sha256" }) {
      return "unknown member \"\(name).\(extra)\""
    }
    if let reason = MediaRecord.uriProblem(uri) { return "\(name) uri '\(uri)' \(reason)" }
    if let sha = object["sha256"] {
      guard let text = sha.string, text.utf8.count == 64,
        text.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
      else { return "\"\(name).sha256\" must be 64 lowercase hexadecimal digits" }
    }
    return nil
  }

  /// The numbers of an array of exactly `count` numbers, or nil.
  static func numbers(_ value: JSONValue?, count: Int) -> [Double]? {
    guard let elements = value?.array, elements.count == count else { return nil }
    var result: [Double] = []
    result.reserveCapacity(count)
    for element in elements {
      guard let number = element.number else { return nil }
      result.append(number)
    }
    return result
  }
}

extension Schema {
  /// Every way `file` (the label file at `path`) breaks this schema, as messages naming the
  /// sample, the label and the rule.
  package func violations(of file: LabelFile) -> [String] {
    let sample = "sample '\(file.sample)'"
    guard let field = fields[file.field] else {
      return [
        "\(sample): field '\(file.field)' is not in schema.json "
          + "(add it with 'cairn schema add-field \(file.field) --type TYPE')"
      ]
    }
    var found: [String] = []
    if field.type.isSingle && file.labels.count > 1 {
      found.append(
        "\(sample), field '\(file.field)': a \(field.type.rawValue) field holds at most one "
          + "label per sample, found \(file.labels.count)")
    }
    for label in file.labels {
      guard let members = label.object else { continue }
      let id = members["id"]?.string ?? "?"
      let prefix = "\(sample), label \(id), field '\(file.field)'"
      let type = members["type"]?.string ?? ""
      if type != field.type.labelType {
        found.append(
          "\(prefix): type '\(type)' does not belong in a \(field.type.rawValue) field "
            + "(expected '\(field.type.labelType)')")
        continue
      }
      let className = members["label"]?.string
      if let classes = field.classes, let className, !classes.contains(className) {
        let list = classes.isEmpty ? "none" : classes.joined(separator: ", ")
        found.append(
          "\(prefix): class '\(className)' is not in the schema's classes (\(list))")
      }
      let attributes = members["attributes"]?.object ?? [:]
      for name in attributes.keys.sorted() {
        guard let value = attributes[name] else { continue }
        guard let definition = field.attribute(name, forClass: className) else {
          found.append(
            "\(prefix): attribute '\(name)' is not declared for class "
              + "'\(className ?? "")' in the schema")
          continue
        }
        if let reason = definition.problem(value) {
          found.append("\(prefix): attribute '\(name)' = \(value.brief) \(reason)")
        }
      }
      var required = field.attributes.filter(\.value.required).map(\.key)
      if let className, let table = field.classAttributes[className] {
        required += table.filter(\.value.required).map(\.key)
      }
      for name in required.sorted() where attributes[name] == nil {
        found.append("\(prefix): required attribute '\(name)' is missing")
      }
    }
    return found
  }

  /// Every way the sample record breaks the schema's `sample_fields`.
  package func violations(of record: SampleRecord) -> [String] {
    var found: [String] = []
    let sample = "sample '\(record.key)'"
    for name in record.fields.keys.sorted() {
      guard let value = record.fields[name] else { continue }
      guard let definition = sampleFields[name] else {
        found.append("\(sample): sample field '\(name)' is not declared in schema.json")
        continue
      }
      if let reason = definition.problem(value) {
        found.append("\(sample): sample field '\(name)' = \(value.brief) \(reason)")
      }
    }
    for name in sampleFields.keys.sorted()
    where sampleFields[name]?.required == true && record.fields[name] == nil {
      found.append("\(sample): required sample field '\(name)' is missing")
    }
    return found
  }
}
