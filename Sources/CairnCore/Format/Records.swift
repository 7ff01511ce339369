/// The sample record stored at `samples/<shard>/<shard>/<key>.json`.
package struct SampleRecord: Sendable, Equatable {
  static let knownKeys: Set<String> = ["key", "media", "tags", "fields", "group"]
  package var key: String
  package var media: MediaRecord
  package var tags: [String]
  /// Typed sample fields (format v1 keeps them as JSON values).
  package var fields: [String: JSONValue]
  /// The group and slice this sample belongs to; encoded only when present.
  package var group: SampleGroup?

  package init(
    key: String, media: MediaRecord, tags: [String] = [], fields: [String: JSONValue] = [:],
    group: SampleGroup? = nil
  ) {
    self.key = key
    self.media = media
    self.tags = tags
    self.fields = fields
    self.group = group
  }

  package var json: JSONValue {
    var members: [String: JSONValue] = [
      "key": .string(key),
      "media": media.json,
      "tags": .array(tags.map { .string($0) }),
      "fields": .object(fields),
    ]
    if let group { members["group"] = group.json }
    return .object(members)
  }

  /// Canonical bytes of the record.
  package var encoded: [UInt8] { CanonicalJSON.encode(json) }

  /// Reads a record, reporting the first rule it breaks.
  package init(json: JSONValue) throws(RecordProblem) {
    guard let object = json.object else { throw RecordProblem("a sample record is a JSON object") }
    if let extra = unknownKey(in: object, known: Self.knownKeys) {
      throw RecordProblem("unknown member \"\(extra)\" in a sample record")
    }
    guard let key = object["key"]?.string else { throw RecordProblem("\"key\" must be a string") }
    guard let mediaValue = object["media"] else { throw RecordProblem("\"media\" is missing") }
    media = try MediaRecord(json: mediaValue)
    guard let tagValues = object["tags"]?.array else {
      throw RecordProblem("\"tags\" must be an array")
    }
    var tags: [String] = []
    for value in tagValues {
      guard let tag = value.string, !tag.isEmpty else {
        throw RecordProblem("\"tags\" holds non-empty strings only")
      }
      tags.append(tag)
    }
    guard let fields = object["fields"]?.object else {
      throw RecordProblem("\"fields\" must be an object")
    }
    self.key = key
    self.tags = tags
    self.fields = fields
    group = try object["group"].map { (value) throws(RecordProblem) in
      try SampleGroup(json: value)
    }
  }
}

/// Where a sample's media is and what it is.
package struct MediaRecord: Sendable, Equatable {
  static let knownKeys: Set<String> = [
    "uri", "sha256", "size", "kind", "format", "width", "height", "points", "missing",
  ]
  /// A path relative to the repository root (`media/0001.png`), or an absolute `file://` URI.
  package var uri: String
  /// SHA-256 of the file; nil only for media recorded as missing.
  package var sha256: String?
  /// The file's size in bytes; nil only for media recorded as missing.
  package var size: Int64?
  package var kind: String
  package var format: String
  package var width: Int64?
  package var height: Int64?
  package var points: Int64?
  /// The media was not on disk when the sample was recorded (labels-only imports).
  package var missing: Bool

  package init(
    uri: String, sha256: String?, size: Int64?, kind: String, format: String,
    width: Int64? = nil, height: Int64? = nil, points: Int64? = nil, missing: Bool = false
  ) {
    self.uri = uri
    self.sha256 = sha256
    self.size = size
    self.kind = kind
    self.format = format
    self.width = width
    self.height = height
    self.points = points
    self.missing = missing
  }

  package var json: JSONValue {
    var members: [String: JSONValue] = [
      "uri": .string(uri), "kind": .string(kind), "format": .string(format),
    ]
    if let sha256 { members["sha256"] = .string(sha256) }
    if let size { members["size"] = .int(size) }
    if let width { members["width"] = .int(width) }
    if let height { members["height"] = .int(height) }
    if let points { members["points"] = .int(points) }
    if missing { members["missing"] = .bool(true) }
    return .object(members)
  }

  package init(json: JSONValue) throws(RecordProblem) {
    guard let object = json.object else { throw RecordProblem("\"media\" must be an object") }
    if let extra = unknownKey(in: object, known: Self.knownKeys) {
      throw RecordProblem("unknown member \"media.\(extra)\"")
    }
    guard let uri = object["uri"]?.string, !uri.isEmpty else {
      throw RecordProblem("\"media.uri\" must be a non-empty string")
    }
    if let reason = Self.uriProblem(uri) { throw RecordProblem("media uri '\(uri)' \(reason)") }
    var missing = false
    if let value = object["missing"] {
      guard value == .bool(true) else {
        throw RecordProblem("\"media.missing\" is true when present")
      }
      missing = true
    }
    let sha = object["sha256"]?.string
    if object["sha256"] != nil || !missing {
      guard let sha, sha.utf8.count == 64,
        sha.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
      else { throw RecordProblem("\"media.sha256\" must be 64 lowercase hexadecimal digits") }
    }
    let size = object["size"]?.int
    if object["size"] != nil || !missing {
      guard let size, size >= 0 else {
        throw RecordProblem("\"media.size\" must be a non-negative integer")
      }
    }
    guard let kind = object["kind"]?.string, ["image", "point_cloud"].contains(kind) else {
      throw RecordProblem("\"media.kind\" must be \"image\" or \"point_cloud\"")
    }
    guard let format = object["format"]?.string, !format.isEmpty else {
      throw RecordProblem("\"media.format\" must be a non-empty string")
    }
    for name in ["width", "height", "points"] {
      if let value = object[name], (value.int ?? 0) <= 0 {
        throw RecordProblem("\"media.\(name)\" must be a positive integer")
      }
    }
    self.init(
      uri: uri, sha256: sha, size: size, kind: kind, format: format, width: object["width"]?.int,
      height: object["height"]?.int, points: object["points"]?.int, missing: missing)
  }

  /// Why a media URI is not allowed, or nil: relative paths may not climb out of the
  /// repository and absolute locations must be `file://` URIs.
  package static func uriProblem(_ uri: String) -> String? {
    if uri.hasPrefix("file://") {
      return uri.hasPrefix("file:///") ? nil : "is not an absolute file:// URI"
    }
    if uri.contains("://") { return nil }
    if uri.hasPrefix("/") { return "is an absolute path; use a file:// URI" }
    for segment in uri.split(separator: "/", omittingEmptySubsequences: false) {
      if segment == ".." { return "escapes the repository ('..')" }
      if segment.isEmpty { return "has an empty path segment" }
    }
    return nil
  }
}

/// The label file stored at `labels/<field>/<shard>/<shard>/<key>.json`.
///
/// Format v1 fixes the envelope (field, sample, a list of labels each with a stable `id` and a
/// `type`); label payloads are validated by their type (``LabelRules``), and against the schema
/// by `Schema.violations(of:)`.
package struct LabelFile: Sendable, Equatable {
  static let knownKeys: Set<String> = ["field", "sample", "labels"]
  package var field: String
  package var sample: String
  package var labels: [JSONValue]

  package init(field: String, sample: String, labels: [JSONValue]) {
    self.field = field
    self.sample = sample
    self.labels = labels
  }

  package var json: JSONValue {
    .object(["field": .string(field), "sample": .string(sample), "labels": .array(labels)])
  }

  package var encoded: [UInt8] { CanonicalJSON.encode(json) }

  package init(json: JSONValue) throws(RecordProblem) {
    guard let object = json.object else { throw RecordProblem("a label file is a JSON object") }
    if let extra = unknownKey(in: object, known: Self.knownKeys) {
      throw RecordProblem("unknown member \"\(extra)\" in a label file")
    }
    guard let field = object["field"]?.string else {
      throw RecordProblem("\"field\" must be a string")
    }
    guard let sample = object["sample"]?.string else {
      throw RecordProblem("\"sample\" must be a string")
    }
    guard let labels = object["labels"]?.array else {
      throw RecordProblem("\"labels\" must be an array")
    }
    var seen: Set<String> = []
    for (index, label) in labels.enumerated() {
      guard let members = label.object else {
        throw RecordProblem("labels[\(index)] is not an object")
      }
      guard let id = members["id"]?.string else {
        throw RecordProblem("labels[\(index)] has no string \"id\"")
      }
      if let reason = FormatV1.labelIDProblem(id) { throw RecordProblem("label \(id): \(reason)") }
      guard seen.insert(id).inserted else { throw RecordProblem("label id \(id) appears twice") }
      guard let type = members["type"]?.string else {
        throw RecordProblem("label \(id) has no string \"type\"")
      }
      if let reason = LabelRules.problem(members, type: type) {
        throw RecordProblem("label \(id): \(reason)")
      }
    }
    self.field = field
    self.sample = sample
    self.labels = labels
  }
}

/// The repository manifest `cairn.json`.
package struct Manifest: Sendable, Equatable {
  static let knownKeys: Set<String> = ["format", "version", "sharding"]
  package var version: Int64

  package static let current = Manifest(version: FormatV1.version)

  package var json: JSONValue {
    .object([
      "format": .string("cairn"),
      "version": .int(version),
      "sharding": .object([
        "hash": .string("sha256"), "levels": .int(Int64(FormatV1.shardLevels)),
        "fanout": .int(Int64(FormatV1.shardFanout)),
      ]),
    ])
  }

  package var encoded: [UInt8] { CanonicalJSON.encode(json) }

  package init(version: Int64) { self.version = version }

  package init(json: JSONValue) throws(RecordProblem) {
    guard json["format"]?.string == "cairn" else {
      throw RecordProblem("\"format\" must be \"cairn\"")
    }
    guard let version = json["version"]?.int else {
      throw RecordProblem("\"version\" must be an integer")
    }
    guard version == FormatV1.version else {
      throw RecordProblem("format version \(version) is not supported (this Cairn reads version 1)")
    }
    self.version = version
    guard json["sharding"] == Self.current.json["sharding"] else {
      throw RecordProblem(
        "\"sharding\" must be {\"fanout\":64,\"hash\":\"sha256\",\"levels\":2} in format version 1")
    }
    if let object = json.object, let extra = unknownKey(in: object, known: Self.knownKeys) {
      throw RecordProblem("unknown member \"\(extra)\" in cairn.json")
    }
  }
}

/// A rule a record breaks.
package struct RecordProblem: Error, Sendable, CustomStringConvertible {
  package var reason: String
  package init(_ reason: String) { self.reason = reason }
  package var description: String { reason }
}

/// The initial `schema.json`: no label fields yet.
package enum InitialSchema {
  package static var encoded: [UInt8] { Schema.empty.encoded }
}

/// The first (in sorted order) member of `object` that is not in `known`, or nil.
func unknownKey(in object: [String: JSONValue], known: Set<String>) -> String? {
  guard object.keys.contains(where: { !known.contains($0) }) else { return nil }
  return object.keys.sorted().first { !known.contains($0) }
}
