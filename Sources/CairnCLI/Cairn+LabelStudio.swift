internal import ArgumentParser
internal import CairnCore

extension Cairn.Import {
  struct LabelStudio: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "labelstudio",
      abstract: "Import a Label Studio JSON export (rectangle labels).",
      discussion: """
        Each task is a sample. Its data.image names the file relative to --media-dir \
        (default: the JSON file's folder): the ?d= value of /data/local-files/ URLs, the file \
        name of /data/upload/ URLs (without Label Studio's 8-character prefix), the path of \
        other URLs, or the path as written. Of each task's annotations, the one marked \
        ground_truth (else the last not cancelled) is imported; with --predictions, the last \
        prediction instead, its scores becoming confidences. rectanglelabels results become \
        boxes (x, y, width, height in percent), their ids the labels' source_id; other result \
        types are counted in a warning.
        """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var arguments: LabelImportArguments

    @Argument(help: "The exported JSON file.")
    var path: String

    @Flag(help: "Import the tasks' predictions (with confidences) instead of annotations.")
    var predictions = false

    func run() async throws {
      let (path, media, predictions) = (self.path, arguments.mediaDir, self.predictions)
      try arguments.run(repository, format: "labelstudio") { () throws(CairnError) in
        try LabelStudioFormat.read(path: path, mediaDirectory: media, predictions: predictions)
      }
    }
  }
}

extension Cairn.Export {
  struct ExportLabelStudio: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "labelstudio",
      abstract: "Export detections as a Label Studio JSON import file.",
      discussion: """
        Writes tasks.json: one task per sample in key order, data.image = --image-prefix + \
        the key, and one annotation (or prediction, with --predictions) of rectanglelabels \
        results in percent, each with the label's source_id as its id, else its Cairn id, so \
        a re-import keeps every label's id. Also writes cairn-export.json.
        """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var arguments: ExportArguments

    @Option(help: "What data.image starts with, before the sample key.")
    var imagePrefix = "/data/local-files/?d="

    @Option(help: "The labeling config's RectangleLabels name.")
    var fromName = "label"

    @Option(help: "The labeling config's Image name.")
    var toName = "image"

    @Flag(help: "Write predictions (with the labels' confidences as scores).")
    var predictions = false

    func run() async throws {
      let options = LabelStudioFormat.ExportOptions(
        imagePrefix: imagePrefix, fromName: fromName, toName: toName, predictions: predictions)
      try arguments.run(repository, format: "labelstudio") { (batch, out) throws(CairnError) in
        try LabelStudioFormat.write(batch, to: out, options: options)
      }
    }
  }
}
