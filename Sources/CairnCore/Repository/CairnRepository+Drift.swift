package import GitStore

/// Label drift over a range of commits.
package struct DriftResult: Sendable {
  package var from: ObjectID
  package var to: ObjectID
  /// From the first commit to the last, as one diff.
  package var total: DriftReport
  /// Per commit of the first-parent chain from `to` back to `from` (oldest first), each
  /// against its first parent; empty unless asked for.
  package var commits: [(commit: Commit, report: DriftReport)]
}

extension CairnRepository {
  /// Label drift from `from` to `to`: the diff between the two commits summed up per field
  /// (``DriftReport``), and with `perCommit` the same for each commit of the first-parent
  /// chain from `to` back to `from`.
  ///
  /// - Parameters:
  ///   - from: The older revision.
  ///   - to: The newer revision.
  ///   - field: Only this label field.
  ///   - perCommit: Also report each commit of the range.
  /// - Returns: The drift of the whole range and, with `perCommit`, of each commit.
  /// - Throws: `CairnError` `.notFound` for an unknown revision or field, `.invalidInput`
  ///   when `perCommit` is asked and `from` is not on `to`'s first-parent chain.
  /// - Complexity: one diff of the range, plus one per commit with `perCommit`; each costs
  ///   in proportion to its change.
  package func drift(from: String, to: String, field: String?, perCommit: Bool)
    throws(CairnError) -> DriftResult
  {
    let old = try resolve(from)
    let new = try resolve(to)
    let total = try driftReport(from: from, to: to, field: field)
    var commits: [(commit: Commit, report: DriftReport)] = []
    if perCommit {
      var chain: [Commit] = []
      var current = new
      while current != old {
        let commit = try CairnError.wrap { try git.readCommit(current) }
        guard let parent = commit.parents.first else {
          throw CairnError(
            .invalidInput,
            "\(from) (\(old.short)) is not on the first-parent history of \(to) (\(new.short))")
        }
        chain.append(commit)
        current = parent
      }
      for commit in chain.reversed() {
        let parent = commit.parents.first?.hex ?? ""
        commits.append(
          (commit, try driftReport(from: parent, to: commit.id.hex, field: field)))
      }
    }
    return DriftResult(from: old, to: new, total: total, commits: commits)
  }

  private func driftReport(from: String, to: String, field: String?) throws(CairnError)
    -> DriftReport
  {
    let plan = try planDiff(DiffRequest(from: from, to: .revision(to), field: field))
    var report = DriftReport()
    forEachSampleDiff(in: plan) { report.add($0) }
    if plan.header.schema != nil {
      // Only a schema change can introduce or abandon classes.
      let old = (try? schema(at: from)) ?? .empty
      let new = (try? schema(at: to)) ?? .empty
      report.compareClasses(old: old, new: new, field: field)
    }
    return report
  }
}
