internal import CairnCore
internal import Foundation
internal import HTTPTypes
internal import Hummingbird
internal import NIOCore

/// Answers every request of the app: checks where it comes from and its token, then serves a
/// page, a static file, media or the JSON API.
///
/// The rules, in order:
/// 1. The `Host` header must name the loopback address and port the server listens on (a page
///    on another site that rebinds its DNS name to 127.0.0.1 sends its own host name).
/// 2. The request must carry the token: the `cairn_token_<port>` cookie (HttpOnly,
///    SameSite=Strict), an `Authorization: Bearer` header, or — for a `GET` only — a `token`
///    query parameter, which is answered with a redirect that sets the cookie and drops the
///    token from the address bar. Anything else gets 401.
/// 3. Writes (`PUT`, `POST`) must send JSON (`Content-Type: application/json`, which a form on
///    another site cannot send without a CORS preflight this server never grants) and, when the
///    browser sends an `Origin`, come from the app's own origin.
struct AppResponder: HTTPResponder {
  typealias Context = BasicRequestContext

  let store: AppStore
  let token: AccessToken
  let assets: WebAssets
  let port: @Sendable () -> Int

  private static let maximumBody = 16 << 20

  var cookieName: String { "cairn_token_\(port())" }

  func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
    let target = request.head.path ?? "/"
    let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
    let query = Self.queryParameters(target)
    guard hostIsAllowed(request.head.authority) else {
      return Self.text(403, "forbidden: unexpected Host header")
    }
    if !isAuthorized(request) {
      if request.method == .get, let given = query["token"], token.matches(given) {
        return signIn(path: path, query: query)
      }
      if path.hasPrefix("/api/") {
        return Self.json(401, APIError(status: 401, "missing or wrong access token").json)
      }
      return Self.text(
        401, "Unauthorized: open the URL that `cairn app` printed (it carries the access token).")
    }
    if request.method == .put || request.method == .post {
      let contentType = request.headers[.contentType] ?? ""
      guard contentType.lowercased().hasPrefix("application/json") else {
        return Self.json(415, APIError(status: 415, "send the body as application/json").json)
      }
      if let origin = request.headers[.origin], !originIsAllowed(origin) {
        return Self.json(403, APIError(status: 403, "cross-origin request refused").json)
      }
    }
    do {
      return try await route(request, path: path, query: query)
    } catch let error as APIError {
      return Self.json(error.status, error.json)
    }
  }

  // MARK: Access

  private func hostIsAllowed(_ authority: String?) -> Bool {
    guard let authority else { return false }
    let port = port()
    return authority == "127.0.0.1:\(port)" || authority == "localhost:\(port)"
  }

  private func originIsAllowed(_ origin: String) -> Bool {
    let port = port()
    return origin == "http://127.0.0.1:\(port)" || origin == "http://localhost:\(port)"
  }

  private func isAuthorized(_ request: Request) -> Bool {
    if let header = request.headers[.authorization], header.hasPrefix("Bearer "),
      token.matches(header.dropFirst(7))
    {
      return true
    }
    for header in request.headers[values: .cookie] {
      for pair in header.split(separator: ";") {
        let parts = pair.split(separator: "=", maxSplits: 1)
        if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == cookieName,
          token.matches(parts[1].trimmingCharacters(in: .whitespaces))
        {
          return true
        }
      }
    }
    return false
  }

  /// Sets the cookie and redirects to the same page without the token.
  private func signIn(path: String, query: [String: String]) -> Response {
    var rest = query
    rest["token"] = nil
    let location =
      path
      + (rest.isEmpty
        ? ""
        : "?"
          + rest.keys.sorted().map {
            "\($0)=\(MediaFiles.percentEncoded(Substring(rest[$0] ?? "")))"
          }.joined(separator: "&"))
    var headers = Self.securityHeaders
    headers[.location] = location
    headers[.setCookie] = "\(cookieName)=\(token.value); Path=/; HttpOnly; SameSite=Strict"
    return Response(status: .seeOther, headers: headers)
  }

  // MARK: Routes

  private func route(_ request: Request, path: String, query: [String: String]) async throws
    -> Response
  {
    switch (request.method, path) {
    case (.get, "/"), (.get, "/index.html"):
      return asset("index.html") ?? Self.text(404, "not found")
    case (.get, _) where path.hasPrefix("/static/"):
      return asset(String(path.dropFirst("/static/".count))) ?? Self.text(404, "not found")
    case (.get, _) where path.hasPrefix("/media/"):
      return media(path.dropFirst("/media/".count))
    case (.get, _) where path.hasPrefix("/points/"):
      return points(path.dropFirst("/points/".count), query: query)
    case (.get, "/api/group"):
      guard let key = query["key"] else { throw APIError(status: 400, "give ?key=") }
      return Self.json(200, try await store.group(key: key, field: query["field"]))
    case (.get, "/api/info"):
      return Self.json(200, try await store.info())
    case (.get, "/api/samples"):
      let filter = SampleFilter(
        view: query["view"], tag: query["tag"], labelClass: query["class"], field: query["field"],
        evaluation: query["eval"], outcome: query["outcome"], truth: query["truth"],
        predicted: query["predicted"], selection: query["selection"] == "1")
      let offset = Int(query["offset"] ?? "") ?? 0
      let limit = Int(query["limit"] ?? "") ?? 60
      return Self.json(200, try await store.samples(filter, offset: offset, limit: limit))
    case (.get, "/api/sample"):
      guard let key = query["key"] else { throw APIError(status: 400, "give ?key=") }
      return Self.json(200, try await store.sample(key: key))
    case (.get, "/api/evals"):
      return Self.json(200, try await store.evaluations())
    case (.get, "/api/eval"):
      guard let key = query["key"] else { throw APIError(status: 400, "give ?key=") }
      return Self.json(200, try await store.evaluation(key: key))
    case (.get, "/api/status"):
      return Self.json(200, try await store.status())
    case (.put, "/api/labels"):
      let body = try await Self.body(request)
      guard let key = body["key"]?.string, let field = body["field"]?.string,
        let labels = body["labels"]?.array
      else {
        throw APIError(status: 400, "send {\"key\": …, \"field\": …, \"labels\": [...]}")
      }
      return Self.json(200, try await store.replaceLabels(key: key, field: field, labels: labels))
    case (.put, "/api/tags"):
      let body = try await Self.body(request)
      guard let key = body["key"]?.string, let values = body["tags"]?.array else {
        throw APIError(status: 400, "send {\"key\": …, \"tags\": [...]}")
      }
      let tags = values.compactMap(\.string)
      guard tags.count == values.count else { throw APIError(status: 400, "tags are strings") }
      return Self.json(200, try await store.setTags(key: key, tags: tags))
    case (.post, "/api/commit"):
      let body = try await Self.body(request)
      guard let message = body["message"]?.string else {
        throw APIError(status: 400, "send {\"message\": …}")
      }
      return Self.json(200, try await store.commit(message: message))
    case (.post, "/api/reload"):
      return Self.json(200, try await store.reload())
    case (.get, "/api/stats"):
      return Self.json(200, await store.stats())
    case (.get, "/api/maps"):
      return Self.json(200, try await store.maps())
    case (.get, "/api/map"):
      guard let name = query["name"] else { throw APIError(status: 400, "give ?name=") }
      return Self.json(200, try await store.map(name: name, colorBy: query["color"]))
    case (.put, "/api/selection"):
      let keys = try Self.strings(try await Self.body(request), "keys")
      return Self.json(200, await store.setSelection(keys))
    case (.post, "/api/selection/tags"):
      let body = try await Self.body(request)
      let keys = try Self.strings(body, "keys")
      let tags = try Self.strings(body, "tags")
      let add = body["remove"]?.bool != true
      return Self.json(200, try await store.editTags(keys: keys, tags: tags, add: add))
    case (.post, "/api/selection/view"):
      let body = try await Self.body(request)
      guard let name = body["name"]?.string else { throw APIError(status: 400, "give a name") }
      let keys = try Self.strings(body, "keys")
      let replace = body["replace"]?.bool == true
      return Self.json(
        200, try await store.saveView(name: name, keys: keys, replace: replace))
    default:
      if path.hasPrefix("/api/") { throw APIError(status: 404, "no such endpoint \(path)") }
      return Self.text(404, "not found")
    }
  }

  private func asset(_ name: String) -> Response? {
    guard let file = assets.files[name] else { return nil }
    var headers = Self.securityHeaders
    headers[.contentType] = file.contentType
    return Response(
      status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.bytes)))
  }

  private func media(_ encoded: Substring) -> Response {
    switch MediaFiles.resolve(encoded, root: store.root) {
    case .failure(let refusal):
      return Self.text(refusal.status, "media refused: \(refusal.reason)")
    case .success(let (path, contentType)):
      guard let data = FileManager.default.contents(atPath: path) else {
        return Self.text(404, "media not readable")
      }
      var headers = Self.securityHeaders
      headers[.contentType] = contentType
      headers[.cacheControl] = "private, max-age=60"
      return Response(
        status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
  }

  // MARK: Helpers

  /// Headers on every response: no framing, no sniffing, no referrer, and a content security
  /// policy that runs only the app's own scripts (no inline script, nothing from elsewhere).
  static var securityHeaders: HTTPFields {
    var headers = HTTPFields()
    headers[.contentSecurityPolicy] =
      "default-src 'self'; img-src 'self' blob: data:; script-src 'self'; style-src 'self'; "
      + "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
    headers[.xContentTypeOptions] = "nosniff"
    if let referrerPolicy = HTTPField.Name("Referrer-Policy") {
      headers[referrerPolicy] = "no-referrer"
    }
    headers[.cacheControl] = "no-store"
    return headers
  }

  static func json(_ status: Int, _ value: JSONValue) -> Response {
    var headers = securityHeaders
    headers[.contentType] = "application/json; charset=utf-8"
    return Response(
      status: HTTPResponse.Status(code: status), headers: headers,
      body: ResponseBody(byteBuffer: ByteBuffer(bytes: CanonicalJSON.encode(value))))
  }

  static func text(_ status: Int, _ message: String) -> Response {
    var headers = securityHeaders
    headers[.contentType] = "text/plain; charset=utf-8"
    return Response(
      status: HTTPResponse.Status(code: status), headers: headers,
      body: ResponseBody(byteBuffer: ByteBuffer(string: message + "\n")))
  }

  static func body(_ request: Request) async throws -> JSONValue {
    var request = request
    let buffer: ByteBuffer
    do {
      buffer = try await request.collectBody(upTo: maximumBody)
    } catch {
      throw APIError(status: 413, "request body too large")
    }
    do {
      return try JSONParser.parse(Array(buffer.readableBytesView))
    } catch {
      throw APIError(status: 400, "broken JSON at \(error.description)")
    }
  }

  /// The array of strings `body[member]`.
  static func strings(_ body: JSONValue, _ member: String) throws(APIError) -> [String] {
    guard let values = body[member]?.array else {
      throw APIError(status: 400, "send \"\(member)\": [...]")
    }
    let strings = values.compactMap(\.string)
    guard strings.count == values.count else {
      throw APIError(status: 400, "\(member) are strings")
    }
    return strings
  }

  /// The query parameters of a request target, percent-decoded (`+` as a space).
  static func queryParameters(_ target: String) -> [String: String] {
    guard let mark = target.firstIndex(of: "?") else { return [:] }
    var parameters: [String: String] = [:]
    for pair in target[target.index(after: mark)...].split(separator: "&") {
      let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      let name = MediaFiles.percentDecoded(
        Substring(parts[0].replacingOccurrences(of: "+", with: " ")))
      let value =
        parts.count > 1
        ? MediaFiles.percentDecoded(Substring(parts[1].replacingOccurrences(of: "+", with: " ")))
        : ""
      if let name, let value, parameters[name] == nil { parameters[name] = value }
    }
    return parameters
  }
}
