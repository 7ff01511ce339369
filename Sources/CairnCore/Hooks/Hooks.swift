internal import GitStore

/// The git hooks Cairn installs, so that plain git in a Cairn working tree follows Cairn's rules.
///
/// The scripts are the files of the repository's `hooks/` folder, embedded here (a test checks
/// that the two agree); `@CAIRN@` stands for the path of the `cairn` that installs them.
package enum Hooks {
  /// `hooks/pre-commit`: runs `cairn check --staged`.
  package static let preCommit = """
    #!/bin/sh
    # Cairn pre-commit hook: holds a plain `git commit` in a Cairn working tree to the rules of
    # `cairn commit` (format v1, schema.json, rules across files) by running `cairn check --staged`.
    # `cairn init` installs it as .git/hooks/pre-commit with the path of the cairn that ran it.
    cairn_bin="${CAIRN:-@CAIRN@}"
    if ! command -v "$cairn_bin" >/dev/null 2>&1; then
      cairn_bin=cairn
    fi
    if ! command -v "$cairn_bin" >/dev/null 2>&1; then
      echo "cairn pre-commit hook: cairn not found (set CAIRN or put cairn on PATH)" >&2
      exit 1
    fi
    exec "$cairn_bin" check --staged

    """

  /// The hooks by file name.
  package static let all: [(name: String, script: String)] = [("pre-commit", preCommit)]

  /// Installs every hook into `gitDirectory/hooks`, naming `executable` as the `cairn` to run.
  ///
  /// A hook file that exists and is not Cairn's is left alone and reported.
  ///
  /// - Returns: The names of the hooks installed and of those left alone.
  /// - Throws: `CairnError` `.io` when a hook cannot be written.
  @discardableResult
  package static func install(gitDirectory: String, executable: String) throws(CairnError) -> (
    installed: [String], skipped: [String]
  ) {
    var installed: [String] = []
    var skipped: [String] = []
    let folder = gitDirectory + "/hooks"
    for (name, script) in all {
      let path = folder + "/" + name
      if let existing = try? FileIO.read(path),
        !String(decoding: existing, as: UTF8.self).contains("Cairn " + name + " hook")
      {
        skipped.append(name)
        continue
      }
      let text = script.replacingOccurrences(of: "@CAIRN@", with: executable)
      try CairnError.wrap {
        try FileIO.makeDirectories(folder)
        try FileIO.writeAtomically(Array(text.utf8), to: path, mode: 0o755)
      }
      installed.append(name)
    }
    return (installed, skipped)
  }
}

extension String {
  fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
    split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
  }
}
