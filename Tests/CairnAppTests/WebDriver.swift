import CairnCore
import CairnTestSupport
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Headless Chromium driven through chromedriver over W3C WebDriver (HTTP + JSON).
///
/// Each instance owns one chromedriver process and one browser session; ``quit()`` ends both.
final class WebDriver: @unchecked Sendable {
  static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
  static let chromedriver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
  static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

  private let driver: Process
  private let base: String
  private let session: String
  private let profile: TemporaryDirectory

  /// The browser and driver, or why they cannot be used.
  ///
  /// Returns nil (after printing why) when they are absent outside CI; under `CI=true` their
  /// absence is an error.
  static func available() throws -> (browser: String, driver: String)? {
    let browser = chromium.first { FileManager.default.isExecutableFile(atPath: $0) }
    let driver = chromedriver.first { FileManager.default.isExecutableFile(atPath: $0) }
    if let browser, let driver { return (browser, driver) }
    let reason =
      "chromium and chromedriver are needed for the browser tests "
      + "(Debian packages chromium, chromium-driver; scripts/setup.sh installs them)"
    if Fixtures.isCI { throw AppTestError("CI=true: \(reason)") }
    print("skipping: \(reason)")
    return nil
  }

  /// Starts chromedriver on a free port and opens a headless session.
  init(browser: String, driverPath: String) async throws {
    let port = try Self.freePort()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: driverPath)
    process.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    try process.run()
    driver = process
    base = "http://127.0.0.1:\(port)"
    profile = try TemporaryDirectory("cairn-chromium")
    var ready = false
    for _ in 0..<200 {
      if let status = try? await Self.send("GET", base + "/status", nil),
        status["value"]?["ready"]?.bool == true
      {
        ready = true
        break
      }
      try await Task.sleep(nanoseconds: 50_000_000)
    }
    guard ready else {
      Self.stop(process)
      throw AppTestError("chromedriver did not start")
    }
    let capabilities: JSONValue = .object([
      "capabilities": .object([
        "alwaysMatch": .object([
          "browserName": .string("chrome"),
          "goog:chromeOptions": .object([
            "binary": .string(browser),
            "args": .array(
              [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900",
                "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=\(profile.path)",
              ].map { .string($0) }),
          ]),
        ])
      ])
    ])
    do {
      let created = try await Self.send("POST", base + "/session", capabilities)
      guard let id = created["value"]?["sessionId"]?.string else {
        throw AppTestError("no session: \(created)")
      }
      session = id
    } catch {
      Self.stop(process)
      profile.remove()
      throw error
    }
  }

  /// Ends the session and chromedriver.
  func quit() async {
    _ = try? await Self.send("DELETE", base + "/session/\(session)", nil)
    Self.stop(driver)
    profile.remove()
  }

  /// Ends chromedriver: SIGTERM, then SIGKILL (it does not always exit on SIGTERM).
  private static func stop(_ process: Process) {
    guard process.isRunning else { return }
    process.terminate()
    for _ in 0..<40 where process.isRunning { usleep(50_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
  }

  // MARK: Commands

  @discardableResult
  func command(_ method: String, _ path: String, _ body: JSONValue? = nil) async throws -> JSONValue
  {
    let result = try await Self.send(
      method, base + "/session/\(session)" + path, body ?? (method == "POST" ? .object([:]) : nil))
    if let error = result["value"]?["error"]?.string {
      throw AppTestError(
        "WebDriver \(path): \(error): \(result["value"]?["message"]?.string ?? "")")
    }
    return result["value"] ?? .null
  }

  func navigate(_ url: String) async throws {
    try await command("POST", "/url", .object(["url": .string(url)]))
  }

  /// Runs `script` (a function body; `arguments` holds `args`) and returns its value.
  @discardableResult
  func execute(_ script: String, _ args: [JSONValue] = []) async throws -> JSONValue {
    try await command(
      "POST", "/execute/sync", .object(["script": .string(script), "args": .array(args)]))
  }

  /// Polls `script` until it returns true.
  func wait(
    for what: String, timeout: Double = 20, _ script: String, _ args: [JSONValue] = []
  ) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      if (try? await execute(script, args))?.bool == true { return }
      try await Task.sleep(nanoseconds: 100_000_000)
    }
    let page = (try? await execute("return document.body ? document.body.innerText : ''"))?.string
    throw AppTestError("timed out waiting for \(what); page text: \(page ?? "?")")
  }

  func element(_ css: String) async throws -> String {
    let found = try await command(
      "POST", "/element", .object(["using": .string("css selector"), "value": .string(css)]))
    guard let id = found[Self.elementKey]?.string else { throw AppTestError("no element \(css)") }
    return id
  }

  func click(_ css: String) async throws {
    try await command("POST", "/element/\(try await element(css))/click")
  }

  func type(_ css: String, _ text: String) async throws {
    let id = try await element(css)
    try await command("POST", "/element/\(id)/clear")
    try await command("POST", "/element/\(id)/value", .object(["text": .string(text)]))
  }

  /// Presses the left button at `from`, moves to `to` in steps, and releases (viewport pixels).
  func drag(from: (Double, Double), to: (Double, Double)) async throws {
    func move(_ point: (Double, Double), _ duration: Int) -> JSONValue {
      .object([
        "type": .string("pointerMove"), "duration": .int(Int64(duration)),
        "x": .int(Int64(point.0.rounded())), "y": .int(Int64(point.1.rounded())),
        "origin": .string("viewport"),
      ])
    }
    let middle = ((from.0 + to.0) / 2, (from.1 + to.1) / 2)
    let actions: JSONValue = .object([
      "actions": .array([
        .object([
          "type": .string("pointer"), "id": .string("mouse"),
          "parameters": .object(["pointerType": .string("mouse")]),
          "actions": .array([
            move(from, 0),
            .object(["type": .string("pointerDown"), "button": .int(0)]),
            move(middle, 100), move(to, 100),
            .object(["type": .string("pointerUp"), "button": .int(0)]),
          ]),
        ])
      ])
    ])
    try await command("POST", "/actions", actions)
    try await command("DELETE", "/actions")
  }

  /// Presses the left button at the first point, moves through the others and releases at
  /// the last (viewport pixels): a free-hand stroke such as a lasso.
  func trace(_ points: [(Double, Double)]) async throws {
    guard let first = points.first, let last = points.last else { return }
    func move(_ point: (Double, Double), _ duration: Int) -> JSONValue {
      .object([
        "type": .string("pointerMove"), "duration": .int(Int64(duration)),
        "x": .int(Int64(point.0.rounded())), "y": .int(Int64(point.1.rounded())),
        "origin": .string("viewport"),
      ])
    }
    let steps: [JSONValue] =
      [move(first, 0), .object(["type": .string("pointerDown"), "button": .int(0)])]
      + points.dropFirst().map { move($0, 20) } + [move(last, 0)]
      + [.object(["type": .string("pointerUp"), "button": .int(0)])]
    let actions: JSONValue = .object([
      "actions": .array([
        .object([
          "type": .string("pointer"), "id": .string("mouse"),
          "parameters": .object(["pointerType": .string("mouse")]),
          "actions": .array(steps),
        ])
      ])
    ])
    try await command("POST", "/actions", actions)
    try await command("DELETE", "/actions")
  }

  /// A PNG of the viewport.
  func screenshot() async throws -> Data {
    guard let encoded = try await command("GET", "/screenshot").string,
      let data = Data(base64Encoded: encoded)
    else { throw AppTestError("no screenshot") }
    return data
  }

  /// Saves a screenshot as `name` in `$CAIRN_SCREENSHOTS`, when it is set.
  func saveScreenshot(_ name: String) async throws {
    guard let folder = ProcessInfo.processInfo.environment["CAIRN_SCREENSHOTS"], !folder.isEmpty
    else { return }
    try FileManager.default.createDirectory(
      atPath: folder, withIntermediateDirectories: true)
    try await screenshot().write(to: URL(fileURLWithPath: folder + "/" + name))
  }

  // MARK: Transport

  /// One WebDriver call over a plain socket (`RawHTTP`): swift-corelibs-foundation's
  /// URLSession failed on chromedriver's responses here ("Failed writing header").
  private static func send(_ method: String, _ url: String, _ body: JSONValue?) async throws
    -> JSONValue
  {
    guard let components = URLComponents(string: url), let port = components.port else {
      throw AppTestError("bad URL \(url)")
    }
    var headers: [String: String] = [:]
    var bytes: [UInt8] = []
    if let body {
      bytes = CanonicalJSON.encode(body)
      headers["Content-Type"] = "application/json"
    }
    let response = try RawHTTP.request(
      port: port, method: method, target: components.percentEncodedPath, headers: headers,
      body: bytes, timeout: 120)
    return try JSONParser.parse(response.body)
  }

  /// A TCP port nothing listens on right now.
  static func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw AppTestError("socket failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
        bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
      }
    }
    guard bound else { throw AppTestError("bind failed") }
    return Int(UInt16(bigEndian: address.sin_port))
  }
}
