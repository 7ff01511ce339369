package import GitStore

/// One sample to export, as stored at the exported commit.
package struct ExportSample: Sendable {
  package var key: String
  package var media: MediaRecord
  package var group: SampleGroup?
  /// The labels of the exported field (empty when the sample has none).
  package var labels: [JSONValue]
  /// The media file's absolute path, when the URI names a local file.
  package var mediaPath: String?
}

/// Everything an exporter writes, read from one commit.
package struct ExportBatch: Sendable {
  package var commit: ObjectID
  package var field: String
  package var definition: FieldDefinition
  /// The classes in schema order (the order class ids follow in YOLO and COCO exports); when
  /// the field lists no classes, the classes found, sorted.
  package var classes: [String]
  package var samples: [ExportSample]
  /// The view the samples came from, if any.
  package var view: String?
}

/// `cairn-export.json`: which data an export holds, so a training run can say what it saw.
package struct ExportManifest: Sendable {
  package var format: String
  package var batch: ExportBatch
  /// Files written, relative to the output folder.
  package var files: Int

  package init(format: String, batch: ExportBatch, files: Int) {
    self.format = format
    self.batch = batch
    self.files = files
  }

  package var json: JSONValue {
    .object([
      "format": .string(format),
      "commit": .string(batch.commit.hex),
      "view": batch.view.map { .string($0) } ?? .null,
      "field": .string(batch.field),
      "samples": .int(Int64(batch.samples.count)),
      "labels": .int(Int64(batch.samples.reduce(0) { $0 + $1.labels.count })),
      "classes": .array(batch.classes.map { .string($0) }),
      "files": .int(Int64(files)),
      "exported_by": .string("cairn"),
    ])
  }

  /// Writes the manifest into `directory`.
  package func write(to directory: String) throws(CairnError) {
    try CairnError.wrap {
      try FileIO.writeAtomically(CanonicalJSON.encode(json), to: directory + "/cairn-export.json")
    }
  }
}

extension CairnRepository {
  /// The samples and labels of `field` at `revision` (default `HEAD`), all samples or only
  /// `keys`, in key order.
  ///
  /// - Throws: `CairnError` `.notFound` for an unknown revision, field or key.
  package func exportBatch(revision: String?, field: String, keys: [String]?, view: String? = nil)
    throws(CairnError) -> ExportBatch
  {
    let commit = try resolve(revision ?? "HEAD")
    let schema = try self.schema(at: commit.hex)
    guard let definition = schema.fields[field] else {
      throw CairnError(.notFound, "field '\(field)' is not in the schema at \(commit.short)")
    }
    let git = self.git
    let root = git.workingDirectory
    let samples = try CairnError.wrap { () throws -> [ExportSample] in
      let tree = try git.readCommit(commit).tree
      let walk = TreeWalk(repository: git)
      var sampleIDs: [String: ObjectID] = [:]
      if let keys {
        for key in keys {
          guard let entry = try walk.entry(at: FormatV1.samplePath(key), in: tree) else {
            throw CairnError(.notFound, "no sample '\(key)' at \(commit.short)")
          }
          sampleIDs[key] = entry.id
        }
      } else if let samplesTree = try walk.entry(at: "samples", in: tree) {
        try walk.files(in: samplesTree.id, prefix: "samples") { path, entry in
          if case .success(.sample(let key)) = FormatV1.classify(path) { sampleIDs[key] = entry.id }
        }
      }
      var result: [ExportSample] = []
      for key in sampleIDs.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
        guard let id = sampleIDs[key] else { continue }
        let record = try SampleRecord(json: try JSONParser.parse(try git.readBlob(id)))
        var labels: [JSONValue] = []
        if let entry = try walk.entry(at: FormatV1.labelPath(field: field, key: key), in: tree) {
          labels = try JSONParser.parse(try git.readBlob(entry.id))["labels"]?.array ?? []
        }
        result.append(
          ExportSample(
            key: key, media: record.media, group: record.group, labels: labels,
            mediaPath: Self.localPath(of: record.media.uri, root: root)))
      }
      return result
    }
    var classes = definition.classes ?? []
    if definition.classes == nil {
      classes = Array(Set(samples.flatMap { $0.labels.compactMap { $0["label"]?.string } }))
        .sorted()
    }
    return ExportBatch(
      commit: commit, field: field, definition: definition, classes: classes, samples: samples,
      view: view)
  }

  /// The local file a media URI names: a path relative to the working tree, or a `file://`
  /// URI; nil for other schemes or a bare repository's relative paths.
  static func localPath(of uri: String, root: String?) -> String? {
    if uri.hasPrefix("file://") {
      let encoded = String(uri.dropFirst("file://".count))
      return percentDecoded(encoded)
    }
    if uri.contains("://") { return nil }
    return root.map { $0 + "/" + uri }
  }
}
