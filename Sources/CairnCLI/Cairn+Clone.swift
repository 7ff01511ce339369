internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct Clone: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "clone",
      abstract: "Copy a Cairn repository from a URL, with its protected sets.",
      discussion: """
        As 'git clone': remote origin, its branches as refs/remotes/origin/*, its default \
        branch checked out. Then Cairn checks the format (exit 13 for a repository that is \
        not a Cairn dataset), writes the git index as its stat cache, installs its git hooks \
        as 'cairn init' does, and fetches the protected sets and tags. URL may be file://, \
        git://, ssh://, https://, scp-like host:path or a local path. When anything fails, \
        nothing is left behind.
        """)

    @Argument(help: "Where to clone from.")
    var url: String

    @Argument(
      help:
        "The folder to create (default: the URL's last part without .git); it must not exist or be empty."
    )
    var directory: String?

    @Flag(help: "Print the result as JSON (envelope cairn.clone/v1).")
    var json = false

    /// The folder git would clone `url` into.
    static func defaultDirectory(for url: String) -> String? {
      var text = Substring(url)
      while text.hasSuffix("/") { text = text.dropLast() }
      if text.hasSuffix(".git") { text = text.dropLast(4) }
      while text.hasSuffix("/") { text = text.dropLast() }
      let name = text.split(whereSeparator: { $0 == "/" || $0 == ":" }).last.map(String.init)
      guard let name, !name.isEmpty, name != ".", name != ".." else { return nil }
      return name
    }

    func run() async throws {
      guard let path = directory ?? Self.defaultDirectory(for: url) else {
        throw CairnError(
          .invalidInput, "cannot tell a folder name from '\(url)'; give one: cairn clone URL DIR")
      }
      let (repo, fetched) = try CairnRepository.clone(from: url, to: path)
      let hooks = try Hooks.install(
        gitDirectory: repo.git.gitDirectory, executable: currentExecutable())
      for name in hooks.skipped {
        Output.note("note: kept the existing \(name) hook; Cairn's is in hooks/\(name)")
      }
      let head = try repo.head()
      let branches = try repo.git.references(withPrefix: "refs/remotes/origin/")
        .map { String($0.0.dropFirst("refs/remotes/origin/".count)) }.filter { $0 != "HEAD" }
      let sets = try repo.protectedSets()
      let root = repo.root ?? path
      if json {
        Output.json(
          "cairn.clone/v1",
          .object([
            "url": .string(fetched.url), "path": .string(root), "remote": .string("origin"),
            "head": head.json, "branches": .array(branches.map { .string($0) }),
            "sets": .array(sets.map(Protect.json)),
            "hooks": .array(hooks.installed.map { .string($0) }),
          ]))
        return
      }
      Output.line(
        "Cloned \(fetched.url) into \(root): \(head.text.lowercasedFirst) at "
          + "\(head.target?.short ?? "?"); \(branches.count) remote branch(es), \(sets.count) "
          + "protected set(s)")
    }
  }
}

extension String {
  fileprivate var lowercasedFirst: String { prefix(1).lowercased() + dropFirst() }
}
