import CairnTestSupport
import Foundation
import GitStore
import Testing

@Suite struct PackWriterTests {
  /// Objects already packed are skipped; one that exists only loose is packed again, which git
  /// accepts.
  @Test func packedObjectsAreSkippedAndLooseOnesPackedAgain() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let repo = try GitRepository.create(at: dir.path, bare: false)
    let first = try ObjectWriter(repository: repo)
    let packed = try first.write(.blob, Array("packed\n".utf8))
    try first.commit()
    #expect(repo.isPacked(packed))

    try dir.write("loose\n", to: "loose.txt")
    let hashed = try CommandRunner.git(["hash-object", "-w", "loose.txt"], in: dir.path)
    let loose = hashed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(!repo.isPacked(try #require(ObjectID(hex: loose))))

    let second = try ObjectWriter(repository: repo)
    #expect(try second.write(.blob, Array("packed\n".utf8)) == packed)
    #expect(second.count == 0)
    #expect(try second.write(.blob, Array("loose\n".utf8)).hex == loose)
    #expect(second.count == 1)
    try second.commit()
    #expect(repo.isPacked(try #require(ObjectID(hex: loose))))
    let fsck = try CommandRunner.git(["fsck", "--full", "--strict"], in: dir.path)
    #expect(fsck.exitCode == 0, "\(fsck)")
  }

  @Test func writtenPackIsReadableByGitAndLibgit2() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let repo = try GitRepository.create(at: dir.path, bare: false)
    let writer = try ObjectWriter(repository: repo)
    var blobs: [ObjectID] = []
    for index in 0..<500 {
      blobs.append(try writer.write(.blob, Array("sample \(index)\n".utf8)))
    }
    // A duplicate is stored once.
    #expect(try writer.write(.blob, Array("sample 7\n".utf8)) == blobs[7])
    let editor = TreeEditor(repository: repo, writer: writer)
    let tree = try editor.apply(
      base: nil,
      changes: blobs.enumerated().map {
        TreeChange(path: "d\($0.offset % 7)/f\($0.offset).txt", id: $0.element)
      })
    let signature = Signature(
      name: "T", email: "t@example.invalid", time: 1_700_000_000, offsetMinutes: 60)
    let commit = try writer.write(
      .commit,
      Commit.serialize(
        tree: tree, parents: [], author: signature, committer: signature, message: "first"))
    #expect(writer.count == 500 + 8 + 1)
    try writer.commit()
    try repo.updateReference("refs/heads/main", to: commit, expected: nil, message: "test")

    #expect(try repo.readBlob(blobs[42]) == Array("sample 42\n".utf8))
    #expect(try repo.readCommit(commit).tree == tree)
    let fsck = try CommandRunner.git(["fsck", "--full", "--strict"], in: dir.path)
    #expect(fsck.exitCode == 0, "\(fsck)")
    let show = try CommandRunner.git(["show", "HEAD:d0/f42.txt"], in: dir.path)
    #expect(show.stdout == "sample 42\n")
    let verify = try CommandRunner.git(["count-objects", "-v"], in: dir.path)
    #expect(
      verify.stdout.contains("count: 0"), "objects must be packed, not loose: \(verify.stdout)")
    #expect(verify.stdout.contains("in-pack: 509"))
  }

  @Test func abortedWriterLeavesNothing() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let repo = try GitRepository.create(at: dir.path, bare: true)
    do {
      let writer = try ObjectWriter(repository: repo)
      try writer.write(.blob, Array("lost".utf8))
      writer.abort()
    }
    let packs = FileIO.list(repo.gitDirectory + "/objects/pack") ?? []
    #expect(packs.isEmpty)
    #expect((FileIO.list(repo.gitDirectory + "/cairn/tmp") ?? []).isEmpty)
  }

  @Test func objectIDsMatchGitHashObject() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try dir.write("hello, cairn\n", to: "f.txt")
    let result = try CommandRunner.git(["hash-object", "f.txt"], in: dir.path)
    let expected = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(ObjectHasher.id(of: .blob, Array("hello, cairn\n".utf8)).hex == expected)
  }
}
