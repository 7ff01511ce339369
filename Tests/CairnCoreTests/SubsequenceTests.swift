import CairnCore
import Testing

/// The byte search a commit runs over every file it reads, against a plain scan.
@Suite struct SubsequenceTests {
  func naive(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty else { return true }
    guard haystack.count >= needle.count else { return false }
    for start in 0...(haystack.count - needle.count)
    where Array(haystack[start..<(start + needle.count)]) == needle {
      return true
    }
    return false
  }

  @Test func findsMarkersAtEveryPlace() {
    let needle = Array("\"group\"".utf8)
    for length in 0..<20 {
      for at in 0...max(0, length - needle.count) where length >= needle.count {
        var haystack = [UInt8](repeating: UInt8(ascii: "\""), count: length)
        haystack.replaceSubrange(at..<(at + needle.count), with: needle)
        #expect(haystack.contains(subsequence: needle), "\(length) \(at)")
      }
      let quotes = [UInt8](repeating: UInt8(ascii: "\""), count: length)
      #expect(!quotes.contains(subsequence: needle))
    }
    #expect(Array("x".utf8).contains(subsequence: Array("x".utf8)))
    #expect(!Array("\"grou".utf8).contains(subsequence: needle))
    #expect(Array("{}".utf8).contains(subsequence: []))
  }

  @Test func agreesWithAPlainScan() {
    var generator = SystemRandomNumberGenerator()
    let alphabet = Array("\"gropu:{}c".utf8)
    let needles = [Array("\"group\"".utf8), Array("\"cuboid\"".utf8), Array("g".utf8)]
    for _ in 0..<5000 {
      let length = Int.random(in: 0..<40, using: &generator)
      let haystack = (0..<length).map { _ in
        alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]
      }
      for needle in needles {
        #expect(haystack.contains(subsequence: needle) == naive(haystack, needle))
      }
    }
  }
}
