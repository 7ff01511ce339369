internal import GitStore

/// Conversions the pixel-based formats (Pascal VOC, CVAT) share on export.
enum PixelBoxes {
  /// The corners `(x0, y0, x1, y1)` in pixels of a label's relative `bbox` on a
  /// `width` × `height` image, or nil when the label has no box.
  static func corners(of label: JSONValue, width: Int64, height: Int64)
    -> (x0: Double, y0: Double, x1: Double, y1: Double)?
  {
    guard let box = LabelRules.numbers(label["bbox"], count: 4) else { return nil }
    let (w, h) = (Double(width), Double(height))
    return (box[0] * w, box[1] * h, (box[0] + box[2]) * w, (box[1] + box[3]) * h)
  }

  /// A pixel coordinate in its shortest decimal form after rounding to 6 decimals (`174`,
  /// `12.5`): an imported coordinate comes back as it was written (see
  /// ``CairnRepository/rounded(_:)``).
  static func number(_ value: Double) -> String {
    let rounded = (value * 1e6).rounded() / 1e6
    if rounded == 0 { return "0" }
    if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int64(rounded)) }
    return "\(rounded)"
  }

  /// `value` with exactly two decimals (`174.00`, `-0.50`), as CVAT writes coordinates.
  static func twoDecimals(_ value: Double) -> String {
    let hundredths = Int64((value * 100).rounded())
    let sign = hundredths < 0 ? "-" : ""
    let magnitude = hundredths.magnitude
    let fraction = magnitude % 100
    return sign + String(magnitude / 100) + "." + (fraction < 10 ? "0" : "") + String(fraction)
  }

  /// The image size recorded for an export sample, or an error naming the sample.
  static func size(of sample: ExportSample, format: String) throws(CairnError) -> (Int64, Int64) {
    guard let width = sample.media.width, let height = sample.media.height else {
      throw CairnError(
        .invalidInput,
        "sample '\(sample.key)': its image size is unknown, and \(format) stores boxes in pixels")
    }
    return (width, height)
  }

  /// `key` without its file extension (`a/b.jpg` → `a/b`).
  static func stem(_ key: String) -> String {
    guard let dot = key.lastIndex(of: "."), key[dot...].contains("/") == false,
      dot != key.startIndex
    else { return key }
    return String(key[..<dot])
  }

  /// Links the sample's media file at `path` (creating folders), when it is a local file.
  ///
  /// - Returns: 1 when a link was made, else 0.
  static func linkMedia(_ sample: ExportSample, at path: String) throws(CairnError) -> Int {
    guard let source = sample.mediaPath, FileStat.of(source) != nil else { return 0 }
    try CairnError.wrap {
      try FileIO.makeDirectories(parent(of: path))
      try FileIO.symlink(source, at: path)
    }
    return 1
  }

  /// Writes `text` at `path`, creating folders.
  static func write(_ text: String, to path: String) throws(CairnError) {
    try CairnError.wrap {
      try FileIO.makeDirectories(parent(of: path))
      try FileIO.writeAtomically(Array(text.utf8), to: path)
    }
  }

  /// An attribute value as text in an XML file: booleans as `1`/`0` (or `true`/`false` with
  /// `words`), numbers in their shortest form.
  static func text(of value: JSONValue, words: Bool = false) -> String {
    switch value {
    case .bool(let flag): words ? (flag ? "true" : "false") : (flag ? "1" : "0")
    case .string(let text): text
    case .int(let number): String(number)
    case .double(let number): number == number.rounded() ? String(Int64(number)) : "\(number)"
    default: ""
    }
  }
}
