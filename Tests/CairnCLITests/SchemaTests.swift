import CairnCore
import CairnTestSupport
import Foundation
import Testing

/// The schema of these tests: one field of every type, with classes and attributes.
private let testSchema = """
  {"fields":{\
  "boxes":{"attributes":{"occluded":{"default":false,"type":"bool"},\
  "truncation":{"max":1,"min":0,"type":"float"}},\
  "class_attributes":{"car":{"color":{"type":"string","values":["red","blue"]}},\
  "person":{"pose":{"required":true,"type":"string"}}},\
  "classes":["car","person"],"type":"detections"},\
  "cuboids":{"classes":["car"],"type":"cuboids"},\
  "keypoints":{"type":"keypoints"},\
  "lanes":{"type":"polylines"},\
  "scene":{"classes":["day","night"],"type":"classification"},\
  "segmentation":{"type":"segmentation"},\
  "weather":{"attributes":{"severity":{"max":5,"min":1,"type":"int"}},\
  "classes":["rain","fog"],"type":"classifications"}},\
  "sample_fields":{"camera":{"type":"string","values":["front","rear"]},\
  "speed":{"min":0,"type":"float"}},\
  "version":1}

  """

/// A repository with two images and the test schema committed.
private func schemaRepository() throws -> TemporaryDirectory {
  let dir = try makeRepository(images: 2)
  try dir.write(testSchema, to: "schema.json")
  let committed = try cairn("commit", "-m", "schema", in: dir.path)
  #expect(committed.exitCode == 0, "\(committed)")
  return dir
}

/// The label file text of `labels` in `field` for sample `img0.png`.
private func labelFile(_ field: String, _ labels: String) -> String {
  "{\"field\":\"\(field)\",\"labels\":[\(labels)],\"sample\":\"img0.png\"}\n"
}

/// Everything a refused commit must leave as it was.
private struct RepositoryState: Equatable {
  var head: String
  var index: Data
  var packs: [String]

  init(_ dir: TemporaryDirectory) throws {
    head = try revParse("HEAD", in: dir.path)
    index = try Data(contentsOf: URL(fileURLWithPath: dir.appending(".git/index")))
    packs = try FileManager.default.contentsOfDirectory(atPath: dir.appending(".git/objects/pack"))
      .sorted()
  }
}

@Suite struct SchemaTests {
  /// One rule broken by one label, and the words the refusal must contain.
  struct Case: CustomTestStringConvertible, Sendable {
    var field: String
    var labels: String
    var expected: [String]
    var testDescription: String { expected.joined(separator: " / ") }
  }

  static let violations: [Case] = [
    Case(
      field: "unknown",
      labels: #"{"bbox":[0,0,0.1,0.1],"id":"a","label":"car","type":"detection"}"#,
      expected: ["field 'unknown' is not in schema.json"]),
    Case(
      field: "boxes", labels: #"{"id":"a","label":"car","type":"classification"}"#,
      expected: ["label a", "type 'classification' does not belong in a detections field"]),
    Case(
      field: "boxes",
      labels: #"{"bbox":[0,0,0.1,0.1],"id":"a","label":"vehicle","type":"detection"}"#,
      expected: ["label a", "class 'vehicle' is not in the schema's classes (car, person)"]),
    Case(
      field: "boxes",
      labels:
        #"{"attributes":{"shiny":true},"bbox":[0,0,0.1,0.1],"id":"a","label":"car","type":"detection"}"#,
      expected: ["attribute 'shiny' is not declared for class 'car'"]),
    Case(
      field: "boxes",
      labels:
        #"{"attributes":{"occluded":"yes"},"bbox":[0,0,0.1,0.1],"id":"a","label":"car","type":"detection"}"#,
      expected: ["attribute 'occluded' = 'yes' is not a boolean"]),
    Case(
      field: "boxes",
      labels:
        #"{"attributes":{"color":"green"},"bbox":[0,0,0.1,0.1],"id":"a","label":"car","type":"detection"}"#,
      expected: ["attribute 'color' = 'green' is not one of the allowed values ('red', 'blue')"]),
    Case(
      field: "boxes",
      labels:
        #"{"attributes":{"truncation":1.5},"bbox":[0,0,0.1,0.1],"id":"a","label":"car","type":"detection"}"#,
      expected: ["attribute 'truncation' = 1.5 is above the maximum 1"]),
    Case(
      field: "weather",
      labels: #"{"attributes":{"severity":0},"id":"a","label":"fog","type":"classification"}"#,
      expected: ["attribute 'severity' = 0 is below the minimum 1"]),
    Case(
      field: "weather",
      labels: #"{"attributes":{"severity":2.5},"id":"a","label":"fog","type":"classification"}"#,
      expected: ["attribute 'severity' = 2.5 is not an integer"]),
    Case(
      field: "boxes",
      labels: #"{"bbox":[0,0,0.1,0.1],"id":"a","label":"person","type":"detection"}"#,
      expected: ["label a", "required attribute 'pose' is missing"]),
    Case(
      field: "boxes",
      labels:
        #"{"attributes":{"color":"red"},"bbox":[0,0,0.1,0.1],"id":"a","label":"person","type":"detection"}"#,
      expected: ["attribute 'color' is not declared for class 'person'"]),
    Case(
      field: "scene",
      labels:
        #"{"id":"a","label":"day","type":"classification"},{"id":"b","label":"night","type":"classification"}"#,
      expected: ["a classification field holds at most one label per sample, found 2"]),
    // Format rules of the label types (refused before the schema is consulted).
    Case(
      field: "boxes", labels: #"{"bbox":[0,0,0.1],"id":"a","label":"car","type":"detection"}"#,
      expected: ["label a", "\"bbox\" must be [x, y, w, h] numbers"]),
    Case(
      field: "boxes",
      labels: #"{"bbox":[0,0,0.1,0.1],"confidence":1.2,"id":"a","label":"car","type":"detection"}"#,
      expected: ["\"confidence\" must be a number from 0 to 1"]),
    Case(
      field: "boxes",
      labels: #"{"bbox":[0,0,0.1,0.1],"id":"a","label":"car","tags":["b","a"],"type":"detection"}"#,
      expected: ["\"tags\" must be sorted and without duplicates"]),
    Case(
      field: "lanes",
      labels: #"{"closed":false,"id":"a","label":"lane","points":[[[0.1,0.1]]],"type":"polyline"}"#,
      expected: ["shape 0 of \"points\" needs at least 2 points"]),
    Case(
      field: "lanes",
      labels:
        #"{"closed":false,"filled":true,"id":"a","label":"lane","points":[[[0,0],[1,1]]],"type":"polyline"}"#,
      expected: ["a filled polyline must be closed"]),
    Case(
      field: "keypoints",
      labels: #"{"id":"a","label":"person","points":[[0.1]],"type":"keypoints"}"#,
      expected: ["point 0 must be [x, y] or null"]),
    Case(
      field: "cuboids",
      labels:
        #"{"center":[0,0,5],"dimensions":[1,-1,1],"frame":"left","id":"a","label":"car","rotation":[0,0,0],"type":"cuboid"}"#,
      expected: ["\"dimensions\" must be [dx, dy, dz] numbers, none negative"]),
    Case(
      field: "cuboids",
      labels:
        #"{"center":[0,0,5],"dimensions":[1,1,1],"id":"a","label":"car","rotation":[0,0,0],"type":"cuboid"}"#,
      expected: ["\"frame\" must name the coordinate frame"]),
    Case(
      field: "segmentation", labels: #"{"id":"a","mask":{"uri":"../x.png"},"type":"segmentation"}"#,
      expected: ["mask uri '../x.png' escapes the repository"]),
    Case(
      field: "boxes",
      labels: #"{"bbox":[0,0,0.1,0.1],"id":"a","label":"car","type":"detection","score":1}"#,
      expected: ["unknown member \"score\" for a detection label"]),
  ]

  @Test(arguments: violations)
  func violatingLabelIsRefusedAndNothingIsWritten(_ rule: Case) throws {
    let dir = try schemaRepository()
    defer { dir.remove() }
    let before = try RepositoryState(dir)
    let path = FormatV1.labelPath(field: rule.field, key: "img0.png")
    try dir.write(labelFile(rule.field, rule.labels), to: path)
    let refused = try cairn("commit", "-m", "bad", in: dir.path)
    #expect(refused.exitCode == 6, "\(refused)")
    #expect(refused.stderr.contains(path), "\(refused.stderr)")
    for words in rule.expected {
      #expect(refused.stderr.contains(words), "missing '\(words)' in: \(refused.stderr)")
    }
    #expect(try RepositoryState(dir) == before)
    #expect(
      try String(contentsOfFile: dir.appending(path), encoding: .utf8)
        == labelFile(rule.field, rule.labels))
  }

  @Test func validLabelsOfEveryTypeAreAcceptedAndRoundTrip() throws {
    let dir = try schemaRepository()
    defer { dir.remove() }
    let files: [String: String] = [
      "boxes": labelFile(
        "boxes",
        #"{"attributes":{"color":"red","occluded":true,"truncation":0.25},"bbox":[0.1,0.2,0.3,0.4],"confidence":0.9,"id":"b1","label":"car","provenance":{"field":"predictions","label":"p7"},"tags":["qa","reviewed"],"type":"detection"},{"attributes":{"pose":"standing"},"bbox":[0.5,0.5,0.1,0.2],"id":"b2","label":"person","mask":{"uri":"media/masks/b2.png"},"type":"detection"}"#
      ),
      "cuboids": labelFile(
        "cuboids",
        #"{"center":[1.84,1.47,8.41],"dimensions":[1.2,1.89,0.48],"frame":"left","id":"c1","label":"car","rotation":[0,0.01,0],"type":"cuboid"}"#
      ),
      "keypoints": labelFile(
        "keypoints",
        #"{"id":"k1","label":"person","points":[[0.5,0.1],null,[0.52,0.3]],"type":"keypoints"}"#
      ),
      "lanes": labelFile(
        "lanes",
        #"{"closed":true,"filled":true,"id":"l1","label":"road","points":[[[0.1,0.9],[0.5,0.6],[0.9,0.9]]],"type":"polyline"}"#
      ),
      "scene": labelFile("scene", #"{"id":"s1","label":"night","type":"classification"}"#),
      "segmentation": labelFile(
        "segmentation", #"{"id":"m1","mask":{"uri":"media/masks/0.png"},"type":"segmentation"}"#),
      "weather": labelFile(
        "weather",
        #"{"attributes":{"severity":3},"id":"w1","label":"rain","type":"classification"},{"id":"w2","label":"fog","type":"classification"}"#
      ),
    ]
    for (field, text) in files {
      try dir.write(text, to: FormatV1.labelPath(field: field, key: "img0.png"))
    }
    let committed = try cairn("commit", "-m", "labels", in: dir.path)
    #expect(committed.exitCode == 0, "\(committed)")
    // Away and back: checkout rewrites every file from the commit.
    #expect(try cairn("checkout", "HEAD~1", in: dir.path).exitCode == 0)
    for field in files.keys {
      #expect(
        !FileManager.default.fileExists(
          atPath: dir.appending(FormatV1.labelPath(field: field, key: "img0.png"))))
    }
    #expect(try cairn("switch", "main", in: dir.path).exitCode == 0)
    for (field, text) in files {
      let path = FormatV1.labelPath(field: field, key: "img0.png")
      #expect(try String(contentsOfFile: dir.appending(path), encoding: .utf8) == text, "\(field)")
    }
    let shown = try envelope(
      try cairn("show", "HEAD:img0.png", "--json", in: dir.path), "cairn.sample/v1")
    #expect(shown["labels"]?["cuboids"]?["labels"]?.array?.first?["frame"] == .string("left"))
    try expectFsckClean(dir.path)
  }

  @Test func sampleFieldsAreChecked() throws {
    let dir = try schemaRepository()
    defer { dir.remove() }
    let path = FormatV1.samplePath("img0.png")
    let original = try dir.read(path)
    var record = try SampleRecord(json: try JSONParser.parse(original))
    let before = try RepositoryState(dir)
    for (fields, words) in [
      (["lens": JSONValue.string("wide")], "sample field 'lens' is not declared in schema.json"),
      (
        ["camera": .string("side")],
        "sample field 'camera' = 'side' is not one of the allowed values"
      ),
      (["speed": .double(-1)], "sample field 'speed' = -1.0 is below the minimum 0"),
    ] {
      record.fields = fields
      try dir.write(record.encoded, to: path)
      let refused = try cairn("commit", "-m", "bad", in: dir.path)
      #expect(refused.exitCode == 6)
      #expect(refused.stderr.contains(words), "\(refused.stderr)")
      #expect(try RepositoryState(dir) == before)
    }
    record.fields = ["camera": .string("front"), "speed": .int(12)]
    try dir.write(record.encoded, to: path)
    #expect(try cairn("commit", "-m", "fields", in: dir.path).exitCode == 0)
  }

  @Test func schemaChangesAreCheckedAgainstExistingLabels() throws {
    let dir = try schemaRepository()
    defer { dir.remove() }
    try dir.write(
      labelFile("boxes", #"{"bbox":[0,0,0.1,0.1],"id":"a","label":"car","type":"detection"}"#),
      to: FormatV1.labelPath(field: "boxes", key: "img0.png"))
    #expect(try cairn("commit", "-m", "car", in: dir.path).exitCode == 0)
    let before = try RepositoryState(dir)
    // Dropping "car" from the classes by hand, while a label uses it, is refused.
    try dir.write(
      testSchema.replacingOccurrences(of: #"["car","person"]"#, with: #"["person"]"#)
        .replacingOccurrences(
          of: #""car":{"color":{"type":"string","values":["red","blue"]}},"#, with: ""),
      to: "schema.json")
    let refused = try cairn("commit", "-m", "drop car", in: dir.path)
    #expect(refused.exitCode == 6, "\(refused)")
    #expect(refused.stderr.contains("class 'car' is not in the schema's classes (person)"))
    #expect(try RepositoryState(dir) == before)
    // A new required attribute is refused while labels lack it.
    try dir.write(
      testSchema.replacingOccurrences(
        of: #""occluded":{"default":false,"type":"bool"}"#,
        with: #""occluded":{"required":true,"type":"bool"}"#), to: "schema.json")
    let required = try cairn("commit", "-m", "required", in: dir.path)
    #expect(required.exitCode == 6)
    #expect(required.stderr.contains("required attribute 'occluded' is missing"))
    #expect(try RepositoryState(dir) == before)
  }

  @Test func invalidSchemaIsRefused() throws {
    let dir = try schemaRepository()
    defer { dir.remove() }
    let before = try RepositoryState(dir)
    for (text, words) in [
      (#"{"fields":{"x":{"type":"boxes"}},"version":1}"#, "\"type\" must be one of"),
      (
        #"{"fields":{"x":{"classes":["a","a"],"type":"detections"}},"version":1}"#,
        "class 'a' is listed twice"
      ),
      (
        #"{"fields":{"x":{"attributes":{"n":{"max":1,"min":2,"type":"int"}},"type":"detections"}},"version":1}"#,
        "\"min\" is greater than \"max\""
      ),
      (
        #"{"fields":{"x":{"class_attributes":{"b":{}},"classes":["a"],"type":"detections"}},"version":1}"#,
        "names class 'b', which is not in \"classes\""
      ),
    ] {
      try dir.write(text + "\n", to: "schema.json")
      let refused = try cairn("commit", "-m", "bad schema", in: dir.path)
      #expect(refused.exitCode == 6)
      #expect(refused.stderr.contains("schema.json"))
      #expect(refused.stderr.contains(words), "\(refused.stderr)")
      #expect(try RepositoryState(dir) == before)
    }
  }

  @Test func schemaCommandsEditAndRenameInOneCommit() throws {
    let dir = try makeRepository(images: 2)
    defer { dir.remove() }
    #expect(
      try cairn(
        "schema", "add-field", "gt", "--type", "detections", "--classes", "car,truck",
        in: dir.path
      ).exitCode == 0)
    #expect(
      try cairn(
        "schema", "set-attribute", "gt", "color", "--class", "car", "--type", "string",
        "--values", "red,blue", in: dir.path
      ).exitCode == 0)
    let id = try cairn(
      "label", "add", "img0.png", "--field", "gt", "--class", "car", "--bbox", "0.1,0.1,0.2,0.2",
      "--attr", "color=red", in: dir.path
    ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(id.count == 32)
    // An off-schema edit is refused and writes nothing.
    let refused = try cairn(
      "label", "add", "img0.png", "--field", "gt", "--class", "bus", "--bbox", "0,0,0.1,0.1",
      in: dir.path)
    #expect(refused.exitCode == 6)
    #expect(refused.stderr.contains("class 'bus' is not in the schema's classes (car, truck)"))
    #expect(try cairn("commit", "-m", "one car", in: dir.path).exitCode == 0)
    let commits = try git("rev-list", "--count", "HEAD", in: dir.path).stdout

    let renamed = try cairn("schema", "rename-class", "gt", "car", "automobile", in: dir.path)
    #expect(renamed.exitCode == 0, "\(renamed)")
    #expect(
      Int(
        try git("rev-list", "--count", "HEAD", in: dir.path).stdout.trimmingCharacters(
          in: .whitespacesAndNewlines)) == Int(
          commits.trimmingCharacters(in: .whitespacesAndNewlines))! + 1)
    let changed = try git("show", "--name-only", "--format=", "HEAD", in: dir.path).stdout
    #expect(changed.contains("schema.json") && changed.contains("labels/gt/"))
    let file = try dir.read(FormatV1.labelPath(field: "gt", key: "img0.png"))
    #expect(file.contains(#""label":"automobile""#) && file.contains(id))
    #expect(file.contains(#""color":"red""#), "class attributes follow the renamed class")

    // Removing a class in use needs --migrate-to.
    let blocked = try cairn("schema", "remove-class", "gt", "automobile", in: dir.path)
    #expect(blocked.exitCode == 6)
    #expect(blocked.stderr.contains("used by 1 label(s)"))
    #expect(
      try cairn("schema", "remove-class", "gt", "automobile", "--migrate-to", "truck", in: dir.path)
        .exitCode == 0)
    let migrated = try dir.read(FormatV1.labelPath(field: "gt", key: "img0.png"))
    #expect(migrated.contains(#""label":"truck""#) && !migrated.contains("color"))
    #expect(try cairn("status", "--json", in: dir.path).stdout.contains("\"clean\":true"))
    try expectFsckClean(dir.path)
  }

  @Test func labelCopyKeepsProvenanceAndIsIdempotent() throws {
    let dir = try makeRepository(images: 2)
    defer { dir.remove() }
    for field in ["predictions", "ground_truth"] {
      #expect(
        try cairn(
          "schema", "add-field", field, "--type", "detections", "--classes", "car",
          in: dir.path
        ).exitCode == 0)
    }
    let strong = try cairn(
      "label", "add", "img0.png", "--field", "predictions", "--class", "car", "--bbox",
      "0.1,0.1,0.2,0.2", "--confidence", "0.9", in: dir.path
    ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(
      try cairn(
        "label", "add", "img1.png", "--field", "predictions", "--class", "car", "--bbox",
        "0.3,0.3,0.2,0.2", "--confidence", "0.2", in: dir.path
      ).exitCode == 0)
    let copied = try envelope(
      try cairn(
        "label", "copy", "--from", "predictions", "--to", "ground_truth", "--min-confidence",
        "0.5", "--json", in: dir.path), "cairn.label-copy/v1")
    #expect(copied["copied"] == .int(1))
    let truth = try JSONParser.parse(
      try dir.read(FormatV1.labelPath(field: "ground_truth", key: "img0.png")))
    let label = try #require(truth["labels"]?.array?.first)
    #expect(
      label["provenance"] == .object(["field": .string("predictions"), "label": .string(strong)]))
    #expect(label["confidence"] == nil)
    #expect(label["id"]?.string != strong)
    #expect(
      !FileManager.default.fileExists(
        atPath: dir.appending(FormatV1.labelPath(field: "ground_truth", key: "img1.png"))))
    let again = try envelope(
      try cairn(
        "label", "copy", "--from", "predictions", "--to", "ground_truth", "--min-confidence",
        "0.5", "--json", in: dir.path), "cairn.label-copy/v1")
    #expect(again["copied"] == .int(0) && again["already_copied"] == .int(1))
    #expect(try cairn("commit", "-m", "promote", in: dir.path).exitCode == 0)
  }
}
