import CairnCore

/// The synthetic dataset the benchmark commits: N image samples in format v1, each with a
/// ground-truth label file of about eight detection boxes.
///
/// Every file is a pure function of the seed and the sample's index, so the same bytes can be
/// produced again (for the 1 % change) without keeping the dataset in memory.
struct SyntheticDataset {
  /// The label field every sample has labels in.
  static let field = "ground_truth"
  /// The detection classes.
  static let classes = ["car", "pedestrian", "cyclist", "truck"]

  /// The sample field values of annotated datasets.
  static let weathers = ["sunny", "rain", "fog", "night"]

  /// The number of samples.
  let count: Int
  /// The generator seed.
  let seed: UInt64
  /// Whether records carry sample fields (`weather`, `score`) and labels a `confidence`, for
  /// the view benchmark.
  var annotated = false

  /// The sample key of `index`: `img/000123.jpg`.
  func key(_ index: Int) -> String {
    let number = String(index)
    let width = max(6, String(count - 1).count)
    return "img/" + String(repeating: "0", count: max(0, width - number.count)) + number + ".jpg"
  }

  /// The repository path of the sample record of `index`.
  func samplePath(_ index: Int) -> String { FormatV1.samplePath(key(index)) }

  /// The repository path of the label file of `index`.
  func labelPath(_ index: Int) -> String {
    FormatV1.labelPath(field: Self.field, key: key(index))
  }

  /// The canonical bytes of the sample record of `index`.
  func sampleBytes(_ index: Int) -> [UInt8] {
    var random = generator(for: index)
    let key = key(index)
    let sha = (0..<4).map { _ in hex(random.next()) }.joined()
    let media = MediaRecord(
      uri: "media/" + key, sha256: sha, size: Int64(40_000 + random.next() % 260_000),
      kind: "image", format: "jpeg", width: 1242, height: 375)
    var fields: [String: JSONValue] = [:]
    if annotated {
      var extra = annotationGenerator(for: index)
      fields["weather"] = .string(Self.weathers[Int(extra.next() % 4)])
      fields["score"] = .double(Self.rounded(Double(extra.next() % 10_000) / 10_000))
    }
    return SampleRecord(key: key, media: media, fields: fields).encoded
  }

  /// The canonical bytes of the label file of `index`; `shifted` moves the first box right by
  /// 0.0001 (the benchmark's 1 % edit).
  func labelBytes(_ index: Int, shifted: Bool = false) -> [UInt8] {
    var random = generator(for: index)
    // Skip the draws the sample record makes, so labels and record are independent.
    for _ in 0..<5 { _ = random.next() }
    let boxes = 6 + Int(random.next() % 5)
    var labels: [JSONValue] = []
    labels.reserveCapacity(boxes)
    var extra = annotationGenerator(for: index)
    _ = extra.next()
    _ = extra.next()
    for box in 0..<boxes {
      let id = hex(random.next()) + hex(random.next())
      let label = Self.classes[Int(random.next() % UInt64(Self.classes.count))]
      var x = Int64(random.next() % 9_000)
      let y = Int64(random.next() % 9_000)
      let w = Int64(100 + random.next() % 2_900)
      let h = Int64(100 + random.next() % 2_900)
      if shifted && box == 0 { x += 1 }
      let bbox = [x, y, w, h].map { JSONValue.double(Self.rounded(Double($0) / 10_000)) }
      var members: [String: JSONValue] = [
        "id": .string(id), "type": .string("detection"), "label": .string(label),
        "bbox": .array(bbox),
      ]
      if annotated {
        members["confidence"] = .double(Self.rounded(Double(extra.next() % 1_000) / 1_000))
      }
      labels.append(.object(members))
    }
    return LabelFile(field: Self.field, sample: key(index), labels: labels).encoded
  }

  /// The indices the 1 % change edits: one sample in every hundred.
  var changedIndices: [Int] {
    let offset = Int(seed % 100)
    return (0..<(count / 100)).map { $0 * 100 + offset }
  }

  /// Rounds to four decimals, as label tools export boxes.
  private static func rounded(_ value: Double) -> Double {
    (value * 10_000).rounded() / 10_000
  }

  private func generator(for index: Int) -> DemoRandom {
    DemoRandom(seed: seed &+ UInt64(index) &* 0xD1B5_4A32_D192_ED03)
  }

  /// A second stream for the annotations, so that they leave the other draws unchanged.
  private func annotationGenerator(for index: Int) -> DemoRandom {
    DemoRandom(seed: (seed ^ 0x5A5A_A5A5_0F0F_F0F0) &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
  }

  private func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
  }
}
