internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct Embed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "embed",
      abstract: "Import, compute, list and show embedding sets.",
      discussion: """
        An embedding set is a folder embeddings/<name>/ of meta.json, keys.json and \
        vectors.bin: one vector per sample, or per label of a label field (--objects). \
        'import' reads vectors a model wrote (.npy, .jsonl, .csv); 'compute' makes Cairn's \
        built-in pixel descriptor. Both write into the working tree; record the set with \
        'cairn commit'. See Docs/embeddings.md.
        """,
      subcommands: [Import.self, Compute.self, List.self, Show.self])
  }
}

extension Cairn.Embed {
  struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "import",
      abstract: "Import vectors from a .npy, .jsonl or .csv file into embeddings/<name>/.",
      discussion: """
        .npy: a 2-D little-endian float32 ('<f4') or float16 ('<f2') array in C order, one row \
        per key of --keys (one key per line; 'key<TAB>label-id' with --objects). .jsonl: one \
        object per line, {"key": …, "embedding": […]} (and "label_id" with --objects). .csv: \
        key,v1,v2,… (key,label_id,v1,… with --objects), with an optional header line. Every \
        key must be a sample of the working tree (and every label id a label of its file in \
        FIELD); rows have one dimension and finite numbers; no key twice. Rows are stored \
        sorted by key. Nothing is written when any row fails.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The file of vectors (.npy, .jsonl or .ndjson, .csv).")
    var file: String

    @Option(
      help: ArgumentHelp("The set's name (letters, digits, '_', '-', '.').", valueName: "name"))
    var name: String

    @Option(
      help: ArgumentHelp("For .npy: the keys, one per line, in row order.", valueName: "file"))
    var keys: String?

    @Option(help: ArgumentHelp("What made the vectors (free text).", valueName: "text"))
    var model = "unknown"

    @Option(
      help: ArgumentHelp("One vector per label of this field, not per sample.", valueName: "field"))
    var objects: String?

    @Flag(help: "Store float16 instead of float32 (chosen anyway for a '<f2' .npy file).")
    var float16 = false

    @Flag(name: .shortAndLong, help: "Replace an existing set of that name.")
    var force = false

    @Flag(help: "Print the result as JSON (envelope cairn.embed-import/v1).")
    var json = false

    func run() async throws {
      let repo = try repository.open()
      let input = try EmbeddingInput.read(path: file, keysPath: keys, objects: objects != nil)
      let (set, replaced) = try repo.importEmbeddings(
        input, name: name, model: model, field: objects, float16: float16, replace: force)
      if json {
        var body = EmbedOutput.body(set.meta)
        body["replaced"] = .bool(replaced)
        Output.json("cairn.embed-import/v1", .object(body))
        return
      }
      Output.line(
        "Imported \(set.keys.count) \(set.kind == .object ? "object" : "sample") vectors of "
          + "dimension \(set.dimension) (\(set.dtype.rawValue)) into "
          + "\(EmbeddingSet.folder(name))/")
      Output.note("record it with 'cairn commit'")
    }
  }

  struct Compute: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "compute",
      abstract: "Compute Cairn's built-in pixel descriptor of every image (or detection box).",
      discussion: """
        cairn-descriptor-v1: a deterministic, model-free 384-number vector per image (with \
        --objects, per detection box of FIELD): an 8×8 colour layout and a colour histogram \
        in Oklab, and 4×4 cells of gradient orientations, L2-normalised. Good enough to spread \
        a first batch to label over what a dataset looks like; not a learned model (import \
        CLIP vectors with 'embed import'). Point clouds and images that cannot be read are \
        skipped with a warning. Samples and labels come from the working tree or --rev; \
        media files from their URIs. The set is written into the working tree.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Option(help: ArgumentHelp("The set's name.", valueName: "name"))
    var name: String

    @Option(help: ArgumentHelp("One vector per detection box of this field.", valueName: "field"))
    var objects: String?

    @Option(
      help: ArgumentHelp(
        "Read samples and labels from this revision instead of the working tree.",
        valueName: "rev"))
    var rev: String?

    @Flag(name: .shortAndLong, help: "Replace an existing set of that name.")
    var force = false

    @Flag(help: "Print the result as JSON (envelope cairn.embed-compute/v1).")
    var json = false

    func run() async throws {
      let repo = try repository.open()
      let result = try repo.computeEmbeddings(
        name: name, field: objects, in: rev.map { .revision($0) } ?? .workingTree,
        replace: force)
      for (key, reason) in result.skipped.prefix(10) {
        Output.note("warning: skipped '\(key)': \(reason)")
      }
      if result.skipped.count > 10 {
        Output.note("warning: … and \(result.skipped.count - 10) more samples skipped")
      }
      if json {
        var body = EmbedOutput.body(result.set.meta)
        body["replaced"] = .bool(result.replaced)
        body["samples"] = .int(Int64(result.samples))
        body["skipped"] = .array(
          result.skipped.map { .object(["key": .string($0.key), "reason": .string($0.reason)]) })
        Output.json("cairn.embed-compute/v1", .object(body))
        return
      }
      let what = result.set.kind == .object ? "boxes" : "images"
      Output.line(
        "Computed \(result.set.keys.count) vectors (\(what)) of dimension "
          + "\(result.set.dimension) into \(EmbeddingSet.folder(name))/; "
          + "\(result.skipped.count) of \(result.samples) samples skipped")
      Output.note("record it with 'cairn commit'")
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list",
      abstract: "List the embedding sets.",
      discussion: "Sets of the working tree, or of --rev, with their metadata.")

    @OptionGroup var repository: RepositoryOptions

    @Option(
      help: ArgumentHelp(
        "List the sets of this revision instead of the working tree.",
        valueName: "rev"))
    var rev: String?

    @Flag(help: "Print the result as JSON (envelope cairn.embeddings/v1).")
    var json = false

    func run() async throws {
      let sets = try repository.open().embeddingSets(in: rev.map { .revision($0) } ?? .workingTree)
      if json {
        Output.json(
          "cairn.embeddings/v1",
          .object([
            "embeddings": .array(
              sets.map { listing in
                var body = listing.meta.map(EmbedOutput.body) ?? ["name": .string(listing.name)]
                body["problem"] = listing.problem.map { .string($0) } ?? .null
                return .object(body)
              })
          ]))
        return
      }
      let width = sets.map(\.name.count).max() ?? 0
      for listing in sets {
        var line = listing.name.padding(width) + "  "
        if let meta = listing.meta {
          line += "\(meta.count) × \(meta.dimension) \(meta.dtype.rawValue), "
          line += meta.field.map { "objects of \($0)" } ?? "samples"
          line += ", \(meta.model)"
        } else {
          line += "INVALID: \(listing.problem ?? "")"
        }
        Output.line(line)
      }
    }
  }

  struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "show",
      abstract: "Show an embedding set's metadata and first keys.",
      discussion: "The set of the working tree, or of --rev; all three files are read and checked.")

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The set's name.")
    var name: String

    @Option(
      help: ArgumentHelp(
        "Read the set from this revision instead of the working tree.",
        valueName: "rev"))
    var rev: String?

    @Option(help: ArgumentHelp("How many keys to show (default 5).", valueName: "n"))
    var keys = 5

    @Flag(help: "Print the result as JSON (envelope cairn.embed/v1).")
    var json = false

    func run() async throws {
      let set = try repository.open().embeddings(
        named: name, in: rev.map { .revision($0) } ?? .workingTree)
      let first = set.keys.prefix(max(0, keys))
      if json {
        var body = EmbedOutput.body(set.meta)
        body["keys"] = .array(
          first.map { key in
            key.label.map { .array([.string(key.sample), .string($0)]) } ?? .string(key.sample)
          })
        Output.json("cairn.embed/v1", .object(body))
        return
      }
      let meta = set.meta
      Output.line("embeddings \(name) (\(EmbeddingSet.folder(name))/)")
      Output.line("model: \(meta.model)")
      Output.line(
        "kind: \(meta.kind.rawValue)" + (meta.field.map { " (field \($0))" } ?? ""))
      Output.line("vectors: \(meta.count) × \(meta.dimension) \(meta.dtype.rawValue)")
      for key in first {
        Output.line("  \(key.label.map { "\(key.sample)\t\($0)" } ?? key.sample)")
      }
      if set.keys.count > first.count { Output.line("  … \(set.keys.count - first.count) more") }
    }
  }
}

enum EmbedOutput {
  /// The members of `meta.json` plus the set's folder: `{"count", "dimension", "dtype",
  /// "field", "kind", "model", "name", "path"}`.
  static func body(_ meta: EmbeddingMeta) -> [String: JSONValue] {
    [
      "name": .string(meta.name), "path": .string(EmbeddingSet.folder(meta.name)),
      "model": .string(meta.model), "kind": .string(meta.kind.rawValue),
      "field": meta.field.map { .string($0) } ?? .null, "count": .int(Int64(meta.count)),
      "dimension": .int(Int64(meta.dimension)), "dtype": .string(meta.dtype.rawValue),
    ]
  }
}
