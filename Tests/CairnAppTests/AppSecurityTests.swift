import CairnCore
import CairnTestSupport
import Foundation
import Testing

/// The app's protections, checked over raw HTTP: the token, the Host header, the loopback
/// listener and media paths.
@Suite(.serialized)
struct AppSecurityTests {
  @Test func requestsWithoutTheTokenAreRefused() throws {
    let dir = try AppFixture.make()
    defer { dir.remove() }
    let app = try AppProcess(in: dir.path)
    defer { app.stop() }
    #expect(app.token.count == 64)

    for target in ["/", "/static/app.js", "/api/info", "/api/samples", "/media/media/img0.png"] {
      let bare = try RawHTTP.request(port: app.port, target: target)
      #expect(bare.status == 401, "\(target) without a token: \(bare.status)")
      let wrong = try RawHTTP.request(
        port: app.port, target: target,
        headers: ["Authorization": "Bearer " + String(repeating: "0", count: 64)])
      #expect(wrong.status == 401, "\(target) with a wrong token: \(wrong.status)")
      let wrongCookie = try RawHTTP.request(
        port: app.port, target: target, headers: ["Cookie": "cairn_token_\(app.port)=abc"])
      #expect(wrongCookie.status == 401)
    }
    let wrongQuery = try RawHTTP.request(
      port: app.port, target: "/?token=" + String(repeating: "a", count: 64))
    #expect(wrongQuery.status == 401)
    let writeWithoutToken = try RawHTTP.request(
      port: app.port, method: "POST", target: "/api/commit",
      headers: ["Content-Type": "application/json"], body: Array(#"{"message":"x"}"#.utf8))
    #expect(writeWithoutToken.status == 401)

    // The printed URL signs in: a redirect that sets an HttpOnly, SameSite=Strict cookie.
    let signIn = try RawHTTP.request(port: app.port, target: "/?token=\(app.token)")
    #expect(signIn.status == 303)
    #expect(signIn.header("Location") == "/")
    let cookie = try #require(signIn.header("Set-Cookie"))
    #expect(cookie.hasPrefix("cairn_token_\(app.port)=\(app.token);"))
    #expect(cookie.contains("HttpOnly"))
    #expect(cookie.contains("SameSite=Strict"))
    let page = try RawHTTP.request(
      port: app.port, target: "/", headers: ["Cookie": "cairn_token_\(app.port)=\(app.token)"])
    #expect(page.status == 200)
    #expect(page.text.contains("/static/app.js"))
    #expect(page.header("Content-Security-Policy")?.contains("script-src 'self'") == true)
    let bearer = try RawHTTP.request(
      port: app.port, target: "/api/info", headers: ["Authorization": "Bearer \(app.token)"])
    #expect(bearer.status == 200)

    // Another Host (DNS rebinding) is refused even with the token.
    let rebound = try RawHTTP.request(
      port: app.port, target: "/api/info", headers: ["Authorization": "Bearer \(app.token)"],
      host: "attacker.example:\(app.port)")
    #expect(rebound.status == 403)
    // Writes need JSON and, when the browser names one, the app's own origin.
    let form = try RawHTTP.request(
      port: app.port, method: "POST", target: "/api/commit",
      headers: [
        "Authorization": "Bearer \(app.token)",
        "Content-Type": "application/x-www-form-urlencoded",
      ], body: Array("message=x".utf8))
    #expect(form.status == 415)
    let crossOrigin = try RawHTTP.request(
      port: app.port, method: "POST", target: "/api/commit",
      headers: [
        "Authorization": "Bearer \(app.token)", "Content-Type": "application/json",
        "Origin": "http://evil.example",
      ], body: Array(#"{"message":"x"}"#.utf8))
    #expect(crossOrigin.status == 403)
  }

  @Test func listensOnLoopbackOnly() throws {
    let dir = try AppFixture.make()
    defer { dir.remove() }
    let app = try AppProcess(in: dir.path)
    defer { app.stop() }
    // The kernel's table of listening sockets: local address and port, state 0A (LISTEN).
    let hexPort = String(format: "%04X", app.port)
    var listeners: [String] = []
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
      let text = (try? String(contentsOfFile: table, encoding: .utf8)) ?? ""
      for line in text.split(separator: "\n").dropFirst() {
        let columns = line.split(separator: " ")
        guard columns.count > 3, columns[3] == "0A" else { continue }
        let local = columns[1].split(separator: ":")
        if local.count == 2, local[1] == hexPort { listeners.append(String(local[0])) }
      }
    }
    #expect(listeners == ["0100007F"], "listening addresses for port \(app.port): \(listeners)")
  }

  @Test func mediaOutsideTheDatasetIsRefused() throws {
    let dir = try AppFixture.make()
    defer { dir.remove() }
    let outside = try TemporaryDirectory("cairn-outside")
    defer { outside.remove() }
    try outside.write("secret", to: "secret.png")
    try FileManager.default.createSymbolicLink(
      atPath: dir.appending("media/link.png"), withDestinationPath: outside.appending("secret.png"))
    try FileManager.default.createSymbolicLink(
      atPath: dir.appending("media/up"), withDestinationPath: outside.path)
    let app = try AppProcess(in: dir.path)
    defer { app.stop() }
    let auth = ["Authorization": "Bearer \(app.token)"]

    let good = try RawHTTP.request(port: app.port, target: "/media/media/img0.png", headers: auth)
    #expect(good.status == 200)
    #expect(good.header("Content-Type") == "image/png")
    #expect(Array(good.body.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])

    let name = URL(fileURLWithPath: outside.path).lastPathComponent
    let refused = [
      "/media/../../../../etc/passwd",
      "/media/media/../../\(name)/secret.png",
      "/media/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
      "/media/..%2f..%2f..%2fetc%2fpasswd",
      "/media/%2Fetc%2Fpasswd",
      "/media//etc/passwd",
      "/media" + outside.appending("secret.png"),
      "/media/media/link.png",
      "/media/media/up/secret.png",
      "/media/.git/config",
      "/media/schema.json",
      "/media/media%00.png",
    ]
    for target in refused {
      let response = try RawHTTP.request(port: app.port, target: target, headers: auth)
      #expect(
        [400, 403, 404].contains(response.status), "\(target) answered \(response.status)")
      #expect(!response.text.contains("secret") && !response.text.contains("root:"), "\(target)")
    }
  }

  @Test func offSchemaLabelsAreRefusedAndNothingIsWritten() throws {
    let dir = try AppFixture.make()
    defer { dir.remove() }
    let app = try AppProcess(in: dir.path)
    defer { app.stop() }
    let path = FormatV1.labelPath(field: "ground_truth", key: "img1.png")
    let before = try dir.read(path)
    let body = CanonicalJSON.encode(
      .object([
        "key": .string("img1.png"), "field": .string("ground_truth"),
        "labels": .array([AppFixture.detection("vehicle", [0.1, 0.1, 0.2, 0.2])]),
      ]))
    let response = try RawHTTP.request(
      port: app.port, method: "PUT", target: "/api/labels",
      headers: ["Authorization": "Bearer \(app.token)", "Content-Type": "application/json"],
      body: body)
    #expect(response.status == 422)
    let answer = try JSONParser.parse(response.body)
    let reasons = (answer["violations"]?.array ?? []).compactMap { $0["reason"]?.string }
    #expect(reasons.contains { $0.contains("vehicle") }, "\(response.text)")
    #expect(try dir.read(path) == before)

    // The same edit with a schema class is written, in canonical form.
    let valid = CanonicalJSON.encode(
      .object([
        "key": .string("img1.png"), "field": .string("ground_truth"),
        "labels": .array([
          .object([
            "type": .string("detection"), "label": .string("pedestrian"),
            "bbox": .array([.double(0.1), .double(0.1), .double(0.2), .double(0.2)]),
          ])
        ]),
      ]))
    let written = try RawHTTP.request(
      port: app.port, method: "PUT", target: "/api/labels",
      headers: ["Authorization": "Bearer \(app.token)", "Content-Type": "application/json"],
      body: valid)
    #expect(written.status == 200, "\(written.text)")
    let check = try CommandRunner.cairn(["check"], in: dir.path)
    #expect(check.exitCode == 0, "\(check)")
  }
}
