import CairnCore
import CairnTestSupport
import Foundation
import Testing

@Suite struct TagsCommandTests {
  func record(_ index: Int, in dir: TemporaryDirectory) throws -> JSONValue {
    try JSONParser.parse(try dir.read(FormatV1.samplePath(LabelledDataset.key(index))))
  }

  func tags(_ index: Int, in dir: TemporaryDirectory) throws -> [String] {
    try record(index, in: dir)["tags"]?.array?.compactMap(\.string) ?? []
  }

  func labels(_ index: Int, in dir: TemporaryDirectory) throws -> [JSONValue] {
    let path = FormatV1.labelPath(field: "ground_truth", key: LabelledDataset.key(index))
    return try JSONParser.parse(try dir.read(path))["labels"]?.array ?? []
  }

  @Test func sampleTagsByKeyQueryAndView() throws {
    let dir = try LabelledDataset.make()
    defer { dir.remove() }
    let added = try cairn(
      "tags", "add", "review", "night", "--key", "s03.jpg", "--key", "s01.jpg", "--json",
      in: dir.path)
    #expect(added.exitCode == 0, "\(added)")
    let body = try envelope(added, "cairn.tags-edit/v1")
    #expect(body["samples_selected"] == .int(2))
    #expect(body["samples_changed"] == .int(2))
    #expect(body["files_written"] == .int(2))
    #expect(try tags(1, in: dir) == ["night", "review"])
    // Adding again keeps the list sorted and unique; the file stays canonical.
    #expect(try cairn("tags", "add", "night", "a", "--key", "s01.jpg", in: dir.path).exitCode == 0)
    #expect(try tags(1, in: dir) == ["a", "night", "review"])
    let bytes = Array(try dir.read(FormatV1.samplePath("s01.jpg")).utf8)
    #expect(CanonicalJSON.encode(try JSONParser.parse(bytes)) == bytes)

    // By query.
    let wet = try cairn("tags", "add", "wet", "--match", "fields.weather == 'rain'", in: dir.path)
    #expect(wet.stdout == "Tagged 4 of 4 selected sample(s); 4 file(s) written\n", "\(wet)")
    #expect(try tags(3, in: dir) == ["night", "review", "wet"])
    // By view (saved in the working tree, not committed yet).
    #expect(
      try cairn("view", "save", "sunny", "--match", "fields.weather == 'sunny'", in: dir.path)
        .exitCode == 0)
    #expect(try cairn("tags", "add", "bright", "--view", "sunny", in: dir.path).exitCode == 0)
    #expect(try cairn("tags", "remove", "night", "--view", "sunny", in: dir.path).exitCode == 0)
    #expect(try tags(1, in: dir) == ["a", "bright", "review"])
    #expect(try tags(3, in: dir) == ["night", "review", "wet"])

    let list = try cairn("tags", "list", in: dir.path)
    #expect(list.stdout == "a       1\nbright  4\nnight   1\nreview  2\nwet     4\n", "\(list)")
    let counted = try envelope(
      try cairn("tags", "list", "--view", "sunny", "--json", in: dir.path), "cairn.tags/v1")
    #expect(counted["samples_selected"] == .int(4))
    #expect(
      counted["tags"]
        == .array([
          .object(["count": .int(1), "tag": .string("a")]),
          .object(["count": .int(4), "tag": .string("bright")]),
          .object(["count": .int(1), "tag": .string("review")]),
        ]))
    // Tags are matched by views.
    #expect(
      printedKeys(try cairn("view", "apply", "--match", "'review' in tags", in: dir.path)) == [
        "s01.jpg", "s03.jpg",
      ])

    let status = try envelope(try cairn("status", "--json", in: dir.path), "cairn.status/v1")
    #expect(status["changes"]?.array?.count == 9)  // 8 records and the view
    #expect(try cairn("commit", "-m", "tags", in: dir.path).exitCode == 0)
    #expect(try git("status", "--porcelain", in: dir.path).stdout.isEmpty)
    try expectFsckClean(dir.path)
  }

  @Test func labelTagsByClassAndFilter() throws {
    let dir = try LabelledDataset.make()
    defer { dir.remove() }
    let added = try cairn(
      "tags", "add", "fp", "--labels", "ground_truth", "--class", "car", "--filter",
      "ground_truth: confidence < 0.5", "--json", in: dir.path)
    #expect(added.exitCode == 0, "\(added)")
    let body = try envelope(added, "cairn.tags-edit/v1")
    #expect(body["labels_changed"] == .int(6))
    #expect(body["files_written"] == .int(6))
    #expect(body["samples_changed"] == .int(0))
    let labels = try labels(1, in: dir)
    #expect(labels.first { $0["id"] == .string("car1") }?["tags"] == .array([.string("fp")]))
    #expect(labels.first { $0["id"] == .string("ped1") }?["tags"] == nil)
    #expect(try self.labels(2, in: dir).allSatisfy { $0["tags"] == nil })
    // Sample records are untouched.
    #expect(try tags(1, in: dir).isEmpty)

    let list = try envelope(
      try cairn("tags", "list", "--labels", "ground_truth", "--json", in: dir.path),
      "cairn.tags/v1")
    #expect(list["tags"] == .array([.object(["count": .int(6), "tag": .string("fp")])]))
    #expect(
      try cairn("tags", "list", "--labels", "ground_truth", "--class", "pedestrian", in: dir.path)
        .stdout.isEmpty)
    // Label tags are matched by label filters.
    #expect(
      try cairn(
        "view", "apply", "--filter", "ground_truth: 'fp' in tags", "--count", in: dir.path
      ).stdout == "6\n")

    // Removing the last tag removes the optional member.
    #expect(
      try cairn(
        "tags", "remove", "fp", "--labels", "ground_truth", "--key", "s01.jpg", in: dir.path
      )
      .exitCode == 0)
    #expect(try self.labels(1, in: dir).allSatisfy { $0["tags"] == nil })
    #expect(
      try dir.read(FormatV1.labelPath(field: "ground_truth", key: "s01.jpg"))
        == (LabelledDataset.labels(1).map { String(decoding: $0.encoded, as: UTF8.self) } ?? ""))
    let commit = try cairn("commit", "-m", "false positives", "--json", in: dir.path)
    #expect(commit.exitCode == 0, "\(commit)")
    #expect(try envelope(commit, "cairn.commit/v1")["modified"] == .int(5))
    try expectFsckClean(dir.path)
  }

  @Test func badTagInputWritesNothing() throws {
    let dir = try LabelledDataset.make(count: 4)
    defer { dir.remove() }
    func state() throws -> String { try cairn("status", "--json", in: dir.path).stdout }
    let before = try state()
    let unknown = try cairn(
      "tags", "add", "x", "--key", "s01.jpg", "--key", "nope.jpg", in: dir.path)
    #expect(unknown.exitCode == 4)
    #expect(
      unknown.stderr.contains("no sample 'nope.jpg' in the working tree; nothing was written"))
    let empty = try cairn("tags", "add", "", "--key", "s01.jpg", in: dir.path)
    #expect(empty.exitCode == 5)
    #expect(empty.stderr.contains("invalid tag ''"))
    #expect(try cairn("tags", "add", "x", in: dir.path).exitCode == 64)
    #expect(
      try cairn("tags", "add", "x", "--class", "car", "--key", "s01.jpg", in: dir.path).exitCode
        == 64)
    #expect(try cairn("tags", "add", "x", "--view", "nope", in: dir.path).exitCode == 4)
    #expect(try state() == before)

    // A broken record refuses the whole edit, naming the file.
    let broken = FormatV1.samplePath("s02.jpg")
    try dir.write("{\"key\":", to: broken)
    let result = try cairn("tags", "add", "x", "--match", "key != ''", in: dir.path)
    #expect(result.exitCode == 5, "\(result)")
    #expect(result.stderr.contains("\(broken): broken JSON"), "\(result.stderr)")
    #expect(try tags(1, in: dir).isEmpty)
  }
}
