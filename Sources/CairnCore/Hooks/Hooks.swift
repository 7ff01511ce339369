internal import GitStore

/// The git hooks Cairn installs, so that plain git in a Cairn working tree follows Cairn's rules.
///
/// The scripts are the files of the repository's `hooks/` folder, embedded here (a test checks
/// that the two agree); `@CAIRN@` stands for the path of the `cairn` that installs them.
package enum Hooks {
  /// `hooks/pre-commit`: runs `cairn check --staged`.
  package static let preCommit = #"""
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

    """#

  /// `hooks/reference-transaction`: refuses moving or deleting a protected set.
  package static let referenceTransaction = #"""
    #!/bin/sh
    # Cairn reference-transaction hook: refs/frozen/*, refs/golden/* and their refs/tags/frozen/*,
    # refs/tags/golden/* mirrors are protected sets. Creating one is allowed; moving or deleting
    # one is refused, whatever git command tries (update-ref, tag -d, branch -f, fetch, ...).
    # Installed by `cairn init` and `cairn hooks install`.
    [ "$1" = "prepared" ] || exit 0
    zero=0000000000000000000000000000000000000000
    status=0
    while read -r old new ref; do
      case "$ref" in
        refs/frozen/*|refs/golden/*|refs/tags/frozen/*|refs/tags/golden/*)
          current=$(git rev-parse -q --verify "$ref^{object}" 2>/dev/null || true)
          # Absent: a creation. Unchanged (packing refs rewrites them as they are): allowed.
          if [ -n "$current" ] && [ "$new" != "$current" ]; then
            # `git pack-refs` (and so `git gc`) removes a loose file once packed-refs holds the
            # same value: the reference itself does not change.
            gitdir=$(git rev-parse --git-dir)
            if [ "$new" = "$zero" ] && [ "$old" = "$current" ] && [ -f "$gitdir/$ref" ] &&
              grep -q "^$old $ref\$" "$gitdir/packed-refs" 2>/dev/null; then
              continue
            fi
            if [ "$new" = "$zero" ]; then what="delete"; else what="move"; fi
            echo "cairn: refusing to $what $ref: a protected set never changes; freeze a new one under a new name" >&2
            status=1
          fi
          ;;
      esac
    done
    exit $status

    """#

  /// `hooks/pre-receive` (server): refuses pushes that move or delete a protected set.
  package static let preReceive = #"""
    #!/bin/sh
    # Cairn pre-receive hook for a server repository: a push may create refs/frozen/*,
    # refs/golden/* and their refs/tags/frozen/*, refs/tags/golden/* mirrors, never move or
    # delete them. Installed by `cairn hooks install --server` (and `cairn init --bare`).
    zero=0000000000000000000000000000000000000000
    status=0
    while read -r old new ref; do
      case "$ref" in
        refs/frozen/*|refs/golden/*|refs/tags/frozen/*|refs/tags/golden/*)
          if [ "$old" != "$zero" ] && [ "$old" != "$new" ]; then
            echo "cairn: refusing to change $ref: a protected set never moves and is never deleted" >&2
            status=1
          fi
          ;;
      esac
    done
    exit $status

    """#

  /// `hooks/update` (server): the same rule, per reference.
  package static let update = #"""
    #!/bin/sh
    # Cairn update hook for a server repository: refuses a push that moves or deletes a protected
    # set (refs/frozen/*, refs/golden/* and their refs/tags mirrors); creating one is allowed.
    # Installed by `cairn hooks install --server` (and `cairn init --bare`).
    ref="$1"
    old="$2"
    new="$3"
    zero=0000000000000000000000000000000000000000
    case "$ref" in
      refs/frozen/*|refs/golden/*|refs/tags/frozen/*|refs/tags/golden/*)
        if [ "$old" != "$zero" ] && [ "$old" != "$new" ]; then
          echo "cairn: refusing to change $ref: a protected set never moves and is never deleted" >&2
          exit 1
        fi
        ;;
    esac
    exit 0

    """#

  /// The hooks of a working repository, by file name.
  package static let all: [(name: String, script: String)] = [
    ("pre-commit", preCommit), ("reference-transaction", referenceTransaction),
  ]

  /// The hooks of a server (bare) repository, by file name.
  package static let server: [(name: String, script: String)] = [
    ("pre-receive", preReceive), ("update", update),
    ("reference-transaction", referenceTransaction),
  ]

  /// Installs every hook into `gitDirectory/hooks`, naming `executable` as the `cairn` to run.
  ///
  /// A hook file that exists and is not Cairn's is left alone and reported.
  ///
  /// - Returns: The names of the hooks installed and of those left alone.
  /// - Throws: `CairnError` `.io` when a hook cannot be written.
  @discardableResult
  package static func install(
    gitDirectory: String, executable: String, server: Bool = false
  ) throws(CairnError) -> (installed: [String], skipped: [String]) {
    var installed: [String] = []
    var skipped: [String] = []
    let folder = gitDirectory + "/hooks"
    for (name, script) in server ? Self.server : all {
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
