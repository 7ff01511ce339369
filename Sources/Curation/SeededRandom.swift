#if canImport(Glibc)
import Glibc
#endif

/// xoshiro256**: a fast seeded generator with a 256-bit state.
///
/// Seeded through SplitMix64, as its authors recommend, so that nearby seeds give unrelated
/// streams. Every random choice of the curation algorithms comes from this generator, so a
/// seed fixes the result.
package struct SeededRandom: RandomNumberGenerator, Sendable {
  private var state: (UInt64, UInt64, UInt64, UInt64)

  /// A generator whose stream is fixed by `seed`.
  ///
  /// - Parameter seed: Any 64-bit value.
  package init(seed: UInt64) {
    var mixer = seed
    func splitMix() -> UInt64 {
      mixer &+= 0x9E37_79B9_7F4A_7C15
      var value = mixer
      value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
      value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
      return value ^ (value >> 31)
    }
    state = (splitMix(), splitMix(), splitMix(), splitMix())
  }

  /// A generator for stream `stream` of `seed`, independent of the other streams.
  ///
  /// - Parameters:
  ///   - seed: The caller's seed.
  ///   - stream: The stream number (a chunk of work, say).
  package init(seed: UInt64, stream: UInt64) {
    self.init(seed: seed ^ (stream &+ 1) &* 0xD1B5_4A32_D192_ED03)
  }

  /// The next 64 random bits.
  ///
  /// - Returns: A uniformly distributed value.
  package mutating func next() -> UInt64 {
    let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
    let shifted = state.1 << 17
    state.2 ^= state.0
    state.3 ^= state.1
    state.1 ^= state.2
    state.0 ^= state.3
    state.2 ^= shifted
    state.3 = state.3 << 45 | state.3 >> 19
    return result
  }

  /// A uniform double in [0, 1) with 53 random bits.
  ///
  /// - Returns: The value.
  package mutating func unit() -> Double {
    Double(next() >> 11) * 0x1.0p-53
  }

  /// A standard normal value (Box–Muller, from two uniform draws).
  ///
  /// - Returns: The value.
  package mutating func normal() -> Double {
    let radius = (-2 * log(1 - unit())).squareRoot()
    return radius * cos(2 * Double.pi * unit())
  }

  /// A uniform integer in `0..<bound` (Lemire's multiply-shift, with rejection).
  ///
  /// - Parameter bound: A positive bound.
  /// - Returns: The value.
  package mutating func below(_ bound: Int) -> Int {
    Int(truncatingIfNeeded: next(upperBound: UInt64(bound)))
  }
}
