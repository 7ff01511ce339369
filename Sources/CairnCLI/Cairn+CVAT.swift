internal import ArgumentParser
internal import CairnCore

extension Cairn.Import {
  struct CVAT: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "cvat",
      abstract: "Import a CVAT for images 1.1 XML file (boxes).",
      discussion: """
        Each <image> is a sample keyed by its name relative to --media-dir (default: images/ \
        beside the file, else its folder), with the width and height CVAT recorded. Each \
        <box> is a detection in pixels (xtl, ytl, xbr, ybr); occluded is kept when true and \
        <attribute> children are kept with the types <meta> gives them (checkbox → bool, \
        number → int or float, select/radio/text → string). A new field lists <meta>'s labels \
        in order, with their attributes as class attributes. Polygons, polylines, points, \
        masks, ellipses, cuboids, skeletons and tags are not imported: they are counted in a \
        warning. CVAT gives boxes no id in images mode, so a re-import keeps label ids by \
        class and overlap.
        """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var arguments: LabelImportArguments

    @Argument(help: "The annotations.xml file.")
    var path: String

    func run() async throws {
      let (path, media) = (self.path, arguments.mediaDir)
      try arguments.run(repository, format: "cvat") { () throws(CairnError) in
        try CVATFormat.read(path: path, mediaDirectory: media)
      }
    }
  }
}

extension Cairn.Export {
  struct ExportCVAT: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "cvat",
      abstract: "Export detections as CVAT for images 1.1 XML.",
      discussion: """
        Writes annotations.xml (<meta><task><labels> from the schema's classes and \
        attributes, one <image> per sample in key order with its boxes, two decimals as CVAT \
        writes them), images/<key> (symbolic links to the media) and cairn-export.json. \
        Samples need their image size.
        """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var arguments: ExportArguments

    func run() async throws {
      try arguments.run(repository, format: "cvat") { (batch, out) throws(CairnError) in
        try CVATFormat.write(batch, to: out)
      }
    }
  }
}
