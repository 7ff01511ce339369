import CairnTestSupport
import Foundation
import GitStore
import Testing

@Suite struct PackReaderTests {
  /// Objects of every kind, as Cairn writes them (stored trees, deflated blobs) and after git
  /// repacks them with deltas, read the same as `git cat-file` prints them.
  @Test func readsWhatGitReadsBeforeAndAfterARepack() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let repo = try GitRepository.create(at: dir.path, bare: false)
    let writer = try ObjectWriter(repository: repo)
    var blobs: [ObjectID] = []
    // Similar blobs, so git's repack makes deltas of them; one large blob, one empty.
    let long = (0..<3_000).map { "line \($0) of a long file\n" }.joined()
    for index in 0..<40 {
      blobs.append(try writer.write(.blob, Array((long + "variant \(index)\n").utf8)))
    }
    blobs.append(try writer.write(.blob, []))
    // Incompressible bytes, stored in several blocks: the pack entry is longer than its
    // content and far longer than the reader's first read.
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    let noise = (0..<200_000).map { _ -> UInt8 in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return UInt8(truncatingIfNeeded: state >> 56)
    }
    blobs.append(try writer.write(.blob, noise))
    let tree = try TreeEditor(repository: repo, writer: writer).apply(
      base: nil,
      changes: blobs.enumerated().map {
        TreeChange(path: "dir\($0.offset % 3)/file\($0.offset)", id: $0.element)
      })
    let signature = Signature(
      name: "T", email: "t@example.invalid", time: 1_700_000_000, offsetMinutes: 0)
    let commit = try writer.write(
      .commit,
      Commit.serialize(
        tree: tree, parents: [], author: signature, committer: signature, message: "m"))
    try writer.commit()
    try repo.updateReference("refs/heads/main", to: commit, expected: nil, message: "test")

    // Every object hashes back to its id; text objects also equal what git prints.
    func expectSameAsGit(_ repository: GitRepository, _ ids: [ObjectID]) throws {
      for id in ids {
        let (type, bytes) = try repository.readObject(id)
        #expect(ObjectHasher.id(of: type, bytes) == id, "object \(id.hex)")
        if type != .tree {
          let printed = try CommandRunner.git(["cat-file", type.name, id.hex], in: dir.path)
          #expect(printed.exitCode == 0)
          #expect(printed.stdout == String(decoding: bytes, as: UTF8.self), "object \(id.hex)")
        }
      }
    }
    let rootEntries = try repo.readTree(tree)
    let all = blobs + [tree, commit] + rootEntries.map(\.id)
    try expectSameAsGit(repo, all)

    // After a repack most blobs are deltas: the reader hands them to libgit2.
    let repack = try CommandRunner.git(["repack", "-a", "-d", "-f", "--depth=10"], in: dir.path)
    #expect(repack.exitCode == 0, "\(repack)")
    let reopened = try GitRepository.open(at: dir.path)
    try expectSameAsGit(reopened, all)
    // A handle opened before the repack still reads every object.
    try expectSameAsGit(repo, all)
  }

  /// A missing object is reported as not found, not as a crash or garbage.
  @Test func missingObjectIsNotFound() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let repo = try GitRepository.create(at: dir.path, bare: true)
    let writer = try ObjectWriter(repository: repo)
    try writer.write(.blob, Array("present".utf8))
    try writer.commit()
    let absent = ObjectHasher.id(of: .blob, Array("absent".utf8))
    #expect(throws: GitError.self) { try repo.readObject(absent) }
  }

  /// Trees are stored uncompressed; git reads them and `git fsck` accepts them.
  @Test func storedTreesPassFsck() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let repo = try GitRepository.create(at: dir.path, bare: false)
    let writer = try ObjectWriter(repository: repo)
    // A tree above 64 KiB needs more than one stored block.
    var changes: [TreeChange] = []
    for index in 0..<2_500 {
      let blob = try writer.write(.blob, Array("\(index)".utf8))
      changes.append(TreeChange(path: "entry-with-a-longish-name-\(index)", id: blob))
    }
    let tree = try TreeEditor(repository: repo, writer: writer).apply(base: nil, changes: changes)
    try writer.commit()
    #expect(try repo.readTree(tree).count == 2_500)
    #expect(try repo.readObject(tree).1.count > 65_535)
    let listed = try CommandRunner.git(["ls-tree", tree.hex], in: dir.path)
    #expect(listed.stdout.split(separator: "\n").count == 2_500)
    let fsck = try CommandRunner.git(["fsck", "--full", "--strict"], in: dir.path)
    #expect(fsck.exitCode == 0, "\(fsck)")
  }
}
