import CairnCore
import Testing

@Suite struct JSONPullReaderTests {
  /// Reads `text` as a whole with the pull reader.
  static func read(_ text: String) throws -> JSONValue {
    let bytes = Array(text.utf8)
    return try bytes.withUnsafeBytes { raw in
      var reader = JSONPullReader(raw)
      let value = try reader.readValue()
      try reader.finish()
      return value
    }
  }

  @Test(arguments: [
    #"{"a":[1,-2,3.5,-0.0,1e3,0.1,true,false,null],"b":{"c":"\u00e9\n\"x\""},"d":[]}"#,
    #"  [ {"x" : 9007199254740993.5 } , "ünï" , 123456789012345678901234 ]  "#,
    #"[0.30000000000000004,2.2250738585072014e-308,1.7976931348623157e308,0.000001]"#,
    #"[473.07,61.87,18234.62355,0.5955,-9223372036854775808,9223372036854775807]"#,
  ])
  func agreesWithTheTreeParser(text: String) throws {
    #expect(try Self.read(text) == (try JSONParser.parse(text)))
  }

  @Test func fastNumbersAreCorrectlyRounded() throws {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<20_000 {
      let digits = Int.random(in: 1...15, using: &generator)
      let mantissa = UInt64.random(in: 0..<UInt64(pow10(digits)), using: &generator)
      let decimals = Int.random(in: 1...digits, using: &generator)
      var text = String(mantissa)
      while text.count <= decimals { text = "0" + text }
      text.insert(".", at: text.index(text.endIndex, offsetBy: -decimals))
      #expect(try Self.read(text) == .double(Double(text) ?? .nan), "\(text)")
    }
  }

  private func pow10(_ exponent: Int) -> Double {
    (0..<exponent).reduce(1.0) { value, _ in value * 10 }
  }

  @Test(arguments: [
    (#"{"a":1,"a":2}"#, "duplicate member \"a\""),
    ("[1,,2]", "unexpected character ','"),
    ("{\"a\":\n  01}", "line 2, column 4: leading zero in a number"),
    ("[1] x", "unexpected data after the JSON value"),
    ("\"\u{1}\"", "control character in a string"),
    ("[1e999]", "number out of range"),
  ])
  func errorsNameLineAndColumn(text: String, message: String) {
    #expect {
      _ = try Self.read(text)
    } throws: { error in
      "\(error)".contains(message)
    }
  }

  @Test func readsMembersWithoutBuildingTheDocument() throws {
    let text = #"{"skip":{"deep":[[1,2],{"x":"y"}]},"ids":[3,4],"name":"n","size":2.5}"#
    let bytes = Array(text.utf8)
    var ids: [Int64] = []
    var name = ""
    var size = 0.0
    try bytes.withUnsafeBytes { raw in
      var reader = JSONPullReader(raw)
      try reader.readObject { reader, member throws(JSONParseError) in
        switch member {
        case "ids":
          try reader.readArray { reader, _ throws(JSONParseError) in
            if case .int(let value) = try reader.readNumber() { ids.append(value) }
          }
        case "name": name = try reader.readString()
        case "size": size = try reader.readDouble()
        default: try reader.skipValue()
        }
      }
      try reader.finish()
    }
    #expect(ids == [3, 4])
    #expect(name == "n")
    #expect(size == 2.5)
  }
}
