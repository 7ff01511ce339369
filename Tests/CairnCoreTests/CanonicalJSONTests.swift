import CairnCore
import Foundation
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

@Suite struct CanonicalFastPathTests {
  /// The parser's quick canonical verdict never says "canonical" for bytes the encoder would
  /// write differently, and recognises the encoder's own output for ordinary numbers.
  @Test func quickVerdictAgreesWithTheEncoder() throws {
    var generator = SystemRandomNumberGenerator()
    var recognised = 0
    for round in 0..<20_000 {
      let magnitude = [1e-7, 1e-4, 0.01, 1, 1_000, 1e12, 1e15, 1e17][round % 8]
      var number = Double.random(in: -magnitude...magnitude, using: &generator)
      if round % 3 == 0 { number = (number * 10_000).rounded() / 10_000 }
      let bytes = CanonicalJSON.encode(
        .object(["a": .array([.double(number), .int(Int64(round))])]))
      let (value, canonical) = try JSONParser.parseCheckingCanonical(bytes)
      #expect(CanonicalJSON.encode(value) == bytes)
      if canonical { recognised += 1 }
      // Perturbed texts that are not canonical must never be called canonical.
      let text = String(decoding: bytes, as: UTF8.self)
      for variant in [
        text.replacingOccurrences(of: "]", with: "0]"),
        text.replacingOccurrences(of: ",", with: ", "),
      ] where variant != text {
        let variantBytes = Array(variant.utf8)
        guard let (parsed, quick) = try? JSONParser.parseCheckingCanonical(variantBytes) else {
          continue
        }
        if quick { #expect(CanonicalJSON.encode(parsed) == variantBytes, "\(variant)") }
      }
    }
    #expect(recognised > 10_000)
  }

  @Test(arguments: [
    "{\"b\":1,\"a\":2}\n", "{\"a\":1} \n", "{\"a\":1}", "{\"a\":\"\\/\"}\n",
    "{\"a\":\"\\u0041\"}\n",
    "{\"a\":\"\\u000A\"}\n", "{\"a\":0.10}\n", "{\"a\":1.5e0}\n", "{\"a\":-0}\n",
    "{\"a\":0.00001}\n",
    "{\"a\":0.30000000000000001}\n", "{\"a\":1E2}\n",
  ])
  func nonCanonicalFormsAreNotCertified(text: String) throws {
    let (value, quick) = try JSONParser.parseCheckingCanonical(Array(text.utf8))
    #expect(!quick)
    #expect(CanonicalJSON.encode(value) != Array(text.utf8))
  }
}
