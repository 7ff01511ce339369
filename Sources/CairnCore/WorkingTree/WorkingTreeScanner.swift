package import GitStore

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A tracked file found in the working tree.
package struct WorkingFile: Sendable {
  package var path: String
  package var stat: FileStat
}

/// Lists the files under Cairn's tracked roots with their stat data, without reading them.
package enum WorkingTreeScanner {
  /// Scans the working tree rooted at `root`.
  ///
  /// Files come out in the git index's order (bytes of the full path), because each folder's
  /// entries are sorted with folder names compared as if they ended in `/`. The top two levels
  /// of folders are listed first; the shard folders below them are then walked on all cores.
  ///
  /// - Complexity: one `fstatat` per file and directory; file contents are not read.
  package static func scan(root: String) -> [WorkingFile] {
    var found: [(String, FileStat)] = []
    for name in FormatV1.trackedRoots {
      if let info = FileStat.of(root + "/" + name), info.isRegularFile || info.isDirectory {
        found.append((name, info))
      }
    }
    var tasks: [(String, FileStat)] = sortedInIndexOrder(found)
    for _ in 0..<2 {
      var expanded: [(String, FileStat)] = []
      for (path, info) in tasks {
        if info.isDirectory {
          for (name, child) in list(directory: root + "/" + path) {
            expanded.append((path + "/" + name, child))
          }
        } else {
          expanded.append((path, info))
        }
      }
      tasks = expanded
    }
    let parts = parallelMap(count: tasks.count, state: ()) { _, index -> [WorkingFile] in
      let (path, info) = tasks[index]
      guard info.isDirectory else { return [WorkingFile(path: path, stat: info)] }
      var files: [WorkingFile] = []
      walk(directory: root + "/" + path, relative: path, into: &files)
      return files
    }
    return Array(parts.joined())
  }

  private static func sortedInIndexOrder(_ entries: [(String, FileStat)]) -> [(String, FileStat)] {
    // Positions are sorted, not the entries: moving a name with its stat data cost more than
    // comparing two names.
    let names = entries.map(\.0)
    let directories = entries.map(\.1.isDirectory)
    let order = names.indices.sorted { a, b in
      TreeFormat.precedes(names[a], directories[a], names[b], directories[b])
    }
    return order.map { entries[$0] }
  }

  private static func walk(directory: String, relative: String, into files: inout [WorkingFile]) {
    for (name, info) in list(directory: directory) {
      let path = relative + "/" + name
      if info.isDirectory {
        walk(directory: directory + "/" + name, relative: path, into: &files)
      } else {
        files.append(WorkingFile(path: path, stat: info))
      }
    }
  }

  /// The regular files and folders in `directory`, sorted in index order.
  private static func list(directory: String) -> [(String, FileStat)] {
    guard let dir = opendir(directory) else { return [] }
    defer { closedir(dir) }
    let fd = dirfd(dir)
    var found: [(String, FileStat)] = []
    while let entry = readdir(dir) {
      let isSpecial = withUnsafeBytes(of: entry.pointee.d_name) { raw -> Bool in
        raw[0] == UInt8(ascii: ".") && (raw[1] == 0 || (raw[1] == UInt8(ascii: ".") && raw[2] == 0))
      }
      if isSpecial { continue }
      let (name, info) = withUnsafePointer(to: &entry.pointee.d_name) {
        tuple -> (String, FileStat?) in
        tuple.withMemoryRebound(to: CChar.self, capacity: 256) { pointer in
          (String(cString: pointer), FileStat.of(name: pointer, in: fd))
        }
      }
      guard let info, info.isDirectory || info.isRegularFile else { continue }
      if name.hasSuffix(".cairn-tmp") { continue }
      found.append((name, info))
    }
    return sortedInIndexOrder(found)
  }
}
