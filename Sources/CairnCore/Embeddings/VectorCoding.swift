/// Little-endian `float32` and `float16` numbers, as `vectors.bin` and NumPy files hold them.
package enum VectorCoding {
  /// The bytes of `values` stored as `dtype`, little-endian.
  ///
  /// - Parameters:
  ///   - values: The numbers.
  ///   - dtype: How to store them; `float16` rounds to nearest, ties to even.
  /// - Returns: `values.count × dtype.size` bytes.
  package static func encode(_ values: [Float], as dtype: EmbeddingDType) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: values.count * dtype.size)
    switch dtype {
    case .float32:
      for (index, value) in values.enumerated() {
        let bits = value.bitPattern
        for shift in 0..<4 {
          bytes[index * 4 + shift] = UInt8(truncatingIfNeeded: bits >> (8 * shift))
        }
      }
    case .float16:
      for (index, value) in values.enumerated() {
        let bits = halfBits(value)
        bytes[index * 2] = UInt8(truncatingIfNeeded: bits)
        bytes[index * 2 + 1] = UInt8(truncatingIfNeeded: bits >> 8)
      }
    }
    return bytes
  }

  /// The numbers in little-endian `bytes` of `dtype`, as `Float`.
  ///
  /// - Parameters:
  ///   - bytes: A whole number of values; a trailing partial value is ignored.
  ///   - dtype: How they are stored.
  /// - Returns: `bytes.count / dtype.size` numbers.
  package static func decode(_ bytes: some Collection<UInt8>, as dtype: EmbeddingDType) -> [Float] {
    let array = Array(bytes)
    let count = array.count / dtype.size
    var values = [Float](repeating: 0, count: count)
    switch dtype {
    case .float32:
      for index in 0..<count {
        var bits: UInt32 = 0
        for shift in 0..<4 { bits |= UInt32(array[index * 4 + shift]) << (8 * shift) }
        values[index] = Float(bitPattern: bits)
      }
    case .float16:
      for index in 0..<count {
        values[index] = float(
          halfBits: UInt16(array[index * 2]) | UInt16(array[index * 2 + 1]) << 8)
      }
    }
    return values
  }

  /// The IEEE binary16 bits nearest to `value` (ties to even); overflow gives infinity.
  ///
  /// - Parameter value: A binary32 number.
  /// - Returns: Its binary16 bit pattern.
  package static func halfBits(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
    let exponent = Int((bits >> 23) & 0xFF)
    let mantissa = bits & 0x7F_FFFF
    if exponent == 0xFF {
      // Infinity stays infinity; NaN keeps a quiet NaN payload bit.
      return sign | 0x7C00 | (mantissa != 0 ? 0x0200 : 0)
    }
    let unbiased = exponent - 127
    if unbiased > 15 { return sign | 0x7C00 }
    if unbiased >= -14 {
      // Normal: 10 mantissa bits, round to nearest even on the 13 dropped bits.
      var half = UInt32(unbiased + 15) << 10 | mantissa >> 13
      let rest = mantissa & 0x1FFF
      if rest > 0x1000 || (rest == 0x1000 && half & 1 == 1) { half += 1 }
      // A carry into the exponent is right, up to infinity (0x7C00).
      return sign | UInt16(half)
    }
    if unbiased < -25 { return sign }
    // Subnormal: the implicit bit joins the mantissa, shifted right.
    let full = mantissa | 0x80_0000
    let shift = UInt32(-14 - unbiased + 13)
    var half = full >> shift
    let rest = full & ((1 << shift) - 1)
    let halfway = UInt32(1) << (shift - 1)
    if rest > halfway || (rest == halfway && half & 1 == 1) { half += 1 }
    return sign | UInt16(half)
  }

  /// The binary32 value of IEEE binary16 bits (exact: every half is a float).
  ///
  /// - Parameter halfBits: A binary16 bit pattern.
  /// - Returns: Its value.
  package static func float(halfBits: UInt16) -> Float {
    let sign = UInt32(halfBits & 0x8000) << 16
    let exponent = UInt32((halfBits >> 10) & 0x1F)
    let mantissa = UInt32(halfBits & 0x3FF)
    if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13) }
    if exponent != 0 { return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13) }
    // Zero or subnormal: mantissa × 2⁻²⁴.
    let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
    return sign != 0 ? -magnitude : magnitude
  }
}
