internal import GitStore

#if canImport(Glibc)
internal import Glibc
#endif

/// Reads the records a cross-file rule needs: working-tree files and `HEAD`'s blobs.
struct RecordReader {
  var root: String
  var git: GitRepository

  /// The working file at `path`, parsed; nil when absent or not JSON.
  func current(_ path: String) -> JSONValue? {
    guard let bytes = try? FileIO.read(root + "/" + path) else { return nil }
    return try? JSONParser.parse(bytes)
  }

  /// A blob of `HEAD`, parsed; nil when unreadable or not JSON.
  func head(_ id: ObjectID) -> JSONValue? {
    guard let bytes = try? git.readBlob(id) else { return nil }
    return try? JSONParser.parse(bytes)
  }
}

/// What a file's bytes mention, noted while the commit reads it, so that the rules across
/// files need not read it again.
struct ContentMarks: Sendable {
  var group: Bool
  var cuboid: Bool

  init(_ bytes: [UInt8]) {
    group = bytes.contains(subsequence: CairnRepository.groupMarker)
    cuboid = bytes.contains(subsequence: CairnRepository.cuboidMarker)
  }
}

extension CairnRepository {
  /// The rules of `Docs/storage-format.md` §8 for groups, over the tree a commit would make.
  ///
  /// - A sample record with a `group` needs that group's record, naming the sample under that
  ///   slice; every sample a group record names must exist and point back to it.
  /// - A cuboid label of a grouped sample has the `frame` `group` or a slice of the group.
  ///
  /// Only what a change can break is checked: the groups of added, modified and deleted sample
  /// records (their old and new `group`), every group whose record changed (with the samples
  /// its old and new versions name), and the cuboids of added or modified label files.
  /// `marks` tells, for files the commit already read, whether their bytes mention a group or
  /// a cuboid at all; files that do not are not read again.
  static func groupViolations(
    snapshot: WorkingSnapshot, changed: [(index: Int, kind: ChangeKind)],
    kinds: (Int) -> FormatV1.PathKind?, records: RecordReader,
    marks: (Int) -> ContentMarks? = { _ in nil }
  ) -> [CairnError.Violation] {
    let entries = snapshot.entries
    var samples: [(index: Int, key: String, kind: ChangeKind)] = []
    var groups: [(index: Int, id: String, kind: ChangeKind)] = []
    var labels: [(index: Int, key: String)] = []
    for (index, change) in changed {
      let path = entries[index].path
      let isSample = path.hasPrefix("samples/")
      let isGroup = path.hasPrefix("groups/")
      let isLabel = path.hasPrefix("labels/") && change != .deleted
      guard isSample || isGroup || isLabel else { continue }
      guard let kind = kinds(index) ?? (try? FormatV1.classify(path).get()) else { continue }
      switch kind {
      case .sample(let key): samples.append((index, key, change))
      case .group(let id): groups.append((index, id, change))
      case .label(_, let key) where marks(index)?.cuboid != false: labels.append((index, key))
      default: break
      }
    }
    if samples.isEmpty && groups.isEmpty && labels.isEmpty { return [] }

    // New memberships of changed samples, read on all cores: most records have none, and a
    // record without the bytes "group" is not parsed.
    let newMemberships = parallelMap(count: samples.count, state: ()) { _, slot -> SampleGroup? in
      let item = samples[slot]
      guard item.kind != .deleted, marks(item.index)?.group != false,
        let bytes = try? FileIO.read(records.root + "/" + entries[item.index].path),
        bytes.contains(subsequence: Self.groupMarker),
        let value = try? JSONParser.parse(bytes)
      else { return nil }
      return try? SampleRecord(json: value).group
    }
    var candidates: [String: Set<String>] = [:]
    for (slot, item) in samples.enumerated() {
      if let group = newMemberships[slot] { candidates[group.id, default: []].insert(item.key) }
      if item.kind != .added, let id = entries[item.index].headID,
        let group = records.head(id).flatMap({ try? SampleRecord(json: $0).group })
      {
        candidates[group.id, default: []].insert(item.key)
      }
    }
    for item in groups {
      if candidates[item.id] == nil { candidates[item.id] = [] }
      if item.kind != .added, let id = entries[item.index].headID,
        let old = records.head(id).flatMap({ try? GroupRecord(json: $0) })
      {
        candidates[item.id, default: []].formUnion(old.slices.values.map(\.sample))
      }
    }

    func exists(_ path: String) -> Bool { snapshot.isPresent(path) }
    var groupCache: [String: GroupRecord?] = [:]
    /// The group's record in the new tree: nil when absent or invalid (reported on its own).
    func groupRecord(_ id: String) -> (exists: Bool, record: GroupRecord?) {
      let path = FormatV1.groupPath(id)
      guard exists(path) else { return (false, nil) }
      if let cached = groupCache[id] { return (true, cached) }
      let record = records.current(path).flatMap { try? GroupRecord(json: $0) }
      groupCache[id] = record
      return (true, record)
    }

    var violations: [CairnError.Violation] = []
    for id in candidates.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
      let groupPath = FormatV1.groupPath(id)
      let (groupExists, record) = groupRecord(id)
      if groupExists && record == nil { continue }
      var keys = candidates[id] ?? []
      if let record { keys.formUnion(record.slices.values.map(\.sample)) }
      var memberships: [String: SampleGroup?] = [:]
      for key in keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
        let samplePath = FormatV1.samplePath(key)
        guard exists(samplePath),
          let sample = records.current(samplePath).flatMap({ try? SampleRecord(json: $0) })
        else { continue }
        // Stored even when nil: "no group" differs from "record unreadable".
        memberships.updateValue(sample.group, forKey: key)
        guard let group = sample.group, group.id == id else { continue }
        guard let record else {
          violations.append(
            CairnError.Violation(
              samplePath,
              "sample '\(key)' belongs to group '\(id)', whose record \(groupPath) does not exist"))
          continue
        }
        guard let slice = record.slices[group.slice] else {
          violations.append(
            CairnError.Violation(
              samplePath,
              "sample '\(key)' is slice '\(group.slice)' of group '\(id)', but \(groupPath) has no "
                + "slice '\(group.slice)' (\(record.sliceNames.joined(separator: ", ")))"))
          continue
        }
        if slice.sample != key {
          violations.append(
            CairnError.Violation(
              samplePath,
              "sample '\(key)' is slice '\(group.slice)' of group '\(id)', but \(groupPath) names "
                + "sample '\(slice.sample)' for that slice"))
        }
      }
      guard let record else { continue }
      for name in record.sliceNames {
        guard let key = record.slices[name]?.sample else { continue }
        let samplePath = FormatV1.samplePath(key)
        guard exists(samplePath) else {
          violations.append(
            CairnError.Violation(
              groupPath,
              "slice '\(name)' of group '\(id)' names sample '\(key)', which does not exist"))
          continue
        }
        // An unreadable sample record is reported on its own.
        guard let membership = memberships[key] else { continue }
        if membership != SampleGroup(id: id, slice: name) {
          let actual =
            membership.map { "group '\($0.id)' as slice '\($0.slice)'" } ?? "no group"
          violations.append(
            CairnError.Violation(
              groupPath,
              "slice '\(name)' of group '\(id)' names sample '\(key)', whose record says "
                + "\(actual) (a sample's \"group\" must point back to the group naming it)"))
        }
      }
    }
    violations += cuboidFrameViolations(
      labels.map { (entries[$0.index].path, $0.key) }, records: records, exists: exists,
      groupRecord: { groupRecord($0).record })
    return violations
  }

  /// Cuboids of grouped samples whose `frame` is neither `group` nor a slice of the group.
  private static func cuboidFrameViolations(
    _ labels: [(path: String, key: String)], records: RecordReader, exists: (String) -> Bool,
    groupRecord: (String) -> GroupRecord?
  ) -> [CairnError.Violation] {
    let frames = parallelMap(count: labels.count, state: ()) { _, slot -> [(String, String)] in
      guard let bytes = try? FileIO.read(records.root + "/" + labels[slot].path),
        bytes.contains(subsequence: Self.cuboidMarker),
        let file = try? LabelFile(json: try JSONParser.parse(bytes))
      else { return [] }
      return file.labels.compactMap { label in
        guard label["type"]?.string == "cuboid", let id = label["id"]?.string,
          let frame = label["frame"]?.string
        else { return nil }
        return (id, frame)
      }
    }
    var violations: [CairnError.Violation] = []
    for (slot, cuboids) in frames.enumerated() where !cuboids.isEmpty {
      let (path, key) = labels[slot]
      let samplePath = FormatV1.samplePath(key)
      // A label file without its sample is reported by the rule for labels.
      guard exists(samplePath),
        let sample = records.current(samplePath).flatMap({ try? SampleRecord(json: $0) })
      else { continue }
      // A sample outside any group has no calibration to check a frame against: its cuboids
      // are in its own sensor's frame, whatever they call it.
      guard let group = sample.group else { continue }
      for (id, frame) in cuboids where frame != FormatV1.groupFrame {
        guard let record = groupRecord(group.id) else { continue }
        if record.slices[frame] == nil {
          violations.append(
            CairnError.Violation(
              path,
              "cuboid \(id) is in frame '\(frame)', which is not a slice of group '\(group.id)' ("
                + record.sliceNames.joined(separator: ", ") + ") nor '\(FormatV1.groupFrame)'"))
        }
      }
    }
    return violations
  }

  static let groupMarker = Array("\"group\"".utf8)
  static let cuboidMarker = Array("\"cuboid\"".utf8)
}

extension [UInt8] {
  /// Whether `needle` occurs in the bytes.
  ///
  /// `memchr` to each candidate of the needle's second byte, then `memcmp`: a commit asks this
  /// of every file it reads, and a byte-by-byte scan cost more than hashing the file. The
  /// markers searched for begin with a quote, the most common byte of JSON; their second byte,
  /// a letter, stops `memchr` far less often.
  package func contains(subsequence needle: [UInt8]) -> Bool {
    guard !needle.isEmpty else { return true }
    guard count >= needle.count else { return false }
    let anchor = needle.count > 1 ? 1 : 0
    return withUnsafeBytes { haystack in
      needle.withUnsafeBytes { pattern in
        guard let base = haystack.baseAddress, let wanted = pattern.baseAddress else {
          return false
        }
        let byte = Int32(pattern[anchor])
        // The needle may start at 0...last; its anchor byte is then at anchor...last + anchor.
        let last = haystack.count - pattern.count
        var from = anchor
        while from <= last + anchor {
          guard let hit = memchr(base + from, byte, last + anchor - from + 1) else { return false }
          let at = base.distance(to: UnsafeRawPointer(hit))
          if memcmp(base + at - anchor, wanted, pattern.count) == 0 { return true }
          from = at + 1
        }
        return false
      }
    }
  }
}
