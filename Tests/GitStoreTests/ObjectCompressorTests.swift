import CairnTestSupport
import Foundation
import GitStore
import Testing

/// Every object the compressor deflates must inflate to the same bytes, whichever path it took
/// (fixed codes up to 4 KiB, libdeflate above), one object after another on one compressor.
@Suite struct ObjectCompressorTests {
  static func labelFile(_ seed: Int, boxes: Int) -> [UInt8] {
    var generator = TestRandom(seed: UInt64(seed))
    let classes = ["car", "pedestrian", "cyclist", "truck", "é-class"]
    var labels: [String] = []
    for _ in 0..<boxes {
      let numbers = (0..<4).map { _ in
        String(Double(Int.random(in: 0..<10_000, using: &generator)) / 10_000)
      }
      let id = String(UInt64.random(in: 0...UInt64.max, using: &generator), radix: 16)
      let name = classes[Int.random(in: 0..<classes.count, using: &generator)]
      labels.append(
        #"{"bbox":[\#(numbers.joined(separator: ","))],"id":"\#(id)","label":"\#(name)","#
          + #""type":"detection"}"#)
    }
    return Array(
      (#"{"field":"ground_truth","labels":["# + labels.joined(separator: ",") + "]}").utf8)
  }

  static func inputs() -> [[UInt8]] {
    var inputs: [[UInt8]] = [[], [0], [255], Array("a".utf8), Array("aaaa".utf8)]
    var generator = TestRandom(seed: 7)
    for size in [1, 2, 3, 4, 5, 7, 8, 31, 143, 144, 255, 256, 257, 258, 259, 260, 1000, 4095, 4096]
    {
      inputs.append([UInt8](repeating: UInt8(size % 251), count: size))
      inputs.append((0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) })
      inputs.append((0..<size).map { UInt8(ascii: "a") + UInt8($0 % 3) })
    }
    for seed in 0..<200 { inputs.append(labelFile(seed, boxes: seed % 40)) }
    inputs.append([UInt8](repeating: 0x41, count: 4097))
    inputs.append(labelFile(1, boxes: 300))
    return inputs
  }

  @Test func everyObjectInflatesToItsBytes() {
    let compressor = ObjectCompressor()
    let inflater = Inflater()
    for input in Self.inputs() {
      let prepared = compressor.prepare(.blob, input)
      #expect(prepared.size == input.count)
      #expect(
        inflater.inflate(prepared.compressed, size: input.count) == input,
        "\(input.count) bytes")
    }
  }

  @Test func smallObjectsUseOneFixedCodeBlock() {
    let compressor = ObjectCompressor()
    for input in Self.inputs() {
      let compressed = compressor.prepare(.blob, input).compressed
      // zlib header, then the first block's BFINAL and BTYPE bits.
      #expect(compressed[0] == 0x78)
      let fixedBlock = compressed[2] & 0b111 == 0b011
      #expect(fixedBlock == (input.count <= 4096), "\(input.count) bytes")
    }
    // Repetitive JSON shrinks.
    let label = Self.labelFile(3, boxes: 20)
    #expect(compressor.prepare(.blob, label).compressed.count < label.count * 3 / 4)
  }

  /// git's own zlib reads what the fixed-code path writes.
  @Test func gitReadsFixedCodeObjects() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let repo = try GitRepository.create(at: dir.path, bare: false)
    let writer = try ObjectWriter(repository: repo)
    let inputs = Self.inputs()
    let ids = try inputs.map { try writer.write(.blob, $0) }
    try writer.commit()
    let fsck = try CommandRunner.git(["fsck", "--full", "--strict"], in: dir.path)
    #expect(fsck.exitCode == 0, "\(fsck)")
    for (input, id) in zip(inputs, ids).prefix(80) where !input.isEmpty {
      let shown = try CommandRunner.git(["cat-file", "blob", id.hex], in: dir.path)
      #expect(shown.exitCode == 0)
      if let text = String(bytes: input, encoding: .utf8), input.allSatisfy({ $0 < 0x80 }) {
        #expect(shown.stdout == text)
      }
    }
    for (input, id) in zip(inputs, ids) {
      #expect(try repo.readBlob(id) == input)
    }
  }
}
