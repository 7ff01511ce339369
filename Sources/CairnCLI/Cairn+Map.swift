internal import ArgumentParser
internal import CairnCore

extension Cairn {
  struct Map: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Map an embedding set to 2-D and draw it as an SVG scatter plot.",
      discussion: """
        Projects the sample embeddings on their first two principal components (PCA; UMAP \
        and t-SNE are not built in), stores the coordinates in \
        runs/map/<embeddings>/coordinates.json, and writes --out: one dot per sample, \
        coloured by --color-by (fields.NAME, labels.FIELD or eval:KEY), with the samples of \
        --highlight (a selected batch's view) ringed.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Option(help: "The embedding set (one vector per sample).")
    var embeddings: String

    @Option(help: "pca (the only method built in).")
    var method: String = "pca"

    @Option(help: "fields.NAME, labels.FIELD or eval:KEY.")
    var colorBy: String?

    @Option(help: "A view whose samples are ringed.")
    var highlight: String?

    @Option(help: ArgumentHelp("The SVG file to write.", valueName: "file"))
    var out: String

    func validate() throws {
      guard method == "pca" else {
        throw ValidationError("--method \(method) is not built in; use pca")
      }
    }

    func run() throws {
      let repository = try self.repository.open()
      let map = try repository.map(
        embeddings: embeddings, colorBy: colorBy, highlight: highlight)
      let file = try ReportFile(path: out)
      file.writer.write(MapSVG.render(map))
      try file.commit()
      Output.note(
        "cairn: wrote \(out) (\(map.points.count) samples) and "
          + "runs/map/\(embeddings)/coordinates.json")
    }
  }
}

/// Draws an ``EmbeddingMap`` as a self-contained SVG document.
enum MapSVG {
  static let palette = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#bcbd22", "#7f7f7f",
  ]

  static func render(_ map: EmbeddingMap) -> String {
    let size = 640.0
    let margin = 40.0
    let xs = map.points.map(\.x)
    let ys = map.points.map(\.y)
    let (minX, maxX) = (xs.min() ?? 0, xs.max() ?? 1)
    let (minY, maxY) = (ys.min() ?? 0, ys.max() ?? 1)
    func scale(_ value: Double, _ low: Double, _ high: Double) -> Double {
      high > low ? (value - low) / (high - low) : 0.5
    }
    // Numbers are drawn on a blue–red ramp; anything else by category.
    let numbers = map.points.compactMap { $0.value?.number }
    let numeric = !numbers.isEmpty && numbers.count == map.points.filter { $0.value != nil }.count
    let (low, high) = (numbers.min() ?? 0, numbers.max() ?? 1)
    var categories: [String] = []
    func text(_ value: JSONValue?) -> String {
      guard let value else { return "(none)" }
      if let string = value.string { return string }
      var bytes: [UInt8] = []
      CanonicalJSON.encodeFragment(value, into: &bytes)
      return String(decoding: bytes, as: UTF8.self)
    }
    if !numeric {
      var counts: [String: Int] = [:]
      for point in map.points { counts[text(point.value), default: 0] += 1 }
      categories = counts.keys.sorted { (counts[$0] ?? 0, $1) > (counts[$1] ?? 0, $0) }
    }
    func colour(_ point: EmbeddingMap.Point) -> String {
      if map.colorBy == nil { return palette[0] }
      if numeric {
        guard let value = point.value?.number else { return "#bbbbbb" }
        let t = scale(value, low, high)
        return "rgb(\(Int(255 * t)),60,\(Int(255 * (1 - t))))"
      }
      let index = categories.firstIndex(of: text(point.value)) ?? palette.count
      return index < palette.count - 1 ? palette[index] : palette[palette.count - 1]
    }
    var svg = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(size + 200))" height="\(Int(size))" \
      viewBox="0 0 \(Int(size + 200)) \(Int(size))" font-family="sans-serif" font-size="12">
      <title>\(HTML.escape("\(map.embeddings) (\(map.method))"))</title>
      <rect width="100%" height="100%" fill="white"/>

      """
    for point in map.points {
      let x = margin + scale(point.x, minX, maxX) * (size - 2 * margin)
      let y = size - margin - scale(point.y, minY, maxY) * (size - 2 * margin)
      let (cx, cy) = (EvaluationOutput.printf("%.1f", x), EvaluationOutput.printf("%.1f", y))
      svg += "<circle cx=\"\(cx)\" cy=\"\(cy)\" r=\"4\" fill=\"\(colour(point))\""
      svg += " fill-opacity=\"0.8\"><title>\(HTML.escape(point.key)): "
      svg += "\(HTML.escape(text(point.value)))</title></circle>\n"
      if point.highlighted {
        svg += "<circle cx=\"\(cx)\" cy=\"\(cy)\" r=\"7\" fill=\"none\" stroke=\"black\""
        svg += " stroke-width=\"1.5\"/>\n"
      }
    }
    var legendY = 30.0
    func legend(_ label: String, _ fill: String, ring: Bool = false) {
      svg += "<circle cx=\"\(Int(size + 20))\" cy=\"\(Int(legendY))\" r=\"\(ring ? 7 : 5)\""
      svg += ring ? " fill=\"none\" stroke=\"black\"/>" : " fill=\"\(fill)\"/>"
      svg +=
        "<text x=\"\(Int(size + 34))\" y=\"\(Int(legendY + 4))\">\(HTML.escape(label))</text>\n"
      legendY += 20
    }
    if let colorBy = map.colorBy {
      svg += "<text x=\"\(Int(size + 10))\" y=\"14\">\(HTML.escape(colorBy))</text>\n"
      if numeric {
        legend("\(low)", "rgb(0,60,255)")
        legend("\(high)", "rgb(255,60,0)")
      } else {
        for (index, category) in categories.prefix(palette.count).enumerated() {
          let other = index == palette.count - 1 && categories.count > palette.count
          legend(other ? "other" : category, palette[index])
        }
      }
    }
    if map.points.contains(where: \.highlighted) { legend("highlighted", "", ring: true) }
    return svg + "</svg>\n"
  }
}
