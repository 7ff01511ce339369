internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "show",
      abstract: "Show a commit, or one sample as stored in a commit.",
      discussion: """
        'cairn show REV' prints the commit and a summary of the files it changed. \
        'cairn show REV:KEY' prints the sample record and its labels from every field. \
        'cairn show REV:KEY --project SLICE' draws every cuboid label of the sample's group on \
        the image slice SLICE of that group: each cuboid's pixel rectangle (x0, y0, x1, y1), \
        and with --json its eight corners.
        """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "REV or REV:SAMPLE-KEY (default: HEAD).")
    var target: String = "HEAD"

    @Flag(help: "List every changed file.")
    var nameStatus = false

    @Option(
      help: ArgumentHelp(
        "With REV:KEY, project the cuboids of the sample's group onto this image slice.",
        valueName: "slice"))
    var project: String?

    @Flag(
      help:
        "Print the result as JSON (envelopes cairn.show/v1, cairn.sample/v1, cairn.projection/v1)."
    )
    var json = false

    func validate() throws {
      if project != nil && !target.contains(":") {
        throw ValidationError("--project needs a sample: REV:KEY")
      }
    }

    func run() async throws {
      let repo = try repository.open()
      if let colon = target.firstIndex(of: ":") {
        let revision = String(target[..<colon])
        let key = String(target[target.index(after: colon)...])
        if let project {
          let result = try repo.projectCuboids(
            of: key, at: revision.isEmpty ? "HEAD" : revision, onto: project)
          ProjectionOutput.print(result, json: json)
          return
        }
        let sample = try repo.sample(key, at: revision.isEmpty ? "HEAD" : revision)
        var labels: [String: JSONValue] = [:]
        for (field, file) in sample.labels { labels[field] = file }
        if json {
          Output.json(
            "cairn.sample/v1",
            .object([
              "commit": .string(sample.commit.hex), "key": .string(sample.key),
              "sample": sample.record,
              "labels": .object(labels),
            ]))
        } else {
          Output.line("sample \(sample.key) at \(sample.commit.short)")
          Output.line(PrettyJSON.render(sample.record))
          for (field, file) in sample.labels {
            Output.line("labels/\(field):")
            Output.line(PrettyJSON.render(file))
          }
        }
        return
      }
      let details = try repo.details(of: target)
      if json {
        Output.json(
          "cairn.show/v1",
          .object([
            "commit": details.commit.json,
            "changes": .array(
              details.changes.map {
                .object(["path": .string($0.path), "change": .string($0.change.rawValue)])
              }),
          ]))
        return
      }
      let commit = details.commit
      Output.line("commit \(commit.id.hex)")
      Output.line("Author: \(commit.author.name) <\(commit.author.email)>")
      Output.line("Date:   \(formatDate(commit.author.time))")
      Output.line()
      for line in commit.message.split(separator: "\n", omittingEmptySubsequences: false).dropLast(
        commit.message.hasSuffix("\n") ? 1 : 0)
      {
        Output.line("    \(line)")
      }
      Output.line()
      let report = StatusReport(head: .detached(commit.id), changes: details.changes)
      for (group, changes) in report.groups {
        let added = changes.filter { $0.change == .added }.count
        let modified = changes.filter { $0.change == .modified }.count
        let deleted = changes.filter { $0.change == .deleted }.count
        Output.line(" \(group): \(added) added, \(modified) modified, \(deleted) deleted")
        if nameStatus {
          for change in changes {
            Output.line("   \(change.change.rawValue.prefix(1).uppercased())  \(change.path)")
          }
        }
      }
    }
  }
}

/// Indented JSON for people; data files themselves stay canonical.
enum PrettyJSON {
  static func render(_ value: JSONValue, indent: String = "") -> String {
    let inner = indent + "  "
    switch value {
    case .array(let elements):
      if elements.isEmpty { return "[]" }
      if elements.allSatisfy({ $0.array == nil && $0.object == nil }) {
        return "[" + elements.map { render($0) }.joined(separator: ", ") + "]"
      }
      return "[\n" + elements.map { inner + render($0, indent: inner) }.joined(separator: ",\n")
        + "\n\(indent)]"
    case .object(let members):
      if members.isEmpty { return "{}" }
      let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      return "{\n"
        + keys.map { key in
          inner + render(.string(key)) + ": " + render(members[key] ?? .null, indent: inner)
        }.joined(separator: ",\n") + "\n\(indent)}"
    default:
      var bytes: [UInt8] = []
      CanonicalJSON.encodeFragment(value, into: &bytes)
      return String(decoding: bytes, as: UTF8.self)
    }
  }
}

/// Renders `cairn show REV:KEY --project SLICE`.
enum ProjectionOutput {
  static func print(_ result: GroupProjection, json: Bool) {
    for skipped in result.skipped {
      Output.note("warning: skipped \(skipped.location): \(skipped.reason)")
    }
    if json {
      var image: [String: JSONValue] = ["key": .string(result.image)]
      if let width = result.width { image["width"] = .int(width) }
      if let height = result.height { image["height"] = .int(height) }
      Output.json(
        "cairn.projection/v1",
        .object([
          "commit": .string(result.commit.hex), "key": .string(result.key),
          "group": .string(result.group), "slice": .string(result.slice),
          "image": .object(image),
          "cuboids": .array(result.cuboids.map(cuboidJSON)),
          "skipped": .array(
            result.skipped.map {
              .object(["location": .string($0.location), "reason": .string($0.reason)])
            }),
        ]))
      return
    }
    let size = result.width.flatMap { width in result.height.map { " \(width)x\($0)" } } ?? ""
    let count = result.cuboids.count == 1 ? "1 cuboid" : "\(result.cuboids.count) cuboids"
    Output.line(
      "group \(result.group) at \(result.commit.short): \(count) on slice \(result.slice) "
        + "(\(result.image)\(size))")
    for item in result.cuboids {
      let position =
        item.projected.rect.map { rect in
          "x0 y0 x1 y1 = "
            + [rect.x0, rect.y0, rect.x1, rect.y1].map(pixels).joined(separator: " ")
        } ?? "behind the camera"
      var notes: [String] = []
      if item.projected.clipped && item.projected.rect != nil {
        notes.append("partly behind the camera")
      }
      if item.projected.rect != nil && item.imageRect == nil && result.width != nil {
        notes.append("outside the image")
      }
      Output.line(
        "  \(item.cuboid.id)  \(item.cuboid.label)  \(position)"
          + (notes.isEmpty ? "" : "  (\(notes.joined(separator: ", ")))")
          + "  [\(item.field), \(item.sample), frame \(item.cuboid.frame)]")
    }
  }

  private static func cuboidJSON(_ item: CuboidProjection) -> JSONValue {
    .object([
      "id": .string(item.cuboid.id), "label": .string(item.cuboid.label),
      "field": .string(item.field), "sample": .string(item.sample),
      "frame": .string(item.cuboid.frame),
      "rect": item.projected.rect?.json ?? .null,
      "image_rect": item.imageRect?.json ?? .null,
      "clipped": .bool(item.projected.clipped),
      "corners": .array(
        item.projected.corners.map { corner in
          corner.map { .array([.double($0.x), .double($0.y)]) } ?? .null
        }),
    ])
  }

  /// A pixel coordinate with one decimal.
  private static func pixels(_ value: Double) -> String {
    "\((value * 10).rounded() / 10)"
  }
}
