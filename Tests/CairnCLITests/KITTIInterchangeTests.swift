import CairnCore
import CairnTestSupport
import Foundation
import Testing

@Suite struct KITTIInterchangeTests {
  static func fixture() -> String? {
    guard let root = Fixtures.path("kitti_object_3frames_public") else {
      #expect(!Fixtures.isCI, "fixtures are required under CI")
      return nil
    }
    return root + "/training"
  }

  static func importedRepository(_ folder: String) throws -> TemporaryDirectory {
    let dir = try TemporaryDirectory()
    #expect(try cairn("init", in: dir.path).exitCode == 0)
    let imported = try cairn("import", "kitti", folder, "--field", "gt", "--json", in: dir.path)
    #expect(imported.exitCode == 0, "\(imported)")
    let body = try envelope(imported, "cairn.import-labels/v1")
    #expect(body["groups_added"] == .int(3))
    #expect(body["cuboids"] == .int(6), "every object but DontCare regions")
    #expect(body["boxes"] == .int(10), "every label line")
    #expect(try cairn("commit", "-m", "KITTI", in: dir.path).exitCode == 0)
    return dir
  }

  @Test func importsAsGroupsAndExportsTheSameLabelLines() throws {
    guard let folder = Self.fixture() else { return }
    let dir = try Self.importedRepository(folder)
    defer { dir.remove() }
    // Groups: a left image and a point cloud per frame, with calibration.
    let group = try JSONParser.parse(try dir.read(FormatV1.groupPath("000001")))
    #expect(group["slices"]?["left"]?["sample"] == .string("image_2/000001.png"))
    #expect(group["slices"]?["pcd"]?["sample"] == .string("velodyne/000001.bin"))
    #expect(group["slices"]?["left"]?["calibration"]?["projection"] != nil)
    #expect(group["slices"]?["pcd"]?["calibration"]?["extrinsics"] != nil)

    let out = dir.appending("export")
    let exported = try cairn("export", "kitti", "--out", out, "--field", "gt", in: dir.path)
    #expect(exported.exitCode == 0, "\(exported)")
    for frame in ["000000", "000001", "000002"] {
      let original = try String(contentsOfFile: "\(folder)/label_2/\(frame).txt", encoding: .utf8)
        .split(separator: "\n")
      let written = try String(contentsOfFile: "\(out)/label_2/\(frame).txt", encoding: .utf8)
        .split(separator: "\n")
      #expect(original.count == written.count, "frame \(frame)")
      for (a, b) in zip(original, written) {
        let left = a.split(separator: " ")
        let right = b.split(separator: " ")
        #expect(left.count == right.count)
        #expect(left.first == right.first, "class")
        for (x, y) in zip(left.dropFirst(), right.dropFirst()) {
          #expect(abs((Double(x) ?? .nan) - (Double(y) ?? .nan)) < 0.0051, "\(a) vs \(b)")
        }
      }
    }
    try expectFsckClean(dir.path)
  }

  @Test func everyImportedCuboidProjectsOntoItsTwoDimensionalBox() throws {
    guard let folder = Self.fixture() else { return }
    let dir = try Self.importedRepository(folder)
    defer { dir.remove() }
    var checked = 0
    for frame in ["000000", "000001", "000002"] {
      let key = "image_2/\(frame).png"
      let sample = try envelope(
        try cairn("show", "HEAD:\(key)", "--json", in: dir.path), "cairn.sample/v1")
      let media = sample["sample"]?["media"]
      let width = try #require(media?["width"]?.number)
      let height = try #require(media?["height"]?.number)
      var boxes: [String: [Double]] = [:]
      for label in sample["labels"]?["gt_2d"]?["labels"]?.array ?? [] {
        guard let source = label["source_id"]?.string,
          let box = label["bbox"]?.array?.compactMap(\.number), box.count == 4
        else { continue }
        boxes[source] = [
          box[0] * width, box[1] * height, (box[0] + box[2]) * width, (box[1] + box[3]) * height,
        ]
      }
      let cuboidSources = Dictionary(
        (sample["labels"]?["gt"]?["labels"]?.array ?? []).compactMap {
          label -> (String, String)? in
          guard let id = label["id"]?.string, let source = label["source_id"]?.string else {
            return nil
          }
          return (id, source)
        }, uniquingKeysWith: { a, _ in a })
      let projected = try envelope(
        try cairn("show", "HEAD:\(key)", "--project", "left", "--json", in: dir.path),
        "cairn.projection/v1")
      for cuboid in projected["cuboids"]?.array ?? [] {
        let id = try #require(cuboid["id"]?.string)
        let source = try #require(cuboidSources[id])
        let box = try #require(boxes[source])
        let corners = cuboid["image_rect"]?.array?.compactMap { $0.number }
        let rect = try #require(corners)
        let iou = LabelIdentity.iou(
          [rect[0], rect[1], rect[2] - rect[0], rect[3] - rect[1]],
          [box[0], box[1], box[2] - box[0], box[3] - box[1]])
        #expect(iou > 0.7, "\(frame) \(cuboid["label"]?.string ?? "") IoU \(iou)")
        checked += 1
      }
    }
    #expect(checked == 6, "every object with a 3D box was checked")
  }

  @Test func malformedLabelLinesAreRefusedNamingFileAndLine() throws {
    guard let folder = Self.fixture() else { return }
    let work = try TemporaryDirectory()
    defer { work.remove() }
    // A copy of the fixture with one broken line (links for the media).
    try FileManager.default.createDirectory(
      atPath: work.appending("kitti"), withIntermediateDirectories: true)
    for sub in ["image_2", "velodyne", "calib"] {
      try FileManager.default.createSymbolicLink(
        atPath: work.appending("kitti/\(sub)"), withDestinationPath: "\(folder)/\(sub)")
    }
    try work.write(
      "Car 0.00 0 1.85 387.63 181.54 423.81\n", to: "kitti/label_2/000000.txt")
    try work.write(
      try String(contentsOfFile: "\(folder)/label_2/000001.txt", encoding: .utf8),
      to: "kitti/label_2/000001.txt")
    #expect(try cairn("init", work.appending("repo"), in: "/").exitCode == 0)
    let repo = work.appending("repo")
    let refused = try cairn("import", "kitti", work.appending("kitti"), "--field", "gt", in: repo)
    #expect(refused.exitCode == 5, "\(refused)")
    #expect(refused.stderr.contains("000000.txt: line 1: expected 15 fields"))
    #expect(try cairn("status", "--json", in: repo).stdout.contains("\"clean\":true"))
  }
}
