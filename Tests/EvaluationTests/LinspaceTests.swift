import Testing

@testable import Evaluation

@Suite struct LinspaceTests {
  @Test func matchesNumpyValues() {
    // numpy: np.linspace(0, 1, 11)[6] == 0.6000000000000001, np.linspace(.5, .95, 10)[5] == 0.75
    #expect(linspace(0, 1, count: 11)[6] == 0.6000000000000001)
    #expect(linspace(0.5, 0.95, count: 10)[5] == 0.75)
    #expect(linspace(0, 1, count: 101).last == 1)
  }
}
