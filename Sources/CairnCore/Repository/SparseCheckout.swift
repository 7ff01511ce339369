package import GitStore

/// A sparse working tree: only a view's samples (and their label files) are materialised.
///
/// Recorded in `.git/cairn/sparse` (format §11). The excluded samples are listed by the path
/// their files have below `samples/` and every `labels/<field>/` (`<s1>/<s2>/<key>.json`), so a
/// path is tested without decoding or hashing its key. An excluded file that is absent from
/// the working tree is taken as unchanged (HEAD's blob); a file that is present is treated
/// like any other, so new samples and edits are never hidden.
package struct SparseCheckout: Sendable, Equatable {
  /// The first line of the state file.
  static let header = "cairn sparse checkout v1"

  /// The view whose samples are materialised.
  package var view: String
  /// The commit the view was evaluated at.
  package var commit: ObjectID
  /// How many samples the view selected.
  package var included: Int
  /// `<s1>/<s2>/<encoded key>.json` of every sample left out.
  package var excluded: Set<String>

  package init(view: String, commit: ObjectID, included: Int, excluded: Set<String>) {
    self.view = view
    self.commit = commit
    self.included = included
    self.excluded = excluded
  }

  /// Whether `path` is a file of an excluded sample (its record or one of its label files).
  package func excludes(_ path: String) -> Bool {
    guard !excluded.isEmpty else { return false }
    let utf8 = path.utf8
    if path.hasPrefix("samples/") {
      return excluded.contains(String(path.dropFirst(8)))
    }
    if path.hasPrefix("labels/") {
      guard let slash = utf8.dropFirst(7).firstIndex(of: UInt8(ascii: "/")) else { return false }
      return excluded.contains(String(path[path.index(after: slash)...]))
    }
    return false
  }

  static func path(gitDirectory: String) -> String { gitDirectory + "/cairn/sparse" }

  /// The recorded sparse checkout, or nil when the working tree is full.
  ///
  /// - Throws: `CairnError` `.io` when the file exists but cannot be read or is damaged; a
  ///   damaged file must not be taken for a full checkout, or a commit would delete every
  ///   sample it leaves out.
  package static func load(gitDirectory: String) throws(CairnError) -> SparseCheckout? {
    let file = path(gitDirectory: gitDirectory)
    guard FileStat.of(file) != nil else { return nil }
    let bytes = try CairnError.wrap { try FileIO.read(file) }
    let lines = String(decoding: bytes, as: UTF8.self).split(
      separator: "\n", omittingEmptySubsequences: false)
    func damaged(_ why: String) -> CairnError {
      CairnError(
        .io,
        "\(file) is damaged (\(why)); remove it and run 'cairn checkout --full --force' to restore every file"
      )
    }
    guard lines.count >= 5, lines[0] == Self.header, lines.last == "" else {
      throw damaged("bad header")
    }
    guard lines[1].hasPrefix("view "), lines[2].hasPrefix("commit "),
      let commit = ObjectID(hex: lines[2].dropFirst(7)), lines[3].hasPrefix("included "),
      let included = Int(lines[3].dropFirst(9))
    else { throw damaged("bad header fields") }
    var excluded: Set<String> = []
    excluded.reserveCapacity(lines.count - 5)
    for line in lines[4..<(lines.count - 1)] {
      guard line.hasPrefix("excluded ") else { throw damaged("unexpected line '\(line)'") }
      excluded.insert(String(line.dropFirst(9)))
    }
    return SparseCheckout(
      view: String(lines[1].dropFirst(5)), commit: commit, included: included, excluded: excluded)
  }

  /// Writes the state file atomically.
  func write(gitDirectory: String) throws(CairnError) {
    var text = "\(Self.header)\nview \(view)\ncommit \(commit.hex)\nincluded \(included)\n"
    for suffix in excluded.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
      text += "excluded \(suffix)\n"
    }
    let bytes = Array(text.utf8)
    try CairnError.wrap {
      try FileIO.makeDirectories(gitDirectory + "/cairn")
      try FileIO.writeAtomically(bytes, to: Self.path(gitDirectory: gitDirectory))
    }
  }

  /// Deletes the state file: the working tree is full again.
  static func remove(gitDirectory: String) throws(CairnError) {
    try CairnError.wrap { try FileIO.remove(path(gitDirectory: gitDirectory)) }
  }
}
