internal import CairnCore
internal import Evaluation

#if canImport(Glibc)
internal import Glibc
#endif

/// The self-contained HTML page of a detection evaluation: summary, per-class table,
/// precision-recall curves and confusion matrix, as inline SVG (no script, no network).
///
/// Shared by the commands that evaluate detections (`eval coco` on files, the repository's
/// evaluation on a field): they pass the same evaluator values.
enum EvaluationReport {
  /// How many per-class curves a chart draws at most (the best by AP), beside the mean.
  static let curveLimit = 10

  /// Renders the page.
  ///
  /// - Parameters:
  ///   - title: The page title and heading.
  ///   - result: The COCO evaluation (summary, per-class results, precision table).
  ///   - matches: The matching at one IoU, for the per-class counts and the confusion matrix;
  ///     nil to leave them out.
  ///   - categories: The category names, in the problem's order.
  ///   - parameters: What was evaluated and how (files, revisions, IoU), shown as a table.
  /// - Returns: The whole HTML document.
  static func html(
    title: String, result: COCOResult, matches: DetectionMatches?, categories: [String],
    parameters: [(String, String)]
  ) -> String {
    var out = HTML.start(title: title)
    out += "<style>svg text{font-family:system-ui,sans-serif}"
    out += "svg .axis{stroke:#888;stroke-width:1}svg .grid{stroke:#eee;stroke-width:1}</style>\n"
    out += "<header><h1>" + HTML.escape(title) + "</h1>\n"
    out += HTML.table(
      ["parameter", "value"], parameters.map { [HTML.escape($0.0), HTML.escape($0.1)] })
    out += "</header>\n"
    out += summary(result)
    out += classTable(result, matches: matches)
    out += "<section id=\"curves\"><h2>Precision–recall curves</h2>\n"
    out += "<p class=\"note\">Area all, at most 100 detections per image; at most "
    out += "\(curveLimit) categories (those with the most ground truth) and the mean over all "
    out += "categories with ground truth.</p>\n"
    for threshold in [0.5, 0.75] {
      out += curves(result, categories: categories, iou: threshold)
    }
    out += "</section>\n"
    if let matches {
      out += "<section id=\"confusion\"><h2>Confusion matrix</h2>\n"
      out += "<p class=\"note\">Rows: ground truth; columns: predicted; the last row and "
      out += "column are background (unmatched predictions, missed ground truth).</p>\n"
      out += confusion(matches, categories: categories)
      out += "</section>\n"
    }
    return out + HTML.end
  }

  // MARK: Tables

  private static let statDescriptions = [
    "AP @ IoU 0.50:0.95, area all, 100 detections",
    "AP @ IoU 0.50, area all, 100 detections",
    "AP @ IoU 0.75, area all, 100 detections",
    "AP @ IoU 0.50:0.95, small (< 32²), 100 detections",
    "AP @ IoU 0.50:0.95, medium (32²–96²), 100 detections",
    "AP @ IoU 0.50:0.95, large (> 96²), 100 detections",
    "AR @ IoU 0.50:0.95, area all, 1 detection",
    "AR @ IoU 0.50:0.95, area all, 10 detections",
    "AR @ IoU 0.50:0.95, area all, 100 detections",
    "AR @ IoU 0.50:0.95, small, 100 detections",
    "AR @ IoU 0.50:0.95, medium, 100 detections",
    "AR @ IoU 0.50:0.95, large, 100 detections",
  ]

  private static func summary(_ result: COCOResult) -> String {
    var rows: [[String]] = []
    for (index, value) in result.stats.enumerated() {
      let name = index < COCOResult.statNames.count ? COCOResult.statNames[index] : ""
      let text = index < statDescriptions.count ? statDescriptions[index] : ""
      rows.append([
        HTML.escape(name), HTML.escape(text),
        "<span title=\"\(value.description)\">\(number(value))</span>",
      ])
    }
    return "<section id=\"summary\"><h2>Summary</h2>\n"
      + HTML.table(["metric", "", "value"], rows, numeric: [2]) + "</section>\n"
  }

  private static func classTable(_ result: COCOResult, matches: DetectionMatches?) -> String {
    var headers = ["category", "AP", "AP50", "AP75", "AR100", "ground truth", "predictions"]
    if matches != nil { headers += ["TP", "FP", "FN", "precision", "recall", "F1"] }
    var rows: [[String]] = []
    for (index, category) in result.categories.enumerated() {
      var row = [
        HTML.escape(category.name), number(category.ap), number(category.ap50),
        number(category.ap75), number(category.ar100), String(category.groundTruthCount),
        String(category.predictionCount),
      ]
      if let matches, index < matches.categories.count {
        let counts = matches.categories[index]
        row += [
          String(counts.truePositives), String(counts.falsePositives),
          String(counts.falseNegatives), number(counts.precision), number(counts.recall),
          number(counts.f1),
        ]
      }
      rows.append(row)
    }
    let title = matches == nil ? "Per category" : "Per category (counts at the matching IoU)"
    return "<section id=\"classes\"><h2>\(title)</h2>\n"
      + HTML.table(headers, rows, numeric: Set(1..<headers.count)) + "</section>\n"
  }

  // MARK: Curves

  private static let palette = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
  ]

  /// One chart: precision against recall at IoU `iou` (area all, the last detection cap).
  private static func curves(_ result: COCOResult, categories: [String], iou: Double) -> String {
    let parameters = result.parameters
    guard
      let t = parameters.iouThresholds.firstIndex(where: { abs($0 - iou) < 1e-9 })
    else { return "" }
    let recalls = parameters.recallThresholds
    let (r, k, a, m) = (
      recalls.count, categories.count, parameters.areaRanges.count,
      parameters.maxDetections.count
    )
    guard r > 0, k > 0, a > 0, m > 0,
      result.precision.count == parameters.iouThresholds.count
        * r * k * a * m
    else { return "" }
    func precision(_ recall: Int, _ category: Int) -> Double {
      result.precision[(((t * r + recall) * k + category) * a + 0) * m + (m - 1)]
    }
    // Classes with ground truth; the curves drawn are those of the most frequent ones (the
    // best by AP are often a handful of perfect, overlapping lines).
    var ranked: [(category: Int, ap: Double, count: Int)] = []
    for category in 0..<k where precision(0, category) > -1 {
      let values = (0..<r).map { precision($0, category) }
      let count =
        category < result.categories.count ? result.categories[category].groundTruthCount : 0
      ranked.append((category, values.reduce(0, +) / Double(r), count))
    }
    ranked.sort { $0.count > $1.count || ($0.count == $1.count && $0.category < $1.category) }
    let shown = ranked.prefix(curveLimit)
    let (left, top, width, height) = (50.0, 16.0, 420.0, 300.0)
    let x = { (recall: Double) in left + recall * width }
    let y = { (value: Double) in top + (1 - value) * height }
    var svg =
      "<figure><figcaption>IoU \(fixed(iou, 2))</figcaption>\n"
      + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"360\" "
      + "viewBox=\"0 0 720 360\" role=\"img\" aria-label=\"precision-recall curves at IoU "
      + "\(fixed(iou, 2))\">\n"
    for tick in 0...10 {
      let value = Double(tick) / 10
      svg += "<line class=\"grid\" x1=\"\(c(x(value)))\" y1=\"\(c(top))\" x2=\"\(c(x(value)))\" "
      svg += "y2=\"\(c(top + height))\"/>"
      svg += "<line class=\"grid\" x1=\"\(c(left))\" y1=\"\(c(y(value)))\" "
      svg += "x2=\"\(c(left + width))\" y2=\"\(c(y(value)))\"/>\n"
      if tick % 2 == 0 {
        svg += "<text x=\"\(c(x(value)))\" y=\"\(c(top + height + 16))\" font-size=\"11\" "
        svg += "text-anchor=\"middle\">\(fixed(value, 1))</text>"
        svg += "<text x=\"\(c(left - 6))\" y=\"\(c(y(value) + 4))\" font-size=\"11\" "
        svg += "text-anchor=\"end\">\(fixed(value, 1))</text>\n"
      }
    }
    svg += "<line class=\"axis\" x1=\"\(c(left))\" y1=\"\(c(top + height))\" "
    svg += "x2=\"\(c(left + width))\" y2=\"\(c(top + height))\"/>"
    svg += "<line class=\"axis\" x1=\"\(c(left))\" y1=\"\(c(top))\" x2=\"\(c(left))\" "
    svg += "y2=\"\(c(top + height))\"/>\n"
    svg += "<text x=\"\(c(left + width / 2))\" y=\"\(c(top + height + 34))\" font-size=\"12\" "
    svg += "text-anchor=\"middle\">recall</text>"
    svg += "<text x=\"14\" y=\"\(c(top + height / 2))\" font-size=\"12\" text-anchor=\"middle\" "
    svg += "transform=\"rotate(-90 14 \(c(top + height / 2)))\">precision</text>\n"
    func polyline(_ values: [Double], color: String, strokeWidth: Double, label: String)
      -> String
    {
      let points = values.enumerated().map { index, value in
        c(x(recalls[index])) + "," + c(y(max(0, value)))
      }.joined(separator: " ")
      return "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(strokeWidth)\" "
        + "points=\"\(points)\"><title>\(HTML.escape(label))</title></polyline>\n"
    }
    var legend: [(String, String, Double)] = []
    for (slot, entry) in shown.enumerated() {
      let color = palette[slot % palette.count]
      let name = entry.category < categories.count ? categories[entry.category] : ""
      let label = name + " (AP " + fixed(entry.ap, 3) + ")"
      svg += polyline(
        (0..<r).map { precision($0, entry.category) }, color: color, strokeWidth: 1.5,
        label: label)
      legend.append((label, color, 1.5))
    }
    if !ranked.isEmpty {
      let mean = (0..<r).map { recall in
        ranked.map { precision(recall, $0.category) }.reduce(0, +) / Double(ranked.count)
      }
      let label =
        "mean of \(ranked.count) categories (AP "
        + fixed(
          mean.reduce(0, +) / Double(r), 3) + ")"
      svg += polyline(mean, color: "#000", strokeWidth: 3, label: label)
      legend.append((label, "#000", 3))
    } else {
      svg += "<text x=\"\(c(left + width / 2))\" y=\"\(c(top + height / 2))\" "
      svg += "text-anchor=\"middle\" font-size=\"13\">no category has ground truth</text>\n"
    }
    for (index, item) in legend.enumerated() {
      let ly = top + 8 + Double(index) * 18
      svg += "<line x1=\"485\" y1=\"\(c(ly))\" x2=\"505\" y2=\"\(c(ly))\" stroke=\"\(item.1)\" "
      svg += "stroke-width=\"\(item.2)\"/><text x=\"510\" y=\"\(c(ly + 4))\" font-size=\"11\">"
      svg += HTML.escape(item.0) + "</text>\n"
    }
    return svg + "</svg></figure>\n"
  }

  // MARK: Confusion matrix

  /// The confusion matrix as a heat map; counts written in the cells when they fit, and in
  /// each cell's tooltip.
  private static func confusion(_ matches: DetectionMatches, categories: [String]) -> String {
    let labels = categories + ["(background)"]
    let n = labels.count
    guard matches.confusion.count == n * n else { return "" }
    let cell = max(6.0, min(32.0, 640.0 / Double(n)))
    let margin = 150.0
    let side = margin + cell * Double(n)
    let largest = matches.confusion.max() ?? 0
    let font = min(12.0, cell * 0.45)
    var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(c(side + 10))\" "
    svg += "height=\"\(c(side + 10))\" viewBox=\"0 0 \(c(side + 10)) \(c(side + 10))\" "
    svg += "role=\"img\" aria-label=\"confusion matrix\">\n"
    svg += "<rect x=\"\(c(margin))\" y=\"\(c(margin))\" width=\"\(c(cell * Double(n)))\" "
    svg += "height=\"\(c(cell * Double(n)))\" fill=\"#fafafa\" stroke=\"#ccc\"/>\n"
    let labelFont = min(12.0, max(5.0, cell * 0.8))
    for (index, label) in labels.enumerated() {
      let middle = margin + (Double(index) + 0.5) * cell
      let text = HTML.escape(label.count > 22 ? String(label.prefix(21)) + "…" : label)
      svg += "<text x=\"\(c(margin - 4))\" y=\"\(c(middle + labelFont / 3))\" "
      svg += "font-size=\"\(c(labelFont))\" text-anchor=\"end\">\(text)</text>"
      svg += "<text x=\"\(c(middle))\" y=\"\(c(margin - 4))\" font-size=\"\(c(labelFont))\" "
      svg += "transform=\"rotate(-60 \(c(middle)) \(c(margin - 4)))\">\(text)</text>\n"
    }
    for row in 0..<n {
      for column in 0..<n {
        let count = matches.confusion[row * n + column]
        guard count > 0 else { continue }
        let strength = largest > 0 ? log1p(Double(count)) / log1p(Double(largest)) : 0
        let (red, green, blue) = (
          Int(255 - strength * (255 - 8)), Int(255 - strength * (255 - 81)),
          Int(255 - strength * (255 - 156))
        )
        let (cx, cy) = (margin + Double(column) * cell, margin + Double(row) * cell)
        svg += "<rect x=\"\(c(cx))\" y=\"\(c(cy))\" width=\"\(c(cell))\" height=\"\(c(cell))\" "
        svg += "fill=\"rgb(\(red),\(green),\(blue))\"><title>"
        svg += HTML.escape("\(labels[row]) → \(labels[column]): \(count)")
        svg += "</title></rect>"
        if cell >= 18 {
          let ink = strength > 0.55 ? "#fff" : "#000"
          svg += "<text x=\"\(c(cx + cell / 2))\" y=\"\(c(cy + cell / 2 + font / 3))\" "
          svg += "font-size=\"\(c(font))\" text-anchor=\"middle\" fill=\"\(ink)\">\(count)</text>"
        }
        svg += "\n"
      }
    }
    return svg + "</svg>\n"
  }

  // MARK: Numbers

  /// Three decimals, `-` for nil, `-1` kept as pycocotools prints it.
  private static func number(_ value: Double?) -> String {
    guard let value else { return "-" }
    return fixed(value, 3)
  }

  /// A coordinate with at most one decimal.
  private static func c(_ value: Double) -> String {
    fixed(value, 1)
  }
}
