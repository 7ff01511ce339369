/// A synthetic image of the demo dataset with its ground-truth boxes.
package struct DemoImage: Sendable {
  package var name: String
  package var png: [UInt8]
  package var width: Int
  package var height: Int
  /// Boxes as `(class, [x, y, w, h])`, relative to the image size, top-left origin.
  package var boxes: [(label: String, bbox: [Double])]
}

/// Generates the embedded demo dataset: small PNG images of drawn shapes with their boxes.
///
/// Deterministic for a seed, so the demo prints the same story on every machine, and needs no
/// download.
package enum DemoDataset {
  package static let classes = ["circle", "square", "triangle"]

  /// Generates `count` images of `width`×`height` pixels.
  package static func generate(count: Int, seed: UInt64, width: Int = 160, height: Int = 120)
    -> [DemoImage]
  {
    var random = DemoRandom(seed: seed)
    var images: [DemoImage] = []
    for index in 0..<count {
      let night = index % 8 == 7
      let background: (UInt8, UInt8, UInt8) = night ? (30, 30, 45) : (200, 210, 220)
      var canvas = Canvas(width: width, height: height, background: background)
      var boxes: [(label: String, bbox: [Double])] = []
      let objects = 1 + Int(random.next() % 3)
      for _ in 0..<objects {
        let label = classes[Int(random.next() % UInt64(classes.count))]
        let size = 14 + Int(random.next() % 26)
        let x = Int(random.next() % UInt64(width - size))
        let y = Int(random.next() % UInt64(height - size))
        let color: (UInt8, UInt8, UInt8) =
          switch label {
          case "circle": (220, 60, 50)
          case "square": (40, 140, 70)
          default: (50, 80, 200)
          }
        switch label {
        case "circle":
          canvas.fillCircle(cx: x + size / 2, cy: y + size / 2, r: size / 2, color: color)
        case "square": canvas.fillRect(x: x, y: y, w: size, h: size, color: color)
        default:
          canvas.fillTriangle(
            x0: x + size / 2, y0: y, x1: x, y1: y + size, x2: x + size, y2: y + size, color: color)
        }
        let box = [
          Double(x) / Double(width), Double(y) / Double(height), Double(size) / Double(width),
          Double(size) / Double(height),
        ].map { ($0 * 10_000).rounded() / 10_000 }
        boxes.append((label, box))
      }
      canvas.addNoise(seed: seed &+ UInt64(index), amplitude: night ? 24 : 8)
      let number = String(index + 1)
      let name = String(repeating: "0", count: max(0, 4 - number.count)) + number + ".png"
      images.append(
        DemoImage(name: name, png: canvas.png(), width: width, height: height, boxes: boxes))
    }
    return images
  }
}

/// SplitMix64 (Steele, Lea & Flood): a small deterministic generator for demo data, label ids
/// and tests.
package struct DemoRandom: RandomNumberGenerator, Sendable {
  private var state: UInt64
  package init(seed: UInt64) { state = seed }
  package mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
