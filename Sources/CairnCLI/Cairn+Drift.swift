internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct Drift: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "drift",
      abstract: "Summarise how labels drifted between two revisions.",
      discussion: """
        For each label field: the class transition matrix (old class → new class of each \
        label that changed, matched by id; '(new)' and '(removed)' for labels added and \
        removed), the change in the number of labels per class, the geometry of edited \
        labels per class (mean IoU and mean area ratio of boxes: below 1 tightened, above 1 \
        loosened; centre distance and volume ratio of cuboids; point displacement) and the \
        classes the schema introduced or abandoned. Labels that did not change are not \
        counted.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "A range A..B, or the two revisions A B.")
    var revisions: [String] = []

    @Option(help: ArgumentHelp("Only this label field.", valueName: "field"))
    var field: String?

    @Flag(help: "Also report each commit of the first-parent history from B back to A.")
    var perCommit = false

    @Flag(help: "Print the result as JSON (envelope cairn.drift/v1).")
    var json = false

    @Option(
      help: ArgumentHelp(
        "Also write a self-contained HTML report with charts to this file.", valueName: "file"))
    var html: String?

    func run() async throws {
      let repo = try repository.open()
      let (from, to) = try RevisionRange.pair(revisions)
      let result = try repo.drift(from: from, to: to, field: field, perCommit: perCommit)
      if let html {
        let file = try ReportFile(path: html)
        file.writer.write(DriftOutput.html(result, from: from, to: to))
        try file.commit()
      }
      if json {
        Output.json("cairn.drift/v1", DriftOutput.json(result, from: from, to: to))
      } else if html == nil {
        Output.lines(DriftOutput.text(result, from: from, to: to))
      } else {
        Output.note("wrote \(html ?? "")")
      }
    }
  }
}

/// Renders `cairn drift`.
enum DriftOutput {
  // MARK: JSON

  static func json(_ result: DriftResult, from: String, to: String) -> JSONValue {
    var body: [String: JSONValue] = [
      "from": .object(["commit": .string(result.from.hex), "revision": .string(from)]),
      "to": .object(["commit": .string(result.to.hex), "revision": .string(to)]),
      "fields": fields(result.total),
    ]
    body["commits"] = .array(
      result.commits.map { entry in
        .object([
          "commit": .object([
            "id": .string(entry.commit.id.hex), "summary": .string(entry.commit.summary),
            "author": .object([
              "name": .string(entry.commit.author.name),
              "email": .string(entry.commit.author.email),
              "time": .int(entry.commit.author.time),
            ]),
          ]),
          "fields": fields(entry.report),
        ])
      })
    return .object(body)
  }

  private static func number(_ value: Double?) -> JSONValue { value.map { .double($0) } ?? .null }

  static func fields(_ report: DriftReport) -> JSONValue {
    .array(
      report.sortedFields.map { drift in
        let (rows, columns) = drift.matrixAxes
        var transitions: [JSONValue] = []
        for row in rows {
          for column in columns {
            if let count = drift.transitions[.init(from: row, to: column)] {
              transitions.append(
                .object([
                  "from": .string(row), "to": .string(column), "count": .int(Int64(count)),
                ]))
            }
          }
        }
        let classes = drift.classes.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        return .object([
          "field": .string(drift.field),
          "transitions": .array(transitions),
          "classes": .array(
            classes.compactMap { name in
              guard let counts = drift.classes[name] else { return nil }
              return .object([
                "class": .string(name), "added": .int(Int64(counts.added)),
                "removed": .int(Int64(counts.removed)),
                "reclassified_in": .int(Int64(counts.reclassifiedIn)),
                "reclassified_out": .int(Int64(counts.reclassifiedOut)),
                "modified": .int(Int64(counts.modified)), "net": .int(Int64(counts.net)),
              ])
            }),
          "geometry": .array(
            drift.geometry.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) })
              .compactMap { name in
                guard let geometry = drift.geometry[name] else { return nil }
                return .object([
                  "class": .string(name), "boxes": .int(Int64(geometry.boxes)),
                  "mean_iou": number(geometry.meanIoU),
                  "mean_area_ratio": number(geometry.meanAreaRatio),
                  "cuboids": .int(Int64(geometry.cuboids)),
                  "mean_centre_distance": number(geometry.meanCentreDistance),
                  "mean_volume_ratio": number(geometry.meanVolumeRatio),
                  "points": .int(Int64(geometry.points)),
                  "mean_displacement": number(geometry.meanDisplacement),
                ])
              }),
          "introduced": .array(drift.introduced.map { .string($0) }),
          "abandoned": .array(drift.abandoned.map { .string($0) }),
        ])
      })
  }

  // MARK: Text

  static func text(_ result: DriftResult, from: String, to: String) -> [String] {
    var lines = ["drift \(from)..\(to) (\(result.from.short)..\(result.to.short))"]
    lines += report(result.total, indent: "")
    for (commit, report) in result.commits {
      lines.append("")
      lines.append("commit \(commit.id.short) \(commit.summary)")
      lines += self.report(report, indent: "  ")
    }
    return lines
  }

  private static func pad(_ text: String, _ width: Int) -> String {
    text + String(repeating: " ", count: max(0, width - text.count))
  }

  static func report(_ report: DriftReport, indent: String) -> [String] {
    let fields = report.sortedFields
    if fields.isEmpty { return [indent + "no label changed"] }
    var lines: [String] = []
    for drift in fields {
      lines.append(indent + "field \(drift.field)")
      let (rows, columns) = drift.matrixAxes
      var cells: [(String, Int)] = []
      for row in rows {
        for column in columns {
          if let count = drift.transitions[.init(from: row, to: column)] {
            cells.append(("\(row) → \(column)", count))
          }
        }
      }
      if !cells.isEmpty {
        lines.append(indent + "  class transitions (old → new, labels that changed)")
        let width = cells.map(\.0.count).max() ?? 0
        for (name, count) in cells {
          lines.append(indent + "    " + pad(name, width) + "  \(count)")
        }
      }
      let classes = drift.classes.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) })
      if !classes.isEmpty {
        lines.append(indent + "  label counts")
        let width = classes.map(\.count).max() ?? 0
        for name in classes {
          guard let counts = drift.classes[name] else { continue }
          let net = counts.net > 0 ? "+\(counts.net)" : "\(counts.net)"
          lines.append(
            indent + "    " + pad(name, width) + "  " + pad(net, 5)
              + " (\(counts.added) added, \(counts.removed) removed, "
              + "\(counts.reclassifiedIn) reclassified in, \(counts.reclassifiedOut) out)")
        }
      }
      let geometry = drift.geometry.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) })
      if !geometry.isEmpty {
        lines.append(indent + "  geometry of edited labels (area ratio < 1: tighter, > 1: looser)")
        let width = geometry.map(\.count).max() ?? 0
        for name in geometry {
          guard let drift = drift.geometry[name] else { continue }
          var parts: [String] = []
          if let iou = drift.meanIoU {
            parts.append(
              "\(drift.boxes) box\(drift.boxes == 1 ? "" : "es"): mean IoU \(fixed(iou, 3))"
                + (drift.meanAreaRatio.map { ", mean area ratio \(fixed($0, 3))" } ?? ""))
          }
          if let distance = drift.meanCentreDistance {
            parts.append(
              "\(drift.cuboids) cuboid\(drift.cuboids == 1 ? "" : "s"): mean centre distance "
                + fixed(distance, 3)
                + (drift.meanVolumeRatio.map { ", mean volume ratio \(fixed($0, 3))" } ?? ""))
          }
          if let displacement = drift.meanDisplacement {
            parts.append(
              "\(drift.points) point label\(drift.points == 1 ? "" : "s"): mean displacement "
                + fixed(displacement, 3))
          }
          lines.append(indent + "    " + pad(name, width) + "  " + parts.joined(separator: "; "))
        }
      }
      if !drift.introduced.isEmpty {
        lines.append(indent + "  introduced: " + drift.introduced.joined(separator: ", "))
      }
      if !drift.abandoned.isEmpty {
        lines.append(indent + "  abandoned: " + drift.abandoned.joined(separator: ", "))
      }
    }
    return lines
  }

  // MARK: HTML

  static func html(_ result: DriftResult, from: String, to: String) -> String {
    var out = HTML.start(title: "Cairn drift \(from)..\(to)")
    out +=
      "<header><h1>Cairn label drift</h1><p>from <code>\(HTML.escape(from))</code> "
      + "(\(result.from.short)) to <code>\(HTML.escape(to))</code> (\(result.to.short))</p>"
      + "</header>\n"
    out += "<section id=\"summary\">\n" + section(result.total) + "</section>\n"
    if !result.commits.isEmpty {
      out += "<section id=\"commits\"><h2>Per commit</h2>\n"
      for (commit, report) in result.commits {
        out +=
          "<h3><code>\(commit.id.short)</code> \(HTML.escape(commit.summary))</h3>\n"
          + section(report)
      }
      out += "</section>\n"
    }
    return out + HTML.end
  }

  private static func section(_ report: DriftReport) -> String {
    let fields = report.sortedFields
    if fields.isEmpty { return "<p class=\"note\">No label changed.</p>\n" }
    var out = ""
    for drift in fields {
      out += "<h2>Field <code>\(HTML.escape(drift.field))</code></h2>\n"
      out += "<h3>Label count change per class</h3>\n" + barChart(drift)
      out += "<h3>Class transitions (old → new)</h3>\n" + heatMap(drift)
      var rows: [[String]] = []
      for name in drift.geometry.keys.sorted() {
        guard let geometry = drift.geometry[name] else { continue }
        func text(_ value: Double?) -> String { value.map { fixed($0, 3) } ?? "" }
        rows.append([
          HTML.escape(name), "\(geometry.boxes)", text(geometry.meanIoU),
          text(geometry.meanAreaRatio), "\(geometry.cuboids)", text(geometry.meanCentreDistance),
          text(geometry.meanVolumeRatio), "\(geometry.points)", text(geometry.meanDisplacement),
        ])
      }
      if !rows.isEmpty {
        out += "<h3>Geometry of edited labels</h3>\n"
        out += HTML.table(
          [
            "class", "boxes", "mean IoU", "mean area ratio", "cuboids", "mean centre distance",
            "mean volume ratio", "point labels", "mean displacement",
          ], rows, numeric: Set(1...8))
        out += "<p class=\"note\">Area ratio below 1: boxes tightened; above 1: loosened.</p>\n"
      }
      if !drift.introduced.isEmpty || !drift.abandoned.isEmpty {
        out +=
          "<p>Classes introduced: \(HTML.escape(drift.introduced.joined(separator: ", ")))"
          + "<br>Classes abandoned: \(HTML.escape(drift.abandoned.joined(separator: ", ")))</p>\n"
      }
    }
    return out
  }

  /// A horizontal bar per class: the net change in its number of labels, green for a gain and
  /// red for a loss, around a zero line.
  static func barChart(_ drift: FieldDrift) -> String {
    let names = drift.classes.keys.sorted()
    guard !names.isEmpty else { return "" }
    let nets = names.map { drift.classes[$0]?.net ?? 0 }
    let largest = max(1, nets.map { abs($0) }.max() ?? 1)
    let labelWidth = 140
    let half = 180
    let rowHeight = 22
    let width = labelWidth + 2 * half + 60
    let height = rowHeight * names.count + 10
    var svg =
      "<svg class=\"bars\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" "
      + "height=\"\(height)\" role=\"img\" aria-label=\"label count change per class\">\n"
    let zero = labelWidth + half
    for (index, name) in names.enumerated() {
      let y = 5 + index * rowHeight
      let length = nets[index] * half / largest
      let x = length >= 0 ? zero : zero + length
      let colour = length >= 0 ? "#34a853" : "#ea4335"
      svg +=
        "<text x=\"\(labelWidth - 6)\" y=\"\(y + 15)\" text-anchor=\"end\" font-size=\"12\">"
        + HTML.escape(name) + "</text>"
      svg +=
        "<rect x=\"\(x)\" y=\"\(y + 3)\" width=\"\(max(1, abs(length)))\" height=\"\(rowHeight - 6)\" "
        + "fill=\"\(colour)\"><title>\(HTML.escape(name)): \(nets[index])</title></rect>"
      let textX = length >= 0 ? zero + length + 4 : zero + 4
      svg +=
        "<text x=\"\(textX)\" y=\"\(y + 15)\" font-size=\"12\">"
        + (nets[index] > 0 ? "+" : "") + "\(nets[index])</text>\n"
    }
    svg +=
      "<line x1=\"\(zero)\" y1=\"0\" x2=\"\(zero)\" y2=\"\(height)\" stroke=\"#555\" "
      + "stroke-width=\"1\"/>\n</svg>\n"
    return svg
  }

  /// The transition matrix as a grid of cells shaded by count.
  static func heatMap(_ drift: FieldDrift) -> String {
    let (rows, columns) = drift.matrixAxes
    guard !rows.isEmpty, !columns.isEmpty else { return "" }
    let largest = max(1, drift.transitions.values.max() ?? 1)
    let cell = 44
    let left = 130
    let top = 110
    let width = left + cell * columns.count + 10
    let height = top + cell * rows.count + 10
    var svg =
      "<svg class=\"matrix\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" "
      + "height=\"\(height)\" role=\"img\" aria-label=\"class transition matrix\">\n"
    for (index, column) in columns.enumerated() {
      let x = left + index * cell + cell / 2
      svg +=
        "<text x=\"\(x)\" y=\"\(top - 6)\" font-size=\"12\" transform=\"rotate(-45 \(x) \(top - 6))\">"
        + HTML.escape(column) + "</text>\n"
    }
    for (rowIndex, row) in rows.enumerated() {
      let y = top + rowIndex * cell
      svg +=
        "<text x=\"\(left - 6)\" y=\"\(y + cell / 2 + 4)\" text-anchor=\"end\" font-size=\"12\">"
        + HTML.escape(row) + "</text>\n"
      for (columnIndex, column) in columns.enumerated() {
        let x = left + columnIndex * cell
        let count = drift.transitions[.init(from: row, to: column)] ?? 0
        // White for zero, deeper blue for more.
        let shade = count == 0 ? 255 : 225 - Int(Double(count) / Double(largest) * 180)
        svg +=
          "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(cell - 2)\" height=\"\(cell - 2)\" "
          + "fill=\"rgb(\(shade),\(shade + (255 - shade) / 3),255)\" stroke=\"#ddd\">"
          + "<title>\(HTML.escape(row)) → \(HTML.escape(column)): \(count)</title></rect>"
        if count > 0 {
          svg +=
            "<text x=\"\(x + cell / 2 - 1)\" y=\"\(y + cell / 2 + 4)\" text-anchor=\"middle\" "
            + "font-size=\"12\" fill=\"\(shade < 140 ? "#fff" : "#000")\">\(count)</text>"
        }
        svg += "\n"
      }
    }
    return svg + "</svg>\n"
  }
}
