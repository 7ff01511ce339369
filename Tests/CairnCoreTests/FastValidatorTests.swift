import CairnCore
import Foundation
import Testing

/// The shortcut for common label files and sample records must never accept what the full
/// validator refuses, and must take the common files it is there for.
@Suite struct FastValidatorTests {
  static let schemaText =
    #"{"fields":{"cls":{"classes":["cat","dog"],"type":"classification"},"#
    + #""gt":{"classes":["car","pedestrian","truck"],"type":"detections"},"#
    + #""occ":{"attributes":{"occluded":{"required":true,"type":"bool"}},"type":"detections"},"#
    + #""open":{"type":"detections"}},"sample_fields":{},"version":1}"#

  static func schema() throws -> Schema { try Schema.parse(Array(schemaText.utf8)) }

  static let key = "img/000139.jpg"

  static func box(_ id: String, _ label: String, confidence: String? = nil) -> String {
    let score = confidence.map { #""confidence":\#($0),"# } ?? ""
    return #"{"bbox":[0.509,0.7018,0.2934,0.1243],\#(score)"id":"\#(id)","label":"\#(label)","#
      + #""type":"detection"}"#
  }

  static func labelFile(_ field: String, _ labels: [String], sample: String = key) -> [UInt8] {
    Array(
      (#"{"field":"\#(field)","labels":[\#(labels.joined(separator: ","))],"sample":"\#(sample)"}"#
        + "\n").utf8)
  }

  static let record = Array(
    (#"{"fields":{},"key":"img/000139.jpg","media":{"format":"jpeg","height":375,"#
      + #""kind":"image","sha256":"33dd9b32851f1f23d9046a76d10ade8e28d3ae4c2a992cb2e20cc4d4db849524","#
      + #""size":100609,"uri":"media/img/000139.jpg","width":1242},"tags":["night","rain"]}"#
      + "\n").utf8)

  static func verdicts(_ field: String, _ bytes: [UInt8], schema: Schema?) -> (
    fast: Bool, full: Validator.Outcome
  ) {
    let path = FormatV1.labelPath(field: field, key: key)
    return (
      FastValidator.acceptsLabelFile(bytes, field: field, sample: key, schema: schema),
      Validator.checkInFull(path: path, bytes: bytes, schema: schema)
    )
  }

  @Test func commonFilesTakeTheShortcutAndAreValid() throws {
    let schema = try Self.schema()
    let files: [(String, [UInt8])] = [
      ("gt", Self.labelFile("gt", [Self.box("a1", "car"), Self.box("b2", "truck")])),
      ("gt", Self.labelFile("gt", [Self.box("a1", "car", confidence: "0.93")])),
      ("gt", Self.labelFile("gt", [Self.box("a1", "car", confidence: "1")])),
      ("gt", Self.labelFile("gt", [Self.box("a1", "car", confidence: "1.0")])),
      ("gt", Self.labelFile("gt", [])),
      ("open", Self.labelFile("open", [Self.box("x_-9", "anything")])),
      (
        "cls",
        Self.labelFile(
          "cls", [#"{"confidence":0.5,"id":"c","label":"dog","type":"classification"}"#])
      ),
    ]
    for (field, bytes) in files {
      let (fast, full) = Self.verdicts(field, bytes, schema: schema)
      #expect(fast, "\(String(decoding: bytes, as: UTF8.self))")
      #expect(full == .valid)
      #expect(
        Validator.check(
          path: FormatV1.labelPath(field: field, key: Self.key), bytes: bytes, schema: schema)
          == .valid)
    }
    let recordPath = FormatV1.samplePath(Self.key)
    #expect(FastValidator.acceptsSampleRecord(Self.record, key: Self.key, schema: schema))
    #expect(Validator.checkInFull(path: recordPath, bytes: Self.record, schema: schema) == .valid)
  }

  /// Files one rule away from the common shape: the shortcut declines every one, and the full
  /// validator gives its verdict (a refusal for all of these).
  @Test func filesBreakingARuleAreLeftToTheFullValidator() throws {
    let schema = try Self.schema()
    let broken: [(String, String, [UInt8])] = [
      ("class not in the schema", "gt", Self.labelFile("gt", [Self.box("a", "bus")])),
      ("duplicate id", "gt", Self.labelFile("gt", [Self.box("a", "car"), Self.box("a", "car")])),
      ("bad id", "gt", Self.labelFile("gt", [Self.box("a b", "car")])),
      ("empty class", "gt", Self.labelFile("gt", [Self.box("a", "")])),
      ("confidence above 1", "gt", Self.labelFile("gt", [Self.box("a", "car", confidence: "1.5")])),
      ("confidence 2", "gt", Self.labelFile("gt", [Self.box("a", "car", confidence: "2")])),
      (
        "negative confidence", "gt",
        Self.labelFile("gt", [Self.box("a", "car", confidence: "-0.1")])
      ),
      ("trailing zero", "gt", Self.labelFile("gt", [Self.box("a", "car", confidence: "0.50")])),
      ("exponent", "gt", Self.labelFile("gt", [Self.box("a", "car", confidence: "5e-1")])),
      ("required attribute missing", "occ", Self.labelFile("occ", [Self.box("a", "car")])),
      ("field not in schema", "zz", Self.labelFile("zz", [Self.box("a", "car")])),
      ("wrong field", "gt", Self.labelFile("open", [Self.box("a", "car")])),
      ("wrong sample", "gt", Self.labelFile("gt", [Self.box("a", "car")], sample: "other.jpg")),
      (
        "two classifications", "cls",
        Self.labelFile(
          "cls",
          [
            #"{"id":"c","label":"dog","type":"classification"}"#,
            #"{"id":"d","label":"cat","type":"classification"}"#,
          ])
      ),
      (
        "detection in a classification field", "cls",
        Self.labelFile("cls", [Self.box("a", "dog")])
      ),
      (
        "negative width", "gt",
        Self.labelFile(
          "gt", [#"{"bbox":[0.5,0.5,-0.2,0.1],"id":"a","label":"car","type":"detection"}"#])
      ),
      (
        "three numbers", "gt",
        Self.labelFile("gt", [#"{"bbox":[0.5,0.5,0.2],"id":"a","label":"car","type":"detection"}"#])
      ),
      (
        "no final newline", "gt",
        Array(Self.labelFile("gt", [Self.box("a", "car")]).dropLast())
      ),
      (
        "whitespace", "gt",
        Array(#"{"field": "gt","labels":[],"sample":"img/000139.jpg"}"#.utf8) + [0x0A]
      ),
      (
        "unsorted members", "gt",
        Self.labelFile(
          "gt", [#"{"bbox":[0.5,0.5,0.2,0.1],"label":"car","id":"a","type":"detection"}"#])
      ),
    ]
    for (what, field, bytes) in broken {
      let (fast, full) = Self.verdicts(field, bytes, schema: schema)
      #expect(!fast, "\(what)")
      #expect(full != .valid, "\(what)")
      #expect(
        Validator.check(
          path: FormatV1.labelPath(field: field, key: Self.key), bytes: bytes, schema: schema)
          == full, "\(what)")
    }
    let recordPath = FormatV1.samplePath(Self.key)
    let text = String(decoding: Self.record, as: UTF8.self)
    let brokenRecords: [(String, String)] = [
      ("..", text.replacingOccurrences(of: "media/img", with: "media/../../img")),
      ("uppercase sha", text.replacingOccurrences(of: "33dd9b", with: "33DD9B")),
      ("zero width", text.replacingOccurrences(of: "1242", with: "0")),
      ("negative size", text.replacingOccurrences(of: "100609", with: "-1")),
      ("wrong key", text.replacingOccurrences(of: #""key":"img/"#, with: #""key":"imx/"#)),
      ("empty tag", text.replacingOccurrences(of: #""night""#, with: #""""#)),
      ("unknown kind", text.replacingOccurrences(of: #""image""#, with: #""video""#)),
    ]
    for (what, record) in brokenRecords {
      let bytes = Array(record.utf8)
      #expect(!FastValidator.acceptsSampleRecord(bytes, key: Self.key, schema: schema), "\(what)")
      #expect(
        Validator.checkInFull(path: recordPath, bytes: bytes, schema: schema) != .valid, "\(what)")
    }
  }

  /// Random byte edits of valid files: whatever the shortcut accepts, the full validator
  /// accepts too.
  @Test func theShortcutNeverAcceptsWhatTheFullValidatorRefuses() throws {
    let schema = try Self.schema()
    let seeds: [(String, [UInt8])] = [
      (
        "gt",
        Self.labelFile(
          "gt",
          [
            Self.box("a1", "car", confidence: "0.93"), Self.box("b2", "truck"),
            Self.box("c3", "pedestrian", confidence: "1"),
          ])
      ),
      (
        "cls",
        Self.labelFile(
          "cls", [#"{"confidence":0.5,"id":"c","label":"dog","type":"classification"}"#])
      ),
      ("samples", Self.record),
    ]
    let alphabet = Array(#"{}[],:"\-.0123456789eE a_/"#.utf8) + [0x0A, 0x80]
    var random = SplitMix(seed: 7)
    var accepted = 0
    var tried = 0
    for (field, seed) in seeds {
      for _ in 0..<4_000 {
        var bytes = seed
        for _ in 0..<(1 + Int(random.next() % 2)) {
          let at = Int(random.next() % UInt64(bytes.count))
          let byte = alphabet[Int(random.next() % UInt64(alphabet.count))]
          switch random.next() % 3 {
          case 0: bytes[at] = byte
          case 1: bytes.insert(byte, at: at)
          default: bytes.remove(at: at)
          }
        }
        tried += 1
        let fast: Bool
        let full: Validator.Outcome
        if field == "samples" {
          fast = FastValidator.acceptsSampleRecord(bytes, key: Self.key, schema: schema)
          full = Validator.checkInFull(
            path: FormatV1.samplePath(Self.key), bytes: bytes, schema: schema)
        } else {
          (fast, full) = Self.verdicts(field, bytes, schema: schema)
        }
        if fast {
          accepted += 1
          #expect(full == .valid, "\(String(decoding: bytes, as: UTF8.self))")
        }
      }
    }
    // Some edits keep a file valid (a digit for a digit): the shortcut must take those too.
    #expect(accepted > tried / 20)
  }
}

/// A small seeded generator (SplitMix64), so failures repeat.
struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
