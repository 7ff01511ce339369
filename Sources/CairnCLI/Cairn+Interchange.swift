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

  @Flag(help: "Print the manifest as JSON (envelope cairn.export/v1).")
  var json = false

  /// Reads the batch, prepares the folder, runs `write` and writes the manifest.
  func run(
    _ repository: RepositoryOptions, format: String,
    write: (ExportBatch, String) throws(CairnError) -> Int
  ) throws {
    let repo = try repository.open()
    let batch = try repo.exportBatch(revision: rev, field: field, keys: key.isEmpty ? nil : key)
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
      abstract: "Export a field's labels in a training or annotation tool's format.",
      discussion: """
        Every export reads one commit (--rev, default HEAD) and writes cairn-export.json \
        beside the labels: the commit id, the field, the view, the counts and the classes in \
        order, so a training run can say exactly which data it saw.
        """,
      subcommands: [ExportYOLO.self, ExportCOCO.self])
  }
}
