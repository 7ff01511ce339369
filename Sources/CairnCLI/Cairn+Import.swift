internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Import data into the working tree.",
      subcommands: [Images.self])
  }
}

extension Cairn.Import {
  struct Images: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Create one sample per image or point cloud in a folder.",
      discussion: """
        Finds .jpg, .jpeg, .png, KITTI .bin and .pcd files under DIR (recursively, skipping \
        hidden files). Each becomes a sample whose key is its path relative to DIR, recording \
        the media's location, SHA-256, byte size and width/height (or point count) read from \
        its header. Media is referenced, not copied. Every file is checked first: one \
        unreadable or truncated file refuses the whole import and nothing is written. \
        Re-importing unchanged files changes nothing. Commit the result with 'cairn commit'.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The folder to import.")
    var directory: String

    @Option(help: "Prefix every sample key with '<prefix>/'.")
    var prefix: String?

    @Flag(help: "Print the result as JSON (envelope cairn.import/v1).")
    var json = false

    func run() async throws {
      let repo = try repository.open()
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
