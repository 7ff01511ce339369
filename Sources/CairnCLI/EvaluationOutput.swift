internal import CairnCore
internal import Evaluation

#if canImport(Glibc)
internal import Glibc
#endif

/// Renders stored evaluation runs (`run.json`) as text or JSON.
enum EvaluationOutput {
  /// Prints a run: what was evaluated, the summary, the per-class table and, for up to 20
  /// classes, the confusion matrix.
  static func print(_ run: EvaluationRun, json: Bool) {
    if json {
      Output.json("cairn.eval/v1", body(run))
      return
    }
    Output.lines(lines(run))
  }

  /// The JSON body of a run: `run.json` with `summary`, the metrics by name.
  static func body(_ run: EvaluationRun) -> JSONValue {
    var members = run.record.object ?? [:]
    members["summary"] = members["metrics"]
    members["metrics"] = nil
    members["metric_order"] = nil
    return .object(members)
  }

  static func lines(_ run: EvaluationRun) -> [String] {
    let record = run.record
    var lines: [String] = []
    var header = "run \(run.key): \(run.kind) at \(run.commit.prefix(12))"
    if let frozen = record["frozen"]?["name"]?.string { header += ", frozen test set \(frozen)" }
    if let view = record["view"]?.string { header += ", view \(view)" }
    lines.append(header)
    if let truth = record["fields"]?["truth"]?.string,
      let predictions = record["fields"]?["predictions"]?.string
    {
      lines.append("fields: \(predictions) against \(truth); \(parameterText(record))")
    }
    lines.append("samples: \(record["samples"]?.int ?? 0)")
    lines.append("")
    let metrics = run.metrics
    if record["parameters"]?["method"]?.string == "coco" {
      let values = Dictionary(metrics.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
      lines += cocoSummary(values)
      lines.append("")
    }
    for metric in metrics where !COCOResult.statNames.contains(metric.name) {
      let count = EvaluationRun.countMetrics.contains(metric.name)
      lines.append("\(pad(metric.name, 10)) \(format(metric.value, count: count))")
    }
    lines.append("")
    lines += classTable(run)
    if let confusion = record["confusion"], let labels = confusion["labels"]?.array,
      labels.count <= 21, labels.count > 1
    {
      lines.append("")
      lines += confusionTable(confusion)
    }
    return lines
  }

  private static func parameterText(_ record: JSONValue) -> String {
    guard let parameters = record["parameters"]?.object else { return "" }
    return parameters.keys.sorted().map { name in
      let value = parameters[name]
      let text =
        value?.string ?? value?.bool.map { $0 ? "true" : "false" }
        ?? value?.number.map { CanonicalJSON.format($0) } ?? "?"
      return "\(name)=\(text)"
    }.joined(separator: " ")
  }

  /// pycocotools' `summarize()` lines from metric values (nil prints -1.000).
  static func cocoSummary(_ values: [String: Double?]) -> [String] {
    Cairn.Eval.COCO.summaryLines(COCOResult.statNames.map { (values[$0] ?? nil) ?? -1 })
  }

  private static func classTable(_ run: EvaluationRun) -> [String] {
    let rows = run.classes
    guard !rows.isEmpty else { return [] }
    var columns = [
      "ap", "ap50", "ap75", "ap11", "ap_bev_r40", "ap_3d_r11", "ap_bev_r11", "threshold",
      "precision", "recall", "f1",
    ]
    columns = columns.filter { column in rows.contains { $0[column] != nil } }
    let counts = ["tp", "fp", "fn", "support", "truth", "predictions"].filter { column in
      rows.contains { $0[column] != nil }
    }
    let width = max(5, rows.compactMap { $0["name"]?.string?.count }.max() ?? 5)
    var lines = [
      pad("class", width) + columns.map { " " + pad($0, 9, right: true) }.joined()
        + counts.map { " " + pad($0, 7, right: true) }.joined()
    ]
    for row in rows {
      var line = pad(row["name"]?.string ?? "?", width)
      for column in columns { line += " " + pad(format(row[column]?.number), 9, right: true) }
      for column in counts { line += " " + pad(String(row[column]?.int ?? 0), 7, right: true) }
      lines.append(line)
    }
    return lines
  }

  private static func confusionTable(_ confusion: JSONValue) -> [String] {
    let labels = confusion["labels"]?.array?.compactMap(\.string) ?? []
    let rows = confusion["rows"]?.array?.compactMap(\.string) ?? labels
    let matrix = confusion["matrix"]?.array?.map { $0.array?.compactMap(\.int) ?? [] } ?? []
    let width = max(8, (labels + rows).map(\.count).max() ?? 8)
    var lines = ["confusion (rows: truth, columns: predicted)"]
    lines.append(pad("", width) + labels.map { " " + pad($0, width, right: true) }.joined())
    for (index, row) in matrix.enumerated() where index < rows.count {
      lines.append(
        pad(rows[index], width) + row.map { " " + pad(String($0), width, right: true) }.joined())
    }
    return lines
  }

  /// A metric with 4 decimals (a count as an integer), or `-` when undefined.
  static func format(_ value: Double?, count: Bool = false) -> String {
    guard let value else { return "-" }
    if count && value == value.rounded() && abs(value) < 9_007_199_254_740_992 {
      return String(Int64(value))
    }
    return printf("%.4f", value)
  }

  /// `value` formatted by C's printf, which rounds the exact binary value as Python does.
  static func printf(_ format: String, _ value: Double) -> String {
    var buffer = [CChar](repeating: 0, count: 512)
    let written = withVaList([value]) { arguments in
      buffer.withUnsafeMutableBufferPointer { pointer in
        vsnprintf(pointer.baseAddress, pointer.count, format, arguments)
      }
    }
    guard written >= 0 else { return String(value) }
    return String(
      decoding: buffer.prefix(Int(min(written, 511))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    guard text.count < width else { return text }
    let padding = String(repeating: " ", count: width - text.count)
    return right ? padding + text : text + padding
  }

  /// Prints the differences between two runs: every metric and every class's AP (or F1).
  static func printComparison(_ first: EvaluationRun, _ second: EvaluationRun, json: Bool) {
    let firstMetrics = Dictionary(
      first.metrics.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
    let names = second.metrics.map(\.name).filter { firstMetrics[$0] != nil }
    let secondMetrics = Dictionary(
      second.metrics.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
    let classMetric = first.classes.contains { $0["ap"] != nil } ? "ap" : "f1"
    func classValues(_ run: EvaluationRun) -> [String: Double?] {
      Dictionary(
        run.classes.compactMap { row in row["name"]?.string.map { ($0, row[classMetric]?.number) }
        },
        uniquingKeysWith: { a, _ in a })
    }
    let firstClasses = classValues(first)
    let secondClasses = classValues(second)
    let classNames = Set(firstClasses.keys).union(secondClasses.keys).sorted()
    func delta(_ a: Double??, _ b: Double??) -> Double? {
      guard let a = a ?? nil, let b = b ?? nil else { return nil }
      return b - a
    }
    if json {
      var metrics: [String: JSONValue] = [:]
      for name in names {
        let a = firstMetrics[name] ?? nil
        let b = secondMetrics[name] ?? nil
        metrics[name] = .object([
          "first": EvaluationRun.number(a), "second": EvaluationRun.number(b),
          "delta": EvaluationRun.number(delta(a, b)),
        ])
      }
      var classes: [String: JSONValue] = [:]
      for name in classNames {
        let a = firstClasses[name] ?? nil
        let b = secondClasses[name] ?? nil
        classes[name] = .object([
          "first": EvaluationRun.number(a), "second": EvaluationRun.number(b),
          "delta": EvaluationRun.number(delta(a, b)),
        ])
      }
      Output.json(
        "cairn.eval.compare/v1",
        .object([
          "first": .object(["key": .string(first.key), "commit": .string(first.commit)]),
          "second": .object(["key": .string(second.key), "commit": .string(second.commit)]),
          "metrics": .object(metrics), "class_metric": .string(classMetric),
          "classes": .object(classes),
        ]))
      return
    }
    var lines = [
      "compare \(first.key) (\(first.commit.prefix(12))) -> \(second.key) "
        + "(\(second.commit.prefix(12)))",
      "",
      pad("metric", 12) + pad(first.key, 12, right: true) + pad(second.key, 12, right: true)
        + pad("delta", 12, right: true),
    ]
    func row(_ name: String, _ a: Double?, _ b: Double?) -> String {
      let count = EvaluationRun.countMetrics.contains(name)
      let change = delta(a, b).map { ($0 >= 0 ? "+" : "") + format($0, count: count) } ?? "-"
      return pad(name, 12) + pad(format(a, count: count), 12, right: true)
        + pad(format(b, count: count), 12, right: true) + pad(change, 12, right: true)
    }
    for name in names {
      lines.append(row(name, firstMetrics[name] ?? nil, secondMetrics[name] ?? nil))
    }
    lines.append("")
    lines.append("per class (\(classMetric))")
    for name in classNames {
      lines.append(row(name, firstClasses[name] ?? nil, secondClasses[name] ?? nil))
    }
    Output.lines(lines)
  }
}
