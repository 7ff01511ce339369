internal import CLibgit2

/// An error raised by the git layer.
///
/// The message names the values involved; `function` records which libgit2 call (or which
/// step of Cairn's own object writer) failed, so a report can be traced to its cause.
package struct GitError: Error, Sendable, CustomStringConvertible {
  /// A category of git-layer failure.
  ///
  /// Growable: new codes are new static constants.
  package struct Code: Hashable, Sendable, CustomStringConvertible {
    package let rawValue: String
    package init(_ rawValue: String) { self.rawValue = rawValue }
    package var description: String { rawValue }

    /// The object, reference or path does not exist.
    package static let notFound = Code("not-found")
    /// A reference that must not exist already does.
    package static let exists = Code("exists")
    /// A lock file is held by another process.
    package static let locked = Code("locked")
    /// A reference moved between reading it and updating it (lost a compare-and-swap race).
    package static let raceLost = Code("race-lost")
    /// The path is not a git repository.
    package static let notARepository = Code("not-a-repository")
    /// Data on disk is malformed.
    package static let corrupt = Code("corrupt")
    /// An operating-system call failed.
    package static let io = Code("io")
    /// The caller passed a value the git layer cannot accept.
    package static let invalidArgument = Code("invalid-argument")
    /// A protected reference (a frozen test set or golden set) would move or vanish.
    package static let protected = Code("protected")
    /// A remote could not be reached or read (no repository at the URL, a transport error).
    package static let network = Code("network")
    /// A remote asked for credentials Cairn could not supply, or refused them.
    package static let authentication = Code("authentication")
    /// A push would rewrite a remote branch that has commits the pushed one lacks.
    package static let nonFastForward = Code("non-fast-forward")
    /// Any other libgit2 failure.
    package static let other = Code("other")
  }

  package var code: Code
  package var message: String
  /// The libgit2 function or writer step that failed.
  package var function: String

  package init(_ code: Code, _ message: String, function: String = "") {
    self.code = code
    self.message = message
    self.function = function
  }

  package var description: String { message }

  /// Builds an error from libgit2's last error, read on the calling thread right after `function`
  /// returned `result`.
  static func libgit2(_ result: Int32, _ function: String, context: String = "") -> GitError {
    var detail = ""
    if let last = git_error_last(), let text = last.pointee.message {
      detail = String(cString: text)
    }
    let code: Code
    switch result {
    case GIT_ENOTFOUND.rawValue: code = .notFound
    case GIT_EEXISTS.rawValue: code = .exists
    case GIT_ELOCKED.rawValue: code = .locked
    case GIT_EMODIFIED.rawValue: code = .raceLost
    default: code = .other
    }
    var message = context.isEmpty ? "\(function) failed" : context
    if !detail.isEmpty { message += ": \(detail)" }
    return GitError(code, message, function: function)
  }
}

@inline(__always)
func check(_ result: Int32, _ function: String, context: @autoclosure () -> String = "")
  throws(GitError)
{
  if result < 0 { throw GitError.libgit2(result, function, context: context()) }
}
