internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension ColorChoice: ExpressibleByArgument {}

extension Cairn {
  struct Diff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "diff",
      abstract: "Show label, sample, schema and view changes between two versions.",
      discussion: """
        With no revision, compares HEAD with the working tree; with one, that revision with \
        the working tree; with two (or A..B), A with B. Labels are matched by id: each one \
        added (+), removed (-) or modified (~) is listed with what changed — class, geometry \
        (IoU and area ratio of boxes; centre distance and volume ratio of cuboids; point \
        displacement), attributes, confidence, tags. Only the files that differ are read.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The old revision, or a range A..B (default: HEAD).")
    var from: String?

    @Argument(help: "The new revision (default: the working tree).")
    var to: String?

    @Option(
      help: ArgumentHelp(
        "Only the samples this saved view selects on either side.", valueName: "name"))
    var view: String?

    @Option(
      help: ArgumentHelp(
        "Only the labels (and schema changes) of this label field.", valueName: "field"))
    var field: String?

    @Flag(help: "Counts per label field and class instead of every change.")
    var stat = false

    @Flag(help: "Print the result as JSON (envelope cairn.diff/v1, written as it is computed).")
    var json = false

    @Option(
      help: ArgumentHelp("Also write a self-contained HTML report to this file.", valueName: "file")
    )
    var html: String?

    @Option(help: "Colour the text output: auto (on a terminal), always or never.")
    var color: ColorChoice = .auto

    @Argument(parsing: .postTerminator, help: "Sample keys (after --).")
    var keys: [String] = []

    func validate() throws {
      if view != nil && !keys.isEmpty { throw ValidationError("use either -- KEYS or --view") }
    }

    func run() async throws {
      let repo = try repository.open()
      let (old, new) = try RevisionRange.diffSides([from, to].compactMap { $0 })
      let plan = try repo.planDiff(
        DiffRequest(
          from: old, to: new, keys: keys, view: view, field: field,
          detail: stat && html == nil ? .counts : .full))
      let out = StreamWriter(descriptor: 1)
      var renderers: [any DiffRenderer] = []
      if json {
        renderers.append(JSONDiffRenderer(out: out, includeSamples: !stat))
      } else if stat {
        renderers.append(StatDiffRenderer(out: out))
      } else if html == nil {
        renderers.append(
          TextDiffRenderer(out: out, palette: Palette(enabled: color.enabled(for: 1))))
      }
      if let html {
        renderers.append(HTMLDiffRenderer(file: try ReportFile(path: html)))
      }
      for renderer in renderers { renderer.begin(plan.header) }
      var counts = DiffStat()
      repo.forEachSampleDiff(in: plan) { sample in
        counts.add(sample)
        for renderer in renderers { renderer.sample(sample) }
      }
      for renderer in renderers { try renderer.end(counts) }
      if let html { Output.note("wrote \(html)") }
    }
  }
}

/// Reading revision arguments: `A`, `A B`, `A..B`.
enum RevisionRange {
  /// The two sides of `cairn diff [A [B]]` (or `A..B`): no revision is HEAD against the
  /// working tree; one is that revision against the working tree.
  ///
  /// - Throws: `CairnError` `.invalidInput` for a malformed range.
  static func diffSides(_ revisions: [String]) throws(CairnError) -> (String?, DiffSide) {
    switch revisions.count {
    case 0: return (nil, .workingTree)
    case 1:
      if let range = try range(revisions[0]) { return (range.0, .revision(range.1)) }
      return (revisions[0], .workingTree)
    default:
      for revision in revisions where revision.contains("..") {
        throw CairnError(
          .invalidInput, "'\(revision)': give either two revisions or one range A..B, not both")
      }
      return (revisions[0], .revision(revisions[1]))
    }
  }

  /// The two ends of `A..B`, nil when `text` is not a range.
  ///
  /// - Throws: `CairnError` `.invalidInput` when an end is missing or the range has three dots.
  static func range(_ text: String) throws(CairnError) -> (String, String)? {
    let bytes = Array(text.utf8)
    guard
      let dot = bytes.indices.dropLast().first(where: { bytes[$0] == 0x2E && bytes[$0 + 1] == 0x2E }
      )
    else { return nil }
    let from = String(decoding: bytes[..<dot], as: UTF8.self)
    let to = String(decoding: bytes[(dot + 2)...], as: UTF8.self)
    if to.hasPrefix(".") || to.contains("..") {
      throw CairnError(
        .invalidInput,
        "malformed range '\(text)': use A..B (symmetric ranges A...B are not supported)")
    }
    guard !from.isEmpty, !to.isEmpty else {
      throw CairnError(.invalidInput, "malformed range '\(text)': both ends are needed (A..B)")
    }
    return (from, to)
  }

  /// The two revisions of `cairn drift A..B` or `cairn drift A B`.
  static func pair(_ revisions: [String]) throws(CairnError) -> (String, String) {
    if revisions.count == 1 {
      if let range = try range(revisions[0]) { return range }
      throw CairnError(
        .invalidInput, "'\(revisions[0])' is not a range: give A..B or two revisions A B")
    }
    guard revisions.count == 2 else {
      throw CairnError(.invalidInput, "give a range A..B or two revisions A B")
    }
    for revision in revisions where revision.contains("..") {
      throw CairnError(
        .invalidInput, "'\(revision)': give either two revisions or one range A..B, not both")
    }
    return (revisions[0], revisions[1])
  }
}
