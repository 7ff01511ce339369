internal import CairnCore
internal import GitStore

/// Exit codes by error category.
///
/// Documented in `Docs/cli.md`; never renumber one. Argument errors exit with 64 (EX_USAGE),
/// set by the argument parser itself.
enum ExitCodes {
  static let success: Int32 = 0
  static let internalError: Int32 = 1
  static let notARepository: Int32 = 3
  static let notFound: Int32 = 4
  static let invalidInput: Int32 = 5
  static let validationFailed: Int32 = 6
  static let locked: Int32 = 7
  static let concurrentUpdate: Int32 = 8
  static let uncommittedChanges: Int32 = 9
  static let nothingToCommit: Int32 = 10
  static let alreadyExists: Int32 = 11
  static let bareRepository: Int32 = 12
  static let unsupportedFormat: Int32 = 13
  static let io: Int32 = 14
  static let conflicts: Int32 = 15
  static let protectedReference: Int32 = 16
  static let remoteUnavailable: Int32 = 17
  static let pushRejected: Int32 = 18

  static func code(for code: CairnError.Code) -> Int32 {
    switch code {
    case .notARepository: notARepository
    case .notFound: notFound
    case .invalidInput: invalidInput
    case .validationFailed: validationFailed
    case .locked: locked
    case .concurrentUpdate: concurrentUpdate
    case .uncommittedChanges: uncommittedChanges
    case .nothingToCommit: nothingToCommit
    case .alreadyExists: alreadyExists
    case .bareRepository: bareRepository
    case .unsupportedFormat: unsupportedFormat
    case .io: io
    case .conflicts: conflicts
    case .protectedReference: protectedReference
    case .remoteUnavailable: remoteUnavailable
    case .pushRejected: pushRejected
    default: internalError
    }
  }
}
