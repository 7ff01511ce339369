internal import GitStore

extension CairnRepository {
  /// Brings the samples and labels of an external dataset into the working tree.
  ///
  /// For each sample the format names: the key is its file name (with `prefix/`), the media is
  /// probed as `cairn import images` does (or recorded as missing with
  /// `allowMissingMedia`), and the field's labels are replaced by the imported ones. Label
  /// ids are stable across re-imports: a label keeps the id of the existing label with the
  /// same `source_id`, else of the existing label of the same class it overlaps most (IoU of
  /// at least 0.5, boxes only), else it gets a new id. Classes are renamed by `classMap`; a
  /// field that does not exist is declared with the format's type and classes; classes a
  /// declared field does not list are refused unless `addClasses`. Attributes the format
  /// defines (`dataset.attributes`, `classAttributes`) that the field lacks are declared. Everything is checked (the
  /// input, the media, the schema) before anything is written; one problem refuses the
  /// whole import.
  ///
  /// - Parameters:
  ///   - dataset: What the format's reader found.
  ///   - options: Field, key prefix, class handling and missing media.
  ///   - dryRun: Check everything and count, but write nothing (for imports made of several
  ///     steps, which check every step before the first writes).
  /// - Returns: Counts of what was written.
  /// - Throws: `CairnError` `.invalidInput` listing every bad file name, missing or broken
  ///   image and label; `.validationFailed` listing classes off the schema or rules broken;
  ///   `.notFound` when the media directory is missing.
  /// - Complexity: Samples are planned on all cores, 4 096 at a time; with deferred labels
  ///   (``ExternalDataset/deferredLabels``) only those samples' labels exist at once, so the
  ///   memory held is the bytes of the files to write plus one chunk.
  package func importLabels(
    _ dataset: ExternalDataset, options: LabelImportOptions, dryRun: Bool = false
  ) throws(CairnError) -> LabelImportResult {
    let root = try requireRoot(for: "import")
    let field = options.field
    if let problem = FormatV1.fieldProblem(field) {
      throw CairnError(.invalidInput, "invalid --field '\(field)': \(problem)")
    }
    if let prefix = options.prefix, let problem = FormatV1.keyProblem(prefix) {
      throw CairnError(.invalidInput, "invalid --prefix '\(prefix)': \(problem)")
    }
    let lock = try WriterLock(path: lockPath)
    defer { lock.release() }
    var result = LabelImportResult()

    // The schema: declare the field, or check its type and classes.
    var schema = try workingSchema()
    let originalSchema = schema
    let mapped = { (name: String) -> String in options.classMap[name] ?? name }
    let labelClasses = dataset.classesInLabels.map(mapped)
    var used: [String] = []
    var seen: Set<String> = []
    for name in dataset.classes.map(mapped) + labelClasses where seen.insert(name).inserted {
      used.append(name)
    }
    let presentClasses = Set(labelClasses)
    if var definition = schema.fields[field] {
      guard definition.type.labelType == dataset.fieldType.labelType else {
        throw CairnError(
          .validationFailed,
          "field '\(field)' holds \(definition.type.rawValue), not the \(dataset.fieldType.rawValue) "
            + "this format brings; choose another --field")
      }
      if let classes = definition.classes {
        let unknown = used.filter { !classes.contains($0) && presentClasses.contains($0) }
        if !unknown.isEmpty {
          guard options.addClasses else {
            throw CairnError(
              .validationFailed,
              "import refused: \(unknown.count) class(es) not in the schema of '\(field)': "
                + unknown.joined(separator: ", ")
                + "; pass --add-classes to add them, or --map OLD=NEW to rename them")
          }
          definition.classes = classes + unknown
          result.classesAdded = unknown
          schema.fields[field] = definition
        }
      }
    } else {
      // The format's attributes are declared just below, like those a field lacks.
      schema.fields[field] = FieldDefinition(type: dataset.fieldType, classes: used)
      result.classesAdded = used
      result.fieldCreated = true
    }
    if var definition = schema.fields[field] {
      result.attributesAdded = definition.declareMissingAttributes(of: dataset, renamed: mapped)
      schema.fields[field] = definition
    }

    // Samples: keys and media.
    var violations: [CairnError.Violation] = []
    let base = FileIO.realPath(dataset.mediaDirectory)
    if base == nil && !options.allowMissingMedia {
      throw CairnError(.notFound, "media directory not found: \(dataset.mediaDirectory)")
    }
    let realRoot = FileIO.realPath(root) ?? root
    var keys: [String] = []
    var toProbe: [ScannedMedia] = []
    var probeSlot: [Int?] = []
    var keySeen: [String: String] = [:]
    for sample in dataset.samples {
      let file = Self.normalizedMediaName(sample.file)
      if let problem = Self.mediaNameProblem(file) {
        violations.append(
          CairnError.Violation(sample.origin, "file name '\(sample.file)' \(problem)"))
        keys.append("")
        probeSlot.append(nil)
        continue
      }
      let key = options.prefix.map { $0 + "/" + file } ?? file
      if let problem = FormatV1.keyProblem(key) {
        violations.append(
          CairnError.Violation(sample.origin, "'\(key)' cannot be a sample key: \(problem)"))
      }
      if let other = keySeen[key] {
        violations.append(
          CairnError.Violation(sample.origin, "names the same image '\(file)' as \(other)"))
      }
      keySeen[key] = sample.origin
      keys.append(key)
      let absolute = (base ?? dataset.mediaDirectory) + "/" + file
      if base != nil, FileStat.of(FileIO.realPath(absolute) ?? absolute)?.isRegularFile == true {
        probeSlot.append(toProbe.count)
        // A link (an export's image) records the file it points to, as the first import did.
        toProbe.append(
          ScannedMedia(absolutePath: FileIO.realPath(absolute) ?? absolute, relativePath: file))
      } else {
        probeSlot.append(nil)
        if !options.allowMissingMedia {
          violations.append(
            CairnError.Violation(
              sample.origin,
              "image '\(absolute)' is missing on disk (pass --allow-missing-media for "
                + "labels-only data)"))
        }
      }
    }
    let probed = Self.probeMedia(toProbe, root: realRoot)

    // Labels, with their ids, and the files to write: planned on all cores, a chunk of
    // samples at a time, so that deferred labels exist for one chunk only.
    var planned: [PlannedWrite] = []
    var labelWrites: [PlannedWrite] = []
    let context = SamplePlanContext(
      field: field, fieldType: dataset.fieldType, classMap: options.classMap, schema: schema,
      root: root, realRoot: realRoot, base: base, mediaDirectory: dataset.mediaDirectory)
    let chunk = 4096
    var start = 0
    while start < dataset.samples.count {
      let end = min(start + chunk, dataset.samples.count)
      let plans = parallelMap(count: end - start, state: LabelIDSource()) {
        ids, offset -> SamplePlan in
        let index = start + offset
        guard !keys[index].isEmpty else { return SamplePlan() }
        let media: Result<MediaRecord, CairnError.Violation>? = probeSlot[index].map {
          probed[$0]
        }
        return planLabels(
          of: dataset, at: index, key: keys[index], media: media, context: context, ids: &ids)
      }
      for plan in plans {
        violations += plan.violations
        if let write = plan.sampleWrite {
          planned.append(write)
          if write.isNew { result.samplesAdded += 1 } else { result.samplesUpdated += 1 }
        }
        if let write = plan.labelWrite { labelWrites.append(write) }
        result.labels += plan.labels
        result.labelsMatched += plan.matched
        if plan.missing { result.missingMedia += 1 }
      }
      start = end
    }
    if !violations.isEmpty {
      throw CairnError(
        .invalidInput,
        "import refused: \(violations.count) problem(s); nothing was written",
        violations: violations)
    }
    if dryRun {
      result.labelFilesWritten = labelWrites.count
      return result
    }
    if schema != originalSchema {
      planned.append(
        PlannedWrite(name: "schema.json", path: "schema.json", bytes: schema.encoded, isNew: false))
    }
    try Self.write(planned + labelWrites, root: root)
    result.labelFilesWritten = labelWrites.count
    if let base { try excludeMediaFromGit(base: base, root: realRoot) }
    return result
  }

  /// What every sample's plan needs.
  struct SamplePlanContext: Sendable {
    var field: String
    var fieldType: FieldType
    var classMap: [String: String]
    var schema: Schema
    var root: String
    var realRoot: String
    /// The media directory, resolved; nil when it does not exist.
    var base: String?
    var mediaDirectory: String
  }

  /// What one sample of a label import writes and counts.
  struct SamplePlan: Sendable {
    var violations: [CairnError.Violation] = []
    var sampleWrite: PlannedWrite?
    var labelWrite: PlannedWrite?
    var labels = 0
    var matched = 0
    var missing = false
  }

  /// The sample record and label file of `dataset.samples[index]`: its media (probed, or
  /// recorded as missing when `media` is nil), its labels with their ids, checked against the
  /// schema.
  func planLabels(
    of dataset: ExternalDataset, at index: Int, key: String,
    media probed: Result<MediaRecord, CairnError.Violation>?, context: SamplePlanContext,
    ids: inout LabelIDSource
  ) -> SamplePlan {
    var plan = SamplePlan()
    let sample = dataset.samples[index]
    let media: MediaRecord
    switch probed {
    case .success(let record): media = record
    case .failure(let violation):
      plan.violations.append(violation)
      return plan
    case nil:
      let absolute =
        (context.base ?? context.mediaDirectory) + "/" + Self.normalizedMediaName(sample.file)
      let ext = sample.file.split(separator: ".").last.map { $0.lowercased() } ?? ""
      media = MediaRecord(
        uri: Self.mediaURI(absolute: absolute, root: context.realRoot), sha256: nil, size: nil,
        kind: ["bin", "pcd"].contains(ext) ? "point_cloud" : "image",
        format: ext == "jpg" ? "jpeg" : (ext.isEmpty ? "unknown" : ext),
        width: sample.width.map(Int64.init), height: sample.height.map(Int64.init),
        missing: true)
      plan.missing = true
    }
    let width = sample.width ?? media.width.map(Int.init)
    let height = sample.height ?? media.height.map(Int.init)
    let root = context.root
    let path = FormatV1.labelPath(field: context.field, key: key)
    let existingBytes = try? FileIO.read(root + "/" + path)
    let existing = existingBytes.flatMap { try? JSONParser.parse($0) }?["labels"]?.array ?? []
    let made = dataset.labels(of: index)
    plan.violations += made.problems
    var labels: [[String: JSONValue]] = []
    labels.reserveCapacity(made.labels.count)
    for label in made.labels {
      var members = label.members
      members.reserveCapacity(members.count + 5)
      members["type"] = .string(context.fieldType.labelType)
      members["label"] = .string(context.classMap[label.className] ?? label.className)
      if let sourceID = label.sourceID { members["source_id"] = .string(sourceID) }
      if let box = label.pixelBox {
        guard let width, let height, width > 0, height > 0 else {
          plan.violations.append(
            CairnError.Violation(
              label.origin, "the image size is unknown, so its pixel box cannot be stored"))
          continue
        }
        if box[2] < 0 || box[3] < 0 {
          plan.violations.append(
            CairnError.Violation(label.origin, "the box has a negative width or height"))
          continue
        }
        members["bbox"] = .array(
          [
            box[0] / Double(width), box[1] / Double(height), box[2] / Double(width),
            box[3] / Double(height),
          ].map { .double(Self.rounded($0)) })
      }
      labels.append(members)
    }
    plan.matched = LabelIdentity.assign(&labels, existing: existing, ids: &ids)
    plan.labels = labels.count
    switch planSample(key: key, media: media, group: nil, root: root) {
    case .failure(let violation): plan.violations.append(violation)
    case .success(let write): plan.sampleWrite = write
    }
    // The checks of `Validator` for a label file, on the value itself: its path, field and
    // sample are right and its bytes canonical by construction, so it is not parsed back.
    let file = LabelFile(field: context.field, sample: key, labels: labels.map { .object($0) })
    do {
      let checked = try LabelFile(json: file.json)
      plan.violations += context.schema.violations(of: checked).map {
        CairnError.Violation(sample.origin, $0)
      }
    } catch {
      plan.violations.append(CairnError.Violation(sample.origin, error.reason))
    }
    let bytes = file.encoded
    if existingBytes != bytes {
      plan.labelWrite = PlannedWrite(name: key, path: path, bytes: bytes, isNew: false)
    }
    return plan
  }

  /// A media name without a leading `./`.
  static func normalizedMediaName(_ name: String) -> String {
    var text = Substring(name)
    while text.hasPrefix("./") { text = text.dropFirst(2) }
    return String(text)
  }

  /// Why a media name from a label file may not be used, or nil: it must stay inside the media
  /// directory.
  static func mediaNameProblem(_ name: String) -> String? {
    if name.isEmpty { return "is empty" }
    if name.hasPrefix("/") {
      return "is an absolute path; it must be relative to the media directory"
    }
    if name.contains("\\") { return "contains a backslash" }
    for segment in name.split(separator: "/", omittingEmptySubsequences: false) {
      if segment == ".." { return "escapes the media directory ('..')" }
      if segment.isEmpty { return "has an empty path segment" }
    }
    return nil
  }

  /// Relative coordinates rounded to 12 decimals: a pixel coordinate of up to 6 decimals on
  /// an image of up to 100 000 pixels comes back exactly when multiplied by the image size and
  /// rounded to 6 decimals, while float noise (`0.30000000000000004`) does not reach the files.
  package static func rounded(_ value: Double) -> Double {
    (value * 1e12).rounded() / 1e12
  }
}

/// Keeps label ids stable when labels are imported again.
package enum LabelIdentity {
  /// Gives each label of `labels` an `id` that is stable across imports.
  ///
  /// The id is that of the `existing` label with the same `source_id`, or whose own `id` is
  /// that `source_id` (an id Cairn exported); else of the unmatched existing label of the same
  /// class and type that overlaps it most (box IoU ≥ 0.5), or of the same class for labels
  /// without a box (classifications) in order; else a new id. A `source_id` equal to the id
  /// it gets is dropped: it was Cairn's own.
  ///
  /// - Returns: How many labels kept an existing id.
  package static func assign(_ labels: inout [[String: JSONValue]], existing: [JSONValue]) -> Int {
    var ids = LabelIDSource()
    return assign(&labels, existing: existing, ids: &ids)
  }

  /// ``assign(_:existing:)`` drawing new ids from `ids`.
  package static func assign(
    _ labels: inout [[String: JSONValue]], existing: [JSONValue], ids: inout LabelIDSource
  ) -> Int {
    var available = existing.compactMap(\.object)
    var matched = 0
    var assigned = [String?](repeating: nil, count: labels.count)
    // 1. The format's own ids.
    for index in labels.indices {
      guard let source = labels[index]["source_id"]?.string,
        let at = available.firstIndex(where: { $0["source_id"]?.string == source })
          ?? available.firstIndex(where: {
            $0["source_id"] == nil && $0["id"]?.string == source
          }),
        let id = available[at]["id"]?.string
      else { continue }
      assigned[index] = id
      available.remove(at: at)
    }
    // 2. Same class and type, best overlap first.
    var pairs: [(iou: Double, label: Int, candidate: Int)] = []
    for index in labels.indices where assigned[index] == nil {
      for (slot, candidate) in available.enumerated()
      where candidate["label"] == labels[index]["label"]
        && candidate["type"] == labels[index]["type"]
        && candidate["source_id"] == nil
      {
        if let a = LabelRules.numbers(labels[index]["bbox"], count: 4),
          let b = LabelRules.numbers(candidate["bbox"], count: 4)
        {
          let overlap = iou(a, b)
          if overlap >= 0.5 { pairs.append((overlap, index, slot)) }
        } else if labels[index]["bbox"] == nil && candidate["bbox"] == nil {
          pairs.append((0, index, slot))
        }
      }
    }
    pairs.sort { ($0.iou, -$0.label, -$0.candidate) > ($1.iou, -$1.label, -$1.candidate) }
    var taken = Set<Int>()
    for pair in pairs where assigned[pair.label] == nil && !taken.contains(pair.candidate) {
      assigned[pair.label] = available[pair.candidate]["id"]?.string
      taken.insert(pair.candidate)
    }
    for index in labels.indices {
      if let id = assigned[index] {
        labels[index]["id"] = .string(id)
        if labels[index]["source_id"]?.string == id { labels[index]["source_id"] = nil }
        matched += 1
      } else {
        labels[index]["id"] = .string(ids.next())
      }
    }
    return matched
  }

  /// Intersection over union of two `[x, y, w, h]` boxes.
  package static func iou(_ a: [Double], _ b: [Double]) -> Double {
    let x0 = max(a[0], b[0])
    let y0 = max(a[1], b[1])
    let x1 = min(a[0] + a[2], b[0] + b[2])
    let y1 = min(a[1] + a[3], b[1] + b[3])
    let intersection = max(0, x1 - x0) * max(0, y1 - y0)
    let union = a[2] * a[3] + b[2] * b[3] - intersection
    return union > 0 ? intersection / union : 0
  }
}

extension FieldDefinition {
  /// Declares the attributes `dataset` brings that this field does not declare yet.
  ///
  /// None of them is required, so no label already in the field breaks. A name the field uses
  /// (as a field or a class attribute) keeps its definition, and the imported values are
  /// checked against it.
  ///
  /// - Returns: The names declared, `name` or `class.name`.
  fileprivate mutating func declareMissingAttributes(
    of dataset: ExternalDataset, renamed: (String) -> String
  ) -> [String] {
    var added: [String] = []
    let classNames = Set(classAttributes.values.flatMap(\.keys))
    for name in dataset.attributes.keys.sorted()
    where attributes[name] == nil && !classNames.contains(name) {
      attributes[name] = dataset.attributes[name]
      added.append(name)
    }
    for original in dataset.classAttributes.keys.sorted() {
      let className = renamed(original)
      if let classes, !classes.contains(className) { continue }
      for (name, definition) in (dataset.classAttributes[original] ?? [:]).sorted(by: {
        $0.key < $1.key
      }) where attributes[name] == nil && classAttributes[className]?[name] == nil {
        classAttributes[className, default: [:]][name] = definition
        added.append(className + "." + name)
      }
    }
    return added
  }
}

/// New label ids as ``LabelID/make()`` draws them (128 bits from the system's random source,
/// as 32 lowercase hexadecimal digits), with the random bytes fetched 4 KiB at a time instead
/// of one system call per 8 bytes.
package struct LabelIDSource {
  private var buffer = [UInt8](repeating: 0, count: 4096)
  private var used = 4096

  package init() {}

  /// The next id.
  package mutating func next() -> String {
    if used + 16 > buffer.count {
      var generator = SystemRandomNumberGenerator()
      buffer.withUnsafeMutableBytes { raw in
        for offset in stride(from: 0, to: raw.count, by: 8) {
          raw.storeBytes(of: generator.next(), toByteOffset: offset, as: UInt64.self)
        }
      }
      used = 0
    }
    defer { used += 16 }
    return String(unsafeUninitializedCapacity: 32) { out in
      let digits: StaticString = "0123456789abcdef"
      let hex = digits.utf8Start
      for offset in 0..<16 {
        let byte = buffer[used + offset]
        out[2 * offset] = hex[Int(byte >> 4)]
        out[2 * offset + 1] = hex[Int(byte & 0x0F)]
      }
      return 32
    }
  }
}
