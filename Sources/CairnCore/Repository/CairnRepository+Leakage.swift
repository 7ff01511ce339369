package import GitStore

/// One sample of a frozen test set found in training data.
package struct Leak: Sendable, Equatable {
  package enum Kind: String, Sendable {
    /// The same sample key.
    case key
    /// Another key whose media has the same SHA-256 (the same image under another name).
    case content
  }

  package var kind: Kind
  /// The frozen test set.
  package var set: String
  /// The sample's key in the test set.
  package var testKey: String
  /// The key in the training data.
  package var trainingKey: String
}

/// Media identity of a sample, for leak checks.
struct SampleIdentity: Sendable {
  var key: String
  var sha256: String?
}

extension CairnRepository {
  /// The samples of frozen test sets (all, or `sets`) that appear among `keys` at `commit`,
  /// by key or by media content.
  ///
  /// - Throws: `CairnError` `.notFound` for an unknown set.
  package func leaks(keys: [String], at commit: ObjectID, sets: [String]? = nil)
    throws(CairnError) -> [Leak]
  {
    var names = sets ?? []
    if sets == nil {
      names = try protectedSets().filter { $0.kind == .test }.map(\.name)
    }
    if names.isEmpty { return [] }
    let training = try identities(keys: keys, at: commit)
    var byHash: [String: [String]] = [:]
    for sample in training {
      if let hash = sample.sha256 { byHash[hash, default: []].append(sample.key) }
    }
    let trainingKeys = Set(keys)
    var found: [Leak] = []
    for name in names {
      guard let set = try protectedSet(.test, name: name) else {
        throw CairnError(.notFound, "no frozen test set '\(name)' (refs/frozen/\(name))")
      }
      for sample in try identities(keys: nil, at: set.commit) {
        if trainingKeys.contains(sample.key) {
          found.append(Leak(kind: .key, set: name, testKey: sample.key, trainingKey: sample.key))
        }
        for other in byHash[sample.sha256 ?? ""] ?? [] where other != sample.key {
          found.append(Leak(kind: .content, set: name, testKey: sample.key, trainingKey: other))
        }
      }
    }
    return found.sorted {
      ($0.set, $0.testKey, $0.trainingKey, $0.kind.rawValue)
        < ($1.set, $1.testKey, $1.trainingKey, $1.kind.rawValue)
    }
  }

  /// Key and media hash of the samples at `commit` (all, or `keys`).
  func identities(keys: [String]?, at commit: ObjectID) throws(CairnError) -> [SampleIdentity] {
    let git = self.git
    return try CairnError.wrap { () throws -> [SampleIdentity] in
      let tree = try git.readCommit(commit).tree
      let walk = TreeWalk(repository: git)
      var blobs: [(String, ObjectID)] = []
      if let keys {
        for key in keys {
          if let entry = try walk.entry(at: FormatV1.samplePath(key), in: tree) {
            blobs.append((key, entry.id))
          }
        }
      } else if let folder = try walk.entry(at: "samples", in: tree) {
        try walk.files(in: folder.id, prefix: "samples") { path, entry in
          if case .success(.sample(let key)) = FormatV1.classify(path) {
            blobs.append((key, entry.id))
          }
        }
      }
      return try blobs.map { key, id in
        let record = try JSONParser.parse(try git.readBlob(id))
        return SampleIdentity(key: key, sha256: record["media"]?["sha256"]?.string)
      }
    }
  }
}
