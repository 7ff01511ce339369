import CairnCore
import CairnTestSupport
import Foundation
import Testing

/// SIGKILL at many points of an import or a commit leaves a valid repository: `git fsck`
/// clean, the branch at the old or the new commit, never in between, and the next command
/// able to finish the work.
@Suite(.serialized) struct CrashSafetyTests {
  /// Writes `count` valid samples with labels straight into the working tree.
  func writeSamples(_ count: Int, into dir: TemporaryDirectory) throws {
    try declareGroundTruth(in: dir)
    for index in 0..<count {
      let key = "frame/\(index).png"
      let media = MediaRecord(
        uri: "media/\(index).png", sha256: String(repeating: "ab", count: 32),
        size: 1000 + Int64(index),
        kind: "image", format: "png", width: 640, height: 480)
      try dir.write(SampleRecord(key: key, media: media).encoded, to: FormatV1.samplePath(key))
      let labels: [JSONValue] = (0..<4).map { box in
        .object([
          "id": .string("k\(index)b\(box)"), "type": .string("detection"), "label": .string("car"),
          "bbox": .array([.double(0.1 * Double(box)), .double(0.2), .double(0.05), .double(0.07)]),
        ])
      }
      try dir.write(
        LabelFile(field: "ground_truth", sample: key, labels: labels).encoded,
        to: FormatV1.labelPath(field: "ground_truth", key: key))
    }
  }

  func copy(_ source: String, to destination: String) throws {
    let result = try CommandRunner.run("/bin/cp", ["-a", source, destination], in: "/")
    #expect(result.exitCode == 0)
  }

  @Test func killedCommitLeavesTheBranchAtTheOldOrTheNewCommit() throws {
    let base = try TemporaryDirectory("cairn-kill")
    defer { base.remove() }
    let template = base.appending("template")
    #expect(try cairn("init", template, in: "/").exitCode == 0)
    try writeSamples(1500, into: TemporaryDirectory(existing: template))
    let old = try revParse("HEAD", in: template)

    // Measure one uninterrupted commit to spread the kills over its whole duration.
    try copy(template, to: base.appending("timing"))
    let clock = ContinuousClock()
    let started = clock.now
    #expect(try cairn("commit", "-m", "timing", in: base.appending("timing")).exitCode == 0)
    let duration = clock.now - started

    var outcomes: [String: Int] = ["old": 0, "new": 0]
    let attempts = 16
    var generator = SystemRandomNumberGenerator()
    for attempt in 0..<attempts {
      let work = base.appending("run\(attempt)")
      try copy(template, to: work)
      // Kill points spread over 0 to 2.5 times the measured commit, so that even on a loaded
      // machine (where a commit can take twice as long as the timing run) some land after the
      // branch moved.
      let fraction =
        (Double(attempt) + Double.random(in: 0..<1, using: &generator)) / Double(attempts) * 2.5
      let running = try CommandRunner.startCairn(["commit", "-m", "batch"], in: work)
      try Task.checkCancellation()
      usleep(UInt32(max(0, fraction * duration.seconds * 1_000_000)))
      running.kill()
      _ = running.wait()

      try expectFsckClean(work)
      let head = try revParse("HEAD", in: work)
      if head == old {
        outcomes["old", default: 0] += 1
      } else {
        outcomes["new", default: 0] += 1
        #expect(
          try revParse("HEAD~1", in: work) == old,
          "branch moved to something other than a child of the old commit")
        #expect(
          try git("ls-tree", "-r", "--name-only", "HEAD", in: work).stdout.split(separator: "\n")
            .count == 3002)
      }
      // A stale lock is removed by hand, as with git; then the work can be finished.
      try? FileManager.default.removeItem(atPath: work + "/.git/index.lock")
      let finish = try cairn("commit", "-m", "batch", in: work)
      #expect([0, 10].contains(finish.exitCode), "\(finish)")
      #expect(try cairn("status", "--json", in: work).stdout.contains("\"clean\":true"))
      #expect(try git("status", "--porcelain", in: work).stdout.isEmpty)
      try expectFsckClean(work)
      try? FileManager.default.removeItem(atPath: work)
    }
    print("killed commits: \(outcomes) (commit takes \(duration))")
    #expect(outcomes.values.reduce(0, +) == attempts)
    #expect((outcomes["old"] ?? 0) > 0, "no kill landed before the branch moved: \(outcomes)")
    #expect((outcomes["new"] ?? 0) > 0, "no kill landed after the branch moved: \(outcomes)")
  }

  @Test func killedImportLeavesValidFiles() throws {
    let base = try TemporaryDirectory("cairn-kill-import")
    defer { base.remove() }
    let template = base.appending("template")
    #expect(try cairn("init", template, in: "/").exitCode == 0)
    try writeImages(400, into: TemporaryDirectory(existing: template), folder: "media")
    let old = try revParse("HEAD", in: template)
    try copy(template, to: base.appending("timing"))
    let clock = ContinuousClock()
    let started = clock.now
    #expect(try cairn("import", "images", "media", in: base.appending("timing")).exitCode == 0)
    let duration = clock.now - started

    for attempt in 0..<10 {
      let work = base.appending("run\(attempt)")
      try copy(template, to: work)
      let running = try CommandRunner.startCairn(["import", "images", "media"], in: work)
      usleep(UInt32(Double(attempt) / 10 * 1.2 * duration.seconds * 1_000_000))
      running.kill()
      _ = running.wait()
      try expectFsckClean(work)
      #expect(try revParse("HEAD", in: work) == old)
      // Every sample file present is complete and valid: files are replaced atomically.
      let samples =
        FileManager.default.enumerator(atPath: work + "/samples")?.allObjects as? [String] ?? []
      for file in samples where file.hasSuffix(".json") {
        let path = "samples/" + file
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: work + "/" + path)))
        #expect(Validator.check(path: path, bytes: bytes) == .valid, "\(path) is damaged")
      }
      try? FileManager.default.removeItem(atPath: work + "/.git/index.lock")
      #expect(try cairn("import", "images", "media", in: work).exitCode == 0)
      #expect(try cairn("commit", "-m", "import", in: work).exitCode == 0)
      try expectFsckClean(work)
      try? FileManager.default.removeItem(atPath: work)
    }
  }
}

extension Duration {
  var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
