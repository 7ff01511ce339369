internal import ArgumentParser
internal import CairnCore

extension Cairn.Import {
  struct VOC: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "voc",
      abstract: "Import Pascal VOC XML annotations (one file per image).",
      discussion: """
        PATH is a folder of .xml files (searched recursively), a VOCdevkit-style folder with \
        Annotations/ (and JPEGImages/, ImageSets/Main/, labelmap.txt), or one .xml file. Each \
        file is one sample: its key is annotation/filename relative to --media-dir (default: \
        JPEGImages/ when present, else PATH). Each object is a box [xmin, ymin, xmax-xmin, \
        ymax-ymin] in pixels, taken as written (no 1-based shift); difficult, truncated and \
        occluded (0/1) and pose are kept as label attributes when they differ from their \
        defaults (false, false, false, Unspecified), and declared on the field when it lacks \
        them. A new field lists labelmap.txt's classes, else the classes found, sorted.
        """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var arguments: LabelImportArguments

    @Argument(help: "The folder of XML files (or of Annotations/), or one XML file.")
    var path: String

    @Option(
      name: .customLong("set"),
      help: "Read only the images listed in ImageSets/Main/<set>.txt (e.g. train).")
    var imageSet: String?

    func run() async throws {
      let (path, imageSet, media) = (self.path, self.imageSet, arguments.mediaDir)
      try arguments.run(repository, format: "voc") { () throws(CairnError) in
        try VOCFormat.read(path: path, mediaDirectory: media, imageSet: imageSet)
      }
    }
  }
}

extension Cairn.Export {
  struct ExportVOC: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "voc",
      abstract: "Export detections as Pascal VOC XML, one file per sample.",
      discussion: """
        Writes Annotations/<key without extension>.xml (filename = the key, size, and per box \
        name, pose, truncated, difficult, occluded when set, bndbox in pixels as imported), \
        JPEGImages/<key> (symbolic links to the media), ImageSets/Main/default.txt, \
        labelmap.txt (the classes in schema order) and cairn-export.json. Samples need their \
        image size.
        """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var arguments: ExportArguments

    func run() async throws {
      try arguments.run(repository, format: "voc") { (batch, out) throws(CairnError) in
        try VOCFormat.write(batch, to: out)
      }
    }
  }
}
