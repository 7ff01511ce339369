/// Why a cuboid or a cuboid evaluation was refused.
///
/// The message names the values involved, so that a caller can show it as it is.
package struct CuboidProblem: Error, Sendable, Equatable, CustomStringConvertible {
  /// What is wrong, naming the values involved.
  package var message: String

  package init(_ message: String) {
    self.message = message
  }

  package var description: String { message }
}
