import CairnCore
import Testing

@Suite struct CanonicalJSONTests {
  @Test func encodesSortedCompactWithFinalNewline() throws {
    let value = try JSONParser.parse(
      "{ \"b\": [1, 2.5, true, null], \"a\": {\"z\": \"x\", \"y\": -0.0001} }")
    #expect(
      String(decoding: CanonicalJSON.encode(value), as: UTF8.self)
        == "{\"a\":{\"y\":-0.0001,\"z\":\"x\"},\"b\":[1,2.5,true,null]}\n")
  }

  @Test(arguments: [
    "{\"a\":1}\n", "[]\n", "{\"k\":\"caf\u{E9} \\\"q\\\" \\\\ \\n\\u0001\"}\n",
    "{\"d\":3.0,\"e\":1e-05,\"i\":3}\n",
    "{\"big\":1e+20,\"neg\":-12}\n",
  ])
  func canonicalTextRoundTrips(text: String) throws {
    let bytes = Array(text.utf8)
    #expect(CanonicalJSON.encode(try JSONParser.parse(bytes)) == bytes)
  }

  @Test func integersAndDoublesStayDistinct() throws {
    #expect(try JSONParser.parse("3") == .int(3))
    #expect(try JSONParser.parse("3.0") == .double(3))
    #expect(try JSONParser.parse("1E2") == .double(100))
    #expect(String(decoding: CanonicalJSON.encode(.double(100)), as: UTF8.self) == "100.0\n")
  }

  @Test func unicodeEscapesDecode() throws {
    #expect(try JSONParser.parse("\"\\u00e9\\ud83d\\ude00/\\/\"") == .string("\u{E9}\u{1F600}//"))
  }

  @Test(arguments: [
    ("{\"a\":1,\"a\":2}", "duplicate key"), ("{\"a\":1,}", "expected a string key"),
    ("[1 2]", "expected ','"),
    ("{\"a\":01}", "leading zero"), ("\"\\ud800\"", "unpaired surrogate"),
    ("[1] x", "after the JSON value"),
    ("{\"a\":\"\u{01}\"}", "control character"), ("", "unexpected end"), ("tru", "unexpected end"),
    ("1e999", "out of range"),
  ])
  func rejectsInvalidJSON(text: String, reason: String) {
    do {
      _ = try JSONParser.parse(text)
      Issue.record("accepted invalid JSON \(text)")
    } catch {
      #expect(error.reason.contains(reason), "\(error)")
    }
  }

  @Test func errorsNameLineAndColumn() {
    do {
      _ = try JSONParser.parse("{\n  \"a\": 1\n  \"b\": 2\n}")
      Issue.record("accepted a missing comma")
    } catch {
      #expect(error.line == 3)
      #expect(error.column == 3)
    }
  }
}
