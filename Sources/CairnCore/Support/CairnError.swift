package import GitStore

/// An error of Cairn's core.
///
/// `code` is a stable category that the command-line tool maps to an exit code; `message`
/// names the file, sample or value involved and the rule it broke.
public struct CairnError: Error, Sendable, CustomStringConvertible {
  /// A category of failure.
  ///
  /// Growable: new codes are new static constants.
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// The directory is not inside a Cairn repository.
    public static let notARepository = Code("not-a-repository")
    /// A revision, branch, sample or file does not exist.
    public static let notFound = Code("not-found")
    /// Input (a file, a media file, an argument) is malformed or breaks a rule.
    public static let invalidInput = Code("invalid-input")
    /// Files in the working tree break the format's rules; the commit was refused.
    public static let validationFailed = Code("validation-failed")
    /// Another process holds the repository's lock.
    public static let locked = Code("locked")
    /// A branch moved while the operation ran; nothing was changed.
    public static let concurrentUpdate = Code("concurrent-update")
    /// Uncommitted changes would be lost.
    public static let uncommittedChanges = Code("uncommitted-changes")
    /// The working tree matches HEAD.
    public static let nothingToCommit = Code("nothing-to-commit")
    /// A branch or repository that must be new already exists.
    public static let alreadyExists = Code("already-exists")
    /// The operation needs a working tree and the repository is bare.
    public static let bareRepository = Code("bare-repository")
    /// The repository uses a format this version of Cairn does not understand.
    public static let unsupportedFormat = Code("unsupported-format")
    /// Reading or writing files failed.
    public static let io = Code("io")
    /// A merge left conflicts that must be resolved first.
    public static let conflicts = Code("conflicts")
    /// A frozen test set or golden set would move or be deleted.
    public static let protectedReference = Code("protected-reference")
    /// A remote cannot be reached or read: no repository at its URL, a transport error, or
    /// credentials Cairn cannot give.
    public static let remoteUnavailable = Code("remote-unavailable")
    /// A push was refused: the remote branch has commits the pushed one lacks, or the server
    /// declined the update.
    public static let pushRejected = Code("push-rejected")
    /// An unexpected internal failure.
    public static let internalError = Code("internal")
  }

  /// One broken rule in one file.
  public struct Violation: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file (repository-relative path or absolute path) or record.
    public var location: String
    public var reason: String
    public var description: String { "\(location): \(reason)" }

    package init(_ location: String, _ reason: String) {
      self.location = location
      self.reason = reason
    }
  }

  public var code: Code
  public var message: String
  /// Every violation found, when the operation checks many files.
  public var violations: [Violation]
  /// The git-layer error behind this one, if any.
  public var underlying: String?

  package init(
    _ code: Code, _ message: String, violations: [Violation] = [], underlying: String? = nil
  ) {
    self.code = code
    self.message = message
    self.violations = violations
    self.underlying = underlying
  }

  public var description: String { message }

  /// Maps a git-layer error to a core error.
  package init(_ error: GitError, context: String? = nil) {
    let code: Code
    switch error.code {
    case .notFound: code = .notFound
    case .exists: code = .alreadyExists
    case .locked: code = .locked
    case .raceLost: code = .concurrentUpdate
    case .notARepository: code = .notARepository
    case .io: code = .io
    case .invalidArgument: code = .invalidInput
    case .protected: code = .protectedReference
    case .network, .authentication: code = .remoteUnavailable
    case .nonFastForward: code = .pushRejected
    default: code = .internalError
    }
    let text = context.map { "\($0): \(error.message)" } ?? error.message
    self.init(code, text, underlying: error.function.isEmpty ? nil : error.function)
  }
}
