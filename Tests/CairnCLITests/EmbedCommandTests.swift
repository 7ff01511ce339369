import CairnCore
import CairnTestSupport
import Foundation
import Testing

/// `cairn embed import|compute|list|show` end to end, and the commit's rule for embedding sets.
@Suite struct EmbedCommandTests {
  /// The keys `makeRepository(images: 5)` imports.
  static let keys = (0..<5).map { "img\($0).png" }

  /// The rows of a small set: row i is `[i, i + 0.5, -i]`.
  static func row(_ index: Int) -> [Float] { [Float(index), Float(index) + 0.5, -Float(index)] }

  /// A repository with five images and two detections on `img0.png` and one on `img1.png` in
  /// field `ground_truth`, committed.
  static func labelledRepository() throws -> TemporaryDirectory {
    let dir = try makeRepository(images: 5)
    try declareGroundTruth(in: dir)
    let boxes: [String: [(String, [Double])]] = [
      "img0.png": [("a1", [0.1, 0.1, 0.3, 0.3]), ("a2", [0.5, 0.5, 0.25, 0.25])],
      "img1.png": [("b1", [0.0, 0.0, 1.0, 1.0])],
    ]
    for (key, labels) in boxes {
      let values: [JSONValue] = labels.map { id, bbox in
        .object([
          "id": .string(id), "type": .string("detection"), "label": .string("thing"),
          "bbox": .array(bbox.map { .double($0) }),
        ])
      }
      try dir.write(
        LabelFile(field: "ground_truth", sample: key, labels: values).encoded,
        to: FormatV1.labelPath(field: "ground_truth", key: key))
    }
    let committed = try cairn("commit", "-m", "labels", in: dir.path)
    #expect(committed.exitCode == 0, "\(committed)")
    return dir
  }

  /// The set's three files, as bytes.
  static func files(_ dir: TemporaryDirectory, _ name: String) throws -> [Data] {
    try ["meta.json", "keys.json", "vectors.bin"].map {
      try Data(contentsOf: URL(fileURLWithPath: dir.appending("embeddings/\(name)/\($0)")))
    }
  }

  static func exists(_ dir: TemporaryDirectory, _ name: String) -> Bool {
    FileManager.default.fileExists(atPath: dir.appending("embeddings/\(name)"))
  }

  // MARK: Import

  @Test(arguments: [EmbeddingDType.float32, .float16])
  func npyImportStoresSortedRows(dtype: EmbeddingDType) throws {
    let dir = try makeRepository(images: 5)
    defer { dir.remove() }
    // Rows in reverse key order: the set stores them sorted.
    let order = Array(Self.keys.indices.reversed())
    let array = NumPyArray(
      rows: 5, columns: 3, dtype: dtype, values: order.flatMap { Self.row($0) })
    try dir.write(array.npyBytes, to: "in/vectors.npy")
    try dir.write(order.map { Self.keys[$0] }.joined(separator: "\n") + "\n", to: "in/keys.txt")
    let result = try cairn(
      "embed", "import", "in/vectors.npy", "--keys", "in/keys.txt", "--name", "clip",
      "--model", "clip-vit-b32", "--json", in: dir.path)
    #expect(result.exitCode == 0, "\(result)")
    let body = try envelope(result, "cairn.embed-import/v1")
    #expect(body["count"] == .int(5))
    #expect(body["dimension"] == .int(3))
    #expect(body["dtype"] == .string(dtype.rawValue))
    #expect(
      try dir.read("embeddings/clip/keys.json")
        == #"["img0.png","img1.png","img2.png","img3.png","img4.png"]"# + "\n")
    #expect(
      try dir.read("embeddings/clip/meta.json")
        == #"{"count":5,"dimension":3,"dtype":"\#(dtype.rawValue)","kind":"sample","model":"clip-vit-b32","name":"clip","version":1}"#
        + "\n")
    let vectors = try Data(
      contentsOf: URL(fileURLWithPath: dir.appending("embeddings/clip/vectors.bin")))
    #expect(VectorCoding.decode(Array(vectors), as: dtype) == (0..<5).flatMap { Self.row($0) })
    // show reads it back; the commit accepts it.
    let shown = try envelope(
      try cairn("embed", "show", "clip", "--json", in: dir.path), "cairn.embed/v1")
    #expect(shown["keys"]?.array?.first == .string("img0.png"))
    let committed = try cairn("commit", "-m", "embeddings", in: dir.path)
    #expect(committed.exitCode == 0, "\(committed)")
    let listed = try envelope(
      try cairn("embed", "list", "--rev", "HEAD", "--json", in: dir.path), "cairn.embeddings/v1")
    #expect(listed["embeddings"]?.array?.first?["name"] == .string("clip"))
    #expect(listed["embeddings"]?.array?.first?["count"] == .int(5))
  }

  @Test func numpyWrittenByNumPyImports() throws {
    let probe = try CommandRunner.run(
      "/usr/bin/env", ["python3", "-c", "import numpy"], in: "/")
    guard probe.exitCode == 0 else {
      print("skipping: numpy is not installed")
      return
    }
    let dir = try makeRepository(images: 5)
    defer { dir.remove() }
    for (dtype, version) in [("<f4", "1"), ("<f2", "2")] {
      let script = """
        import numpy as np, numpy.lib.format as f
        a = (np.arange(15).reshape(5, 3) / 4).astype('\(dtype)')
        with open('in.npy', 'wb') as out:
            f.write_array(out, a, version=(\(version), 0))
        """
      let written = try CommandRunner.run("/usr/bin/env", ["python3", "-c", script], in: dir.path)
      #expect(written.exitCode == 0, "\(written)")
      try dir.write(Self.keys.joined(separator: "\n"), to: "keys.txt")
      let result = try cairn(
        "embed", "import", "in.npy", "--keys", "keys.txt", "--name", "np", "--force", "--json",
        in: dir.path)
      #expect(result.exitCode == 0, "\(result)")
      let vectors = try Data(
        contentsOf: URL(fileURLWithPath: dir.appending("embeddings/np/vectors.bin")))
      let type: EmbeddingDType = dtype == "<f4" ? .float32 : .float16
      #expect(VectorCoding.decode(Array(vectors), as: type) == (0..<15).map { Float($0) / 4 })
    }
  }

  @Test func jsonlAndCSVGiveTheSameFilesAsNumPy() throws {
    let dir = try makeRepository(images: 5)
    defer { dir.remove() }
    let jsonl = Self.keys.indices.reversed().map { index in
      #"{"key": "\#(Self.keys[index])", "embedding": [\#(Self.row(index).map { "\($0)" }.joined(separator: ", "))]}"#
    }.joined(separator: "\n")
    try dir.write(jsonl + "\n", to: "v.jsonl")
    let csv =
      ["key,a,b,c"]
      + Self.keys.indices.map { index in
        ([Self.keys[index]] + Self.row(index).map { "\($0)" }).joined(separator: ",")
      }
    try dir.write(csv.joined(separator: "\r\n"), to: "v.csv")
    try dir.write(
      NumPyArray(rows: 5, columns: 3, dtype: .float32, values: (0..<5).flatMap { Self.row($0) })
        .npyBytes, to: "v.npy")
    try dir.write(Self.keys.joined(separator: "\n"), to: "keys.txt")
    for (file, extra) in [
      ("v.jsonl", [String]()), ("v.csv", []), ("v.npy", ["--keys", "keys.txt"]),
    ] {
      let result = try CommandRunner.cairn(
        ["embed", "import", file, "--name", "e", "--model", "m", "--force"] + extra, in: dir.path)
      #expect(result.exitCode == 0, "\(file): \(result)")
    }
    let fromNumPy = try Self.files(dir, "e")
    #expect(
      try cairn("embed", "import", "v.jsonl", "--name", "j", "--model", "m", in: dir.path).exitCode
        == 0)
    let fromJSONL = try Self.files(dir, "j")
    #expect(fromNumPy[1...] == fromJSONL[1...])
  }

  @Test func objectEmbeddingsNeedTheirLabels() throws {
    let dir = try Self.labelledRepository()
    defer { dir.remove() }
    try dir.write(
      """
      {"key": "img1.png", "label_id": "b1", "embedding": [1, 2]}
      {"key": "img0.png", "label_id": "a2", "embedding": [3, 4]}
      {"key": "img0.png", "label_id": "a1", "embedding": [5, 6]}

      """, to: "objects.jsonl")
    let result = try cairn(
      "embed", "import", "objects.jsonl", "--name", "obj", "--objects", "ground_truth", "--json",
      in: dir.path)
    #expect(result.exitCode == 0, "\(result)")
    #expect(
      try dir.read("embeddings/obj/keys.json")
        == #"[["img0.png","a1"],["img0.png","a2"],["img1.png","b1"]]"# + "\n")
    #expect(
      try dir.read("embeddings/obj/meta.json").contains(#""field":"ground_truth","kind":"object""#))
    // CSV with a label id column; a label the sample lacks is not found (exit 4).
    try dir.write("img0.png,a1,1,2\nimg1.png,zz,3,4\n", to: "objects.csv")
    let missing = try cairn(
      "embed", "import", "objects.csv", "--name", "obj2", "--objects", "ground_truth", in: dir.path)
    #expect(missing.exitCode == 4, "\(missing)")
    #expect(missing.stderr.contains("objects.csv: line 2"))
    #expect(missing.stderr.contains("no label 'zz'"))
    #expect(!Self.exists(dir, "obj2"))
    #expect(try cairn("commit", "-m", "objects", in: dir.path).exitCode == 0)
  }

  @Test func badInputsWriteNothing() throws {
    let dir = try makeRepository(images: 5)
    defer { dir.remove() }
    let cases: [(file: String, content: String, code: Int32, message: String)] = [
      (
        "unknown.csv", "img0.png,1,2\nghost.png,3,4\n", 4,
        "unknown.csv: line 2: sample 'ghost.png' is not in the working tree"
      ),
      (
        "ragged.csv", "img0.png,1,2\nimg1.png,3,4,5\n", 5,
        "ragged.csv: line 2: the vector has 3 numbers, but earlier rows have 2"
      ),
      ("nan.csv", "img0.png,1,2\nimg1.png,nan,4\n", 5, "nan.csv: line 2: value 1 is not finite"),
      (
        "dup.jsonl",
        #"{"key":"img0.png","embedding":[1]}"# + "\n" + #"{"key":"img0.png","embedding":[2]}"#, 5,
        "dup.jsonl: line 2: duplicate key 'img0.png' (first at dup.jsonl: line 1)"
      ),
      (
        "text.jsonl", #"{"key":"img0.png","embedding":["a"]}"#, 5,
        "text.jsonl: line 1: embedding value 1 is not a number"
      ),
      ("huge.csv", "img0.png,1e39\n", 5, "huge.csv: line 1: value 1 is not finite"),
    ]
    for item in cases {
      try dir.write(item.content, to: item.file)
      let result = try cairn("embed", "import", item.file, "--name", "bad", in: dir.path)
      #expect(result.exitCode == item.code, "\(item.file): \(result)")
      #expect(result.stderr.contains(item.message), "\(item.file): \(result.stderr)")
      #expect(!Self.exists(dir, "bad"), "\(item.file) wrote a set")
    }
    // A float64 array, a 1-D array and a Fortran-ordered array are refused.
    try dir.write(Self.keys.joined(separator: "\n"), to: "keys.txt")
    let float64 = Self.npy(descr: "<f8", shape: "(5, 1)", payload: [UInt8](repeating: 0, count: 40))
    let flat = Self.npy(descr: "<f4", shape: "(5,)", payload: [UInt8](repeating: 0, count: 20))
    let fortran = Self.npy(
      descr: "<f4", shape: "(5, 1)", fortran: true, payload: [UInt8](repeating: 0, count: 20))
    for (bytes, message) in [
      (float64, "dtype '<f8' is not supported"), (flat, "embeddings are a 2-D array"),
      (fortran, "Fortran order"),
    ] {
      try dir.write(bytes, to: "bad.npy")
      let result = try cairn(
        "embed", "import", "bad.npy", "--keys", "keys.txt", "--name", "bad", in: dir.path)
      #expect(result.exitCode == 5, "\(result)")
      #expect(
        result.stderr.contains("bad.npy: ") && result.stderr.contains(message), "\(result.stderr)")
      #expect(!Self.exists(dir, "bad"))
    }
    // Keys and rows disagree in number; an existing set is kept without --force.
    try dir.write(Self.keys.prefix(4).joined(separator: "\n"), to: "four.txt")
    try dir.write(
      NumPyArray(rows: 5, columns: 1, dtype: .float32, values: [1, 2, 3, 4, 5]).npyBytes,
      to: "ok.npy")
    let short = try cairn(
      "embed", "import", "ok.npy", "--keys", "four.txt", "--name", "bad", in: dir.path)
    #expect(
      short.exitCode == 5 && short.stderr.contains("4 keys, but ok.npy has 5 rows"), "\(short)")
    #expect(
      try cairn("embed", "import", "ok.npy", "--keys", "keys.txt", "--name", "ok", in: dir.path)
        .exitCode == 0)
    let again = try cairn(
      "embed", "import", "ok.npy", "--keys", "keys.txt", "--name", "ok", in: dir.path)
    #expect(again.exitCode == 11, "\(again)")
  }

  /// A version-1 `.npy` file with the given header values.
  static func npy(descr: String, shape: String, fortran: Bool = false, payload: [UInt8]) -> [UInt8]
  {
    let header =
      "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }\n"
    return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8)
      + payload
  }

  // MARK: Commit rule

  @Test func commitRefusesInconsistentSets() throws {
    let dir = try makeRepository(images: 5)
    defer { dir.remove() }
    try dir.write("img0.png,1,2\nimg1.png,3,4\n", to: "v.csv")
    #expect(try cairn("embed", "import", "v.csv", "--name", "e", in: dir.path).exitCode == 0)
    // A vectors.bin of the wrong size.
    let good = try Data(contentsOf: URL(fileURLWithPath: dir.appending("embeddings/e/vectors.bin")))
    try dir.write(Array(good) + [0, 0], to: "embeddings/e/vectors.bin")
    let refused = try cairn("commit", "-m", "bad", in: dir.path)
    #expect(refused.exitCode == 6, "\(refused)")
    #expect(refused.stderr.contains("embeddings/e: vectors.bin has 18 bytes"), "\(refused.stderr)")
    let checked = try cairn("check", in: dir.path)
    #expect(checked.exitCode == 6, "\(checked)")
    #expect((checked.stdout + checked.stderr).contains("vectors.bin has 18 bytes"), "\(checked)")
    // Staged with plain git, as the pre-commit hook sees it.
    #expect(try CommandRunner.git(["add", "-A"], in: dir.path).exitCode == 0)
    let staged = try cairn("check", "--staged", in: dir.path)
    #expect(staged.exitCode == 6, "\(staged)")
    #expect((staged.stdout + staged.stderr).contains("vectors.bin has 18 bytes"), "\(staged)")
    // A missing file, and a file that is not one of the three.
    try dir.write(Array(good), to: "embeddings/e/vectors.bin")
    try FileManager.default.removeItem(atPath: dir.appending("embeddings/e/keys.json"))
    try dir.write("x", to: "embeddings/e/notes.txt")
    let missing = try cairn("commit", "-m", "bad", in: dir.path)
    #expect(missing.exitCode == 6, "\(missing)")
    #expect(missing.stderr.contains("keys.json missing"), "\(missing.stderr)")
    #expect(missing.stderr.contains("embeddings/e/notes.txt"), "\(missing.stderr)")
    try FileManager.default.removeItem(atPath: dir.appending("embeddings/e/notes.txt"))
    // Unsorted keys with a matching count.
    try dir.write(#"["img1.png","img0.png"]"# + "\n", to: "embeddings/e/keys.json")
    let unsorted = try cairn("commit", "-m", "bad", in: dir.path)
    #expect(
      unsorted.exitCode == 6 && unsorted.stderr.contains("sorted by key bytes"), "\(unsorted)")
    try dir.write(#"["img0.png","img1.png"]"# + "\n", to: "embeddings/e/keys.json")
    #expect(try cairn("commit", "-m", "good", in: dir.path).exitCode == 0)
    // Deleting the whole set is fine.
    try FileManager.default.removeItem(atPath: dir.appending("embeddings/e"))
    #expect(try cairn("commit", "-m", "gone", in: dir.path).exitCode == 0)
  }

  // MARK: Compute

  @Test func computeIsDeterministicAndSeparatesDarkCopies() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try cairn("init", dir.path, in: "/").exitCode == 0)
    var scene = Canvas(width: 64, height: 48, background: (120, 170, 220))
    scene.fillRect(x: 0, y: 30, w: 64, h: 18, color: (60, 140, 60))
    scene.fillCircle(cx: 44, cy: 14, r: 8, color: (250, 220, 40))
    scene.fillRect(x: 8, y: 20, w: 14, h: 14, color: (180, 40, 40))
    var noisy = scene
    noisy.addNoise(seed: 7, amplitude: 6)
    let dark = Self.darkened(scene, factor: 0.3)
    try dir.write(scene.png(), to: "media/a.png")
    try dir.write(scene.png(), to: "media/copy/a.png")
    try dir.write(noisy.png(), to: "media/noisy.png")
    try dir.write(dark.png(), to: "media/dark.png")
    try dir.write([UInt8](repeating: 0, count: 64), to: "media/scan.bin")
    #expect(try cairn("import", "images", "media", in: dir.path).exitCode == 0)
    let first = try cairn("embed", "compute", "--name", "pixels", "--json", in: dir.path)
    #expect(first.exitCode == 0, "\(first)")
    let body = try envelope(first, "cairn.embed-compute/v1")
    #expect(body["count"] == .int(4))
    #expect(body["dimension"] == .int(Int64(ImageDescriptor.dimension)))
    #expect(body["model"] == .string("cairn-descriptor-v1"))
    #expect(body["skipped"]?.array?.count == 1)
    #expect(first.stderr.contains("skipped 'scan.bin'"))
    let bytes = try Self.files(dir, "pixels")
    #expect(
      try cairn("embed", "compute", "--name", "pixels", "--force", in: dir.path).exitCode == 0)
    #expect(try Self.files(dir, "pixels") == bytes)
    #expect(try cairn("embed", "compute", "--name", "pixels", in: dir.path).exitCode == 11)

    let vectors = VectorCoding.decode(Array(bytes[2]), as: .float32)
    let keys = ["a.png", "copy/a.png", "dark.png", "noisy.png"]
    #expect(
      try dir.read("embeddings/pixels/keys.json") == "["
        + keys.map { "\"\($0)\"" }.joined(separator: ",") + "]\n")
    func vector(_ key: String) -> [Float] {
      let row = keys.firstIndex(of: key) ?? 0
      return Array(vectors[row * ImageDescriptor.dimension..<(row + 1) * ImageDescriptor.dimension])
    }
    func distance(_ a: String, _ b: String) -> Float {
      zip(vector(a), vector(b)).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    }
    let norm = vector("a.png").reduce(0) { $0 + $1 * $1 }.squareRoot()
    #expect(abs(norm - 1) < 1e-4)
    #expect(distance("a.png", "copy/a.png") == 0)
    #expect(distance("a.png", "noisy.png") < distance("a.png", "dark.png"))
    #expect(distance("a.png", "dark.png") > 0.2, "dark copy at \(distance("a.png", "dark.png"))")
    #expect(try cairn("commit", "-m", "pixels", in: dir.path).exitCode == 0)
  }

  /// `canvas` with every channel multiplied by `factor` (a night shot of the same scene).
  static func darkened(_ canvas: Canvas, factor: Double) -> Canvas {
    var copy = Canvas(width: canvas.width, height: canvas.height, background: (0, 0, 0))
    for y in 0..<canvas.height {
      for x in 0..<canvas.width {
        let offset = (y * canvas.width + x) * 3
        let pixel = canvas.pixels[offset..<offset + 3].map { UInt8(Double($0) * factor) }
        copy.fillRect(x: x, y: y, w: 1, h: 1, color: (pixel[0], pixel[1], pixel[2]))
      }
    }
    return copy
  }

  @Test func computeDescribesEachBox() throws {
    let dir = try Self.labelledRepository()
    defer { dir.remove() }
    let result = try cairn(
      "embed", "compute", "--name", "boxes", "--objects", "ground_truth", "--rev", "HEAD",
      "--json", in: dir.path)
    #expect(result.exitCode == 0, "\(result)")
    #expect(try envelope(result, "cairn.embed-compute/v1")["count"] == .int(3))
    #expect(
      try dir.read("embeddings/boxes/keys.json")
        == #"[["img0.png","a1"],["img0.png","a2"],["img1.png","b1"]]"# + "\n")
    // A field that is not in the schema.
    let unknown = try cairn("embed", "compute", "--name", "x", "--objects", "nope", in: dir.path)
    #expect(unknown.exitCode == 4, "\(unknown)")
    #expect(try cairn("commit", "-m", "boxes", in: dir.path).exitCode == 0)
  }

  @Test func computeReadsKITTIAndCOCOFixtures() throws {
    guard let kitti = Fixtures.path("kitti_object_3frames_public/training"),
      let coco = Fixtures.path("coco8_yolo")
    else {
      if Fixtures.isCI { Issue.record("fixtures folder missing under CI") }
      return
    }
    // KITTI: three PNG images decode; the three LiDAR scans are skipped.
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(try cairn("init", dir.path, in: "/").exitCode == 0)
    #expect(try cairn("import", "images", kitti, "--prefix", "kitti", in: dir.path).exitCode == 0)
    let kittiResult = try cairn("embed", "compute", "--name", "kitti", "--json", in: dir.path)
    #expect(kittiResult.exitCode == 0, "\(kittiResult)")
    let kittiBody = try envelope(kittiResult, "cairn.embed-compute/v1")
    #expect(kittiBody["count"] == .int(3))
    #expect(kittiBody["skipped"]?.array?.count == 3)
    // COCO8: JPEG images, and one vector per box.
    let cocoDir = try TemporaryDirectory()
    defer { cocoDir.remove() }
    #expect(try cairn("init", in: cocoDir.path).exitCode == 0)
    let imported = try envelope(
      try cairn(
        "import", "yolo", coco + "/coco8.yaml", "--field", "gt", "--json", in: cocoDir.path),
      "cairn.import-labels/v1")
    let labels = try #require(imported["labels"]?.int)
    let images = try cairn("embed", "compute", "--name", "coco", "--json", in: cocoDir.path)
    #expect(images.exitCode == 0, "\(images)")
    #expect(try envelope(images, "cairn.embed-compute/v1")["count"] == .int(8))
    let boxes = try cairn(
      "embed", "compute", "--name", "coco-boxes", "--objects", "gt", "--json", in: cocoDir.path)
    #expect(boxes.exitCode == 0, "\(boxes)")
    #expect(try envelope(boxes, "cairn.embed-compute/v1")["count"] == .int(labels))
  }
}
