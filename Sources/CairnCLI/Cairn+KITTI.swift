internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn.Import {
  struct KITTI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "kitti",
      abstract: "Import a KITTI object dataset as groups with 2D boxes and 3D cuboids.",
      discussion: """
        DIR holds image_2/, velodyne/, calib/ and label_2/ (a KITTI 'training' folder). Each \
        frame becomes a group: slice 'left' (image_2, projection P2) and slice 'pcd' \
        (velodyne, extrinsics inverse(R0_rect·Tr_velo_to_cam)) when the folders exist. Each \
        label line becomes a 2D detection in FIELD_2d on the left image (attributes \
        truncated, occluded, alpha) and, unless it is DontCare, a cuboid in FIELD in the \
        'left' frame; both carry the source id '<frame>:<line>' so 'cairn export kitti' \
        writes the lines back as they were.
        """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var arguments: LabelImportArguments

    @Argument(help: "The KITTI folder (with image_2/ and label_2/).")
    var directory: String

    func run() async throws {
      let repo = try repository.open()
      var slices: [(name: String, folder: String)] = [("left", KITTIFormat.imageFolder)]
      if FileStat.of(directory + "/velodyne")?.isDirectory == true {
        slices.append(("pcd", "velodyne"))
      }
      let calibration = FileStat.of(directory + "/calib")?.isDirectory == true ? "calib" : nil
      // Every step is checked before the first one writes.
      let (cuboids, boxes) = try KITTIFormat.read(directory: directory)
      let cuboidOptions = arguments.options
      var options = cuboidOptions
      options.field = arguments.field + KITTIFormat.boxFieldSuffix
      _ = try repo.importLabels(cuboids, options: cuboidOptions, dryRun: true)
      _ = try repo.importLabels(boxes, options: options, dryRun: true)
      let groups = try repo.importGroups(
        directory: directory, prefix: arguments.prefix,
        options: GroupImportOptions(slices: slices, kittiCalibration: calibration))
      let cuboidResult = try repo.importLabels(cuboids, options: cuboidOptions)
      let boxResult = try repo.importLabels(boxes, options: options)
      var committed: CommitResult?
      if arguments.commit, let message = arguments.message {
        committed = try repo.commit(message: message, now: currentTime())
      }
      if arguments.json {
        var body: [String: JSONValue] = [
          "format": .string("kitti"), "field": .string(arguments.field),
          "box_field": .string(options.field),
          "groups_added": .int(Int64(groups.addedGroups.count)),
          "samples_added": .int(Int64(groups.samples.added.count)),
          "cuboids": .int(Int64(cuboidResult.labels)), "boxes": .int(Int64(boxResult.labels)),
          "labels_matched": .int(Int64(cuboidResult.labelsMatched + boxResult.labelsMatched)),
        ]
        if let committed { body["commit"] = .string(committed.id.hex) }
        Output.json("cairn.import-labels/v1", .object(body))
        return
      }
      Output.line(
        "\(groups.addedGroups.count) group(s) added, \(groups.samples.added.count) sample(s); "
          + "\(cuboidResult.labels) cuboid(s) in '\(arguments.field)', \(boxResult.labels) "
          + "box(es) in '\(options.field)'")
      if let committed {
        Output.line(
          "[\(committed.branch ?? "detached HEAD") \(committed.id.short)] \(arguments.message ?? "")"
        )
      }
    }
  }
}

extension Cairn.Export {
  struct ExportKITTI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "kitti",
      abstract: "Export KITTI label_2 files from FIELD (cuboids) and FIELD_2d (boxes).",
      discussion: """
        Writes label_2/<frame>.txt for every image with labels in FIELD_2d: class, \
        truncated, occluded, alpha, the 2D box in pixels, and the 3D box of the cuboid with \
        the same source id in FIELD (or KITTI's DontCare placeholders), two decimals, in \
        the order of the imported lines; then cairn-export.json.
        """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var arguments: ExportArguments

    func run() async throws {
      let repo = try repository.open()
      let field = arguments.field
      try arguments.run(repository, format: "kitti") { (cuboids, out) throws(CairnError) in
        let boxes = try repo.exportBatch(
          revision: cuboids.commit.hex, field: field + KITTIFormat.boxFieldSuffix,
          keys: cuboids.samples.map(\.key))
        return try KITTIFormat.write(cuboids: cuboids, boxes: boxes, to: out)
      }
    }
  }
}
