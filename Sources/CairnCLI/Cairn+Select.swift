internal import ArgumentParser
internal import CairnCore
internal import Curation

extension Cairn {
  struct Select: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "select",
      abstract: "Choose the next batch to label: coverage, then targeting of failures.",
      discussion: """
        The pool is --from's samples (default: all) minus those labelled in --field, every \
        frozen test set and golden set sample, samples whose embedding lies within \
        --leak-distance of a protected sample's, and samples without an embedding. At cold \
        start (no --target, no --target-uncertain) the whole budget is coverage by \
        --strategy (typical, the default: the most typical sample of each of the largest \
        clusters with the fewest labelled samples, which beat random in every measured \
        round; kcenter; zcore; uniqueness; random). Otherwise --coverage (0.3) of it is \
        coverage and the rest targets the pool samples nearest the failures of evaluation \
        run --target (false negatives first), then those the model of --target-uncertain is \
        least sure of, spread over the clusters of a shortlist twice the need. \
        Writes the pinned view <name>, tags batch:<name> and source:coverage or \
        source:targeted, and runs/select/<name>/run.json with the reason of every pick; \
        record them with 'cairn commit'. The same inputs and --seed give the same batch.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Option(help: "How many samples to pick.")
    var budget: Int

    @Option(help: "The embedding set (one vector per sample) that places the samples.")
    var embeddings: String

    @Option(help: "The field being annotated: samples with labels there are not picked.")
    var field: String

    @Option(help: ArgumentHelp("The batch's name: its view, tags and run.", valueName: "name"))
    var save: String

    @Option(name: .customLong("from"), help: "Pick only among the samples of this view.")
    var view: String?

    @Option(help: "The share of the budget spent on coverage when there is a target.")
    var coverage: Double = 0.3

    @Option(help: "An evaluation run whose failures are targeted.")
    var target: String?

    @Option(help: "A predictions field whose least certain samples are targeted.")
    var targetUncertain: String?

    @Option(help: "typical, kcenter, zcore, uniqueness or random.")
    var strategy: String = "typical"

    @Option(help: "Seed of every random choice (ZCore draws, random).")
    var seed: UInt64 = 0

    @Option(
      help: "Cosine distance under which a sample counts as a near-duplicate of a protected one.")
    var leakDistance: Double = 0.02

    @Flag(help: "Print the result as JSON (envelope cairn.select/v1).")
    var json = false

    func validate() throws {
      guard budget > 0 else { throw ValidationError("--budget must be at least 1") }
      guard (0...1).contains(coverage) else { throw ValidationError("--coverage must be in 0…1") }
      guard CoverageStrategy(rawValue: strategy) != nil else {
        throw ValidationError("--strategy must be typical, kcenter, zcore, uniqueness or random")
      }
      guard leakDistance >= 0 else { throw ValidationError("--leak-distance must be ≥ 0") }
    }

    func run() throws {
      let repository = try self.repository.open()
      let selection = try repository.select(
        SelectionOptions(
          name: save, budget: budget, view: view, field: field, embeddings: embeddings,
          coverageShare: coverage, strategy: CoverageStrategy(rawValue: strategy) ?? .typical,
          targetRun: target, uncertainField: targetUncertain, leakDistance: leakDistance,
          seed: seed))
      if json {
        var body = selection.record.object ?? [:]
        body["excluded"] = .object([
          "labelled": .int(Int64(selection.excludedLabelled)),
          "protected": .int(Int64(selection.excludedProtected)),
          "near_protected": .int(Int64(selection.excludedNearProtected)),
          "without_embedding": .int(Int64(selection.excludedWithoutEmbedding)),
        ])
        Output.json("cairn.select/v1", .object(body))
      } else {
        var lines = [
          "batch \(save): \(selection.picks.count) of a pool of \(selection.poolSize) "
            + "(\(selection.picks.filter { $0.source == "coverage" }.count) coverage, "
            + "\(selection.picks.filter { $0.source == "targeted" }.count) targeted)",
          "left out: \(selection.excludedLabelled) labelled, \(selection.excludedProtected) "
            + "protected, \(selection.excludedNearProtected) near a protected sample, "
            + "\(selection.excludedWithoutEmbedding) without an embedding",
        ]
        for pick in selection.picks {
          var bytes: [UInt8] = []
          CanonicalJSON.encodeFragment(pick.reason, into: &bytes)
          lines.append("\(pick.key)\t\(pick.source)\t\(String(decoding: bytes, as: UTF8.self))")
        }
        Output.lines(lines)
      }
      Output.note(
        "cairn: wrote views/\(save).json, runs/select/\(save)/run.json and the tags; "
          + "record them with 'cairn commit'")
    }
  }
}
