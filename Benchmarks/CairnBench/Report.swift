import Foundation

/// One row of the results table: a Cairn operation against a peer doing the same work.
struct Comparison {
  /// What was measured.
  var operation: String
  /// Cairn's wall time, in seconds.
  var cairn: Double
  /// The peer tool.
  var peer: String
  /// The peer's wall time, in seconds.
  var peerSeconds: Double

  /// How many times faster Cairn was (peer / Cairn).
  var ratio: Double { cairn > 0 ? peerSeconds / cairn : .infinity }
}

/// A performance target and whether the run met it.
struct Target {
  /// The target, as a sentence.
  var description: String
  /// The measured value, as text.
  var measured: String
  /// Whether the run met the target.
  var passed: Bool
}

/// Everything one run measured and found.
struct Report {
  /// Facts about the run (N, machine, versions), printed before the table.
  var facts: [(String, String)] = []
  /// The timed comparisons.
  var comparisons: [Comparison] = []
  /// Correctness checks: a description and whether it held.
  var checks: [(String, Bool)] = []
  /// The targets.
  var targets: [Target] = []

  /// Prints the report.
  func print() {
    Swift.print("")
    Swift.print("== Cairn benchmark ==")
    let width = facts.map(\.0.count).max() ?? 0
    for (name, value) in facts { Swift.print(Self.pad(name, width + 1) + " " + value) }

    Swift.print("")
    Swift.print("-- Correctness --")
    for (text, held) in checks { Swift.print((held ? "ok        " : "MISMATCH  ") + text) }

    if !comparisons.isEmpty { printTimings() }

    Swift.print("")
    Swift.print("-- Targets --")
    for target in targets {
      Swift.print(
        (target.passed ? "PASS  " : "FAIL  ") + target.description + "  (" + target.measured + ")")
    }
    let failed = targets.filter { !$0.passed }.count
    let broken = checks.filter { !$0.1 }.count
    Swift.print("")
    Swift.print(
      "\(targets.count - failed)/\(targets.count) targets met; "
        + (broken == 0 ? "all correctness checks held" : "\(broken) CORRECTNESS CHECK(S) FAILED"))
  }

  /// Prints the timed comparisons.
  private func printTimings() {
    Swift.print("")
    Swift.print("-- Timings (wall clock, seconds) --")
    let header = [
      Self.pad("operation", 20), Self.left("Cairn s", 10), "  ", Self.pad("peer", 32),
      Self.left("peer s", 10), "  ", "peer/Cairn",
    ]
    Swift.print(header.joined())
    Swift.print(String(repeating: "-", count: 98))
    for row in comparisons {
      let line = [
        Self.pad(row.operation, 20), Self.left(Self.seconds(row.cairn), 10), "  ",
        Self.pad(row.peer, 32), Self.left(Self.seconds(row.peerSeconds), 10), "  ",
        Self.ratioText(row.ratio),
      ]
      Swift.print(line.joined())
    }
  }

  /// A ratio as `12.3× faster` or `0.8× (2.1× slower)`.
  static func ratioText(_ ratio: Double) -> String {
    guard ratio.isFinite else { return "∞" }
    if ratio >= 1 { return String(format: "%.1f× faster", ratio) }
    return String(format: "%.2f× (%.1f× slower)", ratio, 1 / ratio)
  }

  /// Seconds with four significant places for small values.
  static func seconds(_ value: Double) -> String {
    value >= 10 ? String(format: "%.2f", value) : String(format: "%.4f", value)
  }

  private static func pad(_ text: String, _ width: Int) -> String {
    text + String(repeating: " ", count: max(1, width - text.count))
  }

  private static func left(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
  }
}
