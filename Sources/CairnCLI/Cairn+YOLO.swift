internal import ArgumentParser
internal import CairnCore

extension Cairn.Import {
  struct YOLO: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "yolo",
      abstract: "Import an Ultralytics YOLO (v5/v8) or darknet detection dataset.",
      discussion: """
        PATH is the dataset's data.yaml or its root folder. Class names come from the YAML's \
        'names' (list or index map), classes.txt, obj.names, or --names. Images are those \
        under the YAML's train/val/test folders (or images/); each image's labels are read \
        from the .txt at Ultralytics' path (the last /images/ becomes /labels/): lines \
        'class x_center y_center width height [confidence]', relative to the image. An \
        image without a label file is a sample without labels. Keys are image paths relative \
        to --media-dir (default: the dataset root).

        Darknet's layout is read when PATH is a .data file, or a folder with obj.data and no \
        YAML file: names and train/valid/test image lists come from obj.data (paths looked \
        for beside it, above it, and without their first segment, as CVAT writes data/…), \
        labels from darknet's path or beside each image. An image is keyed by its path in the \
        dataset, or by the longest tail of it found under --media-dir (exports often carry \
        labels without images).
        """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var arguments: LabelImportArguments

    @Argument(help: "The data.yaml or obj.data, or the dataset's root folder.")
    var path: String

    @Option(help: "A names file (one class per line) instead of the YAML's names.")
    var names: String?

    func run() async throws {
      let (path, names, media) = (self.path, self.names, arguments.mediaDir)
      try arguments.run(repository, format: "yolo") { () throws(CairnError) in
        try YOLOFormat.read(path: path, namesFile: names, mediaDirectory: media)
      }
    }
  }
}

extension Cairn.Export {
  struct ExportYOLO: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "yolo",
      abstract: "Export detections as an Ultralytics YOLO dataset with its data.yaml.",
      discussion: """
        Writes images/<key> (symbolic links to the media), one label file per image at \
        Ultralytics' path with 'class x_center y_center width height [confidence]' lines \
        (six decimals; class ids in the schema's class order), data.yaml (names in that order) \
        and cairn-export.json.
        """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var arguments: ExportArguments

    func run() async throws {
      try arguments.run(repository, format: "yolo") { (batch, out) throws(CairnError) in
        try YOLOFormat.write(batch, to: out)
      }
    }
  }
}
