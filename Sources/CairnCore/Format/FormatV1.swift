internal import Crypto

/// Paths, keys and sharding of Cairn's repository format, version 1.
///
/// See `Docs/storage-format.md`, which specifies every rule implemented here.
package enum FormatV1 {
  /// The format version written into `cairn.json`.
  package static let version: Int64 = 1
  /// Top-level entries Cairn owns; anything else in the working tree is not tracked.
  package static let trackedRoots: [String] = [
    "cairn.json", "schema.json", "samples", "labels", "groups", "views", "embeddings", "runs",
  ]
  /// Shard fan-out per level and number of levels.
  package static let shardFanout = 64
  package static let shardLevels = 2
  /// The longest sample key, in UTF-8 bytes.
  package static let maximumKeyLength = 200

  /// The shard directories of a key: `["1a", "3f"]`, from the first 12 bits of SHA-256(key).
  package static func shard(of key: String) -> (String, String) {
    var key = key
    let digest = key.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
    return digest.withUnsafeBytes { bytes in
      let b0 = bytes[0]
      let b1 = bytes[1]
      let first = Int(b0 >> 2)
      let second = Int((b0 & 0x3) << 4 | b1 >> 4)
      return (twoHex(first), twoHex(second))
    }
  }

  private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

  private static func twoHex(_ value: Int) -> String {
    String(decoding: [hexDigits[value >> 4], hexDigits[value & 0xF]], as: UTF8.self)
  }

  /// Whether a repository path lies under one of the roots Cairn tracks.
  package static func isTracked(_ path: String) -> Bool {
    if let slash = path.utf8.firstIndex(of: UInt8(ascii: "/")) {
      let root = path.utf8[..<slash]
      return trackedDirectories.contains { $0.utf8.elementsEqual(root) }
    }
    return path == "cairn.json" || path == "schema.json"
  }

  private static let trackedDirectories = [
    "samples", "labels", "groups", "views", "embeddings", "runs",
  ]

  /// Checks a sample key; returns why it is invalid, or nil.
  package static func keyProblem(_ key: String) -> String? {
    var copy = key
    return copy.withUTF8 { bytes -> String? in
      if bytes.isEmpty { return "the key is empty" }
      if bytes.count > maximumKeyLength {
        return "the key is longer than \(maximumKeyLength) bytes"
      }
      if bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
        return "the key contains a control character"
      }
      if bytes.contains(UInt8(ascii: "\\")) { return "the key contains a backslash" }
      // Keys beyond ASCII keep the rules by characters: a `/` that a combining mark joins is
      // not a separator there, and keys committed under those rules stay valid.
      if bytes.contains(where: { $0 >= 0x80 }) { return keyProblemByCharacters(key) }
      if bytes[0] == UInt8(ascii: "/") { return "the key is an absolute path" }
      // The length encodeKey(_:) would give, without building it.
      var encoded = 0
      for (index, byte) in bytes.enumerated() {
        encoded += isPlainKeyByte(byte, at: index) ? 1 : 3
      }
      if encoded + ".json".utf8.count > 255 {
        return "the key's encoded file name is longer than 255 bytes"
      }
      var start = 0
      for end in 0...bytes.count where end == bytes.count || bytes[end] == UInt8(ascii: "/") {
        let segment = UnsafeBufferPointer(rebasing: bytes[start..<end])
        if segment.isEmpty { return "the key has an empty path segment" }
        let dot = UInt8(ascii: ".")
        if segment.count <= 2 && segment.allSatisfy({ $0 == dot }) {
          let name = segment.count == 1 ? "." : ".."
          return "the key has a '\(name)' segment (escapes its folder)"
        }
        start = end + 1
      }
      return nil
    }
  }

  /// The rules after the byte checks, by characters.
  private static func keyProblemByCharacters(_ key: String) -> String? {
    if key.hasPrefix("/") { return "the key is an absolute path" }
    if encodeKey(key).utf8.count + ".json".utf8.count > 255 {
      return "the key's encoded file name is longer than 255 bytes"
    }
    for segment in key.split(separator: "/", omittingEmptySubsequences: false) {
      if segment.isEmpty { return "the key has an empty path segment" }
      if segment == "." || segment == ".." {
        return "the key has a '\(segment)' segment (escapes its folder)"
      }
    }
    return nil
  }

  /// Whether ``encodeKey(_:)`` keeps `byte` at `index` of a key as it is.
  private static func isPlainKeyByte(_ byte: UInt8, at index: Int) -> Bool {
    isNameByte(byte) || (byte == UInt8(ascii: ".") && index > 0)
  }

  /// A letter, digit, `_` or `-`: the bytes of field names and label ids, kept as they are in
  /// encoded keys.
  static func isNameByte(_ byte: UInt8) -> Bool {
    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
      || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
      || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
      || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
  }

  /// Checks a label field name; returns why it is invalid, or nil.
  package static func fieldProblem(_ field: String) -> String? {
    if field.isEmpty || field.utf8.count > 64 { return "a field name has 1 to 64 characters" }
    if !field.utf8.allSatisfy(isNameByte) {
      return "a field name uses only letters, digits, '_' and '-'"
    }
    if field.hasPrefix("-") { return "a field name does not start with '-'" }
    return nil
  }

  /// Checks a label id; returns why it is invalid, or nil.
  package static func labelIDProblem(_ id: String) -> String? {
    if id.isEmpty || id.utf8.count > 64 { return "a label id has 1 to 64 characters" }
    return id.utf8.allSatisfy(isNameByte)
      ? nil : "a label id uses only letters, digits, '_' and '-'"
  }

  /// The frame name that means a group's reference frame; no slice may be called this.
  package static let groupFrame = "group"

  /// Checks a group slice name; returns why it is invalid, or nil.
  ///
  /// Slice names follow the label-id alphabet; `group` is reserved for the group's reference
  /// frame, so that a cuboid's `frame` is never ambiguous.
  package static func sliceProblem(_ slice: String) -> String? {
    if slice.isEmpty || slice.utf8.count > 64 { return "a slice name has 1 to 64 characters" }
    let allowed = slice.utf8.allSatisfy { byte in
      (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
        || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }
    if !allowed { return "a slice name uses only letters, digits, '_' and '-'" }
    if slice == groupFrame {
      return "'\(groupFrame)' is reserved for the group's reference frame and cannot name a slice"
    }
    return nil
  }

  /// Encodes a key as a file name: bytes outside `A-Z a-z 0-9 - _ .` (and a leading `.`) become
  /// `%XX`, so `/` in a key never makes a directory and the encoding is reversible.
  package static func encodeKey(_ key: String) -> String {
    let digits = Array("0123456789ABCDEF".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(key.utf8.count + 8)
    for (index, byte) in key.utf8.enumerated() {
      if isPlainKeyByte(byte, at: index) {
        out.append(byte)
      } else {
        out.append(UInt8(ascii: "%"))
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0xF)])
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Decodes a file name made by ``encodeKey(_:)``; nil when it is not such a name.
  package static func decodeKey(_ name: String) -> String? {
    // Most names need no decoding: every byte is one encodeKey(_:) keeps, so the key is the
    // name itself.
    var copy = name
    let plain = copy.withUTF8 { bytes in
      !bytes.isEmpty && bytes.enumerated().allSatisfy { isPlainKeyByte($0.element, at: $0.offset) }
    }
    if plain { return name }
    var out: [UInt8] = []
    let bytes = Array(name.utf8)
    var index = 0
    while index < bytes.count {
      if bytes[index] == UInt8(ascii: "%") {
        guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]),
          let low = hexValue(bytes[index + 2])
        else { return nil }
        out.append(high << 4 | low)
        index += 3
      } else {
        out.append(bytes[index])
        index += 1
      }
    }
    guard let key = String(validating: out, as: UTF8.self), encodeKey(key) == name else {
      return nil
    }
    return key
  }

  private static func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
  }

  /// `samples/<s1>/<s2>/<encoded key>.json`.
  package static func samplePath(_ key: String) -> String {
    let (first, second) = shard(of: key)
    return "samples/\(first)/\(second)/\(encodeKey(key)).json"
  }

  /// `labels/<field>/<s1>/<s2>/<encoded key>.json`.
  package static func labelPath(field: String, key: String) -> String {
    let (first, second) = shard(of: key)
    return "labels/\(field)/\(first)/\(second)/\(encodeKey(key)).json"
  }

  /// `groups/<s1>/<s2>/<encoded group id>.json`: group ids are sharded and encoded like keys.
  package static func groupPath(_ id: String) -> String {
    let (first, second) = shard(of: id)
    return "groups/\(first)/\(second)/\(encodeKey(id)).json"
  }

  /// What a tracked path holds.
  package enum PathKind: Sendable, Equatable {
    case manifest
    case schema
    case sample(key: String)
    case label(field: String, key: String)
    /// A group record; `id` is the group id decoded from the file name.
    case group(id: String)
    case view(name: String)
    /// One of the three files of embedding set `name` (`embeddings/<name>/<file>`).
    case embedding(name: String, file: EmbeddingFile)
    /// A file under `runs/`; JSON files are validated as JSON.
    case run(isJSON: Bool)
  }

  /// The files of an embedding set (`Docs/storage-format.md` §7.6).
  package enum EmbeddingFile: String, Sendable, Equatable, CaseIterable {
    case meta = "meta.json"
    case keys = "keys.json"
    case vectors = "vectors.bin"
  }

  /// Checks an embedding set name (the view-name rule); returns why it is invalid, or nil.
  package static func embeddingNameProblem(_ name: String) -> String? {
    let bytes = Array(name.utf8)
    if bytes.isEmpty || bytes.count > 64 {
      return "an embedding set name has 1 to 64 characters"
    }
    let allowed = bytes.allSatisfy { byte in
      (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
        || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }
    if !allowed { return "an embedding set name uses only letters, digits, '_', '-' and '.'" }
    if bytes[0] == UInt8(ascii: ".") || bytes[0] == UInt8(ascii: "-") {
      return "an embedding set name does not start with '.' or '-'"
    }
    return nil
  }

  /// Classifies a tracked path; throws why a path under a tracked root is not allowed there.
  package static func classify(_ path: String) -> Result<PathKind, PathProblem> {
    let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    guard let root = parts.first else {
      return .failure(PathProblem(path: path, reason: "empty path"))
    }
    func problem(_ reason: String) -> Result<PathKind, PathProblem> {
      .failure(PathProblem(path: path, reason: reason))
    }
    switch root {
    case "cairn.json" where parts.count == 1: return .success(.manifest)
    case "schema.json" where parts.count == 1: return .success(.schema)
    case "samples":
      guard parts.count == 4 else {
        return problem("sample files live at samples/<shard>/<shard>/<key>.json")
      }
      return keyedPath(parts[1], parts[2], parts[3], path: path).map { .sample(key: $0) }
    case "labels":
      guard parts.count == 5 else {
        return problem("label files live at labels/<field>/<shard>/<shard>/<key>.json")
      }
      if let reason = fieldProblem(parts[1]) { return problem(reason) }
      let field = parts[1]
      return keyedPath(parts[2], parts[3], parts[4], path: path).map {
        .label(field: field, key: $0)
      }
    case "groups":
      guard parts.count == 4 else {
        return problem("group files live at groups/<shard>/<shard>/<group id>.json")
      }
      return keyedPath(parts[1], parts[2], parts[3], path: path, noun: "group id").map {
        .group(id: $0)
      }
    case "views":
      guard parts.count == 2, parts[1].hasSuffix(".json"), parts[1].count > 5 else {
        return problem("views are files views/<name>.json")
      }
      return .success(.view(name: String(parts[1].dropLast(5))))
    case "embeddings":
      guard parts.count == 3, let file = EmbeddingFile(rawValue: parts[2]) else {
        return problem(
          "embedding sets are files embeddings/<name>/meta.json, keys.json and vectors.bin")
      }
      if let reason = embeddingNameProblem(parts[1]) { return problem(reason) }
      return .success(.embedding(name: parts[1], file: file))
    case "runs":
      return parts.count >= 2
        ? .success(.run(isJSON: path.hasSuffix(".json"))) : problem("not a file")
    default: return problem("not a Cairn path")
    }
  }

  private static func keyedPath(
    _ first: String, _ second: String, _ file: String, path: String, noun: String = "sample key"
  ) -> Result<String, PathProblem> {
    guard file.hasSuffix(".json"), let key = decodeKey(String(file.dropLast(5))) else {
      return .failure(
        PathProblem(path: path, reason: "the file name is not an encoded \(noun) + .json"))
    }
    if let reason = keyProblem(key) { return .failure(PathProblem(path: path, reason: reason)) }
    let (s1, s2) = shard(of: key)
    guard s1 == first, s2 == second else {
      let what = noun == "sample key" ? "key" : noun
      return .failure(
        PathProblem(
          path: path,
          reason: "\(what) '\(key)' belongs in shard \(s1)/\(s2), not \(first)/\(second)"))
    }
    return .success(key)
  }
}

/// Why a path is not a valid Cairn path.
package struct PathProblem: Error, Sendable, Equatable {
  package var path: String
  package var reason: String
}
