import CairnCore
import Testing

/// The `.npy` reader, float16 conversion and the embedding set files.
@Suite struct EmbeddingFormatTests {
  @Test(arguments: [EmbeddingDType.float32, .float16])
  func npyRoundTrips(dtype: EmbeddingDType) throws {
    let values: [Float] = [0, 1, -2.5, 0.25, 1024, -0.125]
    let array = NumPyArray(rows: 2, columns: 3, dtype: dtype, values: values)
    let bytes = array.npyBytes
    // The data starts on a 64-byte boundary and the header ends with a newline.
    let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
    #expect((10 + headerLength) % 64 == 0)
    #expect(bytes[10 + headerLength - 1] == 0x0A)
    #expect(try NumPyArray(bytes: bytes) == array)
  }

  @Test func npyVersion2HeaderIsRead() throws {
    let header = "{'shape': (2, 2), 'fortran_order': False, 'descr': '<f4'}\n"
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [2, 0]
    let length = header.utf8.count
    bytes += [UInt8(length & 0xFF), UInt8(length >> 8), 0, 0] + Array(header.utf8)
    bytes += VectorCoding.encode([1, 2, 3, 4], as: .float32)
    let array = try NumPyArray(bytes: bytes)
    #expect(array.rows == 2 && array.columns == 2 && array.values == [1, 2, 3, 4])
  }

  @Test(arguments: [
    ("{'descr': '>f4', 'fortran_order': False, 'shape': (1, 1), }", "dtype '>f4'"),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1), }", "3 dimension(s)"),
    ("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1), }", "Fortran order"),
    ("{'descr': '<f4', 'shape': (1, 1), }", "no 'fortran_order'"),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }", "needs 8"),
    ("{'descr': '<f4' 'fortran_order'", "malformed .npy header"),
  ])
  func npyRefusals(header: String, message: String) {
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
    bytes += [UInt8(header.utf8.count + 1), 0] + Array(header.utf8) + [0x0A]
    bytes += VectorCoding.encode([1], as: .float32)
    #expect {
      _ = try NumPyArray(bytes: bytes)
    } throws: { error in
      (error as? RecordProblem)?.reason.contains(message) == true
    }
  }

  @Test func float16MatchesTheHardwareType() {
    // Every half converts exactly; rounding a float to half agrees with Swift's Float16.
    var wrong: [UInt16] = []
    for bits in UInt16.min...UInt16.max {
      let value = VectorCoding.float(halfBits: bits)
      let reference = Float(Float16(bitPattern: bits))
      if value.isNaN && reference.isNaN { continue }
      if value.bitPattern != reference.bitPattern || VectorCoding.halfBits(value) != bits {
        wrong.append(bits)
      }
    }
    #expect(wrong.isEmpty, "\(wrong.prefix(10))")
    let samples: [Float] = [
      1e-8, 3e-8, 5.96e-8, 6.1e-5, 0.1, 1 / 3, 2049, 65504, 65519.99, 65520, 1e6, -0.0, -7.3e-6,
    ]
    for value in samples {
      #expect(VectorCoding.halfBits(value) == Float16(value).bitPattern, "\(value)")
    }
  }

  @Test func keysMustBeSortedAndOfOneShape() throws {
    let good = try EmbeddingKeys(json: try JSONParser.parse(#"[["a","x"],["a","y"],["b","x"]]"#))
    #expect(good.kind == .object && good.keys.count == 3)
    for (text, message) in [
      (#"["b","a"]"#, "sorted by key bytes"),
      (#"["a","a"]"#, "each once"),
      (#"["a",["b","x"]]"#, "must be a sample key"),
      (#"[["a","x"],"b"]"#, "[sample key, label id] pair"),
      (#"["/abs"]"#, "absolute path"),
    ] {
      #expect {
        _ = try EmbeddingKeys(json: try JSONParser.parse(text))
      } throws: { error in
        (error as? RecordProblem)?.reason.contains(message) == true
      }
    }
  }

  @Test func validatorChecksEmbeddingFiles() {
    let meta = EmbeddingMeta(
      name: "clip", model: "m", dimension: 2, count: 1, dtype: .float32, kind: .object,
      field: "gt")
    let bytes = CanonicalJSON.encode(meta.json)
    #expect(Validator.check(path: "embeddings/clip/meta.json", bytes: bytes) == .valid)
    if case .invalid(let reason) = Validator.check(path: "embeddings/other/meta.json", bytes: bytes)
    {
      #expect(reason.contains("folder says 'other'"))
    } else {
      Issue.record("a meta.json in the wrong folder was accepted")
    }
    #expect(Validator.check(path: "embeddings/clip/vectors.bin", bytes: [1, 2, 3]) == .valid)
    if case .invalid = Validator.check(path: "embeddings/clip/extra.bin", bytes: []) {
    } else {
      Issue.record("a fourth file was accepted")
    }
  }

  @Test func setsSortAndRoundTrip() throws {
    let set = EmbeddingSet(
      name: "e", model: "m", kind: .sample, field: nil,
      keys: [EmbeddingKey(sample: "b"), EmbeddingKey(sample: "a")], dimension: 2,
      dtype: .float16, vectors: [1, 2, 3, 4])
    let sorted = set.sorted()
    #expect(sorted.keys.map(\.sample) == ["a", "b"])
    #expect(sorted.vectors == [3, 4, 1, 2])
    let (meta, keys, vectors) = sorted.encoded()
    #expect(vectors.count == 8)
    #expect(
      try EmbeddingSet.decode(meta: meta, keys: keys, vectors: vectors, folder: "x") == sorted)
    #expect(throws: CairnError.self) {
      try EmbeddingSet.decode(
        meta: meta, keys: keys, vectors: Array(vectors.dropLast()), folder: "x")
    }
  }

  @Test func descriptorIsUnitAndSeesBrightness() {
    var pixels: [UInt8] = []
    for y in 0..<40 {
      for x in 0..<50 { pixels += [UInt8(x * 5), UInt8(y * 6), UInt8((x + y) % 256)] }
    }
    let image = RGBImage(width: 50, height: 40, pixels: pixels)
    let dark = RGBImage(width: 50, height: 40, pixels: pixels.map { $0 / 4 })
    let a = ImageDescriptor.describe(image)
    let b = ImageDescriptor.describe(dark)
    #expect(a.count == ImageDescriptor.dimension)
    #expect(abs(a.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
    #expect(a == ImageDescriptor.describe(image))
    let distance = zip(a, b).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    #expect(distance > 0.2)
    // A one-pixel region is described too.
    let tiny = ImageDescriptor.describe(image, region: PixelRegion(x0: 3, y0: 4, x1: 4, y1: 5))
    #expect(tiny.allSatisfy { $0.isFinite })
    #expect(
      PixelRegion.covering(box: [0.99, 0.99, 0.5, 0.5], width: 10, height: 10)
        == PixelRegion(x0: 9, y0: 9, x1: 10, y1: 10))
  }
}
