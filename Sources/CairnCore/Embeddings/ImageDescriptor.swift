#if canImport(Glibc)
internal import Glibc
#endif

/// A rectangle of pixels: columns `x0..<x1`, rows `y0..<y1`.
package struct PixelRegion: Sendable, Equatable {
  package var x0: Int
  package var y0: Int
  package var x1: Int
  package var y1: Int

  /// Creates a rectangle.
  ///
  /// - Parameters:
  ///   - x0: First column.
  ///   - y0: First row.
  ///   - x1: Column after the last.
  ///   - y1: Row after the last.
  package init(x0: Int, y0: Int, x1: Int, y1: Int) {
    self.x0 = x0
    self.y0 = y0
    self.x1 = x1
    self.y1 = y1
  }

  /// The pixels a relative `[x, y, w, h]` box covers in a `width × height` image: outward
  /// to whole pixels, clamped to the image, at least one pixel.
  ///
  /// - Parameters:
  ///   - box: `[x, y, w, h]` relative to the image size (a detection's `bbox`).
  ///   - width: Image width.
  ///   - height: Image height.
  /// - Returns: The rectangle.
  package static func covering(box: [Double], width: Int, height: Int) -> PixelRegion {
    func clamp(_ value: Double, _ limit: Int) -> Int {
      guard value.isFinite else { return 0 }
      return Int(min(max(value, 0), Double(limit)))
    }
    var x0 = clamp((box[0] * Double(width)).rounded(.down), width)
    var y0 = clamp((box[1] * Double(height)).rounded(.down), height)
    var x1 = clamp(((box[0] + box[2]) * Double(width)).rounded(.up), width)
    var y1 = clamp(((box[1] + box[3]) * Double(height)).rounded(.up), height)
    if x0 >= width { x0 = width - 1 }
    if y0 >= height { y0 = height - 1 }
    if x1 <= x0 { x1 = x0 + 1 }
    if y1 <= y0 { y1 = y0 + 1 }
    return PixelRegion(x0: x0, y0: y0, x1: x1, y1: y1)
  }
}

/// Cairn's built-in image descriptor, `cairn-descriptor-v1`: a fixed, model-free vector from
/// pixels, for spreading a first batch over the look of a dataset before any model exists.
///
/// The image (or a box of it) is resampled by area averaging to a 64 × 64 grid in linear
/// RGB, then described three ways, each answering a different "how do these differ?":
///
/// 1. **Layout** (192 numbers): the mean colour of each cell of an 8 × 8 grid in Oklab
///    (a perceptual space: equal distances look about equally different), `L`, `2a`, `2b`,
///    scaled by 1/8. Where things are and how bright they are: night and day, sky on top.
/// 2. **Colour histogram** (64 numbers): the 4096 grid colours in 4 × 4 × 4 bins of Oklab
///    (`L` over 0…1, `a` and `b` over −0.16…0.16), each colour spread over the nearest bins
///    linearly so that a small shift never jumps a bin; square roots of the fractions (the
///    Hellinger map, so that a dominant colour does not drown the others). Which colours,
///    wherever they are.
/// 3. **Gradient orientations** (128 numbers): HOG-like, the lightness gradients of the grid
///    in 4 × 4 cells × 8 unsigned orientations, magnitude-weighted and spread over the two
///    nearest orientations; the 128 numbers are L2-normalised (with a small floor so a flat
///    image stays near zero). Edges and texture, independent of exposure.
///
/// The three parts are concatenated and the whole is L2-normalised, so the cosine and the
/// Euclidean distance rank neighbours alike. Parts 2 and 3 have unit norm; the layout's norm
/// grows with lightness, so a darker copy moves the vector both through the layout and the
/// histogram, while the gradient part ties it to its original. The computation is pure
/// `Float` arithmetic in a fixed order: the same pixels give the same bits.
package enum ImageDescriptor {
  /// The model name written into `meta.json`.
  package static let model = "cairn-descriptor-v1"
  /// Numbers per vector: 192 + 64 + 128.
  package static let dimension = 384

  static let grid = 64

  /// The descriptor of `image`, or of the pixels `region` covers.
  ///
  /// - Parameters:
  ///   - image: The decoded image.
  ///   - region: A rectangle inside the image; nil for the whole image.
  /// - Returns: ``dimension`` numbers of unit L2 norm.
  /// - Complexity: O(pixels of the region + 64 × 64).
  package static func describe(_ image: RGBImage, region: PixelRegion? = nil) -> [Float] {
    let rect = region ?? PixelRegion(x0: 0, y0: 0, x1: image.width, y1: image.height)
    let (red, green, blue) = resample(image, rect)
    let cells = grid * grid
    var lightness = [Float](repeating: 0, count: cells)
    var aAxis = [Float](repeating: 0, count: cells)
    var bAxis = [Float](repeating: 0, count: cells)
    for index in 0..<cells {
      (lightness[index], aAxis[index], bAxis[index]) = oklab(red[index], green[index], blue[index])
    }
    var vector = layout(red, green, blue)
    vector += histogram(lightness, aAxis, bAxis)
    vector += gradients(lightness)
    return normalised(vector, floor: 0)
  }

  // MARK: Resampling

  /// sRGB byte → linear light.
  static let linear: [Float] = (0..<256).map { value in
    let c = Float(value) / 255
    return c <= 0.04045 ? c / 12.92 : powf((c + 0.055) / 1.055, 2.4)
  }

  /// The region averaged over a 64 × 64 grid, per linear channel.
  ///
  /// Each grid cell covers a
  /// whole number of source pixels (at least one), so small regions are enlarged by
  /// repetition and large ones reduced by their mean.
  static func resample(_ image: RGBImage, _ rect: PixelRegion) -> ([Float], [Float], [Float]) {
    let width = rect.x1 - rect.x0
    let height = rect.y1 - rect.y0
    func spans(_ length: Int, _ origin: Int) -> [(Int, Int)] {
      (0..<grid).map { cell in
        let start = origin + cell * length / grid
        return (start, max(start + 1, origin + (cell + 1) * length / grid))
      }
    }
    let columns = spans(width, rect.x0)
    let rows = spans(height, rect.y0)
    var red = [Float](repeating: 0, count: grid * grid)
    var green = red
    var blue = red
    let linear = Self.linear
    image.pixels.withUnsafeBufferPointer { pixels in
      for (cellY, (rowStart, rowEnd)) in rows.enumerated() {
        for (cellX, (columnStart, columnEnd)) in columns.enumerated() {
          var sum: (Float, Float, Float) = (0, 0, 0)
          for y in rowStart..<rowEnd {
            var offset = (y * image.width + columnStart) * 3
            for _ in columnStart..<columnEnd {
              sum.0 += linear[Int(pixels[offset])]
              sum.1 += linear[Int(pixels[offset + 1])]
              sum.2 += linear[Int(pixels[offset + 2])]
              offset += 3
            }
          }
          let count = Float((rowEnd - rowStart) * (columnEnd - columnStart))
          let index = cellY * grid + cellX
          red[index] = sum.0 / count
          green[index] = sum.1 / count
          blue[index] = sum.2 / count
        }
      }
    }
    return (red, green, blue)
  }

  /// Linear sRGB to Oklab (Björn Ottosson's published matrices).
  static func oklab(_ r: Float, _ g: Float, _ b: Float) -> (Float, Float, Float) {
    let l = cbrtf(0.412_221_47 * r + 0.536_332_54 * g + 0.051_445_99 * b)
    let m = cbrtf(0.211_903_5 * r + 0.680_699_5 * g + 0.107_396_96 * b)
    let s = cbrtf(0.088_302_46 * r + 0.281_718_84 * g + 0.629_978_7 * b)
    return (
      0.210_454_26 * l + 0.793_617_8 * m - 0.004_072_047 * s,
      1.977_998_5 * l - 2.428_592_2 * m + 0.450_593_7 * s,
      0.025_904_037 * l + 0.782_771_77 * m - 0.808_675_77 * s
    )
  }

  // MARK: Parts

  /// 8 × 8 blocks of mean linear colour, in Oklab: `L/8, 2a/8, 2b/8` per block.
  static func layout(_ red: [Float], _ green: [Float], _ blue: [Float]) -> [Float] {
    let blocks = 8
    let size = grid / blocks
    var result: [Float] = []
    result.reserveCapacity(blocks * blocks * 3)
    for blockY in 0..<blocks {
      for blockX in 0..<blocks {
        var sum: (Float, Float, Float) = (0, 0, 0)
        for y in blockY * size..<(blockY + 1) * size {
          for x in blockX * size..<(blockX + 1) * size {
            sum.0 += red[y * grid + x]
            sum.1 += green[y * grid + x]
            sum.2 += blue[y * grid + x]
          }
        }
        let count = Float(size * size)
        let (l, a, b) = oklab(sum.0 / count, sum.1 / count, sum.2 / count)
        result += [l / 8, 2 * a / 8, 2 * b / 8]
      }
    }
    return result
  }

  /// Soft 4 × 4 × 4 Oklab histogram, square roots of the fractions (unit L2 norm).
  static func histogram(_ lightness: [Float], _ aAxis: [Float], _ bAxis: [Float]) -> [Float] {
    let bins = 4
    var counts = [Float](repeating: 0, count: bins * bins * bins)
    /// The two bins a value falls between and the weight of the first.
    func split(_ value: Float, _ low: Float, _ high: Float) -> (Int, Int, Float) {
      let position = (value - low) / (high - low) * Float(bins) - 0.5
      let clamped = min(max(position, 0), Float(bins - 1))
      let first = min(Int(clamped.rounded(.down)), bins - 1)
      let second = min(first + 1, bins - 1)
      return (first, second, 1 - (clamped - Float(first)))
    }
    for index in lightness.indices {
      let (l0, l1, lw) = split(lightness[index], 0, 1)
      let (a0, a1, aw) = split(aAxis[index], -0.16, 0.16)
      let (b0, b1, bw) = split(bAxis[index], -0.16, 0.16)
      for (l, wl) in [(l0, lw), (l1, 1 - lw)] where wl > 0 {
        for (a, wa) in [(a0, aw), (a1, 1 - aw)] where wa > 0 {
          for (b, wb) in [(b0, bw), (b1, 1 - bw)] where wb > 0 {
            counts[(l * bins + a) * bins + b] += wl * wa * wb
          }
        }
      }
    }
    let total = Float(lightness.count)
    return counts.map { ($0 / total).squareRoot() }
  }

  /// Lightness gradients in 4 × 4 cells × 8 unsigned orientations, L2-normalised.
  static func gradients(_ lightness: [Float]) -> [Float] {
    let cells = 4
    let bins = 8
    let cellSize = grid / cells
    var result = [Float](repeating: 0, count: cells * cells * bins)
    func value(_ x: Int, _ y: Int) -> Float {
      lightness[min(max(y, 0), grid - 1) * grid + min(max(x, 0), grid - 1)]
    }
    for y in 0..<grid {
      for x in 0..<grid {
        let dx = value(x + 1, y) - value(x - 1, y)
        let dy = value(x, y + 1) - value(x, y - 1)
        let magnitude = (dx * dx + dy * dy).squareRoot()
        if magnitude == 0 { continue }
        var angle = atan2f(dy, dx)
        if angle < 0 { angle += Float.pi }
        // Bin centres at (k + 0.5) · π/8; spread between the two nearest, wrapping around.
        let position = angle / Float.pi * Float(bins) - 0.5
        let lower = position.rounded(.down)
        let weight = position - lower
        let first = (Int(lower) + bins) % bins
        let second = (first + 1) % bins
        let cell = ((y / cellSize) * cells + x / cellSize) * bins
        result[cell + first] += magnitude * (1 - weight)
        result[cell + second] += magnitude * weight
      }
    }
    return normalised(result, floor: 0.01)
  }

  /// `vector / sqrt(|vector|² + floor²)`.
  static func normalised(_ vector: [Float], floor: Float) -> [Float] {
    var sum: Float = floor * floor
    for value in vector { sum += value * value }
    guard sum > 0 else { return vector }
    let scale = 1 / sum.squareRoot()
    return vector.map { $0 * scale }
  }
}
