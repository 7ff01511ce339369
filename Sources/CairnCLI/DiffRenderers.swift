internal import CairnCore
internal import GitStore

/// Writes a diff as it streams by: the header first, then each sample, then the counts.
///
/// Several renderers can consume one diff (text or JSON on stdout and an HTML file).
protocol DiffRenderer: AnyObject {
  func begin(_ header: DiffHeader)
  func sample(_ diff: SampleDiff)
  func end(_ stat: DiffStat) throws(CairnError)
}

/// The git-like text form: schema, views, groups and other files, then one block per sample.
final class TextDiffRenderer: DiffRenderer {
  private let out: StreamWriter
  private let palette: Palette

  init(out: StreamWriter, palette: Palette) {
    self.out = out
    self.palette = palette
  }

  private func signed(_ sign: Character, _ text: String, indent: String) {
    let line = indent + String(sign) + " " + text
    switch sign {
    case "+": out.line(palette.green(line))
    case "-": out.line(palette.red(line))
    case "~": out.line(palette.yellow(line))
    default: out.line(palette.red(line))
    }
  }

  func begin(_ header: DiffHeader) {
    if let schema = header.schema {
      out.line(palette.bold("schema.json"))
      for (sign, text) in DiffText.schema(schema) { signed(sign, text, indent: "  ") }
    }
    if !header.views.isEmpty {
      out.line(palette.bold("views"))
      for view in header.views { signed(DiffText.sign(view.change), view.name, indent: "  ") }
    }
    if !header.groups.isEmpty {
      out.line(palette.bold("groups"))
      for group in header.groups {
        let details = DiffText.members(group.changes)
        signed(
          DiffText.sign(group.change),
          group.id + (details.isEmpty ? "" : ": " + details.joined(separator: "; ")),
          indent: "  ")
      }
    }
    if !header.other.isEmpty {
      out.line(palette.bold("other files"))
      for file in header.other { signed(DiffText.sign(file.change), file.path, indent: "  ") }
    }
  }

  func sample(_ diff: SampleDiff) {
    var title = "sample " + diff.key
    if diff.change != .modified { title += " (" + DiffJSON.sampleChange(diff.change) + ")" }
    out.line(palette.bold(title))
    if let problem = diff.problem { signed("!", problem, indent: "  ") }
    for line in DiffText.members(diff.recordChanges) { signed("~", line, indent: "  ") }
    for field in diff.fields {
      out.line(
        palette.cyan(
          "  " + field.field + (field.file == .modified ? "" : " (file \(field.file.rawValue))")))
      if let problem = field.problem { signed("!", problem, indent: "    ") }
      for label in field.labels { self.label(label) }
    }
  }

  private func label(_ label: LabelDiff) {
    var text = label.id + (label.currentClass.map { " " + $0 } ?? "")
    switch label.change {
    case .added:
      if let shape = DiffText.shape(label.new) { text += ": " + shape }
      signed("+", text, indent: "    ")
    case .removed:
      signed("-", text, indent: "    ")
    case .modified:
      let aspects = label.modification.map(DiffText.aspects) ?? []
      signed("~", text + ": " + aspects.joined(separator: "; "), indent: "    ")
    }
  }

  func end(_ stat: DiffStat) throws(CairnError) { out.flush() }
}

/// `--stat`: counts per field and class, then totals.
final class StatDiffRenderer: DiffRenderer {
  private let out: StreamWriter
  private var header: DiffHeader?

  init(out: StreamWriter) { self.out = out }

  func begin(_ header: DiffHeader) { self.header = header }

  func sample(_ diff: SampleDiff) {}

  func end(_ stat: DiffStat) throws(CairnError) {
    var rows: [(String, ClassCounts)] = []
    for field in stat.classes.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
      let classes = stat.classes[field] ?? [:]
      for name in classes.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
        rows.append((field + "/" + (name.isEmpty ? "(no class)" : name), classes[name] ?? .init()))
      }
    }
    let width = rows.map(\.0.count).max() ?? 0
    for (name, counts) in rows {
      out.line(
        " " + name + String(repeating: " ", count: width - name.count)
          + " | \(counts.added) added, \(counts.removed) removed, \(counts.modified) modified")
    }
    let samples = stat.samplesAdded + stat.samplesRemoved + stat.samplesModified
    out.line(
      " \(samples) sample\(samples == 1 ? "" : "s") changed (\(stat.samplesAdded) added, "
        + "\(stat.samplesRemoved) removed, \(stat.samplesModified) modified); labels: "
        + "\(stat.labelsAdded) added, \(stat.labelsRemoved) removed, "
        + "\(stat.labelsModified) modified")
    if let header {
      if header.schema != nil { out.line(" schema.json changed") }
      if !header.views.isEmpty { out.line(" \(header.views.count) view(s) changed") }
      if !header.groups.isEmpty { out.line(" \(header.groups.count) group record(s) changed") }
      if !header.other.isEmpty { out.line(" \(header.other.count) other file(s) changed") }
    }
    out.flush()
  }
}

/// `--json`: one canonical JSON document `{"cairn.diff/v1":{…}}` on one line, whose
/// `samples` array is written as the samples are compared (never held whole in memory).
final class JSONDiffRenderer: DiffRenderer {
  private let out: StreamWriter
  private let includeSamples: Bool
  private var after: [String: JSONValue] = [:]
  private var first = true

  init(out: StreamWriter, includeSamples: Bool) {
    self.out = out
    self.includeSamples = includeSamples
  }

  func begin(_ header: DiffHeader) {
    // Members in canonical (byte) order: those before "samples", then the samples, then the
    // rest; "stat" is only known at the end and sorts after "samples".
    let members = DiffJSON.header(header)
    out.write("{\"cairn.diff/v1\":{")
    var wroteOne = false
    for name in members.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
      guard let value = members[name] else { continue }
      if name.utf8.lexicographicallyPrecedes("samples".utf8) {
        if wroteOne { out.write(",") }
        out.json(.string(name))
        out.write(":")
        out.json(value)
        wroteOne = true
      } else {
        after[name] = value
      }
    }
    if includeSamples {
      if wroteOne { out.write(",") }
      out.write("\"samples\":[")
    } else if wroteOne {
      first = false
    }
  }

  func sample(_ diff: SampleDiff) {
    guard includeSamples else { return }
    if !first { out.write(",") }
    first = false
    out.json(DiffJSON.sample(diff))
  }

  func end(_ stat: DiffStat) throws(CairnError) {
    if includeSamples {
      out.write("]")
      first = false
    }
    after["stat"] = DiffJSON.stat(stat)
    for name in after.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
      guard let value = after[name] else { continue }
      if !first { out.write(",") }
      first = false
      out.json(.string(name))
      out.write(":")
      out.json(value)
    }
    out.write("}}\n")
    out.flush()
  }
}
