internal import CairnCore
internal import GitStore

/// Pieces of the self-contained HTML reports (`diff --html`, `drift --html`): inline CSS and
/// SVG, no script, no network.
enum HTML {
  /// Escapes text for element content and attribute values.
  static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for character in text {
      switch character {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.append(character)
      }
    }
    return out
  }

  /// The page start, up to and including `<body>`.
  ///
  /// The body is a flex column, so a section written last (the summary, known only at the end
  /// of a streamed diff) can be shown first with `order`.
  static func start(title: String) -> String {
    """
    <!DOCTYPE html>
    <html lang="en"><head><meta charset="utf-8">
    <meta name="generator" content="cairn">
    <title>\(escape(title))</title>
    <style>
    body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em;color:#1d1d1f;display:flex;flex-direction:column;gap:1em}
    header{order:-2}#summary{order:-1}
    h1{font-size:1.5em;margin:0}h2{font-size:1.2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
    code,td.id,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
    table{border-collapse:collapse;margin:.4em 0}th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
    th{background:#f5f5f7}td.n{text-align:right}
    .added{color:#137333}.removed{color:#b3261e}.modified{color:#8a5a00}
    tr.added td.sign{background:#e6f4ea}tr.removed td.sign{background:#fce8e6}tr.modified td.sign{background:#fef7e0}
    .sample{border:1px solid #e0e0e0;border-radius:6px;padding:.5em 1em;margin:.5em 0}
    .sample h3{margin:.2em 0;font-size:1em}.field{font-weight:600;margin-top:.4em}
    .note{color:#666}
    </style></head><body>

    """
  }

  /// The page end.
  static let end = "</body></html>\n"

  /// A table with a header row; cells are already escaped HTML.
  static func table(_ headers: [String], _ rows: [[String]], numeric: Set<Int> = []) -> String {
    var out = "<table><tr>" + headers.map { "<th>" + escape($0) + "</th>" }.joined() + "</tr>\n"
    for row in rows {
      out += "<tr>"
      for (index, cell) in row.enumerated() {
        out += (numeric.contains(index) ? "<td class=\"n\">" : "<td>") + cell + "</td>"
      }
      out += "</tr>\n"
    }
    return out + "</table>\n"
  }

  /// The CSS class of a change.
  static func kind(_ sign: Character) -> String {
    switch sign {
    case "+": "added"
    case "-": "removed"
    default: "modified"
    }
  }
}

/// `--html FILE` for `cairn diff`: the summary, schema, view, group and file changes, and one
/// block per sample with a row per label change.
final class HTMLDiffRenderer: DiffRenderer {
  private let file: ReportFile
  private var out: StreamWriter { file.writer }
  private var header: DiffHeader?
  private var samplesOpen = false

  init(file: ReportFile) { self.file = file }

  private static func side(_ revision: String?, _ commit: ObjectID?) -> String {
    guard let commit else { return "the working tree" }
    return "<code>" + HTML.escape(revision ?? commit.short) + "</code> (" + commit.short + ")"
  }

  func begin(_ header: DiffHeader) {
    self.header = header
    let to = header.toRevision ?? "working tree"
    out.write(HTML.start(title: "Cairn diff \(header.fromRevision)..\(to)"))
    out.write(
      "<header><h1>Cairn diff</h1><p>from " + Self.side(header.fromRevision, header.fromCommit)
        + " to " + Self.side(header.toRevision, header.toCommit) + "</p></header>\n")
    if let schema = header.schema {
      out.write("<section id=\"schema\"><h2>Schema</h2><ul>\n")
      for (sign, text) in DiffText.schema(schema) {
        out.write("<li class=\"\(HTML.kind(sign))\">\(sign) \(HTML.escape(text))</li>\n")
      }
      out.write("</ul></section>\n")
    }
    var files: [(Character, String)] = header.views.map {
      (DiffText.sign($0.change), "view " + $0.name)
    }
    files += header.groups.map { group in
      let details = DiffText.members(group.changes).joined(separator: "; ")
      return (
        DiffText.sign(group.change), "group " + group.id + (details.isEmpty ? "" : ": " + details)
      )
    }
    files += header.other.map { (DiffText.sign($0.change), $0.path) }
    if !files.isEmpty {
      out.write("<section id=\"files\"><h2>Views, groups and other files</h2><ul>\n")
      for (sign, text) in files {
        out.write("<li class=\"\(HTML.kind(sign))\">\(sign) \(HTML.escape(text))</li>\n")
      }
      out.write("</ul></section>\n")
    }
  }

  func sample(_ diff: SampleDiff) {
    if !samplesOpen {
      out.write("<section id=\"samples\"><h2>Samples</h2>\n")
      samplesOpen = true
    }
    let change = DiffJSON.sampleChange(diff.change)
    out.write(
      "<div class=\"sample\"><h3 class=\"\(change)\">sample <code>\(HTML.escape(diff.key))</code>"
        + (diff.change == .modified ? "" : " (\(change))") + "</h3>\n")
    if let problem = diff.problem {
      out.write("<p class=\"removed\">\(HTML.escape(problem))</p>\n")
    }
    if !diff.recordChanges.isEmpty {
      out.write("<ul>")
      for line in DiffText.members(diff.recordChanges) {
        out.write("<li class=\"modified\">~ \(HTML.escape(line))</li>")
      }
      out.write("</ul>\n")
    }
    for field in diff.fields {
      out.write(
        "<div class=\"field\">\(HTML.escape(field.field))"
          + (field.file == .modified
            ? "" : " <span class=\"note\">(file \(field.file.rawValue))</span>")
          + "</div>\n")
      if let problem = field.problem {
        out.write("<p class=\"removed\">\(HTML.escape(problem))</p>\n")
      }
      guard !field.labels.isEmpty else { continue }
      out.write("<table><tr><th></th><th>label</th><th>class</th><th>change</th></tr>\n")
      for label in field.labels {
        let sign: Character
        var text: String
        switch label.change {
        case .added:
          sign = "+"
          text = DiffText.shape(label.new) ?? "added"
        case .removed:
          sign = "-"
          text = "removed"
        case .modified:
          sign = "~"
          text = (label.modification.map(DiffText.aspects) ?? []).joined(separator: "; ")
        }
        out.write(
          "<tr class=\"\(label.change.rawValue)\"><td class=\"sign\">\(sign)</td>"
            + "<td class=\"id\">\(HTML.escape(label.id))</td>"
            + "<td>\(HTML.escape(label.currentClass ?? ""))</td><td>\(HTML.escape(text))</td></tr>\n"
        )
      }
      out.write("</table>\n")
    }
    out.write("</div>\n")
  }

  func end(_ stat: DiffStat) throws(CairnError) {
    if samplesOpen { out.write("</section>\n") }
    out.write("<section id=\"summary\"><h2>Summary</h2>\n")
    out.write(
      HTML.table(
        ["", "added", "removed", "modified"],
        [
          [
            "samples", "\(stat.samplesAdded)", "\(stat.samplesRemoved)", "\(stat.samplesModified)",
          ],
          ["labels", "\(stat.labelsAdded)", "\(stat.labelsRemoved)", "\(stat.labelsModified)"],
        ], numeric: [1, 2, 3]))
    var rows: [[String]] = []
    for field in stat.classes.keys.sorted() {
      let classes = stat.classes[field] ?? [:]
      for name in classes.keys.sorted() {
        let counts = classes[name] ?? ClassCounts()
        rows.append([
          HTML.escape(field), HTML.escape(name.isEmpty ? "(no class)" : name),
          "\(counts.added)", "\(counts.removed)", "\(counts.modified)",
        ])
      }
    }
    if !rows.isEmpty {
      out.write(
        HTML.table(
          ["field", "class", "added", "removed", "modified"], rows, numeric: [2, 3, 4]))
    }
    if stat.samplesAdded + stat.samplesRemoved + stat.samplesModified == 0 {
      out.write("<p class=\"note\">No sample changed.</p>\n")
    }
    out.write("</section>\n")
    out.write(HTML.end)
    try file.commit()
  }
}
