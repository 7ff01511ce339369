internal import Crypto
internal import Dispatch
internal import GitStore

/// What `cairn import images` did.
package struct ImportResult: Sendable {
  package var added: [String]
  package var updated: [String]
  package var unchanged: Int
}

/// One media file found during an import.
struct ScannedMedia: Sendable {
  var absolutePath: String
  var relativePath: String
}

/// A record file an import will write.
struct PlannedWrite: Sendable {
  /// The sample key or group id.
  var name: String
  /// The repository-relative path.
  var path: String
  var bytes: [UInt8]
  var isNew: Bool
}

extension CairnRepository {
  /// Creates or updates one sample per image or point cloud under `directory`.
  ///
  /// Keys are the files' paths relative to `directory` (with `prefix/` before them). Media is
  /// referenced, not copied: a file inside the working tree is recorded by its path relative to
  /// the repository root, any other by an absolute `file://` URI. Every file is read and
  /// checked before anything is written; one bad file refuses the whole import. Re-importing
  /// unchanged files changes nothing, and an updated sample keeps its tags and fields.
  ///
  /// - Throws: `CairnError` `.notFound` for a missing directory, `.invalidInput` listing each
  ///   unreadable, truncated or unsupported file, `.locked` while another process writes.
  package func importImages(directory: String, prefix: String?) throws(CairnError) -> ImportResult {
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
    let lock = try WriterLock(path: lockPath)
    defer { lock.release() }
    let realRoot = FileIO.realPath(root) ?? root
    var found: [ScannedMedia] = []
    Self.scanMedia(base: base, relative: "", skip: realRoot + "/.git", into: &found)
    found.sort { $0.relativePath.utf8.lexicographicallyPrecedes($1.relativePath.utf8) }
    if found.isEmpty {
      throw CairnError(
        .invalidInput,
        "no images or point clouds (\(MediaProbe.supportedExtensions.sorted().joined(separator: ", "))) in \(directory)"
      )
    }

    let probed = Self.probeMedia(found, root: realRoot)

    var violations: [CairnError.Violation] = []
    var planned: [PlannedWrite] = []
    var unchanged = 0
    for (item, result) in zip(found, probed) {
      let media: MediaRecord
      switch result {
      case .success(let record): media = record
      case .failure(let violation):
        violations.append(violation)
        continue
      }
      let key = prefix.map { $0 + "/" + item.relativePath } ?? item.relativePath
      if let problem = FormatV1.keyProblem(key) {
        violations.append(
          CairnError.Violation(item.absolutePath, "cannot be a sample key: \(problem)"))
        continue
      }
      switch planSample(key: key, media: media, group: nil, root: root) {
      case .failure(let violation): violations.append(violation)
      case .success(nil): unchanged += 1
      case .success(let write?): planned.append(write)
      }
    }
    if !violations.isEmpty {
      throw CairnError(
        .invalidInput,
        "import refused: \(violations.count) file(s) cannot be imported; nothing was written",
        violations: violations)
    }
    try Self.write(planned, root: root)
    try excludeMediaFromGit(base: base, root: realRoot)
    return ImportResult(
      added: planned.filter(\.isNew).map(\.name),
      updated: planned.filter { !$0.isNew }.map(\.name),
      unchanged: unchanged)
  }

  /// Keeps media folders inside the working tree out of `git status` (they are referenced, not
  /// versioned) by listing them in `.git/info/exclude`.
  func excludeMediaFromGit(base: String, root: String) throws(CairnError) {
    guard base.hasPrefix(root + "/") else { return }
    let relative = String(base.dropFirst(root.count + 1))
    guard let top = relative.split(separator: "/").first.map(String.init) else { return }
    try excludeFromGit(top)
  }

  /// Lists the top-level folder `top` of the working tree in `.git/info/exclude` (unless it is
  /// a tracked root), so files Cairn references or writes there stay out of `git status`.
  package func excludeFromGit(_ top: String) throws(CairnError) {
    guard !FormatV1.trackedRoots.contains(top) else { return }
    let path = git.gitDirectory + "/info/exclude"
    let existing = (try? FileIO.read(path)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    let line = "/" + top + "/"
    if existing.split(separator: "\n").contains(where: { $0 == line }) { return }
    let updated =
      existing + (existing.isEmpty || existing.hasSuffix("\n") ? "" : "\n") + line + "\n"
    try CairnError.wrap {
      try FileIO.makeDirectories(git.gitDirectory + "/info")
      try FileIO.writeAtomically(Array(updated.utf8), to: path)
    }
  }

  static func scanMedia(
    base: String, relative: String, skip: String, into found: inout [ScannedMedia]
  ) {
    let directory = relative.isEmpty ? base : base + "/" + relative
    guard let names = FileIO.list(directory) else { return }
    for name in names where !name.hasPrefix(".") {
      let path = directory + "/" + name
      if path == skip { continue }
      let child = relative.isEmpty ? name : relative + "/" + name
      guard var info = FileStat.of(path) else { continue }
      // A link to a file counts as that file (exports link their images).
      if !info.isDirectory && !info.isRegularFile, let target = FileIO.realPath(path),
        let targetInfo = FileStat.of(target), targetInfo.isRegularFile
      {
        info = targetInfo
      }
      if info.isDirectory {
        scanMedia(base: base, relative: child, skip: skip, into: &found)
      } else if info.isRegularFile {
        let ext = name.split(separator: ".").last.map { $0.lowercased() } ?? ""
        if name.contains("."), MediaProbe.supportedExtensions.contains(ext) {
          found.append(ScannedMedia(absolutePath: path, relativePath: child))
        }
      }
    }
  }

  /// Reads, checks and hashes every found file, on all cores.
  static func probeMedia(_ found: [ScannedMedia], root realRoot: String) -> [Result<
    MediaRecord, CairnError.Violation
  >] {
    parallelMap(count: found.count, state: ()) {
      _, index -> Result<MediaRecord, CairnError.Violation> in
      let item = found[index]
      do {
        let bytes = try FileIO.read(item.absolutePath)
        let ext = item.relativePath.split(separator: ".").last.map { $0.lowercased() } ?? ""
        let info = try bytes.withUnsafeBytes { (raw) throws(MediaProbeError) in
          try MediaProbe.probe(raw, extension: ext)
        }
        let digest = hexString(SHA256.hash(data: bytes))
        let uri = mediaURI(absolute: item.absolutePath, root: realRoot)
        return .success(
          MediaRecord(
            uri: uri, sha256: digest, size: Int64(bytes.count), kind: info.kind.rawValue,
            format: info.format,
            width: info.width.map(Int64.init), height: info.height.map(Int64.init),
            points: info.points.map(Int64.init)))
      } catch let error as MediaProbeError {
        return .failure(CairnError.Violation(item.absolutePath, error.reason))
      } catch let error as GitError {
        return .failure(CairnError.Violation(item.absolutePath, error.message))
      } catch {
        return .failure(CairnError.Violation(item.absolutePath, "\(error)"))
      }
    }

  }

  /// The sample file to write for `key`: a new record, or the existing one with the new media
  /// (and `group`, when given) and its tags and fields kept; nil when the file already holds
  /// exactly that.
  func planSample(key: String, media: MediaRecord, group: SampleGroup?, root: String)
    -> Result<PlannedWrite?, CairnError.Violation>
  {
    let path = FormatV1.samplePath(key)
    var record = SampleRecord(key: key, media: media, group: group)
    var existingBytes: [UInt8]?
    if let bytes = try? FileIO.read(root + "/" + path) {
      existingBytes = bytes
      do {
        var existing = try SampleRecord(json: try JSONParser.parse(bytes))
        existing.media = media
        if let group {
          if let current = existing.group, current != group {
            return .failure(
              CairnError.Violation(
                path,
                "sample '\(key)' already belongs to group '\(current.id)' as slice "
                  + "'\(current.slice)'; the import would make it slice '\(group.slice)' of "
                  + "group '\(group.id)'"))
          }
          existing.group = group
        }
        record = existing
      } catch {
        return .failure(
          CairnError.Violation(
            path, "the existing sample file is not a valid sample record; fix or delete it first"))
      }
    }
    let encoded = record.encoded
    if encoded == existingBytes { return .success(nil) }
    return .success(
      PlannedWrite(name: key, path: path, bytes: encoded, isNew: existingBytes == nil))
  }

  /// Writes planned files atomically, creating their folders.
  ///
  /// Files are written in path order, folder by folder, each writer taking a contiguous run:
  /// the file system allocates the inodes of one folder's files next to each other, so that
  /// creating many files touches few inode-table blocks. (In key order, sharded paths jump
  /// between thousands of folders; on a machine whose cache had dropped those blocks, that
  /// made creating 200 000 files several times slower.) Creating files is mostly waiting for
  /// the file system, which two writers overlap.
  static func write(_ planned: [PlannedWrite], root: String) throws(CairnError) {
    let order = planned.indices.sorted {
      planned[$0].path.utf8.lexicographicallyPrecedes(planned[$1].path.utf8)
    }
    var folders: Set<Substring> = []
    try CairnError.wrap {
      for index in order {
        let path = planned[index].path
        guard let slash = path.lastIndex(of: "/") else { continue }
        if folders.insert(path[..<slash]).inserted {
          try FileIO.makeDirectories(root + "/" + path[..<slash])
        }
      }
    }
    let writers = max(1, min(ProcessInfoLite.activeProcessorCount, order.count / 256))
    let failures = UnsafeMutableBufferPointer<GitError?>.allocate(capacity: writers)
    failures.initialize(repeating: nil)
    defer { failures.deallocate() }
    let shared = UncheckedBox((failures, order, planned))
    DispatchQueue.concurrentPerform(iterations: writers) { writer in
      let (failures, order, planned) = shared.value
      let range = (order.count * writer / writers)..<(order.count * (writer + 1) / writers)
      do throws(GitError) {
        for index in order[range] {
          try FileIO.writeAtomically(planned[index].bytes, to: root + "/" + planned[index].path)
        }
      } catch {
        failures[writer] = error
      }
    }
    if let failure = failures.lazy.compactMap({ $0 }).first { throw CairnError(failure) }
  }

  /// A repository-relative path for media inside the working tree, else a `file://` URI.
  static func mediaURI(absolute: String, root: String) -> String {
    if absolute.hasPrefix(root + "/") { return String(absolute.dropFirst(root.count + 1)) }
    var uri = "file://"
    for scalar in absolute.unicodeScalars {
      switch scalar {
      case " ": uri += "%20"
      case "%": uri += "%25"
      case "#": uri += "%23"
      case "?": uri += "%3F"
      default: uri.unicodeScalars.append(scalar)
      }
    }
    return uri
  }
}
