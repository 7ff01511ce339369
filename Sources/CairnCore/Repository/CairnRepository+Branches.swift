package import GitStore

/// A branch and where it points.
package struct BranchInfo: Sendable, Equatable {
  package var name: String
  package var target: ObjectID
  package var isCurrent: Bool
}

extension CairnRepository {
  /// Lists local branches.
  package func branches() throws(CairnError) -> [BranchInfo] {
    let head = try head()
    var current: String?
    if case .branch(let name, _) = head { current = name }
    return try CairnError.wrap { try git.references(withPrefix: "refs/heads/") }.map {
      name, target in
      let short = String(name.dropFirst("refs/heads/".count))
      return BranchInfo(name: short, target: target, isCurrent: short == current)
    }
  }

  /// Creates branch `name` at `start` (a revision; HEAD when nil).
  ///
  /// - Throws: `CairnError` `.alreadyExists`, `.invalidInput` for an invalid name, `.notFound`.
  package func createBranch(_ name: String, at start: String?) throws(CairnError) {
    if let problem = Self.branchNameProblem(name) {
      throw CairnError(.invalidInput, "invalid branch name '\(name)': \(problem)")
    }
    let target: ObjectID
    if let start {
      target = try resolve(start)
    } else {
      guard let id = try head().target else {
        throw CairnError(.notFound, "HEAD has no commit yet; nothing to branch from")
      }
      target = id
    }
    do {
      try git.updateReference(
        "refs/heads/" + name, to: target, expected: nil, message: "branch: created")
    } catch {
      if error.code == .exists {
        throw CairnError(.alreadyExists, "a branch named '\(name)' already exists")
      }
      throw CairnError(error)
    }
  }

  /// Deletes branch `name`; the current branch cannot be deleted.
  package func deleteBranch(_ name: String) throws(CairnError) {
    if case .branch(let current, _) = try head(), current == name {
      throw CairnError(.invalidInput, "cannot delete branch '\(name)': it is checked out")
    }
    guard let target = try CairnError.wrap(nil, { try git.referenceTarget("refs/heads/" + name) })
    else {
      throw CairnError(.notFound, "no branch named '\(name)'")
    }
    try CairnError.wrap { try git.deleteReference("refs/heads/" + name, expected: target) }
  }

  /// Why `name` is not a valid branch name (git's rules, simplified), or nil.
  static func branchNameProblem(_ name: String) -> String? {
    if name.isEmpty { return "empty" }
    if name.hasPrefix("-") || name.hasPrefix("/") || name.hasSuffix("/") || name.hasSuffix(".lock")
    {
      return "cannot start with '-' or '/', or end with '/' or '.lock'"
    }
    if name.contains("..") || name.contains("//") || name.contains("@{") || name == "HEAD" {
      return "cannot contain '..', '//' or '@{', or be HEAD"
    }
    let forbidden: Set<Character> = [" ", "~", "^", ":", "?", "*", "[", "\\"]
    if name.contains(where: {
      forbidden.contains($0) || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } == true
    }) {
      return "cannot contain spaces, control characters or any of ~ ^ : ? * [ \\"
    }
    return nil
  }
}
