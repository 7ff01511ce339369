internal import GitStore

/// How `cairn import images --slices` builds multimodal groups from a folder layout.
package struct GroupImportOptions: Sendable {
  /// The slices, in order: each slice's name and its folder relative to the imported directory.
  ///
  /// The first slice a group has becomes its `default_slice`.
  package var slices: [(name: String, folder: String)]
  /// What goes before `/<stem>` in group ids; nil: the key prefix; empty: nothing.
  package var groupPrefix: String?
  /// A folder of KITTI calibration files (`<stem>.txt`), relative to the imported directory.
  package var kittiCalibration: String?

  package init(
    slices: [(name: String, folder: String)], groupPrefix: String? = nil,
    kittiCalibration: String? = nil
  ) {
    self.slices = slices
    self.groupPrefix = groupPrefix
    self.kittiCalibration = kittiCalibration
  }
}

/// What a grouped import did.
package struct GroupImportResult: Sendable {
  /// The sample records written.
  package var samples: ImportResult
  package var addedGroups: [String]
  package var updatedGroups: [String]
  package var unchangedGroups: Int
  /// Groups that lack some of the imported slices, with the slices they lack.
  package var incomplete: [(id: String, missing: [String])]
  /// Which calibration each slice got (`projection=P2`…), when calibration was imported.
  package var calibration: [(slice: String, source: String)]
}

/// One media file of one slice.
private struct SliceMedia {
  var slice: Int
  var stem: String
  var media: ScannedMedia
}

extension CairnRepository {
  /// Creates or updates groups, their samples and their group records from one folder per
  /// slice, matching files across slices by their path without the extension (the **stem**:
  /// `image_2/000001.png` and `velodyne/000001.bin` share the stem `000001`).
  ///
  /// Each file becomes a sample as ``importImages(directory:prefix:)`` makes it (key: its path
  /// relative to `directory`, after `prefix/`), with `group` set to `{id, slice}`. Each stem
  /// becomes the group `[groupPrefix/]stem` whose record lists the slices it has: a stem
  /// missing from some slice folders still makes a group, with the slices found (reported in
  /// `incomplete`). With KITTI calibration, each group reads `<calibration folder>/<stem>.txt`
  /// and each slice gets the calibration its folder name selects
  /// (``KITTICalibration/SliceSource``). Existing group records keep their other slices and
  /// their `default_slice`; a slice keeps its calibration unless new calibration is imported.
  /// Every file is checked before anything is written; re-importing changes nothing.
  ///
  /// - Throws: `CairnError` `.notFound` for a missing directory or slice folder,
  ///   `.invalidInput` for bad options or listing every bad file (media, calibration, a sample
  ///   already in another group), `.locked` while another process writes.
  package func importGroups(directory: String, prefix: String?, options: GroupImportOptions)
    throws(CairnError) -> GroupImportResult
  {
    let root = try requireRoot(for: "import")
    guard let base = FileIO.realPath(directory) else {
      throw CairnError(.notFound, "directory not found: \(directory)")
    }
    guard FileStat.of(base)?.isDirectory == true else {
      throw CairnError(.invalidInput, "not a directory: \(directory)")
    }
    if let prefix, let problem = FormatV1.keyProblem(prefix) {
      throw CairnError(.invalidInput, "invalid --prefix '\(prefix)': \(problem)")
    }
    let slices = try Self.checkSlices(options.slices, base: base, directory: directory)
    let groupPrefix = (options.groupPrefix ?? prefix).flatMap { $0.isEmpty ? nil : $0 }
    if let groupPrefix, let problem = FormatV1.keyProblem(groupPrefix) {
      throw CairnError(.invalidInput, "invalid group prefix '\(groupPrefix)': \(problem)")
    }
    var calibrationBase: String?
    if let folder = options.kittiCalibration {
      let path = base + "/" + folder
      guard FileStat.of(path)?.isDirectory == true else {
        throw CairnError(.notFound, "calibration folder not found: \(directory)/\(folder)")
      }
      calibrationBase = path
    }
    let lock = try WriterLock(path: lockPath)
    defer { lock.release() }
    let realRoot = FileIO.realPath(root) ?? root

    var violations: [CairnError.Violation] = []
    var items: [SliceMedia] = []
    for (index, slice) in slices.enumerated() {
      var found: [ScannedMedia] = []
      Self.scanMedia(
        base: base + "/" + slice.folder, relative: "", skip: realRoot + "/.git", into: &found)
      found.sort { $0.relativePath.utf8.lexicographicallyPrecedes($1.relativePath.utf8) }
      if found.isEmpty {
        violations.append(
          CairnError.Violation(
            base + "/" + slice.folder, "slice '\(slice.name)' has no images or point clouds"))
      }
      var stems: [String: String] = [:]
      for item in found {
        let stem = Self.stem(of: item.relativePath)
        if let other = stems.updateValue(item.relativePath, forKey: stem) {
          violations.append(
            CairnError.Violation(
              item.absolutePath,
              "slice '\(slice.name)' has two files with the stem '\(stem)' (\(other) and "
                + "\(item.relativePath)); a group takes one file per slice"))
        }
        items.append(
          SliceMedia(
            slice: index, stem: stem,
            media: ScannedMedia(
              absolutePath: item.absolutePath,
              relativePath: slice.folder + "/" + item.relativePath)))
      }
    }
    if !violations.isEmpty { throw Self.refused(violations) }

    // Group ids and, with calibration, each group's calibration file.
    var stems: [String] = []
    var groupIDs: [String: String] = [:]
    for item in items where groupIDs[item.stem] == nil {
      let id = groupPrefix.map { $0 + "/" + item.stem } ?? item.stem
      if let problem = FormatV1.keyProblem(id) {
        violations.append(
          CairnError.Violation(item.media.absolutePath, "cannot be a group id '\(id)': \(problem)"))
      }
      groupIDs[item.stem] = id
      stems.append(item.stem)
    }
    stems.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    let sources = slices.map { KITTICalibration.SliceSource(folder: $0.folder) }
    var calibrations: [String: [SliceCalibration?]] = [:]
    if let calibrationBase {
      for stem in stems {
        let path = calibrationBase + "/" + stem + ".txt"
        do {
          let file = try KITTICalibration(bytes: try FileIO.read(path))
          calibrations[stem] = try sources.map { (source) throws(RecordProblem) in
            try source.map { (source) throws(RecordProblem) in try file.calibration(for: source) }
          }
        } catch let problem as RecordProblem {
          violations.append(CairnError.Violation(path, "KITTI calibration: \(problem.reason)"))
        } catch {
          violations.append(
            CairnError.Violation(path, "no calibration file for group '\(groupIDs[stem] ?? stem)'"))
        }
      }
    }

    // Samples.
    let probed = Self.probeMedia(items.map(\.media), root: realRoot)
    var planned: [PlannedWrite] = []
    var unchangedSamples = 0
    var members: [String: [Int: String]] = [:]
    for (item, result) in zip(items, probed) {
      let media: MediaRecord
      switch result {
      case .success(let record): media = record
      case .failure(let violation):
        violations.append(violation)
        continue
      }
      let key = prefix.map { $0 + "/" + item.media.relativePath } ?? item.media.relativePath
      if let problem = FormatV1.keyProblem(key) {
        violations.append(
          CairnError.Violation(item.media.absolutePath, "cannot be a sample key: \(problem)"))
        continue
      }
      guard let id = groupIDs[item.stem] else { continue }
      members[item.stem, default: [:]][item.slice] = key
      let group = SampleGroup(id: id, slice: slices[item.slice].name)
      switch planSample(key: key, media: media, group: group, root: root) {
      case .failure(let violation): violations.append(violation)
      case .success(nil): unchangedSamples += 1
      case .success(let write?): planned.append(write)
      }
    }

    // Group records.
    var groupWrites: [PlannedWrite] = []
    var unchangedGroups = 0
    var incomplete: [(id: String, missing: [String])] = []
    for stem in stems {
      guard let id = groupIDs[stem], let found = members[stem] else { continue }
      switch planGroup(
        id: id, slices: slices, members: found, calibration: calibrations[stem], root: root)
      {
      case .failure(let violation): violations.append(violation)
      case .success(let (write, record)):
        if let write { groupWrites.append(write) } else { unchangedGroups += 1 }
        let missing = slices.map(\.name).filter { record.slices[$0] == nil }
        if !missing.isEmpty { incomplete.append((id, missing)) }
      }
    }
    if !violations.isEmpty { throw Self.refused(violations) }

    try Self.write(planned + groupWrites, root: root)
    try excludeMediaFromGit(base: base, root: realRoot)
    var mapping: [(slice: String, source: String)] = []
    if calibrationBase != nil {
      for (slice, source) in zip(slices, sources) {
        mapping.append((slice.name, source?.description ?? "none"))
      }
    }
    return GroupImportResult(
      samples: ImportResult(
        added: planned.filter(\.isNew).map(\.name),
        updated: planned.filter { !$0.isNew }.map(\.name), unchanged: unchangedSamples),
      addedGroups: groupWrites.filter(\.isNew).map(\.name),
      updatedGroups: groupWrites.filter { !$0.isNew }.map(\.name),
      unchangedGroups: unchangedGroups, incomplete: incomplete, calibration: mapping)
  }

  /// The group file to write for `id` (nil when unchanged) and the record it holds.
  ///
  /// An existing record keeps its other slices, its `default_slice` and, unless `calibration`
  /// is given, each slice's calibration; a slice that names another sample is refused.
  private func planGroup(
    id: String, slices: [(name: String, folder: String)], members: [Int: String],
    calibration: [SliceCalibration?]?, root: String
  ) -> Result<(PlannedWrite?, GroupRecord), CairnError.Violation> {
    let path = FormatV1.groupPath(id)
    var existingBytes: [UInt8]?
    var record: GroupRecord
    if let bytes = try? FileIO.read(root + "/" + path) {
      existingBytes = bytes
      do {
        record = try GroupRecord(json: try JSONParser.parse(bytes))
      } catch {
        return .failure(
          CairnError.Violation(
            path, "the existing group file is not a valid group record; fix or delete it first"))
      }
    } else {
      let first = members.keys.min() ?? 0
      record = GroupRecord(id: id, slices: [:], defaultSlice: slices[first].name)
    }
    for (index, key) in members.sorted(by: { $0.key < $1.key }) {
      let name = slices[index].name
      let old = record.slices[name]
      if let old, old.sample != key {
        return .failure(
          CairnError.Violation(
            path,
            "group '\(id)' has sample '\(old.sample)' as slice '\(name)'; the import would "
              + "replace it with '\(key)'"))
      }
      let new = calibration.flatMap { $0[index] } ?? old?.calibration
      record.slices[name] = GroupRecord.Slice(sample: key, calibration: new)
    }
    let encoded = record.encoded
    if encoded == existingBytes { return .success((nil, record)) }
    return .success(
      (PlannedWrite(name: id, path: path, bytes: encoded, isNew: existingBytes == nil), record))
  }

  /// Checks the slice names and folders; folders lose trailing slashes.
  private static func checkSlices(
    _ slices: [(name: String, folder: String)], base: String, directory: String
  ) throws(CairnError) -> [(name: String, folder: String)] {
    if slices.isEmpty { throw CairnError(.invalidInput, "--slices names no slice") }
    var names: Set<String> = []
    var folders: Set<String> = []
    var result: [(name: String, folder: String)] = []
    for (name, rawFolder) in slices {
      if let problem = FormatV1.sliceProblem(name) {
        throw CairnError(.invalidInput, "invalid slice name '\(name)': \(problem)")
      }
      guard names.insert(name).inserted else {
        throw CairnError(.invalidInput, "slice '\(name)' is named twice in --slices")
      }
      var folder = rawFolder
      while folder.count > 1 && folder.hasSuffix("/") { folder.removeLast() }
      if let problem = FormatV1.keyProblem(folder) {
        throw CairnError(
          .invalidInput,
          "slice '\(name)': folder '\(rawFolder)' must be a relative path inside \(directory) "
            + "(as a path: \(problem))")
      }
      guard folders.insert(folder).inserted else {
        throw CairnError(.invalidInput, "folder '\(folder)' is given for two slices")
      }
      guard FileStat.of(base + "/" + folder)?.isDirectory == true else {
        throw CairnError(
          .notFound, "slice '\(name)': folder not found: \(directory)/\(folder)")
      }
      result.append((name, folder))
    }
    return result
  }

  /// A file's path without its extension: what files of one group share across slices.
  static func stem(of relativePath: String) -> String {
    guard let dot = relativePath.lastIndex(of: ".") else { return relativePath }
    if let slash = relativePath.lastIndex(of: "/"), slash > dot { return relativePath }
    return String(relativePath[..<dot])
  }

  private static func refused(_ violations: [CairnError.Violation]) -> CairnError {
    CairnError(
      .invalidInput,
      "import refused: \(violations.count) file(s) cannot be imported; nothing was written",
      violations: violations)
  }
}
