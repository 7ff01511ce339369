internal import GitStore

/// Where the bytes of one record or label file are.
enum ContentReference: Sendable, Equatable {
  /// A blob of the repository.
  case blob(ObjectID)
  /// A file of the working tree, by its repository-relative path.
  case file(String)
}

/// The samples of one dataset version, with where each record and label file is, without
/// reading any of them.
///
/// Built from a commit's tree (blob ids) or from the working tree (file paths). Samples are
/// sorted by the UTF-8 bytes of their keys, so a table index order is key order.
struct SampleTable: Sendable {
  /// Sample keys, sorted by bytes.
  var keys: [String] = []
  /// Per sample: `<s1>/<s2>/<encoded key>.json`, the path below `samples/` and
  /// `labels/<field>/`.
  var suffixes: [String] = []
  /// Per sample: its record.
  var records: [ContentReference] = []
  /// Per label field: per sample, its label file (nil when the sample has none).
  var labels: [String: [ContentReference?]] = [:]

  /// The label fields, sorted.
  var fields: [String] { labels.keys.sorted() }

  /// Index of every key.
  func indexByKey() -> [String: Int] {
    var index: [String: Int] = [:]
    index.reserveCapacity(keys.count)
    for (position, key) in keys.enumerated() { index[key] = position }
    return index
  }

  /// The key a sample file name (`<encoded key>.json`) stands for, or nil.
  static func key(fromFileName name: Substring) -> String? {
    guard name.hasSuffix(".json") else { return nil }
    let encoded = name.dropLast(5)
    // Names without escapes are their own key (the common case; no decoding needed).
    if !encoded.isEmpty, encoded.first != ".",
      encoded.utf8.allSatisfy({ byte in
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
          || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
          || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
          || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
      })
    {
      return String(encoded)
    }
    return FormatV1.decodeKey(String(encoded))
  }

  /// Builds the table from `(suffix, reference)` pairs of sample records and of label files.
  ///
  /// Label files are matched to their samples by suffix: in one pass when both lists are in
  /// suffix order (as tree walks and the working-tree listing give them), else by a dictionary.
  init(
    samples: [(suffix: String, reference: ContentReference)],
    labels: [String: [(suffix: String, reference: ContentReference)]]
  ) {
    var found: [Int] = []
    var foundKeys: [String] = []
    found.reserveCapacity(samples.count)
    foundKeys.reserveCapacity(samples.count)
    for (index, sample) in samples.enumerated() {
      guard let slash = sample.suffix.utf8.lastIndex(of: UInt8(ascii: "/")),
        let key = Self.key(fromFileName: sample.suffix[sample.suffix.index(after: slash)...])
      else { continue }
      found.append(index)
      foundKeys.append(key)
    }
    let order = found.indices.sorted { ByteOrder.precedes(foundKeys[$0], foundKeys[$1]) }
    keys = order.map { foundKeys[$0] }
    suffixes = order.map { samples[found[$0]].suffix }
    records = order.map { samples[found[$0]].reference }
    // Position in the table of each entry of `samples` (-1: not a sample file).
    var position = [Int](repeating: -1, count: samples.count)
    for (sorted, slot) in order.enumerated() { position[found[slot]] = sorted }
    let samplesInOrder = Self.isSorted(samples.lazy.map(\.suffix))
    var bySuffix: [String: Int]?
    for (field, files) in labels {
      var column = [ContentReference?](repeating: nil, count: keys.count)
      if samplesInOrder && Self.isSorted(files.lazy.map(\.suffix)) {
        var next = 0
        for file in files {
          while next < samples.count && ByteOrder.precedes(samples[next].suffix, file.suffix) {
            next += 1
          }
          if next < samples.count, position[next] >= 0,
            ByteOrder.compare(samples[next].suffix, file.suffix) == 0
          {
            column[position[next]] = file.reference
          }
        }
      } else {
        if bySuffix == nil {
          var index: [String: Int] = [:]
          index.reserveCapacity(keys.count)
          for (sorted, suffix) in suffixes.enumerated() { index[suffix] = sorted }
          bySuffix = index
        }
        for file in files {
          if let sorted = bySuffix?[file.suffix] { column[sorted] = file.reference }
        }
      }
      self.labels[field] = column
    }
  }

  private static func isSorted(_ values: some Collection<String>) -> Bool {
    var previous: String?
    for value in values {
      if let previous, !ByteOrder.precedes(previous, value) { return false }
      previous = value
    }
    return true
  }

  init() {}

  // MARK: Sources

  /// Record and label files, each as `(suffix, reference)`.
  typealias Files = (
    samples: [(suffix: String, reference: ContentReference)],
    labels: [String: [(suffix: String, reference: ContentReference)]]
  )

  /// The record and label files of a commit's tree.
  static func files(tree: ObjectID, git: GitRepository) throws(GitError) -> Files {
    let walk = TreeWalk(repository: git)
    let root = try git.readTree(tree)
    var samples: [(suffix: String, reference: ContentReference)] = []
    var labels: [String: [(suffix: String, reference: ContentReference)]] = [:]
    if let entry = root.first(where: { $0.name == "samples" }), entry.isTree {
      samples = try walk.listFiles(in: entry.id).map { ($0.path, .blob($0.id)) }
    }
    if let entry = root.first(where: { $0.name == "labels" }), entry.isTree {
      for field in try git.readTree(entry.id) where field.isTree {
        labels[field.name] = try walk.listFiles(in: field.id).map { ($0.path, .blob($0.id)) }
      }
    }
    return (samples, labels)
  }

  /// The record and label files of the working tree rooted at `root`.
  ///
  /// Folders are listed without reading or `stat`-ing any file: the layout fixes at which
  /// depth files are.
  static func files(workingTree root: String) -> Files {
    let samples = listShards(root: root, folder: "samples").map {
      (suffix: $0, reference: ContentReference.file("samples/" + $0))
    }
    var labels: [String: [(suffix: String, reference: ContentReference)]] = [:]
    for field in FileIO.list(root + "/labels") ?? [] where FormatV1.fieldProblem(field) == nil {
      let folder = "labels/" + field
      labels[field] = listShards(root: root, folder: folder).map {
        (suffix: $0, reference: ContentReference.file(folder + "/" + $0))
      }
    }
    return (samples, labels)
  }

  /// The working tree's record files only (no label folder is listed).
  static func sampleFiles(workingTree root: String) -> [(
    suffix: String, reference: ContentReference
  )] {
    listShards(root: root, folder: "samples").map {
      (suffix: $0, reference: ContentReference.file("samples/" + $0))
    }
  }

  /// `<s1>/<s2>/<name>.json` of every JSON file two levels below `root/folder`.
  private static func listShards(root: String, folder: String) -> [String] {
    var found: [String] = []
    func sortedList(_ path: String) -> [String] {
      (FileIO.list(path) ?? []).sorted(by: ByteOrder.precedes)
    }
    for first in sortedList(root + "/" + folder) where first.utf8.count == 2 {
      for second in sortedList(root + "/" + folder + "/" + first) where second.utf8.count == 2 {
        let prefix = first + "/" + second + "/"
        for name in sortedList(root + "/" + folder + "/" + prefix) where name.hasSuffix(".json") {
          found.append(prefix + name)
        }
      }
    }
    return found
  }
}

/// Reads record and label files for one worker: libgit2 handles are not thread-safe, so each
/// worker opens its own repository handle, on its first blob read.
final class ContentReader {
  private let gitDirectory: String?
  private let root: String?
  private var git: GitRepository?

  init(gitDirectory: String?, root: String?) {
    self.gitDirectory = gitDirectory
    self.root = root
  }

  /// The bytes of a record or label file.
  func read(_ reference: ContentReference) throws(GitError) -> [UInt8] {
    switch reference {
    case .file(let path):
      guard let root else { throw GitError(.notFound, "no working tree to read \(path) from") }
      return try FileIO.read(root + "/" + path)
    case .blob(let id):
      if git == nil {
        guard let gitDirectory else { throw GitError(.notFound, "no repository to read from") }
        git = try GitRepository.open(at: gitDirectory)
      }
      guard let git else { throw GitError(.notFound, "no repository to read from") }
      return try git.readBlob(id)
    }
  }

  /// A label file's labels, each with the members `projection` keeps (nil: all of them); a
  /// file that is not a label file is a violation naming `path`.
  func labels(
    _ reference: ContentReference, path: String, keeping projection: JSONProjection? = nil
  ) throws(CairnError.Violation) -> [JSONValue] {
    let value = try json(
      reference, path: path,
      keeping: projection.map { .members(["labels": .elements($0)]) })
    guard let labels = value["labels"]?.array else {
      throw CairnError.Violation(path, "\"labels\" must be an array of labels")
    }
    return labels
  }

  /// A file parsed as JSON (only what `projection` keeps, when given); failures are violations
  /// naming `path`.
  func json(_ reference: ContentReference, path: String, keeping projection: JSONProjection? = nil)
    throws(CairnError.Violation) -> JSONValue
  {
    let bytes: [UInt8]
    do {
      bytes = try read(reference)
    } catch {
      throw CairnError.Violation(path, "cannot be read: \(error.message)")
    }
    do {
      if let projection { return try JSONParser.parse(bytes, keeping: projection) }
      return try JSONParser.parse(bytes)
    } catch {
      throw CairnError.Violation(path, "broken JSON at \(error.description)")
    }
  }
}
