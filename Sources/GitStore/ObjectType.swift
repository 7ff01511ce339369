/// The kinds of git object Cairn writes, with their pack type numbers.
package enum ObjectType: UInt8, Sendable {
  case commit = 1
  case tree = 2
  case blob = 3
  case tag = 4

  /// The name used in loose-object headers (`blob 12\0`).
  package var name: String {
    switch self {
    case .commit: "commit"
    case .tree: "tree"
    case .blob: "blob"
    case .tag: "tag"
    }
  }
}
