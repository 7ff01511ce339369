import CairnCore
import Testing

@Suite struct FormatTests {
  @Test(arguments: [
    "image_2/000001.png", "a b/ç.jpg", ".hidden", "x%y", "k:1", "UPPER-lower_09.pcd",
  ])
  func keysEncodeReversiblyIntoFileNames(key: String) throws {
    let name = FormatV1.encodeKey(key)
    #expect(!name.contains("/"))
    #expect(!name.hasPrefix("."))
    #expect(FormatV1.decodeKey(name) == key)
    let path = FormatV1.samplePath(key)
    #expect(try FormatV1.classify(path).get() == .sample(key: key))
    #expect(
      try FormatV1.classify(FormatV1.labelPath(field: "gt", key: key)).get()
        == .label(field: "gt", key: key))
  }

  @Test func shardsAreTwoLevelsOf64() {
    var first: Set<String> = []
    var second: Set<String> = []
    for index in 0..<20_000 {
      let (a, b) = FormatV1.shard(of: "sample-\(index)")
      first.insert(a)
      second.insert(b)
    }
    #expect(first.count == 64)
    #expect(second.count == 64)
    #expect(first.allSatisfy { $0.count == 2 && $0 <= "3f" })
  }

  /// Shards are the first 12 bits of SHA-256 of the key (values from Python's hashlib).
  @Test func shardsAreTheFirstTwelveBitsOfSHA256() {
    #expect(FormatV1.shard(of: "k") == ("20", "25"))
    #expect(FormatV1.shard(of: "image_2/000001.png") == ("39", "31"))
    #expect(FormatV1.shard(of: "sample-7") == ("37", "30"))
  }

  @Test func keyProblemsAreNamed() {
    #expect(FormatV1.keyProblem("") == "the key is empty")
    #expect(FormatV1.keyProblem("/abs") == "the key is an absolute path")
    #expect(FormatV1.keyProblem("a//b") == "the key has an empty path segment")
    #expect(FormatV1.keyProblem("a/") == "the key has an empty path segment")
    #expect(FormatV1.keyProblem("a/./b") == "the key has a '.' segment (escapes its folder)")
    #expect(FormatV1.keyProblem("..") == "the key has a '..' segment (escapes its folder)")
    #expect(FormatV1.keyProblem("a/.../b") == nil)
    #expect(FormatV1.keyProblem("a\\b") == "the key contains a backslash")
    #expect(FormatV1.keyProblem(String(repeating: "x", count: 201)) != nil)
    // 84 bytes that each encode to three: 252 + ".json" is over 255.
    #expect(
      FormatV1.keyProblem(String(repeating: " ", count: 84))
        == "the key's encoded file name is longer than 255 bytes")
    #expect(FormatV1.keyProblem(String(repeating: " ", count: 83)) == nil)
    // Beyond ASCII the rules go by characters: a slash a combining mark joins separates nothing.
    #expect(FormatV1.keyProblem("/\u{301}abc") == nil)
    #expect(FormatV1.keyProblem("a//\u{301}") == nil)
    #expect(FormatV1.keyProblem("é/../x") == "the key has a '..' segment (escapes its folder)")
    #expect(FormatV1.keyProblem("/é") == "the key is an absolute path")
  }

  @Test func onlyNamesEncodeKeyMakesDecode() {
    #expect(FormatV1.decodeKey("plain-name_0.png") == "plain-name_0.png")
    #expect(FormatV1.decodeKey("a%2Fb") == "a/b")
    #expect(FormatV1.decodeKey("a%2fb") == nil)
    #expect(FormatV1.decodeKey("a%2") == nil)
    #expect(FormatV1.decodeKey(".hidden") == nil)
    #expect(FormatV1.decodeKey("%2Ehidden") == ".hidden")
    #expect(FormatV1.decodeKey("a b") == nil)
  }

  @Test(arguments: ["", "../x", "a/../b", "/abs", "a//b", "a\\b", "tab\there", "./a"])
  func invalidKeysAreRefused(key: String) {
    #expect(FormatV1.keyProblem(key) != nil)
  }

  @Test func pathsInTheWrongShardAreRefused() {
    let (a, b) = FormatV1.shard(of: "k")
    let other = a == "00" ? "01" : "00"
    let misplaced = "samples/\(other)/\(b)/k.json"
    guard case .failure(let problem) = FormatV1.classify(misplaced) else {
      Issue.record("accepted a sample in the wrong shard")
      return
    }
    #expect(problem.reason.contains("belongs in shard"))
    #expect(throws: PathProblem.self) { try FormatV1.classify("notes.txt").get() }
    #expect(throws: PathProblem.self) { try FormatV1.classify("samples/k.json").get() }
  }

  @Test func validatorChecksRecords() {
    let key = "img/1.png"
    let path = FormatV1.samplePath(key)
    let media = MediaRecord(
      uri: "media/img/1.png", sha256: String(repeating: "a", count: 64), size: 10, kind: "image",
      format: "png", width: 4, height: 3)
    let good = SampleRecord(key: key, media: media).encoded
    #expect(Validator.check(path: path, bytes: good) == .valid)
    #expect(Validator.check(path: FormatV1.samplePath("other"), bytes: good) != .valid)
    var escaping = media
    escaping.uri = "../../etc/passwd"
    guard
      case .invalid(let reason) = Validator.check(
        path: path, bytes: SampleRecord(key: key, media: escaping).encoded)
    else {
      Issue.record("accepted a media uri that escapes the repository")
      return
    }
    #expect(reason.contains("escapes"))
    let pretty = Array(
      "{ \"fields\": {}, \"key\": \"img/1.png\", \"media\": \(String(decoding: media.json.canonical, as: UTF8.self)), \"tags\": [] }"
        .utf8)
    guard case .notCanonical(let canonical) = Validator.check(path: path, bytes: pretty) else {
      Issue.record("accepted non-canonical JSON")
      return
    }
    #expect(canonical == good)
    guard case .invalid(let broken) = Validator.check(path: path, bytes: Array("{\"key\": ".utf8))
    else {
      Issue.record("accepted broken JSON")
      return
    }
    #expect(broken.contains("broken JSON at line 1"))
  }

  @Test func labelFilesNeedUniqueValidIDs() {
    let key = "s1"
    let path = FormatV1.labelPath(field: "ground_truth", key: key)
    func file(_ labels: [JSONValue]) -> [UInt8] {
      LabelFile(field: "ground_truth", sample: key, labels: labels).encoded
    }
    let box: JSONValue = .array([.double(0.1), .double(0.1), .double(0.2), .double(0.2)])
    let label: JSONValue = .object([
      "id": .string("a1"), "type": .string("detection"), "label": .string("car"), "bbox": box,
    ])
    #expect(Validator.check(path: path, bytes: file([label])) == .valid)
    #expect(
      Validator.check(path: path, bytes: file([label, label]))
        == .invalid("label id a1 appears twice"))
    let negative: JSONValue = .object([
      "id": .string("b"), "type": .string("detection"), "label": .string("car"),
      "bbox": .array([.int(0), .int(0), .int(-1), .int(1)]),
    ])
    #expect(
      Validator.check(path: path, bytes: file([negative]))
        == .invalid("label b: \"bbox\" has a negative width or height"))
    #expect(
      Validator.check(path: FormatV1.labelPath(field: "pred", key: key), bytes: file([label]))
        != .valid)
  }
}

extension JSONValue {
  var canonical: [UInt8] { Array(CanonicalJSON.encode(self).dropLast()) }
}
