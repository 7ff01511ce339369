internal import ArgumentParser
internal import CairnCore
internal import Curation

extension Cairn {
  struct Map: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "map",
      abstract: "Map an embedding set to 2-D and draw it as an SVG scatter plot.",
      discussion: """
        Projects the sample embeddings to 2-D with --method: pca (the first two principal \
        components; deterministic), tsne (t-SNE as scikit-learn runs it: --perplexity, \
        --iterations; exact gradient, at most 10000 samples) or umap (UMAP as umap-learn \
        runs it: --neighbours, --min-dist, --epochs). t-SNE and UMAP start from the PCA map \
        and are seeded: the same set and --seed give the same map. Stores the coordinates, \
        the method and its parameters in runs/map/<embeddings>/coordinates.json, and writes \
        --out: one dot per sample, coloured by --color-by (fields.NAME, labels.FIELD or \
        eval:KEY), with the samples of --highlight (a selected batch's view) ringed.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Option(help: "The embedding set (one vector per sample).")
    var embeddings: String

    @Option(help: ArgumentHelp("pca, tsne or umap.", valueName: "method"))
    var method: String = "pca"

    @Option(help: "tsne and umap: the seed of their random choices.")
    var seed: UInt64 = 0

    @Option(help: "tsne: the effective number of neighbours (default 30, at most (N-1)/3).")
    var perplexity: Double?

    @Option(help: "tsne: gradient steps (default 1000, the first 250 exaggerated).")
    var iterations: Int?

    @Option(help: "umap: the neighbourhood size, the sample included (default 15).")
    var neighbours: Int?

    @Option(help: "umap: how close samples may sit in the map (default 0.1).")
    var minDist: Double?

    @Option(help: "umap: passes over the graph (default 500; 200 above 10000 samples).")
    var epochs: Int?

    @Option(help: "fields.NAME, labels.FIELD or eval:KEY.")
    var colorBy: String?

    @Option(help: "A view whose samples are ringed.")
    var highlight: String?

    @Option(help: ArgumentHelp("The SVG file to write.", valueName: "file"))
    var out: String

    func validate() throws {
      guard ["pca", "tsne", "umap"].contains(method) else {
        throw ValidationError("--method \(method) is not built in; use pca, tsne or umap")
      }
      for (name, given, owner) in [
        ("--perplexity", perplexity != nil, "tsne"), ("--iterations", iterations != nil, "tsne"),
        ("--neighbours", neighbours != nil, "umap"), ("--min-dist", minDist != nil, "umap"),
        ("--epochs", epochs != nil, "umap"),
      ] where given && method != owner {
        throw ValidationError("\(name) applies to --method \(owner), not \(method)")
      }
      if let perplexity, !(perplexity >= 1 && perplexity.isFinite) {
        throw ValidationError("--perplexity must be at least 1")
      }
      if let iterations, iterations < 1 { throw ValidationError("--iterations must be at least 1") }
      if let neighbours, neighbours < 2 { throw ValidationError("--neighbours must be at least 2") }
      if let minDist, !(minDist >= 0 && minDist <= 1) {
        throw ValidationError("--min-dist must be between 0 and 1 (the spread)")
      }
      if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
    }

    /// The projection the options ask for.
    var projection: MapProjection {
      switch method {
      case "tsne":
        .tsne(TSNEParameters(perplexity: perplexity ?? 30, iterations: iterations ?? 1000))
      case "umap":
        .umap(
          UMAPParameters(
            neighbours: neighbours ?? 15, minimumDistance: minDist ?? 0.1, epochs: epochs))
      default:
        .pca
      }
    }

    func run() throws {
      let repository = try self.repository.open()
      let map = try repository.map(
        embeddings: embeddings, projection: projection, seed: seed, colorBy: colorBy,
        highlight: highlight)
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
