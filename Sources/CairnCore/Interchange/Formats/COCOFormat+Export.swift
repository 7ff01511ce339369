internal import GitStore

extension COCOFormat {
  /// Writes `batch` as a COCO instances file, `directory/annotations.json`.
  ///
  /// Images get the ids 1…N in key order (the batch's order), `file_name` = the key and the
  /// size of the sample's media record; categories are the batch's classes with ids 1…K;
  /// each detection becomes an annotation whose id is its `source_id` when that is a
  /// positive integer no other label of the batch uses, else a new id above every such one.
  /// Coordinates go back to pixels (relative × image size, rounded to 6 decimals, written in
  /// their shortest form); `area` is the stored one or w × h; `crowd` becomes `iscrowd`,
  /// `polygons` and `rle` the `segmentation`, `confidence` the `score`. One record per line.
  ///
  /// - Returns: The number of files written (1).
  /// - Throws: `CairnError` `.invalidInput` for a label without a box, of a class the batch
  ///   does not list, or on a sample whose media record has no width and height.
  package static func write(_ batch: ExportBatch, to directory: String) throws(CairnError) -> Int {
    var categoryID: [String: Int64] = [:]
    for (offset, name) in batch.classes.enumerated() where categoryID[name] == nil {
      categoryID[name] = Int64(offset + 1)
    }
    // Annotation ids: a label's numeric source id when it is unique in the batch.
    var uses: [Int64: Int] = [:]
    for sample in batch.samples {
      for label in sample.labels {
        if let id = numericID(label["source_id"]?.string) { uses[id, default: 0] += 1 }
      }
    }
    var nextID = (uses.keys.max() ?? 0) + 1

    var out: [UInt8] = []
    out.reserveCapacity(256 + batch.samples.count * 96)
    out.append(contentsOf: "{\"info\":".utf8)
    CanonicalJSON.encodeFragment(
      .object([
        "description": .string("Exported by cairn from field '\(batch.field)'"),
        "commit": .string(batch.commit.hex),
      ]), into: &out)
    out.append(contentsOf: ",\n\"images\":[".utf8)
    for (offset, sample) in batch.samples.enumerated() {
      var image: [String: JSONValue] = [
        "id": .int(Int64(offset + 1)), "file_name": .string(sample.key),
      ]
      if let width = sample.media.width, let height = sample.media.height {
        image["width"] = .int(width)
        image["height"] = .int(height)
      }
      out.append(contentsOf: offset == 0 ? "\n".utf8 : ",\n".utf8)
      CanonicalJSON.encodeFragment(.object(image), into: &out)
    }
    out.append(contentsOf: "],\n\"annotations\":[".utf8)
    var first = true
    for (offset, sample) in batch.samples.enumerated() where !sample.labels.isEmpty {
      guard let width = sample.media.width.map(Double.init),
        let height = sample.media.height.map(Double.init)
      else {
        throw CairnError(
          .invalidInput,
          "sample '\(sample.key)': its media record has no width and height, which COCO's "
            + "pixel boxes need")
      }
      for label in sample.labels {
        let labelID = label["id"]?.string ?? "?"
        guard let box = LabelRules.numbers(label["bbox"], count: 4),
          let name = label["label"]?.string, let category = categoryID[name]
        else {
          throw CairnError(
            .invalidInput,
            "sample '\(sample.key)': COCO holds boxes of listed classes only; label \(labelID) "
              + "has none")
        }
        var id: Int64
        if let source = numericID(label["source_id"]?.string), uses[source] == 1 {
          id = source
        } else {
          id = nextID
          nextID += 1
        }
        let pixels = [box[0] * width, box[1] * height, box[2] * width, box[3] * height].map {
          pixel($0)
        }
        var annotation: [String: JSONValue] = [
          "id": .int(id), "image_id": .int(Int64(offset + 1)), "category_id": .int(category),
          "bbox": .array(pixels.map(number)),
          "iscrowd": .int(label["crowd"] == .bool(true) ? 1 : 0),
        ]
        annotation["area"] = label["area"] ?? number(pixel(pixels[2] * pixels[3]))
        if let polygons = label["polygons"]?.array {
          annotation["segmentation"] = .array(
            polygons.map { shape in
              .array(
                (shape.array ?? []).flatMap { point -> [JSONValue] in
                  let xy = LabelRules.numbers(point, count: 2) ?? [0, 0]
                  return [number(pixel(xy[0] * width)), number(pixel(xy[1] * height))]
                })
            })
        } else if let rle = label["rle"] {
          annotation["segmentation"] = rle
        } else {
          annotation["segmentation"] = .array([])
        }
        if let confidence = label["confidence"] { annotation["score"] = confidence }
        out.append(contentsOf: first ? "\n".utf8 : ",\n".utf8)
        first = false
        CanonicalJSON.encodeFragment(.object(annotation), into: &out)
      }
    }
    out.append(contentsOf: "],\n\"categories\":[".utf8)
    for (offset, name) in batch.classes.enumerated() {
      out.append(contentsOf: offset == 0 ? "\n".utf8 : ",\n".utf8)
      CanonicalJSON.encodeFragment(
        .object(["id": .int(Int64(offset + 1)), "name": .string(name)]), into: &out)
    }
    out.append(contentsOf: "]}\n".utf8)
    try CairnError.wrap {
      try FileIO.writeAtomically(out, to: directory + "/annotations.json")
    }
    return 1
  }

  /// A positive integer written in its plain decimal form, or nil.
  static func numericID(_ text: String?) -> Int64? {
    guard let text, let value = Int64(text), value > 0, String(value) == text else { return nil }
    return value
  }

  /// A pixel coordinate rounded to 6 decimals: what was imported comes back as it was.
  static func pixel(_ value: Double) -> Double {
    let rounded = (value * 1e6).rounded() / 1e6
    return rounded == 0 ? 0 : rounded
  }

  /// A number in its shortest form: integral values as integers (`58`, not `58.0`).
  static func number(_ value: Double) -> JSONValue {
    if value == value.rounded(), abs(value) < 9_007_199_254_740_992 { return .int(Int64(value)) }
    return .double(value)
  }
}
