/// One entry of a git tree, copied out of libgit2 into a value.
package struct TreeEntry: Sendable, Equatable {
  /// Git file modes Cairn writes.
  package static let fileMode: UInt32 = 0o100644
  package static let treeMode: UInt32 = 0o040000

  package var name: String
  package var mode: UInt32
  package var id: ObjectID

  package init(name: String, mode: UInt32, id: ObjectID) {
    self.name = name
    self.mode = mode
    self.id = id
  }

  package var isTree: Bool { mode == Self.treeMode }
}

/// Git's serialisation of trees.
package enum TreeFormat {
  private static let fileModeText = Array("100644".utf8)
  private static let treeModeText = Array("40000".utf8)

  /// Orders names as git does: byte order, with a tree's name compared as if it ended in `/`.
  package static func precedes(_ a: TreeEntry, _ b: TreeEntry) -> Bool {
    precedes(a.name, a.isTree, b.name, b.isTree)
  }

  /// Orders names as git does: byte order, with a tree's name compared as if it ended in `/`.
  package static func precedes(_ a: String, _ aIsTree: Bool, _ b: String, _ bIsTree: Bool) -> Bool {
    UTF8Order.compare(a, b) { x, y, common in
      // Equal up to the shorter name: compare the next byte of each, where a name that ended
      // goes on with `/` if it is a tree's and ends (0) otherwise. Names hold neither byte.
      let l = x.count > common ? x[common] : (aIsTree ? UInt8(ascii: "/") : 0)
      let r = y.count > common ? y[common] : (bIsTree ? UInt8(ascii: "/") : 0)
      return l < r ? -1 : (l > r ? 1 : 0)
    } < 0
  }

  /// Serialises entries, sorting them in git's order unless `presorted`.
  package static func serialize(_ entries: [TreeEntry], presorted: Bool = false) -> [UInt8] {
    let sorted = presorted ? entries : entries.sorted(by: precedes)
    var out: [UInt8] = []
    out.reserveCapacity(sorted.count * 48)
    for entry in sorted {
      switch entry.mode {
      case TreeEntry.fileMode: out.append(contentsOf: fileModeText)
      case TreeEntry.treeMode: out.append(contentsOf: treeModeText)
      default: out.append(contentsOf: String(entry.mode, radix: 8).utf8)
      }
      out.append(UInt8(ascii: " "))
      out.append(contentsOf: entry.name.utf8)
      out.append(0)
      entry.id.withRawBytes { out.append(contentsOf: $0) }
    }
    return out
  }
}
