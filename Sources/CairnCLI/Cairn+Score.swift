internal import ArgumentParser
internal import CairnCore
internal import Curation

extension Cairn {
  struct Score: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "score",
      abstract: "Score every sample (uniqueness, zcore, kcenter, hardness, duplicates).",
      discussion: """
        uniqueness: FiftyOne's formula on --embeddings. zcore: zero-shot coreset scores \
        (seeded; --draws, --redund-nn). kcenter: cosine distance to the nearest sample \
        labelled in --field. hardness: uncertainty of the predictions in --field (entropy of \
        a classification's scores, mean binary entropy of the boxes' confidences). \
        duplicates: the key of the sample each one duplicates (same media SHA-256, or \
        embeddings within --threshold). The score is written as the sample field <name> \
        (default: the score's name; duplicate_of) of every record, declared in schema.json, \
        and in runs/score/<name>/run.json; views use it (fields.uniqueness > 0.8). Record \
        them with 'cairn commit'. See Docs/curation.md.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "uniqueness, zcore, kcenter, hardness or duplicates.")
    var kind: String

    @Option(help: "The embedding set (one vector per sample).")
    var embeddings: String?

    @Option(help: "hardness: the predictions field; kcenter: the labelled field.")
    var field: String?

    @Option(help: "The sample field to write.")
    var name: String?

    @Option(help: "zcore: the seed of its draws.")
    var seed: UInt64 = 0

    @Option(help: "zcore: the number of draws (default min(1 000 000, 10 N)).")
    var draws: Int?

    @Option(help: "zcore: neighbours sharing a redundancy penalty.")
    var redundNn: Int = 1000

    @Option(help: "duplicates: the cosine distance of near duplicates.")
    var threshold: Double = 0.2

    @Flag(help: "Print the result as JSON (envelope cairn.score/v1).")
    var json = false

    func validate() throws {
      guard ScoreKind(rawValue: kind) != nil else {
        throw ValidationError(
          "the score is one of uniqueness, zcore, kcenter, hardness, duplicates")
      }
    }

    func run() throws {
      let repository = try self.repository.open()
      var zcore = ZCoreParameters()
      zcore.sampleCount = draws
      zcore.redundancyNeighbours = redundNn
      let result = try repository.score(
        ScoreOptions(
          kind: ScoreKind(rawValue: kind) ?? .uniqueness, embeddings: embeddings, field: field,
          name: name, seed: seed, zcore: zcore, threshold: threshold))
      if json {
        Output.json("cairn.score/v1", result.record)
      } else {
        Output.lines(
          result.values.map { value in
            var bytes: [UInt8] = []
            CanonicalJSON.encodeFragment(value.value, into: &bytes)
            return "\(value.key)\t\(String(decoding: bytes, as: UTF8.self))"
          })
      }
      Output.note(
        "cairn: wrote fields.\(result.field) of \(result.values.count) samples and "
          + "runs/score/\(result.field)/run.json; record them with 'cairn commit'")
    }
  }
}
