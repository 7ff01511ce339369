import CairnCore
import GitStore
import Testing

@Suite struct QueryParserTests {
  @Test(arguments: [
    ("fields.weather == 'rain'", "fields.weather == \"rain\""),
    ("a.b==1 and (c.d<2.5 or not e.f>=-3)", "a.b == 1 and (c.d < 2.5 or not e.f >= -3)"),
    ("(x.y != null)", "x.y != null"),
    ("label in ['car',\"truck\"]  or  tags in []", "label in [\"car\", \"truck\"] or tags in []"),
    ("'reviewed' in tags", "\"reviewed\" in tags"),
    (
      "exists(attributes.occluded) and missing(confidence)",
      "exists(attributes.occluded) and missing(confidence)"
    ),
    ("count(tags) >= 2", "count(tags) >= 2"),
    ("not (a.b == true and c.d == false)", "not (a.b == true and c.d == false)"),
    ("x.y == 1e3", "x.y == 1000.0"),
  ])
  func labelExpressionsPrintInNormalForm(input: String, normal: String) throws {
    let parsed = try QueryParser.parse(input, context: .label)
    #expect(parsed.description == normal)
    // The normal form parses back to the same expression.
    #expect(try QueryParser.parse(normal, context: .label) == parsed)
  }

  @Test func andBindsTighterThanOr() throws {
    let parsed = try QueryParser.parse("a.x == 1 or b.x == 2 and c.x == 3", context: .label)
    guard case .or(let terms) = parsed else {
      Issue.record("expected or, got \(parsed)")
      return
    }
    #expect(terms.count == 2)
    if case .and = terms[1] {} else { Issue.record("expected and on the right: \(terms[1])") }
  }

  @Test(arguments: [
    ("media.width >", 14, "expected a value after '>'"),
    ("media.width = 3", 13, "use '==' to compare"),
    ("fields.x == 1 && key == 'a'", 15, "use 'and'"),
    ("feilds.x == 1", 1, "unknown name 'feilds'"),
    ("labels.gt == 1", 1, "can only be used in exists"),
    ("exists(labels.b@d)", 16, "unexpected character '@'"),
    ("(key == 'a'", 12, "expected ')' to close the '(' at column 1"),
    ("key == 'a", 8, "unterminated string"),
    ("key", 4, "expected a comparison operator"),
    ("key == 'a' key", 12, "unexpected 'key'"),
    ("media.width > 01", 15, "leading zero"),
    ("group.name == 'x'", 1, "group.id"),
    ("key == [1]", 8, "a list can only follow 'in'"),
    ("", 1, "expected a condition"),
  ])
  func malformedSampleExpressionsNameTheColumn(input: String, column: Int, reason: String) {
    #expect {
      try QueryParser.parse(input, context: .sample)
    } throws: { error in
      guard let error = error as? QueryError else { return false }
      return error.column == column && error.reason.contains(reason)
    }
  }

  @Test func sortKeysAreAPathOrACount() throws {
    #expect(
      try QueryParser.parseOperand("fields.score", context: .sample)
        == .path(QueryPath(["fields", "score"])))
    #expect(
      try QueryParser.parseOperand("count(labels.gt)", context: .sample)
        == .count(QueryPath(["labels", "gt"])))
    #expect(throws: QueryError.self) { try QueryParser.parseOperand("3", context: .sample) }
  }
}

@Suite struct QueryEvaluationTests {
  static let record: JSONValue = .object([
    "key": .string("a/1.jpg"),
    "tags": .array([.string("night"), .string("rain")]),
    "fields": .object([
      "score": .double(0.5), "count": .int(3), "weather": .string("rain"), "empty": .null,
    ]),
    "media": .object(["width": .int(640), "kind": .string("image")]),
    "group": .object(["id": .string("scene-1"), "slice": .string("left")]),
  ])

  static let subject = QuerySubject(
    value: record,
    labels: [
      "gt": [.object(["label": .string("car")]), .object(["label": .string("person")])],
      "pred": [],
    ])

  @Test(arguments: [
    ("fields.score == 0.5", true),
    ("fields.count == 3.0", true),
    ("fields.count < 3.5", true),
    ("fields.weather >= 'rain'", true),
    ("fields.weather < 'Rain'", false),
    ("fields.nothing == 1", false),
    ("fields.nothing != 1", true),
    ("fields.nothing < 1", false),
    ("fields.empty == null", true),
    ("exists(fields.empty)", true),
    ("missing(fields.nothing)", true),
    ("fields.weather < 3", false),
    ("fields.weather != 3", true),
    ("media.width in [320, 640]", true),
    ("'night' in tags", true),
    ("'day' in tags", false),
    ("key == 'a/1.jpg'", true),
    ("group.slice == 'left' and group.id == 'scene-1'", true),
    ("exists(labels.gt)", true),
    ("exists(labels.pred)", false),
    ("missing(labels.other)", true),
    ("count(labels.gt) == 2", true),
    ("count(tags) == 2", true),
    ("count(fields.nothing) == 0", true),
    ("not (media.kind == 'image') or count(labels.pred) == 0", true),
  ])
  func sampleConditions(expression: String, expected: Bool) throws {
    let parsed = try QueryParser.parse(expression, context: .sample)
    #expect(parsed.matches(Self.subject) == expected)
  }

  @Test func labelConditions() throws {
    let label = QuerySubject(
      value: .object([
        "label": .string("car"), "confidence": .double(0.7),
        "attributes": .object(["occluded": .bool(true)]), "tags": .array([.string("fp")]),
      ]))
    let cases: [(String, Bool)] = [
      ("label == 'car' and confidence > 0.5", true),
      ("confidence > 0.7", false),
      ("attributes.occluded == true", true),
      ("attributes.truncated == true", false),
      ("'fp' in tags", true),
    ]
    for (text, expected) in cases {
      #expect(try QueryParser.parse(text, context: .label).matches(label) == expected, "\(text)")
    }
  }

  @Test func whatAnExpressionReads() throws {
    let recordOnly = try QueryParser.parse("fields.x == 1", context: .sample)
    #expect(recordOnly.readsRecord && recordOnly.labelFields.isEmpty)
    let labelsOnly = try QueryParser.parse(
      "exists(labels.gt) or count(labels.pred) > 1", context: .sample)
    #expect(!labelsOnly.readsRecord && labelsOnly.labelFields == ["gt", "pred"])
  }
}

@Suite struct ViewDefinitionTests {
  @Test func roundTripsThroughCanonicalJSON() throws {
    let view = ViewDefinition(
      description: "cars at night",
      stages: [
        .keys(["a", "b"]),
        .filterLabels(
          field: "gt", predicate: try QueryParser.parse("label == 'car'", context: .label)),
        .match(try QueryParser.parse("'night' in tags", context: .sample)),
        .take(count: 5, seed: 7),
        .sort(by: .count(QueryPath(["labels", "gt"])), descending: true),
        .skip(1), .limit(3),
      ],
      pinned: PinnedKeys(commit: ObjectID.emptyTree, keys: ["b", "a"]))
    let bytes = view.encoded
    #expect(Validator.check(path: "views/night.json", bytes: bytes) == .valid)
    #expect(try ViewDefinition(json: try JSONParser.parse(bytes)) == view)
    #expect(
      String(decoding: bytes, as: UTF8.self).hasPrefix(
        "{\"description\":\"cars at night\",\"pinned\":{\"commit\":\"4b825dc642cb6eb9a060e54bf8d69288fbee4904\",\"keys\":[\"b\",\"a\"]},\"stages\":[{\"keys\":[\"a\",\"b\"],\"stage\":\"keys\"},"
      ))
  }

  @Test(arguments: [
    ("[]", "a view is a JSON object"),
    ("{\"stages\":[],\"version\":2}", "\"version\" must be the integer 1"),
    ("{\"version\":1}", "\"stages\" must be an array"),
    ("{\"stages\":[],\"version\":1,\"x\":1}", "unknown member \"x\" in a view"),
    ("{\"stages\":[{\"stage\":\"sortby\"}],\"version\":1}", "stages[0]: unknown stage \"sortby\""),
    (
      "{\"stages\":[{\"count\":-1,\"stage\":\"limit\"}],\"version\":1}",
      "stages[0].count must be an integer"
    ),
    ("{\"stages\":[{\"stage\":\"limit\"}],\"version\":1}", "stages[0].count must be an integer"),
    (
      "{\"stages\":[{\"count\":1,\"stage\":\"limit\",\"where\":\"x\"}],\"version\":1}",
      "unknown member \"where\" in stages[0] (a limit stage has \"stage\" and \"count\")"
    ),
    (
      "{\"stages\":[{\"stage\":\"match\",\"where\":\"key ==\"}],\"version\":1}",
      "stages[0].where: column 7: expected a value after '=='"
    ),
    (
      "{\"stages\":[{\"field\":\"gt\",\"stage\":\"filter_labels\",\"where\":\"label = 1\"}],\"version\":1}",
      "stages[0].where: column 7: use '=='"
    ),
    (
      "{\"stages\":[{\"field\":\"g t\",\"stage\":\"filter_labels\",\"where\":\"label == 1\"}],\"version\":1}",
      "stages[0].field 'g t'"
    ),
    (
      "{\"stages\":[{\"by\":\"key\",\"order\":\"up\",\"stage\":\"sort\"}],\"version\":1}",
      "stages[0].order must be \"asc\" or \"desc\""
    ),
    (
      "{\"stages\":[{\"keys\":[\"a\",\"a\"],\"stage\":\"keys\"}],\"version\":1}",
      "stages[0].keys[1]: sample key 'a' is listed twice"
    ),
    (
      "{\"pinned\":{\"commit\":\"abc\",\"keys\":[]},\"stages\":[],\"version\":1}",
      "pinned.commit must be a commit id"
    ),
    (
      "{\"pinned\":{\"commit\":\"4b825dc642cb6eb9a060e54bf8d69288fbee4904\",\"keys\":[\"/x\"]},\"stages\":[],\"version\":1}",
      "pinned.keys[0]: invalid sample key '/x'"
    ),
  ])
  func invalidViewsAreRefusedWithTheMemberAndRule(file: String, reason: String) {
    let outcome = Validator.check(path: "views/v.json", bytes: Array((file + "\n").utf8))
    guard case .invalid(let message) = outcome else {
      Issue.record("accepted: \(file)")
      return
    }
    #expect(message.contains(reason), "\(message)")
  }

  @Test func viewNamesAreChecked() {
    #expect(ViewDefinition.nameProblem("night-2.v1") == nil)
    #expect(ViewDefinition.nameProblem(".hidden") != nil)
    #expect(ViewDefinition.nameProblem("a b") != nil)
    let outcome = Validator.check(
      path: "views/a b.json", bytes: Array("{\"stages\":[],\"version\":1}\n".utf8))
    #expect(
      outcome
        == .invalid(
          "invalid view name 'a b': a view name uses only letters, digits, '_', '-' and '.'"))
  }

  @Test func takeRanksBySHA256OfSeedAndKey() {
    // Reference: int.from_bytes(hashlib.sha256(b"0:a").digest()[:8], "big") in Python.
    #expect(ViewStage.takeRank(seed: 0, key: "a") == 11_381_658_363_930_578_919)
    #expect(ViewStage.takeRank(seed: 7, key: "s03.jpg") == 4_047_084_586_118_287_614)
  }
}

@Suite struct JSONProjectionTests {
  static let file = Array(
    """
    {"field":"gt","labels":[{"bbox":[0.1,2e-3,0.3,0.4],"confidence":0.9,"id":"a\\"b","label":"car"},\
    {"attributes":{"x":[1,{"y":null}]},"id":"c","label":"person","tags":["t"]}],"sample":"s"}
    """.utf8)

  @Test func keepsOnlyTheNamedMembers() throws {
    let projection = JSONProjection.members([
      "labels": .elements(.members(["label": .all, "attributes": .all]))
    ])
    let value = try JSONParser.parse(Self.file, keeping: projection)
    #expect(
      value
        == .object([
          "labels": .array([
            .object(["label": .string("car")]),
            .object([
              "label": .string("person"),
              "attributes": .object(["x": .array([.int(1), .object(["y": .null])])]),
            ]),
          ])
        ]))
    #expect(try JSONParser.parse(Self.file, keeping: .all) == (try JSONParser.parse(Self.file)))
    #expect(try JSONParser.parse(Self.file, keeping: .skip) == .null)
  }

  @Test func brokenStructureIsStillAnError() {
    for broken in ["{\"a\":[1,2}", "{\"a\":\"x}", "{\"a\" 1}", "[1 2]", "{\"labels\":[{]}"] {
      #expect(throws: JSONParseError.self, "\(broken)") {
        try JSONParser.parse(Array(broken.utf8), keeping: .members(["labels": .elements(.skip)]))
      }
    }
  }
}
