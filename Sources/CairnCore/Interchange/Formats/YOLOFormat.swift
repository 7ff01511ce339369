internal import GitStore

/// Ultralytics YOLO (v5/v8) detection datasets: images, one `.txt` per image with
/// `class x_center y_center width height [confidence]` lines (relative to the image), and the
/// class names in `data.yaml` (or a names file, one class per line).
///
/// Also darknet's layout
/// (`obj.data` naming `names` and `train`/`valid`/`test` image lists, labels beside the
/// images), as darknet and CVAT's "YOLO 1.1" export write it.
package enum YOLOFormat {
  /// Reads a YOLO dataset.
  ///
  /// - Parameters:
  ///   - path: The dataset's `data.yaml`, or its root folder (holding `data.yaml`,
  ///     `classes.txt`, `obj.names` or an `images/` folder); or darknet's `obj.data` (a
  ///     `.data` file), or a folder holding `obj.data` and no YAML file.
  ///   - namesFile: A names file that overrides the YAML's `names`.
  ///   - mediaDirectory: The folder keys are relative to (default: the dataset root).
  /// - Returns: The dataset: one sample per image, labels from the `.txt` beside it under
  ///   `labels/` (Ultralytics' rule: the last `/images/` of the image path becomes `/labels/`).
  /// - Throws: `CairnError` `.notFound` for a missing path, `.invalidInput` naming the file
  ///   and line of a malformed label line or an unknown class index.
  package static func read(path: String, namesFile: String?, mediaDirectory: String?)
    throws(CairnError) -> ExternalDataset
  {
    guard let info = FileStat.of(path) else {
      throw CairnError(.notFound, "not found: \(path)")
    }
    if let dataFile = darknetDataFile(path, isDirectory: info.isDirectory) {
      return try readDarknet(dataFile, namesFile: namesFile, mediaDirectory: mediaDirectory)
    }
    var root = path
    var yaml: String?
    if info.isDirectory {
      for name in ["data.yaml", "dataset.yaml"] where FileStat.of(path + "/" + name) != nil {
        yaml = path + "/" + name
        break
      }
      if yaml == nil,
        let found = (FileIO.list(path) ?? []).sorted().first(where: {
          $0.hasSuffix(".yaml") || $0.hasSuffix(".yml")
        })
      {
        yaml = path + "/" + found
      }
    } else {
      yaml = path
      root = parent(of: path)
    }
    var names: [String] = []
    var splits: [String] = []
    if let yaml {
      let text = try readText(yaml)
      let parsed = try SimpleYAML.parse(text, file: yaml)
      names = parsed.names
      splits = parsed.splits
    }
    if let namesFile {
      names = try readText(namesFile).split(whereSeparator: \.isNewline).map {
        String($0).trimmingWhitespace()
      }.filter { !$0.isEmpty }
    } else if names.isEmpty {
      for candidate in ["classes.txt", "obj.names", "names.txt"]
      where FileStat.of(root + "/" + candidate) != nil {
        names = try readText(root + "/" + candidate).split(whereSeparator: \.isNewline).map {
          String($0).trimmingWhitespace()
        }.filter { !$0.isEmpty }
        break
      }
    }
    if names.isEmpty {
      throw CairnError(
        .invalidInput,
        "\(path): no class names (a data.yaml with 'names', classes.txt, obj.names, or --names)")
    }
    let media = mediaDirectory ?? root
    var imageFolders = splits.map { root + "/" + $0 }.filter {
      FileStat.of($0)?.isDirectory == true
    }
    if imageFolders.isEmpty {
      imageFolders = [FileStat.of(root + "/images")?.isDirectory == true ? root + "/images" : root]
    }
    var images: [String] = []
    var seen: Set<String> = []
    for folder in imageFolders {
      var found: [ScannedMedia] = []
      CairnRepository.scanMedia(base: folder, relative: "", skip: "", into: &found)
      for item in found where seen.insert(item.absolutePath).inserted {
        images.append(item.absolutePath)
      }
    }
    images.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    var samples: [ExternalSample] = []
    var problems: [CairnError.Violation] = []
    for image in images {
      let file = relative(image, to: media) ?? image
      var sample = ExternalSample(file: file, origin: image)
      sample.labels = labels(in: labelPath(forImage: image), names: names, problems: &problems)
      samples.append(sample)
    }
    if !problems.isEmpty {
      throw CairnError(
        .invalidInput, "import refused: \(problems.count) bad label line(s); nothing was written",
        violations: problems)
    }
    return ExternalDataset(
      mediaDirectory: media, classes: names, fieldType: .detections, samples: samples)
  }

  /// The labels of one label file (none when it does not exist), recording bad lines.
  private static func labels(
    in labelFile: String, names: [String], problems: inout [CairnError.Violation]
  ) -> [ExternalLabel] {
    guard let bytes = try? FileIO.read(labelFile) else { return [] }
    var labels: [ExternalLabel] = []
    let text = String(decoding: bytes, as: UTF8.self)
    for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false)
      .enumerated()
    {
      let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
      if fields.isEmpty { continue }
      let origin = "\(labelFile): line \(number + 1)"
      let values = fields.dropFirst().compactMap { Double($0) }
      guard fields.count == 5 || fields.count == 6, values.count == fields.count - 1,
        let index = Int(fields[0]), values.allSatisfy(\.isFinite)
      else {
        problems.append(
          CairnError.Violation(
            origin, "expected 'class x_center y_center width height [confidence]'"))
        continue
      }
      guard names.indices.contains(index) else {
        problems.append(
          CairnError.Violation(
            origin, "class index \(index) is not in the \(names.count) names"))
        continue
      }
      if values[2] < 0 || values[3] < 0 {
        problems.append(CairnError.Violation(origin, "the box has a negative width or height"))
        continue
      }
      var members: [String: JSONValue] = [
        "bbox": .array(
          [values[0] - values[2] / 2, values[1] - values[3] / 2, values[2], values[3]].map {
            .double(CairnRepository.rounded($0))
          })
      ]
      if values.count == 5 { members["confidence"] = .double(values[4]) }
      labels.append(ExternalLabel(className: names[index], members: members, origin: origin))
    }
    return labels
  }

  /// Writes `batch` as a YOLO dataset into `directory`: `images/<key>` (links to the media),
  /// the label files at Ultralytics' paths, and `data.yaml`.
  ///
  /// - Returns: The number of files written.
  /// - Throws: `CairnError` `.invalidInput` for a label type YOLO cannot hold.
  package static func write(_ batch: ExportBatch, to directory: String) throws(CairnError) -> Int {
    let classIndex = Dictionary(
      batch.classes.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
    var files = 0
    for sample in batch.samples {
      let image = directory + "/images/" + sample.key
      var lines = ""
      for label in sample.labels {
        guard let box = LabelRules.numbers(label["bbox"], count: 4),
          let name = label["label"]?.string, let index = classIndex[name]
        else {
          throw CairnError(
            .invalidInput,
            "sample '\(sample.key)': YOLO holds boxes of listed classes only; label "
              + "\(label["id"]?.string ?? "?") has none")
        }
        var parts = [String(index)]
        parts += [box[0] + box[2] / 2, box[1] + box[3] / 2, box[2], box[3]].map(Self.number)
        if let confidence = label["confidence"]?.number { parts.append(Self.number(confidence)) }
        lines += parts.joined(separator: " ") + "\n"
      }
      try CairnError.wrap {
        try FileIO.makeDirectories(parent(of: image))
        if let source = sample.mediaPath, FileStat.of(source) != nil {
          try FileIO.symlink(source, at: image)
          files += 1
        }
        let labelFile = labelPath(forImage: image)
        try FileIO.makeDirectories(parent(of: labelFile))
        try FileIO.writeAtomically(Array(lines.utf8), to: labelFile)
        files += 1
      }
    }
    var yaml = "# Written by cairn export yolo from commit \(batch.commit.hex)\n"
    yaml += "path: \(directory)\ntrain: images\nval: images\nnames:\n"
    for (index, name) in batch.classes.enumerated() { yaml += "  \(index): \(name)\n" }
    try CairnError.wrap {
      try FileIO.writeAtomically(Array(yaml.utf8), to: directory + "/data.yaml")
    }
    return files + 1
  }

  /// A coordinate in its shortest decimal form after rounding to 9 decimals (`0.5955`,
  /// `0.0969375`): what was imported is written back as it was, without float noise.
  static func number(_ value: Double) -> String {
    let rounded = (value * 1e9).rounded() / 1e9
    if rounded == 0 { return "0" }
    if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int64(rounded)) }
    return "\(rounded)"
  }

  /// Ultralytics' label path of an image: the last `/images/` becomes `/labels/`, the
  /// extension `.txt`.
  static func labelPath(forImage image: String) -> String {
    var path = image
    let parts = path.split(separator: "/", omittingEmptySubsequences: false)
    if let last = parts.dropLast().lastIndex(of: "images"), last > 0 {
      var replaced = parts
      replaced[last] = "labels"
      path = replaced.joined(separator: "/")
    }
    if let dot = path.lastIndex(of: "."), let slash = path.lastIndex(of: "/"), dot > slash {
      path = String(path[..<dot])
    }
    return path + ".txt"
  }
}

extension YOLOFormat {
  /// The darknet data file `path` names: itself when it ends in `.data`, or `obj.data` in a
  /// folder without a YAML file; nil for an Ultralytics dataset.
  static func darknetDataFile(_ path: String, isDirectory: Bool) -> String? {
    guard isDirectory else { return path.hasSuffix(".data") ? path : nil }
    let names = FileIO.list(path) ?? []
    if names.contains(where: { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }) { return nil }
    return names.contains("obj.data") ? path + "/obj.data" : nil
  }

  /// Reads darknet's layout: `obj.data` (`classes`, `names`, `train`, `valid`, `test`), the
  /// names file, and the image lists, each image's labels in the `.txt` at darknet's path
  /// (`/images/` or `/JPEGImages/` become `/labels/`) or beside it.
  ///
  /// Paths in `obj.data` and in the lists are relative to the folder darknet runs in: each is
  /// looked for under the data file's folder, under its parent, and under the data file's
  /// folder without its first segment (CVAT writes `data/train.txt` beside `obj.data`).
  /// Darknet exports often ship labels without images: an image is looked for under the media
  /// directory by its path in the dataset, then by shorter tails of it
  /// (`obj_train_data/a.jpg`, then `a.jpg`), and named by the first that exists.
  static func readDarknet(_ dataFile: String, namesFile: String?, mediaDirectory: String?)
    throws(CairnError) -> ExternalDataset
  {
    let root = parent(of: dataFile)
    var settings: [String: (value: String, line: Int)] = [:]
    for (number, raw) in try readText(dataFile).split(
      separator: "\n", omittingEmptySubsequences: false
    ).enumerated() {
      let line = String(raw.prefix { $0 != "#" })
      guard let equals = line.firstIndex(of: "=") else { continue }
      let key = String(line[..<equals]).trimmingWhitespace()
      settings[key] = (String(line[line.index(after: equals)...]).trimmingWhitespace(), number + 1)
    }
    let resolve = { (path: String) -> String? in
      if path.hasPrefix("/") { return FileStat.of(path) != nil ? path : nil }
      var candidates = [root + "/" + path, parent(of: root) + "/" + path]
      if let slash = path.firstIndex(of: "/") {
        candidates.append(root + "/" + path[path.index(after: slash)...])
      }
      return candidates.first { FileStat.of($0) != nil }
    }
    let names: [String]
    if let namesFile {
      names = try nameLines(namesFile)
    } else if let entry = settings["names"] {
      guard let file = resolve(entry.value) else {
        throw CairnError(
          .notFound,
          "\(dataFile): line \(entry.line): names file '\(entry.value)' not found beside it")
      }
      names = try nameLines(file)
    } else {
      throw CairnError(.invalidInput, "\(dataFile): no 'names =' line (or pass --names)")
    }
    if names.isEmpty { throw CairnError(.invalidInput, "\(dataFile): the names file is empty") }
    if let entry = settings["classes"], let count = Int(entry.value), count != names.count {
      throw CairnError(
        .invalidInput,
        "\(dataFile): line \(entry.line): classes = \(count), but the names file has "
          + "\(names.count) names")
    }
    let media = mediaDirectory ?? root
    var samples: [ExternalSample] = []
    var problems: [CairnError.Violation] = []
    var seen: Set<String> = []
    for split in ["train", "valid", "test"] {
      guard let entry = settings[split], !entry.value.isEmpty else { continue }
      guard let list = resolve(entry.value) else {
        throw CairnError(
          .notFound, "\(dataFile): line \(entry.line): image list '\(entry.value)' not found")
      }
      for (number, raw) in try readText(list).split(
        separator: "\n", omittingEmptySubsequences: false
      ).enumerated() {
        let listed = String(raw).trimmingWhitespace()
        if listed.isEmpty { continue }
        let origin = "\(list): line \(number + 1)"
        let candidates =
          listed.hasPrefix("/")
          ? [listed]
          : [root + "/" + listed, parent(of: root) + "/" + listed]
            + (listed.firstIndex(of: "/").map { [root + "/" + listed[listed.index(after: $0)...]] }
              ?? [])
        guard
          let image = candidates.first(where: {
            FileStat.of($0) != nil || darknetLabelPath(forImage: $0) != nil
          })
        else {
          problems.append(
            CairnError.Violation(origin, "neither '\(listed)' nor its label file exists"))
          continue
        }
        guard seen.insert(image).inserted else { continue }
        var sample = ExternalSample(
          file: darknetMediaName(image, root: root, media: media), origin: origin)
        if let labelFile = darknetLabelPath(forImage: image) {
          sample.labels = labels(in: labelFile, names: names, problems: &problems)
        }
        samples.append(sample)
      }
    }
    if !problems.isEmpty {
      throw CairnError(
        .invalidInput, "import refused: \(problems.count) problem(s); nothing was written",
        violations: problems)
    }
    return ExternalDataset(
      mediaDirectory: media, classes: names, fieldType: .detections, samples: samples)
  }

  /// Darknet's label file of an image, when it exists: `/images/` or `/JPEGImages/` become
  /// `/labels/`, else the `.txt` beside the image.
  static func darknetLabelPath(forImage image: String) -> String? {
    var beside = image
    if let dot = beside.lastIndex(of: "."), let slash = beside.lastIndex(of: "/"), dot > slash {
      beside = String(beside[..<dot])
    }
    var candidates = [labelPath(forImage: image)]
    let parts = image.split(separator: "/", omittingEmptySubsequences: false)
    if let at = parts.dropLast().lastIndex(of: "JPEGImages"), at > 0 {
      var replaced = parts
      replaced[at] = "labels"
      candidates.append(labelPath(forImage: replaced.joined(separator: "/")))
    }
    candidates.append(beside + ".txt")
    return candidates.first { FileStat.of($0)?.isRegularFile == true }
  }

  /// The name of a darknet image relative to the media directory: its path inside the
  /// dataset, or the longest tail of it found under `media`.
  static func darknetMediaName(_ image: String, root: String, media: String) -> String {
    let inside = relative(image, to: root) ?? relative(image, to: parent(of: root)) ?? image
    var tail = Substring(inside)
    while true {
      let candidate = media + "/" + tail
      if FileStat.of(FileIO.realPath(candidate) ?? candidate)?.isRegularFile == true {
        return String(tail)
      }
      guard let slash = tail.firstIndex(of: "/") else { break }
      tail = tail[tail.index(after: slash)...]
    }
    return relative(image, to: media) ?? inside
  }

  private static func nameLines(_ path: String) throws(CairnError) -> [String] {
    try readText(path).split(whereSeparator: \.isNewline).map {
      String($0).trimmingWhitespace()
    }.filter { !$0.isEmpty }
  }
}

/// The few `data.yaml` keys YOLO datasets use: `names` (a list, an inline list or an
/// `index: name` map) and the `train`/`val`/`test` image folders.
enum SimpleYAML {
  struct Parsed {
    var names: [String] = []
    var splits: [String] = []
  }

  static func parse(_ text: String, file: String) throws(CairnError) -> Parsed {
    var parsed = Parsed()
    var inNames = false
    var indexed: [(Int, String)] = []
    for raw in text.split(whereSeparator: \.isNewline) {
      let line = stripComment(String(raw))
      if line.trimmingWhitespace().isEmpty { continue }
      let indented = line.first == " " || line.first == "\t"
      let trimmed = line.trimmingWhitespace()
      if !indented {
        inNames = false
        guard let colon = trimmed.firstIndex(of: ":") else { continue }
        let key = String(trimmed[..<colon]).trimmingWhitespace()
        let value = String(trimmed[trimmed.index(after: colon)...]).trimmingWhitespace()
        switch key {
        case "names":
          if value.hasPrefix("[") {
            parsed.names = value.dropFirst().dropLast().split(separator: ",").map {
              unquote(String($0).trimmingWhitespace())
            }
          } else if value.isEmpty {
            inNames = true
          }
        case "train", "val", "test":
          if !value.isEmpty && !value.hasPrefix("[") { parsed.splits.append(unquote(value)) }
        default: break
        }
      } else if inNames {
        if trimmed.hasPrefix("- ") {
          parsed.names.append(unquote(String(trimmed.dropFirst(2)).trimmingWhitespace()))
        } else if let colon = trimmed.firstIndex(of: ":"),
          let index = Int(String(trimmed[..<colon]).trimmingWhitespace())
        {
          indexed.append(
            (index, unquote(String(trimmed[trimmed.index(after: colon)...]).trimmingWhitespace())))
        }
      }
    }
    if !indexed.isEmpty {
      indexed.sort { $0.0 < $1.0 }
      guard indexed.enumerated().allSatisfy({ $0.offset == $0.element.0 }) else {
        throw CairnError(.invalidInput, "\(file): 'names' indices must run 0, 1, 2, … without gaps")
      }
      parsed.names = indexed.map(\.1)
    }
    return parsed
  }

  private static func stripComment(_ line: String) -> String {
    var inQuote: Character?
    for (offset, character) in line.enumerated() {
      if character == "'" || character == "\"" {
        inQuote = inQuote == character ? nil : (inQuote ?? character)
      } else if character == "#" && inQuote == nil {
        return String(line.prefix(offset))
      }
    }
    return line
  }

  private static func unquote(_ text: String) -> String {
    if text.count >= 2, let first = text.first, first == "'" || first == "\"", text.last == first {
      return String(text.dropFirst().dropLast())
    }
    return text
  }
}

extension String {
  /// Without leading and trailing spaces, tabs and line breaks.
  func trimmingWhitespace() -> String {
    String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
  }
}

/// The folder of a path.
func parent(of path: String) -> String {
  guard let slash = path.lastIndex(of: "/") else { return "." }
  return slash == path.startIndex ? "/" : String(path[..<slash])
}

/// `path` relative to `base`, or nil when it is not inside it.
///
/// Folders are resolved, the file itself is not (a link inside `base` stays inside it).
func relative(_ path: String, to base: String) -> String? {
  let resolvedBase = FileIO.realPath(base) ?? base
  let folder = parent(of: path)
  let name = String(path.dropFirst(folder.count))
  let resolved = (FileIO.realPath(folder) ?? folder) + name
  guard resolved.hasPrefix(resolvedBase + "/") else { return nil }
  return String(resolved.dropFirst(resolvedBase.count + 1))
}

/// The text of a file, or `.notFound` naming it.
func readText(_ path: String) throws(CairnError) -> String {
  do {
    return String(decoding: try FileIO.read(path), as: UTF8.self)
  } catch {
    throw CairnError(.notFound, "cannot read \(path): \(error.message)")
  }
}
