internal import ArgumentParser
internal import CairnCore
internal import GitStore

/// The options every label-format import shares.
struct LabelImportArguments: ParsableArguments {
  @Option(help: "The label field the labels go into.")
  var field: String

  @Option(help: "The folder image file names are relative to (default: the format's own).")
  var mediaDir: String?

  @Option(help: "Prefix every sample key with '<prefix>/'.")
  var prefix: String?

  @Flag(help: "Add classes the schema does not list instead of refusing them.")
  var addClasses = false

  @Option(name: .customLong("map"), help: "Rename a class: OLD=NEW (repeatable).")
  var maps: [String] = []

  @Flag(help: "Record images that are not on disk as missing (labels-only data).")
  var allowMissingMedia = false

  @Flag(help: "Commit the import (needs -m).")
  var commit = false

  @Option(name: .shortAndLong, help: "The commit message, with --commit.")
  var message: String?

  @Flag(help: "Print the result as JSON (envelope cairn.import-labels/v1).")
  var json = false

  func validate() throws {
    if commit && (message?.isEmpty ?? true) { throw ValidationError("--commit needs -m MESSAGE") }
    for map in maps where map.split(separator: "=", omittingEmptySubsequences: false).count != 2 {
      throw ValidationError("--map takes OLD=NEW, not '\(map)'")
    }
  }

  var options: LabelImportOptions {
    var classMap: [String: String] = [:]
    for map in maps {
      let parts = map.split(separator: "=", omittingEmptySubsequences: false).map(String.init)
      classMap[parts[0]] = parts[1]
    }
    return LabelImportOptions(
      field: field, prefix: prefix, addClasses: addClasses, classMap: classMap,
      allowMissingMedia: allowMissingMedia)
  }

  /// Imports what `read` returns and reports it.
  func run(
    _ repository: RepositoryOptions, format: String,
    read: () throws(CairnError) -> ExternalDataset
  ) throws {
    let repo = try repository.open()
    let dataset = try read()
    let result = try repo.importLabels(dataset, options: options)
    for warning in dataset.warnings { Output.note("warning: " + warning) }
    var committed: CommitResult?
    if commit, let message {
      committed = try repo.commit(message: message, now: currentTime())
    }
    if json {
      var body: [String: JSONValue] = [
        "format": .string(format), "field": .string(field),
        "samples_added": .int(Int64(result.samplesAdded)),
        "samples_updated": .int(Int64(result.samplesUpdated)),
        "label_files_written": .int(Int64(result.labelFilesWritten)),
        "labels": .int(Int64(result.labels)), "labels_matched": .int(Int64(result.labelsMatched)),
        "missing_media": .int(Int64(result.missingMedia)),
        "classes_added": .array(result.classesAdded.map { .string($0) }),
        "field_created": .bool(result.fieldCreated),
        "attributes_added": .array(result.attributesAdded.map { .string($0) }),
        "warnings": .array(dataset.warnings.map { .string($0) }),
      ]
      if let committed { body["commit"] = .string(committed.id.hex) }
      Output.json("cairn.import-labels/v1", .object(body))
      return
    }
    Output.line(
      "\(result.labels) label(s) in \(result.labelFilesWritten) file(s) of field '\(field)'; "
        + "\(result.samplesAdded) sample(s) added, \(result.samplesUpdated) updated"
        + (result.labelsMatched > 0 ? "; \(result.labelsMatched) label(s) kept their id" : "")
        + (result.missingMedia > 0 ? "; \(result.missingMedia) image(s) recorded as missing" : ""))
    if result.fieldCreated {
      Output.line("declared field '\(field)' with \(result.classesAdded.count) class(es)")
    } else if !result.classesAdded.isEmpty {
      Output.line("added class(es): " + result.classesAdded.joined(separator: ", "))
    }
    if !result.attributesAdded.isEmpty {
      Output.line("declared attribute(s): " + result.attributesAdded.joined(separator: ", "))
    }
    if let committed {
      Output.line("[\(committed.branch ?? "detached HEAD") \(committed.id.short)] \(message ?? "")")
    }
  }
}

/// The options every export shares.
struct ExportArguments: ParsableArguments {
  @Option(help: "The folder to write into (created; must be empty or absent).")
  var out: String

  @Option(help: "The label field to export.")
  var field: String

  @Option(help: "The revision to export (default: HEAD).")
  var rev: String?

  @Option(help: "Export only this sample (repeatable; default: every sample).")
  var key: [String] = []

  @Option(help: "Export the samples of this saved view (as stored at the exported commit).")
  var view: String?

  @Flag(help: "Export even when frozen test samples are among training samples.")
  var allowLeakage = false

  @Flag(help: "Print the manifest as JSON (envelope cairn.export/v1).")
  var json = false

  /// The samples to export: every sample, `--key`, or `--view` with the view's label filters
  /// applied to the exported field.
  func exportBatch(_ repo: CairnRepository) throws -> ExportBatch {
    guard let view else {
      return try repo.exportBatch(revision: rev, field: field, keys: key.isEmpty ? nil : key)
    }
    if !key.isEmpty { throw ValidationError("give --key or --view, not both") }
    let commit = try repo.resolve(rev ?? "HEAD")
    let source = DataSource.revision(commit.hex)
    let evaluation = try repo.evaluate(try repo.view(named: view, in: source), in: source)
    var batch = try repo.exportBatch(
      revision: commit.hex, field: field, keys: evaluation.keys, view: view)
    let filtered = Dictionary(
      try evaluation.samples().map { ($0.key, $0.labels[field] ?? []) },
      uniquingKeysWith: { a, _ in a })
    for index in batch.samples.indices {
      batch.samples[index].labels = filtered[batch.samples[index].key] ?? []
    }
    return batch
  }

  /// Refuses an export that mixes samples of frozen test sets with other samples.
  ///
  /// Training data must not hold test data, by key or by media content; an export of test
  /// samples only (an evaluation set) is allowed.
  func refuseLeaks(_ repo: CairnRepository, _ batch: ExportBatch) throws {
    let keys = batch.samples.map(\.key)
    let leaks = try repo.leaks(keys: keys, at: batch.commit)
    if leaks.isEmpty { return }
    // Every exported sample is itself a test sample: an evaluation export.
    if Set(leaks.filter { $0.kind == .key }.map(\.trainingKey)).count == keys.count { return }
    let leaked = Set(leaks.map(\.trainingKey))
    throw CairnError(
      .validationFailed,
      "export refused: \(leaked.count) of \(keys.count) exported samples belong to frozen test "
        + "sets; exclude them from the view, or pass --allow-leakage",
      violations: leaks.map {
        CairnError.Violation(
          $0.trainingKey,
          $0.kind == .key
            ? "is sample '\($0.testKey)' of test set \($0.set)"
            : "has the same media as '\($0.testKey)' of test set \($0.set)")
      })
  }

  /// Reads the batch, prepares the folder, runs `write` and writes the manifest.
  func run(
    _ repository: RepositoryOptions, format: String,
    write: (ExportBatch, String) throws(CairnError) -> Int
  ) throws {
    let repo = try repository.open()
    let batch = try exportBatch(repo)
    if !allowLeakage { try refuseLeaks(repo, batch) }
    if let names = FileIO.list(out), !names.isEmpty {
      throw CairnError(.alreadyExists, "\(out) exists and is not empty; choose another folder")
    }
    try CairnError.wrap { try FileIO.makeDirectories(out) }
    let files = try write(batch, out)
    let manifest = ExportManifest(format: format, batch: batch, files: files)
    try manifest.write(to: out)
    if json {
      Output.json("cairn.export/v1", manifest.json)
    } else {
      Output.line(
        "exported \(batch.samples.count) sample(s), "
          + "\(batch.samples.reduce(0) { $0 + $1.labels.count }) label(s) of '\(field)' at "
          + "\(batch.commit.short) as \(format) to \(out) (manifest: cairn-export.json)")
    }
  }
}

extension Cairn {
  struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "export",
      abstract: "Export a field's labels in a training or annotation tool's format.",
      discussion: """
        Every export reads one commit (--rev, default HEAD) and writes cairn-export.json \
        beside the labels: the commit id, the field, the view, the counts and the classes in \
        order, so a training run can say exactly which data it saw.
        """,
      subcommands: [
        ExportYOLO.self, ExportCOCO.self, ExportKITTI.self, ExportVOC.self, ExportCVAT.self,
        ExportLabelStudio.self,
      ])
  }
}
