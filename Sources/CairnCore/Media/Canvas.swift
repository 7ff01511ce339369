/// A tiny 8-bit RGB raster used to draw the synthetic demo dataset; all drawing clips at borders.
package struct Canvas: Sendable {
  /// Width in pixels.
  package let width: Int
  /// Height in pixels.
  package let height: Int
  /// Row-major RGB bytes, 3 per pixel, `width * height * 3` in total.
  package private(set) var pixels: [UInt8]

  /// Creates a canvas filled with `background`.
  ///
  /// - Precondition: `width` and `height` are positive.
  package init(width: Int, height: Int, background: (UInt8, UInt8, UInt8)) {
    precondition(width > 0 && height > 0, "canvas dimensions must be positive")
    self.width = width
    self.height = height
    var pixels: [UInt8] = []
    pixels.reserveCapacity(width * height * 3)
    for _ in 0..<(width * height) {
      pixels.append(background.0)
      pixels.append(background.1)
      pixels.append(background.2)
    }
    self.pixels = pixels
  }

  /// Fills the `w`x`h` rectangle whose top-left corner is (`x`, `y`).
  package mutating func fillRect(x: Int, y: Int, w: Int, h: Int, color: (UInt8, UInt8, UInt8)) {
    let x0 = max(x, 0)
    let y0 = max(y, 0)
    let x1 = min(x + w, width)
    let y1 = min(y + h, height)
    guard x0 < x1, y0 < y1 else { return }
    for py in y0..<y1 {
      for px in x0..<x1 {
        set(px, py, color)
      }
    }
  }

  /// Fills the disc of radius `r` centred on (`cx`, `cy`), including its boundary.
  package mutating func fillCircle(cx: Int, cy: Int, r: Int, color: (UInt8, UInt8, UInt8)) {
    guard r >= 0 else { return }
    let minX = max(cx - r, 0)
    let maxX = min(cx + r, width - 1)
    let minY = max(cy - r, 0)
    let maxY = min(cy + r, height - 1)
    guard minX <= maxX, minY <= maxY else { return }
    let rr = r * r
    for py in minY...maxY {
      let dy = py - cy
      for px in minX...maxX {
        let dx = px - cx
        if dx * dx + dy * dy <= rr {
          set(px, py, color)
        }
      }
    }
  }

  /// Fills the triangle with the given vertices, including its edges; winding may be either way.
  package mutating func fillTriangle(
    x0: Int,
    y0: Int,
    x1: Int,
    y1: Int,
    x2: Int,
    y2: Int,
    color: (UInt8, UInt8, UInt8)
  ) {
    let minX = max(min(x0, x1, x2), 0)
    let maxX = min(max(x0, x1, x2), width - 1)
    let minY = max(min(y0, y1, y2), 0)
    let maxY = min(max(y0, y1, y2), height - 1)
    guard minX <= maxX, minY <= maxY else { return }

    /// Twice the signed area of (a, b, p): which side of edge a→b the point p lies on.
    func edge(_ ax: Int, _ ay: Int, _ bx: Int, _ by: Int, _ px: Int, _ py: Int) -> Int {
      (bx - ax) * (py - ay) - (by - ay) * (px - ax)
    }
    for py in minY...maxY {
      for px in minX...maxX {
        let e0 = edge(x0, y0, x1, y1, px, py)
        let e1 = edge(x1, y1, x2, y2, px, py)
        let e2 = edge(x2, y2, x0, y0, px, py)
        let inside = (e0 >= 0 && e1 >= 0 && e2 >= 0) || (e0 <= 0 && e1 <= 0 && e2 <= 0)
        if inside {
          set(px, py, color)
        }
      }
    }
  }

  /// Adds deterministic uniform noise in `-amplitude...amplitude` to every channel, clamped.
  package mutating func addNoise(seed: UInt64, amplitude: Int) {
    guard amplitude > 0 else { return }
    var rng = DemoRandom(seed: seed)
    let span = UInt64(2 * amplitude + 1)
    for i in pixels.indices {
      let delta = Int(rng.next() % span) - amplitude
      pixels[i] = UInt8(clamping: Int(pixels[i]) + delta)
    }
  }

  /// The canvas encoded as PNG bytes.
  package func png() -> [UInt8] {
    PNGEncoder.encodeRGB(width: width, height: height, pixels: pixels)
  }

  /// Writes one in-bounds pixel.
  private mutating func set(_ x: Int, _ y: Int, _ color: (UInt8, UInt8, UInt8)) {
    let i = (y * width + x) * 3
    pixels[i] = color.0
    pixels[i + 1] = color.1
    pixels[i + 2] = color.2
  }
}
