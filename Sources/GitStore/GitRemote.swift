internal import CLibgit2

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A reference as a remote advertises it.
package struct RemoteReference: Sendable, Equatable {
  /// The full name (`refs/heads/main`).
  package var name: String
  /// The object it points to on the remote (not peeled).
  package var id: ObjectID

  package init(name: String, id: ObjectID) {
    self.name = name
    self.id = id
  }
}

/// A remote as the repository's configuration declares it.
package struct RemoteConfiguration: Sendable, Equatable {
  package var name: String
  package var url: String
  /// `remote.<name>.pushurl`, when it differs from `url`.
  package var pushURL: String?
  /// `remote.<name>.fetch`, for example `+refs/heads/*:refs/remotes/origin/*`.
  package var fetchRefspecs: [String]
}

/// The server's answer for one reference of a push.
package struct PushStatus: Sendable, Equatable {
  /// The remote reference.
  package var reference: String
  /// Why the server refused the update; nil when it accepted it.
  package var rejection: String?
}

/// What the network callbacks share with the operation that registered them.
///
/// libgit2 hands it back through the callbacks' payload pointer; the operation keeps it alive.
final class TransferState {
  private var triedUsername = false
  private var triedAgent = false
  /// Set when the remote asked for credentials Cairn could not give.
  var authenticationFailed = false
  var pushStatuses: [PushStatus] = []

  /// Answers a credential request: the user name, then one try with the ssh agent.
  ///
  /// Cairn never prompts. An https remote that needs a password takes it from the URL
  /// (`https://user:token@host/…`), which libgit2 applies before asking.
  func credential(
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>, username: String?,
    allowed: UInt32
  ) -> Int32 {
    let environment = ProcessEnvironment()
    let user = username ?? environment["USER"] ?? "git"
    if allowed & GIT_CREDENTIAL_USERNAME.rawValue != 0, !triedUsername {
      triedUsername = true
      return git_credential_username_new(out, user)
    }
    if allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0, !triedAgent,
      environment["SSH_AUTH_SOCK"] != nil
    {
      triedAgent = true
      return git_credential_ssh_key_from_agent(out, user)
    }
    authenticationFailed = true
    return GIT_EAUTH.rawValue
  }

  /// Points `callbacks` at this state: credentials and per-reference push results.
  func install(into callbacks: inout git_remote_callbacks) {
    callbacks.payload = Unmanaged.passUnretained(self).toOpaque()
    callbacks.credentials = { out, _, username, allowed, payload in
      guard let out, let payload else { return GIT_PASSTHROUGH.rawValue }
      let state = Unmanaged<TransferState>.fromOpaque(payload).takeUnretainedValue()
      return state.credential(
        out, username: username.map { String(cString: $0) }, allowed: allowed)
    }
    callbacks.push_update_reference = { name, status, payload in
      guard let name, let payload else { return 0 }
      let state = Unmanaged<TransferState>.fromOpaque(payload).takeUnretainedValue()
      state.pushStatuses.append(
        PushStatus(reference: String(cString: name), rejection: status.map { String(cString: $0) }))
      return 0
    }
  }

  /// The error for a failed network call, read right after it returned `result`.
  func error(_ result: Int32, _ function: String, url: String, action: String) -> GitError {
    if authenticationFailed || result == GIT_EAUTH.rawValue {
      return GitError(
        .authentication,
        "\(url) asks for credentials Cairn cannot give: for ssh Cairn uses the ssh agent "
          + "(SSH_AUTH_SOCK), for https a user name and token in the URL "
          + "(https://user:token@host/…); it never prompts",
        function: function)
    }
    var error = GitError.libgit2(result, function, context: "\(action) \(url)")
    if result == GIT_ENONFASTFORWARD.rawValue {
      error.code = .nonFastForward
    } else if error.code != .locked && error.code != .raceLost {
      error.code = .network
    }
    return error
  }
}

/// One remote of a repository, connected at most once: the owner of its libgit2 handle.
///
/// Listing the remote's references and the transfer that follows share one connection, so a
/// decision taken on what ``connect(forPush:)`` listed holds for what is sent or received: a
/// push names the listed values as the old ones, and the server moves a reference only if it
/// still holds them. Not thread-safe, like its ``GitRepository``.
package final class GitRemote {
  private let pointer: OpaquePointer
  /// Kept alive while the remote is in use: libgit2's remote borrows the repository.
  private let repository: GitRepository
  private let state = TransferState()
  /// The remote's name (`origin`).
  package let name: String
  /// Where it fetches from.
  package let url: String

  init(repository: GitRepository, name: String) throws(GitError) {
    var out: OpaquePointer?
    let result = git_remote_lookup(&out, repository.pointer, name)
    if result == GIT_ENOTFOUND.rawValue || result == GIT_EINVALIDSPEC.rawValue {
      throw GitError(.notFound, "no remote named '\(name)'", function: "git_remote_lookup")
    }
    try check(result, "git_remote_lookup", context: "cannot read remote '\(name)'")
    guard let out else { throw GitError(.notFound, "no remote named '\(name)'") }
    pointer = out
    self.repository = repository
    self.name = name
    url = git_remote_url(out).map { String(cString: $0) } ?? ""
  }

  deinit { git_remote_free(pointer) }

  /// `remote.<name>.pushurl`, when configured.
  package var pushURL: String? { git_remote_pushurl(pointer).map { String(cString: $0) } }

  /// `remote.<name>.fetch`.
  package var fetchRefspecs: [String] {
    var array = git_strarray()
    guard git_remote_get_fetch_refspecs(&array, pointer) == 0 else { return [] }
    defer { git_strarray_dispose(&array) }
    return strings(of: array)
  }

  /// Connects and lists the references the remote advertises (peeled `^{}` entries left out).
  ///
  /// - Parameter push: Connect to receive a push rather than to send a fetch.
  /// - Returns: The remote's references, as it advertised them.
  /// - Throws: `GitError` `.network` when the remote cannot be reached or holds no
  ///   repository, `.authentication` when it needs credentials Cairn cannot give.
  package func connect(forPush push: Bool) throws(GitError) -> [RemoteReference] {
    var options = git_remote_connect_options()
    try check(
      git_remote_connect_options_init(&options, UInt32(GIT_REMOTE_CONNECT_OPTIONS_VERSION)),
      "git_remote_connect_options_init")
    state.install(into: &options.callbacks)
    options.proxy_opts.type = GIT_PROXY_AUTO
    let result = withExtendedLifetime(state) {
      git_remote_connect_ext(pointer, push ? GIT_DIRECTION_PUSH : GIT_DIRECTION_FETCH, &options)
    }
    if result < 0 {
      throw state.error(result, "git_remote_connect_ext", url: url, action: "cannot reach")
    }
    var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
    var count = 0
    try check(git_remote_ls(&heads, &count, pointer), "git_remote_ls")
    var references: [RemoteReference] = []
    for index in 0..<count {
      guard let head = heads?[index], let raw = head.pointee.name else { continue }
      let name = String(cString: raw)
      if name.hasSuffix("^{}") { continue }
      references.append(RemoteReference(name: name, id: ObjectID(head.pointee.oid)))
    }
    return references
  }

  /// Downloads what `refspecs` name and updates the references their right-hand sides name.
  ///
  /// A refspec without a right-hand side (`refs/frozen/t1`) only brings the objects: the
  /// caller creates that reference itself. Tags are not followed. Disconnects afterwards.
  ///
  /// - Returns: How many objects were received.
  /// - Throws: `GitError` `.network` or `.authentication` as ``connect(forPush:)``.
  package func fetch(refspecs: [String], reflogMessage: String) throws(GitError) -> Int {
    var options = git_fetch_options()
    try check(
      git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)), "git_fetch_options_init")
    state.install(into: &options.callbacks)
    options.proxy_opts.type = GIT_PROXY_AUTO
    options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
    options.prune = GIT_FETCH_NO_PRUNE
    let pointer = self.pointer
    let result = withExtendedLifetime(state) {
      withStringArray(refspecs) { git_remote_fetch(pointer, $0, &options, reflogMessage) }
    }
    if result < 0 {
      throw state.error(result, "git_remote_fetch", url: url, action: "cannot fetch from")
    }
    return Int(git_remote_stats(pointer)?.pointee.received_objects ?? 0)
  }

  /// Sends `updates` and returns the remote's answer for each reference.
  ///
  /// libgit2 1.5 sends what the local reference of the same name holds, which the caller has
  /// just read into `new`.
  ///
  /// Each update names the value the remote held when ``connect(forPush:)`` listed it; the
  /// reference moves only if it still holds it. Over git's protocols (`git://`, `ssh://`,
  /// `https://`) the server checks that, since the listing and the push share the connection,
  /// and runs its hooks. Over `file://` and plain paths libgit2 writes the remote's
  /// references itself, overwriting whatever they hold; so there the objects go to temporary
  /// references (`refs/cairn/incoming/…`), then each reference is moved with compare-and-swap
  /// in the remote repository through ``GitRepository/updateReference(_:to:expected:message:)``
  /// (which also never moves a protected set), and the temporary references are deleted.
  /// Remote-tracking references of the updated branches follow.
  ///
  /// - Parameter updates: What to write; `force` allows an update that is not a fast-forward.
  /// - Returns: One status per update; a refused one carries the reason.
  /// - Throws: `GitError` `.network`, `.authentication`, or `.nonFastForward`.
  package func push(_ updates: [PushUpdate]) throws(GitError) -> [PushStatus] {
    if let path = localPath { return try pushLocally(updates, into: path) }
    return try push(
      refspecs: updates.map { ($0.force ? "+" : "") + "\($0.reference):\($0.reference)" })
  }

  private func pushLocally(_ updates: [PushUpdate], into path: String) throws(GitError)
    -> [PushStatus]
  {
    let staging = "refs/cairn/incoming/\(getpid())-\(time(nil))/"
    let sent = try push(
      refspecs: updates.map { "+\($0.reference):\(staging)\($0.reference)" })
    if let refused = sent.first(where: { $0.rejection != nil }) {
      throw GitError(
        .other, "\(path) refused \(refused.reference): \(refused.rejection ?? "")",
        function: "git_remote_push")
    }
    let server = try GitRepository.open(at: path)
    var statuses: [PushStatus] = []
    for update in updates {
      do {
        try server.updateReference(
          update.reference, to: update.new, expected: update.expected,
          message: "push from cairn")
        statuses.append(PushStatus(reference: update.reference, rejection: nil))
        updateTrackingReference(update.reference, to: update.new)
      } catch {
        statuses.append(PushStatus(reference: update.reference, rejection: error.message))
      }
      try? server.deleteReference(staging + update.reference, expected: update.new)
    }
    if updates.contains(where: { GitRepository.isProtected($0.reference) }) {
      try? server.packReferences()
    }
    return statuses
  }

  /// Moves the remote-tracking reference that a fetch refspec maps `reference` to.
  private func updateTrackingReference(_ reference: String, to id: ObjectID) {
    for index in 0..<git_remote_refspec_count(pointer) {
      guard let spec = git_remote_get_refspec(pointer, index),
        git_refspec_direction(spec) == GIT_DIRECTION_FETCH,
        git_refspec_src_matches(spec, reference) != 0
      else { continue }
      var buffer = git_buf()
      defer { git_buf_dispose(&buffer) }
      guard git_refspec_transform(&buffer, spec, reference) == 0, let raw = buffer.ptr else {
        continue
      }
      let name = String(cString: raw)
      guard !GitRepository.isProtected(name), !name.hasPrefix("refs/heads/") else { continue }
      var oid = id.gitOID
      var out: OpaquePointer?
      if git_reference_create(&out, repository.pointer, name, &oid, 1, "cairn push") == 0 {
        git_reference_free(out)
      }
    }
    git_error_clear()
  }

  /// The folder pushes go to for a `file://` or plain-path remote; nil for network URLs.
  private var localPath: String? {
    let target = pushURL ?? url
    if target.hasPrefix("file://") {
      return percentDecoded(String(target.dropFirst("file://".count)))
    }
    if target.contains("://") { return nil }
    if let colon = target.firstIndex(of: ":"), !target[..<colon].contains("/") { return nil }
    return target
  }

  /// Sends what `refspecs` name and returns the server's answer for each reference.
  ///
  /// A refspec without a leading `+` is refused by libgit2 when it is not a fast-forward.
  /// Remote-tracking references of the pushed branches are updated.
  private func push(refspecs: [String]) throws(GitError) -> [PushStatus] {
    var options = git_push_options()
    try check(
      git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)), "git_push_options_init")
    state.install(into: &options.callbacks)
    options.proxy_opts.type = GIT_PROXY_AUTO
    state.pushStatuses = []
    let pointer = self.pointer
    let result = withExtendedLifetime(state) {
      withStringArray(refspecs) { git_remote_push(pointer, $0, &options) }
    }
    if result < 0 {
      throw state.error(
        result, "git_remote_push", url: pushURL ?? url, action: "cannot push to")
    }
    return state.pushStatuses
  }
}

/// One reference a push writes on the remote, under the same name as here.
package struct PushUpdate: Sendable, Equatable {
  /// The full name (`refs/heads/main`, `refs/frozen/t1`).
  package var reference: String
  /// The object to point it at.
  package var new: ObjectID
  /// What the remote holds now (as listed); nil when the reference must not exist there.
  package var expected: ObjectID?
  /// Allow an update that is not a fast-forward.
  package var force: Bool

  package init(reference: String, new: ObjectID, expected: ObjectID?, force: Bool = false) {
    self.reference = reference
    self.new = new
    self.expected = expected
    self.force = force
  }
}

/// `%XX` escapes decoded (a `+` stays a `+`): `file://` paths, Label Studio image names.
package func percentDecoded(_ text: String) -> String {
  guard text.contains("%") else { return text }
  var bytes: [UInt8] = []
  var input = Array(text.utf8)[...]
  while let byte = input.popFirst() {
    if byte == UInt8(ascii: "%"), input.count >= 2,
      let value = UInt8(String(decoding: input.prefix(2), as: UTF8.self), radix: 16)
    {
      bytes.append(value)
      input = input.dropFirst(2)
    } else {
      bytes.append(byte)
    }
  }
  return String(decoding: bytes, as: UTF8.self)
}

extension GitRepository {
  /// The names of the configured remotes.
  package func remoteNames() throws(GitError) -> [String] {
    var array = git_strarray()
    try check(git_remote_list(&array, pointer), "git_remote_list")
    defer { git_strarray_dispose(&array) }
    return strings(of: array)
  }

  /// A configured remote.
  ///
  /// - Throws: `GitError` `.notFound` when there is no remote of that name.
  package func remote(named name: String) throws(GitError) -> RemoteConfiguration {
    let remote = try GitRemote(repository: self, name: name)
    return RemoteConfiguration(
      name: name, url: remote.url, pushURL: remote.pushURL, fetchRefspecs: remote.fetchRefspecs)
  }

  /// Opens a configured remote, not yet connected.
  ///
  /// - Throws: `GitError` `.notFound` when there is no remote of that name.
  package func openRemote(_ name: String) throws(GitError) -> GitRemote {
    try GitRemote(repository: self, name: name)
  }

  /// Adds remote `name` with git's default fetch refspec
  /// (`+refs/heads/*:refs/remotes/<name>/*`).
  ///
  /// - Throws: `GitError` `.exists` when the name is taken, `.invalidArgument` for a name git
  ///   refuses.
  package func addRemote(_ name: String, url: String) throws(GitError) {
    var valid: Int32 = 0
    try check(git_remote_name_is_valid(&valid, name), "git_remote_name_is_valid")
    if valid == 0 {
      throw GitError(.invalidArgument, "'\(name)' is not a valid remote name")
    }
    var out: OpaquePointer?
    let result = git_remote_create(&out, pointer, name, url)
    if let out { git_remote_free(out) }
    if result == GIT_EEXISTS.rawValue {
      throw GitError(
        .exists, "a remote named '\(name)' already exists", function: "git_remote_create")
    }
    if result == GIT_EINVALIDSPEC.rawValue {
      throw GitError(
        .invalidArgument, "cannot add remote '\(name)' with URL '\(url)'",
        function: "git_remote_create")
    }
    try check(result, "git_remote_create", context: "cannot add remote '\(name)'")
  }

  /// Removes remote `name`, its configuration and its remote-tracking references.
  ///
  /// - Throws: `GitError` `.notFound` when there is no remote of that name.
  package func removeRemote(_ name: String) throws(GitError) {
    let result = git_remote_delete(pointer, name)
    if result == GIT_ENOTFOUND.rawValue || result == GIT_EINVALIDSPEC.rawValue {
      throw GitError(.notFound, "no remote named '\(name)'", function: "git_remote_delete")
    }
    try check(result, "git_remote_delete", context: "cannot remove remote '\(name)'")
  }

  /// The upstream of a local branch (`branch.<name>.remote` and `.merge`), if configured.
  ///
  /// - Returns: The remote's name and the branch's full name on that remote.
  package func upstream(ofBranch branch: String) -> (remote: String, reference: String)? {
    let name = "refs/heads/" + branch
    var remote = git_buf()
    defer { git_buf_dispose(&remote) }
    var merge = git_buf()
    defer { git_buf_dispose(&merge) }
    guard git_branch_upstream_remote(&remote, pointer, name) == 0,
      git_branch_upstream_merge(&merge, pointer, name) == 0, let remoteName = remote.ptr,
      let mergeName = merge.ptr
    else {
      git_error_clear()
      return nil
    }
    return (String(cString: remoteName), String(cString: mergeName))
  }

  /// Clones `url` into `path` as git does.
  ///
  /// Remote `origin`, its branches as `refs/remotes/origin/*`, the remote's default branch
  /// created and checked out. Tags are not fetched. libgit2 removes what it wrote when the clone fails.
  ///
  /// - Throws: `GitError` `.network` or `.authentication` when the remote cannot be read.
  package static func clone(from url: String, to path: String) throws(GitError) -> GitRepository {
    _ = libgit2Initialised
    let state = TransferState()
    var options = git_clone_options()
    try check(
      git_clone_options_init(&options, UInt32(GIT_CLONE_OPTIONS_VERSION)), "git_clone_options_init")
    state.install(into: &options.fetch_opts.callbacks)
    options.fetch_opts.proxy_opts.type = GIT_PROXY_AUTO
    options.fetch_opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
    options.checkout_opts.checkout_strategy = GIT_CHECKOUT_SAFE.rawValue
    var out: OpaquePointer?
    let result = withExtendedLifetime(state) { git_clone(&out, url, path, &options) }
    if result < 0 { throw state.error(result, "git_clone", url: url, action: "cannot clone") }
    guard let out else { throw GitError(.other, "git_clone returned nothing") }
    return try GitRepository(pointer: out)
  }

  /// `url` as a remote should record it: an existing local folder given by a relative path
  /// becomes absolute; URLs (`scheme://…`, scp-like `host:path`) are kept as they are.
  package static func remoteURL(_ url: String) -> String {
    if url.contains("://") { return url }
    if let colon = url.firstIndex(of: ":"), !url[..<colon].contains("/") {
      return url
    }
    return FileIO.realPath(url) ?? url
  }

  /// Which transports this libgit2 was built with, beside `file://` and `git://`.
  package static var networkFeatures: (https: Bool, ssh: Bool) {
    _ = libgit2Initialised
    let features = UInt32(bitPattern: git_libgit2_features())
    return (
      features & GIT_FEATURE_HTTPS.rawValue != 0, features & GIT_FEATURE_SSH.rawValue != 0
    )
  }
}

private func strings(of array: git_strarray) -> [String] {
  var result: [String] = []
  for index in 0..<array.count {
    if let text = array.strings[index] { result.append(String(cString: text)) }
  }
  return result
}

/// Calls `body` with `strings` as a `git_strarray` valid for the call.
private func withStringArray(
  _ strings: [String], _ body: (UnsafePointer<git_strarray>) -> Int32
) -> Int32 {
  var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
  defer { for pointer in pointers { free(pointer) } }
  return pointers.withUnsafeMutableBufferPointer { buffer in
    var array = git_strarray(strings: buffer.baseAddress, count: buffer.count)
    return body(&array)
  }
}
