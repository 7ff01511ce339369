import CairnTestSupport
import Foundation
import GitStore
import Testing

/// The git layer's remotes against real repositories over `file://`.
@Suite struct GitRemoteTests {
  /// A bare server with `main` and `other` (one commit each on top of a shared root), and a
  /// working clone of it made by git.
  func serverAndClone() throws -> (TemporaryDirectory, server: String, work: String) {
    let base = try TemporaryDirectory("cairn-gitremote")
    let server = base.appending("server")
    let work = base.appending("work")
    let steps: [([String], String)] = [
      (["init", "-q", "--bare", "-b", "main", server], "/"),
      (["init", "-q", "-b", "main", work], "/"),
      (["commit", "-q", "--allow-empty", "-m", "root"], work),
      (["branch", "other"], work),
      (["commit", "-q", "--allow-empty", "-m", "main"], work),
      (["push", "-q", "file://" + server, "main", "other"], work),
    ]
    for (arguments, directory) in steps {
      let result = try CommandRunner.git(arguments, in: directory)
      #expect(result.exitCode == 0, "git \(arguments): \(result)")
    }
    return (base, server, work)
  }

  func revParse(_ revision: String, in directory: String) throws -> String {
    try CommandRunner.git(["rev-parse", "--verify", "-q", revision], in: directory).stdout
      .trimmingCharacters(in: .whitespacesAndNewlines)
  }

  @Test func aLocalPushMovesAReferenceOnlyIfItStillHoldsTheListedValue() throws {
    let (base, server, work) = try serverAndClone()
    defer { base.remove() }
    let repository = try GitRepository.open(at: work)
    try repository.addRemote("origin", url: "file://" + server)
    #expect(try repository.remoteNames() == ["origin"])
    let remote = try repository.openRemote("origin")
    let listed = try remote.connect(forPush: true)
    let main = try #require(listed.first { $0.name == "refs/heads/main" }?.id)
    let other = try #require(listed.first { $0.name == "refs/heads/other" }?.id)
    // Someone else moves the server's main after the listing.
    #expect(
      try CommandRunner.git(["update-ref", "refs/heads/main", other.hex], in: server).exitCode == 0)
    _ = try CommandRunner.git(["commit", "-q", "--allow-empty", "-m", "next"], in: work)
    let next = try repository.resolveCommit("main")
    let statuses = try remote.push([
      PushUpdate(reference: "refs/heads/main", new: next, expected: main)
    ])
    #expect(statuses.count == 1)
    #expect(statuses.first?.rejection?.contains("moved") == true, "\(statuses)")
    #expect(try revParse("refs/heads/main", in: server) == other.hex)
    let refs = try CommandRunner.git(["for-each-ref"], in: server).stdout
    #expect(!refs.contains("refs/cairn/"), "\(refs)")

    // With the value it holds now, the same push goes through, and origin/main follows.
    let again = try repository.openRemote("origin")
    _ = try again.connect(forPush: true)
    let accepted = try again.push([
      PushUpdate(reference: "refs/heads/main", new: next, expected: other, force: true)
    ])
    #expect(accepted.first?.rejection == nil, "\(accepted)")
    #expect(try revParse("refs/heads/main", in: server) == next.hex)
    #expect(try revParse("refs/remotes/origin/main", in: work) == next.hex)
    #expect(!(try CommandRunner.git(["for-each-ref"], in: server).stdout.contains("refs/cairn/")))
    let fsck = try CommandRunner.git(["fsck", "--no-progress"], in: server)
    #expect(fsck.exitCode == 0, "\(fsck)")
  }

  @Test func unknownAndUnreachableRemotesAreNamed() throws {
    let (base, _, work) = try serverAndClone()
    defer { base.remove() }
    let repository = try GitRepository.open(at: work)
    #expect(throws: GitError.self) { try repository.openRemote("nowhere") }
    try repository.addRemote("gone", url: "file://" + base.appending("missing"))
    #expect(throws: GitError.self) { try repository.addRemote("gone", url: "/tmp") }
    let remote = try repository.openRemote("gone")
    do {
      _ = try remote.connect(forPush: false)
      Issue.record("connecting to a missing repository succeeded")
    } catch {
      #expect(error.code == .network)
      #expect(error.message.contains(base.appending("missing")), "\(error.message)")
    }
    try repository.removeRemote("gone")
    #expect(try repository.remoteNames().isEmpty)
  }
}
