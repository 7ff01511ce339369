internal import ArgumentParser
internal import CairnCore

extension Cairn.Import {
  struct COCO: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "coco",
      abstract: "Import COCO object detections (an instances file, or a results file).",
      discussion: """
        FILE is a COCO instances file (images, annotations, categories). Classes are the \
        category names in category-id order; each image becomes a sample (file_name relative \
        to --media-dir, default: FILE's folder; width and height as its size), with or \
        without annotations; each annotation a detection with its bbox (pixels), its id as \
        source_id, area, iscrowd, and polygons or RLE from its segmentation. With --images \
        GT.json, FILE is a results file (a JSON array of {image_id, category_id, bbox, \
        score}) whose ids refer to GT.json's images and categories; score becomes the \
        confidence. The file is read as a stream, so a million annotations fit in bounded \
        memory. Broken JSON, an unknown image_id or category_id, a box of negative size, a \
        file_name outside the media folder or a missing image refuse the whole import.
        """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var arguments: LabelImportArguments

    @Argument(help: "The COCO instances file, or a results file with --images.")
    var file: String

    @Option(
      help: ArgumentHelp(
        "The instances file whose images and categories a results file refers to.",
        valueName: "gt.json"))
    var images: String?

    func run() async throws {
      let (file, images, media) = (self.file, self.images, arguments.mediaDir)
      try arguments.run(repository, format: "coco") { () throws(CairnError) in
        try COCOFormat.read(path: file, imagesPath: images, mediaDirectory: media)
      }
    }
  }
}

extension Cairn.Export {
  struct ExportCOCO: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "coco",
      abstract: "Export detections as a COCO instances file.",
      discussion: """
        Writes annotations.json: images with ids 1…N in key order (file_name = the key, width \
        and height from the media record), categories in the schema's class order with ids \
        1…K, and one annotation per detection (id = its source_id when that is a unique \
        positive integer, else a new id; bbox in pixels; area; iscrowd; polygons or RLE as \
        segmentation; score = confidence), plus cairn-export.json.
        """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var arguments: ExportArguments

    func run() async throws {
      try arguments.run(repository, format: "coco") { (batch, out) throws(CairnError) in
        try COCOFormat.write(batch, to: out)
      }
    }
  }
}
