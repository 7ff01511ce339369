import CairnTestSupport
import Curation
import Foundation
import GitStore

/// `cairn-bench --curation`: ZCore and uniqueness against NumPy and scikit-learn on the same
/// seeded clustered float32 embeddings, the peers run as python3 child processes on `.npy`
/// files the benchmark writes.
struct CurationBenchmark {
  /// How many times faster than the NumPy port of the reference ZCore Cairn must be.
  static let zcoreTarget = 10.0

  /// The ZCore run's samples, dimension and draws.
  let zcoreCount: Int
  let dimension: Int
  let draws: Int
  /// The fraction of the draws the NumPy reference makes (its time is extrapolated).
  let referenceFraction: Double
  /// The uniqueness sizes.
  let uniquenessSizes: [Int]
  let seed: UInt64
  let workspace: Workspace
  /// Whether to run the Python peers.
  let peers: Bool

  var directory: String { workspace.root + "/curation" }

  /// Generates the embeddings, runs Cairn and the peers and returns the report.
  func run() throws -> Report {
    var report = Report()
    try FileIO.makeDirectories(directory)
    let largest = max(zcoreCount, uniquenessSizes.max() ?? 0)
    progress("generating \(largest) × \(dimension) clustered float32 embeddings")
    let (all, generateSeconds) = Stopwatch.time {
      Self.clustered(count: largest, dimension: dimension, seed: seed)
    }
    report.facts = [
      ("embeddings", "\(largest) × \(dimension) float32, 64 clusters, seed \(seed)"),
      ("generated in", Report.seconds(generateSeconds) + " s"),
      ("machine", Shell.capture("nproc", fallback: "?") + " cores"),
      ("load average before", Shell.capture("cat /proc/loadavg", fallback: "?")),
    ]
    let python = peers ? Self.pythonWithNumpy() : nil
    if peers && python == nil {
      report.facts.append(("peers", "skipped: python3 cannot import numpy and sklearn"))
    }

    // ZCore.
    let zcoreMatrix = Self.prefix(all, zcoreCount)
    let parameters = ZCoreParameters(sampleCount: draws)
    progress("Cairn ZCore: \(zcoreCount) × \(dimension), \(draws) draws")
    let (scores, zcoreSeconds) = Stopwatch.time {
      ZCore.scores(zcoreMatrix, parameters: parameters, seed: seed)
    }
    let again = ZCore.scores(zcoreMatrix, parameters: parameters, seed: seed)
    report.checks.append(("ZCore with the same seed twice gives identical scores", again == scores))
    if let python {
      let file = directory + "/zcore.npy"
      try Self.writeNumpy(zcoreMatrix, to: file)
      let script = directory + "/zcore_reference.py"
      try FileIO.writeAtomically(Array(Self.zcoreScript.utf8), to: script)
      let referenceDraws = max(1, Int((Double(draws) * referenceFraction).rounded()))
      progress("NumPy reference ZCore: \(referenceDraws) of \(draws) draws, extrapolated")
      try Shell.run("sync")
      let outcome = try Shell.run(
        [python, script, file, String(referenceDraws)].map(Shell.quote).joined(separator: " "))
      let numbers = outcome.output.split(whereSeparator: \.isWhitespace).compactMap {
        Double($0)
      }
      guard numbers.count == 2 else { throw BenchError("zcore reference printed \(outcome)") }
      let (setup, loop) = (numbers[0], numbers[1])
      let extrapolated = setup + loop * Double(draws) / Double(referenceDraws)
      report.facts.append(
        (
          "NumPy ZCore",
          "setup \(Report.seconds(setup)) s + \(referenceDraws) draws in \(Report.seconds(loop)) s, "
            + "extrapolated linearly to \(draws) draws: \(Report.seconds(extrapolated)) s"
        ))
      report.comparisons.append(
        Comparison(
          operation: "ZCore \(zcoreCount / 1000)k", cairn: zcoreSeconds,
          peer: "NumPy port (extrapolated)", peerSeconds: extrapolated))
      let ratio = extrapolated / zcoreSeconds
      report.targets.append(
        Target(
          description: "ZCore ≥ \(Int(Self.zcoreTarget))× faster than the NumPy reference on "
            + "\(zcoreCount) × \(dimension), \(draws) draws",
          measured: String(format: "%.1f×", ratio), passed: ratio >= Self.zcoreTarget))
    } else {
      report.facts.append(("Cairn ZCore", Report.seconds(zcoreSeconds) + " s"))
    }

    // Uniqueness.
    var cairnTimes: [Int: Double] = [:]
    for size in uniquenessSizes.sorted() {
      let matrix = Self.prefix(all, size)
      progress("Cairn uniqueness: \(size) × \(dimension)")
      let (ours, seconds) = Stopwatch.time { Uniqueness.scores(matrix) }
      cairnTimes[size] = seconds
      guard let python else {
        report.facts.append(("Cairn uniqueness \(size)", Report.seconds(seconds) + " s"))
        continue
      }
      let file = directory + "/uniqueness-\(size).npy"
      try Self.writeNumpy(matrix, to: file)
      let script = directory + "/uniqueness_reference.py"
      try FileIO.writeAtomically(Array(Self.uniquenessScript.utf8), to: script)
      let output = directory + "/uniqueness-\(size).f64"
      progress("scikit-learn exact kNN uniqueness: \(size) × \(dimension)")
      try Shell.run("sync")
      let outcome = try Shell.run(
        [python, script, file, output].map(Shell.quote).joined(separator: " "))
      guard let peerSeconds = Double(outcome.output.trimmingCharacters(in: .whitespacesAndNewlines))
      else { throw BenchError("uniqueness reference printed \(outcome.output)") }
      let theirs = try Self.readDoubles(output)
      let difference = zip(ours, theirs).map { abs($0 - $1) }.max() ?? .infinity
      report.checks.append(
        (
          "uniqueness \(size): Cairn (float64 distances) vs scikit-learn on float32, max |Δ| "
            + String(format: "%.2e", difference) + " (≤ 1e-4)",
          theirs.count == ours.count && difference <= 1e-4
        ))
      report.facts.append(
        (
          "scikit-learn \(size)",
          "\(Report.seconds(peerSeconds)) s in the script (kNN + scores), "
            + "\(Report.seconds(outcome.seconds)) s for the process"
        ))
      report.comparisons.append(
        Comparison(
          operation: "uniqueness \(size / 1000)k", cairn: seconds,
          peer: "sklearn NearestNeighbors brute", peerSeconds: peerSeconds))
      report.targets.append(
        Target(
          description: "uniqueness on \(size) × \(dimension) faster than scikit-learn's exact kNN",
          measured: String(format: "%.1f×", peerSeconds / seconds), passed: seconds < peerSeconds))
    }
    if let smallest = uniquenessSizes.min(), let biggest = uniquenessSizes.max(),
      smallest < biggest,
      let low = cairnTimes[smallest], let high = cairnTimes[biggest]
    {
      let sizeRatio = Double(biggest) / Double(smallest)
      report.facts.append(
        (
          "Cairn uniqueness growth",
          String(
            format: "%.1f× the time for %.0f× the samples (N² would be %.0f×)", high / low,
            sizeRatio, sizeRatio * sizeRatio)
        ))
    }
    report.facts.append(("load average after", Shell.capture("cat /proc/loadavg", fallback: "?")))
    return report
  }

  // MARK: Data

  /// Points around 64 Gaussian centres (spread 3), with unit Gaussian noise.
  static func clustered(count: Int, dimension: Int, seed: UInt64) -> EmbeddingMatrix {
    var random = SeededRandom(seed: seed)
    func normal() -> Double {
      let u = max(random.unit(), Double.ulpOfOne)
      return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * random.unit())
    }
    let centres = (0..<64).map { _ in (0..<dimension).map { _ in 3 * normal() } }
    var values = [Float](repeating: 0, count: count * dimension)
    for row in 0..<count {
      let centre = centres[random.below(centres.count)]
      for column in 0..<dimension {
        values[row * dimension + column] = Float(centre[column] + normal())
      }
    }
    return EmbeddingMatrix(count: count, dimension: dimension, values: values)
  }

  static func prefix(_ matrix: EmbeddingMatrix, _ count: Int) -> EmbeddingMatrix {
    EmbeddingMatrix(
      count: count, dimension: matrix.dimension,
      values: Array(matrix.values.prefix(count * matrix.dimension)))
  }

  /// Writes a `.npy` file (format 1.0, little-endian float32, C order).
  static func writeNumpy(_ matrix: EmbeddingMatrix, to path: String) throws {
    var header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (\(matrix.count), \(matrix.dimension)), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
    bytes.append(UInt8(header.utf8.count & 0xFF))
    bytes.append(UInt8(header.utf8.count >> 8))
    bytes.append(contentsOf: header.utf8)
    matrix.values.withUnsafeBytes { bytes.append(contentsOf: $0) }
    try FileIO.writeAtomically(bytes, to: path)
  }

  static func readDoubles(_ path: String) throws -> [Double] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw BenchError("cannot read \(path)")
    }
    return data.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
  }

  // MARK: Peers

  /// A NumPy port of `zcore_score` with the reference's defaults.
  ///
  /// Written from the algorithm's description, not from the reference's code. Prints the
  /// setup time and the time of the draws it makes.
  static let zcoreScript =
    ReferencePorts.zcore + """
      import sys

      start = time.perf_counter()
      emb = np.load(sys.argv[1])
      load = time.perf_counter() - start
      times = {}
      zcore(emb, int(sys.argv[2]), 2, 1000, 4, True, np.random.default_rng(), times)
      print(load + times["setup"], times["loop"])

      """

  /// FiftyOne's uniqueness with scikit-learn's exact cosine kNN on the centred float32
  /// embeddings; times the centring, kNN and scoring (not the load) and writes the scores.
  static let uniquenessScript = """
    import sys, time
    import numpy as np
    from sklearn.neighbors import NearestNeighbors

    emb = np.load(sys.argv[1])
    start = time.perf_counter()
    centred = emb - emb.mean(axis=0)
    model = NearestNeighbors(n_neighbors=4, metric="cosine", algorithm="brute").fit(centred)
    distances, _ = model.kneighbors(centred)
    scores = (distances[:, 1:] * np.array([0.6, 0.3, 0.1])).mean(axis=1)
    scores = scores / scores.max()
    elapsed = time.perf_counter() - start
    scores.astype(np.float64).tofile(sys.argv[2])
    print(elapsed)

    """

  /// The real python3 interpreter when it imports numpy and scikit-learn.
  static func pythonWithNumpy() -> String? {
    let resolved = Shell.capture("python3 -c 'import sys; print(sys.executable)'", fallback: "")
    guard !resolved.isEmpty, FileManager.default.isExecutableFile(atPath: resolved) else {
      return nil
    }
    guard (try? Shell.run(Shell.quote(resolved) + " -c 'import numpy, sklearn' 2>/dev/null")) != nil
    else { return nil }
    return resolved
  }

  private func progress(_ text: String) {
    print("• " + text)
  }
}
