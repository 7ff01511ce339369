import CairnCore
import CairnTestSupport
import Foundation
import Testing

/// `cairn map --method tsne|umap` end to end, on three clusters of 20 samples in 8-D.
@Suite struct MapCommandTests {
  static let clusters = ["red", "green", "blue"]

  static func key(_ index: Int) -> String {
    clusters[index % 3] + "-" + (index < 10 ? "0" : "") + "\(index).jpg"
  }

  func make() throws -> TemporaryDirectory {
    let dir = try TemporaryDirectory()
    #expect(try cairn("init", dir.path, in: "/").exitCode == 0)
    try writeSamples((0..<60).map(Self.key), into: dir)
    var random = TestRandom(seed: 4)
    let centres = (0..<3).map { _ in (0..<8).map { _ in 4 * random.normal() } }
    var csv = ""
    for index in 0..<60 {
      let vector = centres[index % 3].map { $0 + random.normal() }
      csv += Self.key(index) + "," + vector.map { "\($0)" }.joined(separator: ",") + "\n"
    }
    try dir.write(csv, to: "vectors.csv")
    let imported = try cairn(
      "embed", "import", dir.path + "/vectors.csv", "--name", "e", in: dir.path)
    #expect(imported.exitCode == 0, "\(imported)")
    #expect(try cairn("commit", "-m", "pool", in: dir.path).exitCode == 0)
    return dir
  }

  /// Runs `cairn map` and returns the SVG and the coordinates record.
  func map(_ dir: TemporaryDirectory, _ options: String...) throws -> (String, JSONValue, String) {
    let result = try CommandRunner.cairn(
      ["map", "--embeddings", "e", "--out", dir.path + "/map.svg"] + options, in: dir.path)
    #expect(result.exitCode == 0, "\(result)")
    #expect(result.stderr.contains("wrote \(dir.path)/map.svg (60 samples)"), "\(result.stderr)")
    let text = try dir.read("runs/map/e/coordinates.json")
    return (try dir.read("map.svg"), try JSONParser.parse(text), text)
  }

  @Test(arguments: ["tsne", "umap"])
  func aSeededMapKeepsTheClustersApart(method: String) throws {
    let dir = try make()
    defer { dir.remove() }
    let (svg, record, text) = try map(dir, "--method", method, "--seed", "3")
    #expect(svg.components(separatedBy: "r=\"4\"").count - 1 == 60, "one dot per sample")
    #expect(svg.contains("<title>e (\(method))</title>"))
    #expect(record["method"] == .string(method))
    #expect(record["parameters"]?["seed"] == .int(3))
    #expect(record["parameters"]?["init"] == .string("pca"))
    if method == "tsne" {
      #expect(record["parameters"]?["perplexity"]?.number == 59.0 / 3, "clamped to (N - 1) / 3")
      #expect(record["parameters"]?["iterations"] == .int(1000))
      #expect(record["parameters"]?["learning_rate"]?.number == 50)
    } else {
      #expect(record["parameters"]?["neighbours"] == .int(15))
      #expect(record["parameters"]?["epochs"] == .int(500))
      #expect(abs((record["parameters"]?["a"]?.number ?? 0) - 1.577) < 1e-3)
    }
    // Each sample's nearest sample on the map is of its own cluster.
    let points = (0..<60).map { index in
      let pair = record["points"]?[Self.key(index)]?.array ?? []
      return (pair.first?.number ?? .nan, pair.last?.number ?? .nan)
    }
    var strays: [String] = []
    for (index, point) in points.enumerated() {
      let nearest = points.indices.filter { $0 != index }.min { a, b in
        hypot(points[a].0 - point.0, points[a].1 - point.1)
          < hypot(points[b].0 - point.0, points[b].1 - point.1)
      }
      if nearest.map({ $0 % 3 }) != index % 3 { strays.append(Self.key(index)) }
    }
    #expect(strays.isEmpty, "\(strays)")
    // The same seed writes the same bytes; another seed another map.
    #expect(try map(dir, "--method", method, "--seed", "3").2 == text)
    #expect(try map(dir, "--method", method, "--seed", "4").2 != text)
    #expect(try cairn("commit", "-m", "map", in: dir.path).exitCode == 0)
  }

  @Test func parametersAreRecordedAndCheckedPerMethod() throws {
    let dir = try make()
    defer { dir.remove() }
    let (_, tsne, _) = try map(dir, "--method", "tsne", "--perplexity", "5", "--iterations", "300")
    #expect(tsne["parameters"]?["perplexity"]?.number == 5)
    #expect(tsne["parameters"]?["iterations"] == .int(300))
    let (_, umap, _) = try map(
      dir, "--method", "umap", "--neighbours", "8", "--min-dist", "0.5", "--epochs", "50")
    #expect(umap["parameters"]?["neighbours"] == .int(8))
    #expect(umap["parameters"]?["min_dist"]?.number == 0.5)
    #expect(umap["parameters"]?["epochs"] == .int(50))
    let (_, pca, _) = try map(dir)
    #expect(pca["method"] == .string("pca") && pca["parameters"] == .object([:]))
    for (options, message) in [
      (["--method", "mds"], "--method mds is not built in; use pca, tsne or umap"),
      (["--method", "umap", "--perplexity", "10"], "--perplexity applies to --method tsne"),
      (["--neighbours", "10"], "--neighbours applies to --method umap, not pca"),
      (["--method", "tsne", "--perplexity", "0.5"], "--perplexity must be at least 1"),
      (["--method", "umap", "--neighbours", "1"], "--neighbours must be at least 2"),
      (["--method", "umap", "--min-dist", "2"], "--min-dist must be between 0 and 1"),
    ] {
      let result = try CommandRunner.cairn(
        ["map", "--embeddings", "e", "--out", "x.svg"] + options, in: dir.path)
      #expect(result.exitCode == 64, "\(options): \(result)")
      #expect(result.stderr.contains(message), "\(options): \(result.stderr)")
    }
  }
}
