internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "import",
      abstract: "Import data into the working tree.",
      subcommands: [
        Images.self, YOLO.self, COCO.self, KITTI.self, VOC.self, CVAT.self, LabelStudio.self,
      ])
  }
}

extension Cairn.Import {
  struct Images: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "images",
      abstract: "Create one sample per image or point cloud in a folder.",
      discussion: """
        Finds .jpg, .jpeg, .png, KITTI .bin and .pcd files under DIR (recursively, skipping \
        hidden files). Each becomes a sample whose key is its path relative to DIR, recording \
        the media's location, SHA-256, byte size and width/height (or point count) read from \
        its header. Media is referenced, not copied. Every file is checked first: one \
        unreadable or truncated file refuses the whole import and nothing is written. \
        Re-importing unchanged files changes nothing. Commit the result with 'cairn commit'.

        With --slices NAME=FOLDER,…, only those sub-folders of DIR are imported, as multimodal \
        groups: files are matched across folders by their path without the extension (the \
        stem: image_2/000001.png and velodyne/000001.bin), each stem becomes the group \
        '[<group-prefix>/]<stem>' with one slice per folder, and each sample records its group \
        and slice. A stem missing from some folders still makes a group with the slices it has \
        (counted in a warning). --calibration kitti=FOLDER reads FOLDER/<stem>.txt per group: \
        a slice from image_0…image_3 gets projection P0…P3, one from velodyne gets extrinsics \
        inverse(R0_rect·Tr_velo_to_cam); the reference frame is KITTI's rectified camera.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The folder to import.")
    var directory: String

    @Option(help: "Prefix every sample key with '<prefix>/'.")
    var prefix: String?

    @Option(
      help: ArgumentHelp(
        "Import groups: one slice per sub-folder, e.g. left=image_2,pcd=velodyne.",
        valueName: "name=folder,…"))
    var slices: [String] = []

    @Option(
      help: ArgumentHelp(
        "Prefix of group ids (default: the --prefix; '' for none).", valueName: "prefix"))
    var groupPrefix: String?

    @Option(
      help: ArgumentHelp(
        "Read per-group calibration: kitti=FOLDER (KITTI calib files <stem>.txt).",
        valueName: "format=folder"))
    var calibration: String?

    @Flag(help: "Print the result as JSON (envelope cairn.import/v1).")
    var json = false

    func validate() throws {
      if slices.isEmpty {
        if calibration != nil { throw ValidationError("--calibration needs --slices") }
        if groupPrefix != nil { throw ValidationError("--group-prefix needs --slices") }
        return
      }
      _ = try sliceList()
      _ = try calibrationFolder()
    }

    /// `--slices` as (name, folder) pairs, in order.
    private func sliceList() throws -> [(name: String, folder: String)] {
      var result: [(name: String, folder: String)] = []
      for item in slices.flatMap({ $0.split(separator: ",", omittingEmptySubsequences: false) }) {
        let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
          throw ValidationError("--slices takes NAME=FOLDER pairs separated by ',' (got '\(item)')")
        }
        result.append((String(parts[0]), String(parts[1])))
      }
      return result
    }

    /// The KITTI calibration folder of `--calibration kitti=FOLDER`.
    private func calibrationFolder() throws -> String? {
      guard let calibration else { return nil }
      let parts = calibration.split(separator: "=", maxSplits: 1)
      guard parts.count == 2, parts[0] == "kitti", !parts[1].isEmpty else {
        throw ValidationError(
          "--calibration takes kitti=FOLDER (KITTI is the only calibration format so far)")
      }
      return String(parts[1])
    }

    func run() async throws {
      let repo = try repository.open()
      if !slices.isEmpty {
        try runGroups(repo)
        return
      }
      let result = try repo.importImages(directory: directory, prefix: prefix)
      if json {
        Output.json(
          "cairn.import/v1",
          .object([
            "added": .array(result.added.map { .string($0) }),
            "updated": .array(result.updated.map { .string($0) }),
            "unchanged": .int(Int64(result.unchanged)),
          ]))
      } else {
        Output.line(
          "Imported \(directory): \(result.added.count) added, \(result.updated.count) updated, "
            + "\(result.unchanged) unchanged")
      }
    }
  }
}

extension Cairn.Import.Images {
  private func runGroups(_ repo: CairnRepository) throws {
    let options = GroupImportOptions(
      slices: try sliceList(), groupPrefix: groupPrefix, kittiCalibration: try calibrationFolder())
    let result = try repo.importGroups(directory: directory, prefix: prefix, options: options)
    let samples = result.samples
    if !result.incomplete.isEmpty {
      let first = result.incomplete.prefix(3).map {
        "\($0.id) lacks \($0.missing.joined(separator: ", "))"
      }
      Output.note(
        "warning: \(result.incomplete.count) group(s) lack some slices and were imported with the "
          + "slices they have (\(first.joined(separator: "; "))"
          + (result.incomplete.count > 3 ? "; …" : "") + ")")
    }
    if json {
      Output.json(
        "cairn.import/v1",
        .object([
          "added": .array(samples.added.map { .string($0) }),
          "updated": .array(samples.updated.map { .string($0) }),
          "unchanged": .int(Int64(samples.unchanged)),
          "groups": .object([
            "added": .array(result.addedGroups.map { .string($0) }),
            "updated": .array(result.updatedGroups.map { .string($0) }),
            "unchanged": .int(Int64(result.unchangedGroups)),
            "incomplete": .array(
              result.incomplete.map {
                .object(["id": .string($0.id), "missing": .array($0.missing.map { .string($0) })])
              }),
          ]),
          "calibration": .object(
            Dictionary(
              result.calibration.map { ($0.slice, JSONValue.string($0.source)) },
              uniquingKeysWith: { first, _ in first })),
        ]))
      return
    }
    Output.line(
      "Imported \(directory): \(samples.added.count) added, \(samples.updated.count) updated, "
        + "\(samples.unchanged) unchanged; groups: \(result.addedGroups.count) added, "
        + "\(result.updatedGroups.count) updated, \(result.unchangedGroups) unchanged")
    for (slice, source) in result.calibration {
      Output.line("  calibration of \(slice): \(source)")
    }
  }
}
