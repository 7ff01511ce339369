import CairnCore
import Dispatch
import Foundation
import GitStore

#if canImport(Glibc)
import Glibc
#endif

/// Measures `cairn app` on N labelled samples over HTTP, as the browser uses it: the time from
/// process start to the server answering, the first grid page (the page, its script and style,
/// `/api/info`, `/api/samples`), a page deep in the list, a page filtered by class, and the
/// server's index counter, which shows that paging never rebuilds the index.
struct AppBenchmark {
  /// How many times each page request is repeated (the median is reported).
  static let repeats = 5
  /// The grid's page size.
  static let pageSize = 60

  let dataset: SyntheticDataset
  let workspace: Workspace
  /// The release `cairn` binary.
  let cairn: String
  private let now = Int64(Date().timeIntervalSince1970)

  init(dataset: SyntheticDataset, workspace: Workspace, cairn: String) {
    self.dataset = dataset
    self.workspace = workspace
    self.cairn = cairn
  }

  /// Runs every step and returns the report.
  func run() throws -> Report {
    var report = Report()
    report.facts = [
      (
        "samples (N)",
        "\(dataset.count) (a record and a ground_truth label file of 6–10 boxes each)"
      ),
      ("seed", "\(dataset.seed)"),
      ("cores", "\(ProcessInfo.processInfo.activeProcessorCount)"),
      ("load average", Shell.capture("cut -d' ' -f1-3 /proc/loadavg", fallback: "unknown")),
      ("cairn", cairn),
      ("repository", workspace.app),
    ]
    guard FileManager.default.isExecutableFile(atPath: cairn) else {
      throw BenchError("no cairn executable at \(cairn); build it with swift build -c release")
    }
    try prepare()
    try settle()
    let root = Shell.quote(workspace.app)
    let listPeer = try Shell.run("git -C \(root) ls-files | wc -l")
    let catPeer = try Shell.run(
      "cd \(root) && find samples labels -type f -print0 | xargs -0 cat > /dev/null")

    progress("starting cairn app --port 0")
    let server = try AppServerProcess(cairn: cairn, directory: workspace.app)
    defer { server.stop() }
    let client = HTTPClient(port: server.port, token: server.token)
    let (_, answerSeconds) = try Stopwatch.time { () throws -> Void in
      _ = try client.get("/api/stats")
    }
    let ready = server.urlSeconds + answerSeconds

    // The first grid page: what the browser fetches to show it.
    var firstParts: [(String, Double)] = []
    for path in [
      "/", "/static/app.js", "/static/app.css", "/api/info",
      "/api/samples?offset=0&limit=\(Self.pageSize)",
    ] {
      let (_, seconds) = try Stopwatch.time { try client.get(path) }
      firstParts.append((path, seconds))
    }
    let firstPage = firstParts.map(\.1).reduce(0, +)
    let open = ready + firstPage

    func page(_ query: String) throws -> (Double, JSONValue) {
      var times: [Double] = []
      var body: JSONValue = .null
      for _ in 0..<Self.repeats {
        let (response, seconds) = try Stopwatch.time { try client.get("/api/samples?" + query) }
        times.append(seconds)
        body = try JSONParser.parse(response)
      }
      return (Stopwatch.median(times), body)
    }
    let middle = dataset.count / 2
    let (startSeconds, startBody) = try page("offset=0&limit=\(Self.pageSize)")
    let (middleSeconds, middleBody) = try page("offset=\(middle)&limit=\(Self.pageSize)")
    let last = dataset.count - Self.pageSize
    let (lastSeconds, _) = try page("offset=\(last)&limit=\(Self.pageSize)")
    let filter = "field=ground_truth&class=truck"
    let (_, filteredFirstSeconds) = try Stopwatch.time {
      try client.get("/api/samples?\(filter)&offset=0&limit=\(Self.pageSize)")
    }
    let (filteredSeconds, filteredBody) = try page("\(filter)&offset=0&limit=\(Self.pageSize)")
    let filteredTotal = filteredBody["total"]?.int ?? 0
    let (deepFilteredSeconds, _) = try page(
      "\(filter)&offset=\(max(0, Int(filteredTotal) / 2))&limit=\(Self.pageSize)")
    let stats = try JSONParser.parse(try client.get("/api/stats"))
    let cat = try Self.catPage(startBody, in: workspace.app)

    report.comparisons = [
      Comparison(
        operation: "app ready", cairn: ready, peer: "git ls-files | wc -l",
        peerSeconds: listPeer.seconds),
      Comparison(
        operation: "app ready", cairn: ready, peer: "cat every record and label file",
        peerSeconds: catPeer.seconds),
      Comparison(
        operation: "page 0", cairn: startSeconds, peer: "cat the page's \(cat.files) files",
        peerSeconds: cat.seconds),
      Comparison(
        operation: "page \(middle)", cairn: middleSeconds, peer: "cat the page's files",
        peerSeconds: cat.seconds),
      Comparison(
        operation: "page \(last)", cairn: lastSeconds, peer: "cat the page's files",
        peerSeconds: cat.seconds),
      Comparison(
        operation: "class page", cairn: filteredSeconds, peer: "cat the page's files",
        peerSeconds: cat.seconds),
    ]
    report.facts.append(
      (
        "server ready",
        "URL printed after \(Report.seconds(server.urlSeconds)) s, first answer \(Report.seconds(answerSeconds)) s later"
      ))
    report.facts.append(
      (
        "first grid page",
        firstParts.map { "\($0.0) \(Report.seconds($0.1))" }.joined(separator: ", ")
      ))
    report.facts.append(
      (
        "filtered page",
        "\(filter): \(filteredTotal) samples; first request (waits for the background read, then filters) \(Report.seconds(filteredFirstSeconds)) s, then \(Report.seconds(filteredSeconds)) s, at offset \(filteredTotal / 2) \(Report.seconds(deepFilteredSeconds)) s"
      ))

    let samples = startBody["samples"]?.array ?? []
    report.checks.append(
      (
        "the first page holds \(Self.pageSize) samples of \(dataset.count)",
        samples.count == Self.pageSize && startBody["total"]?.int == Int64(dataset.count)
      ))
    report.checks.append(
      (
        "page \(middle) starts at sample \(dataset.key(middle))",
        middleBody["samples"]?.array?.first?["key"]?.string == dataset.key(middle)
      ))
    report.checks.append(
      (
        "every sample of the truck page has a truck",
        (filteredBody["samples"]?.array ?? []).allSatisfy { sample in
          (sample["labels"]?["ground_truth"]?.array ?? []).contains {
            $0["label"]?.string == "truck"
          }
        } && filteredTotal > 0
      ))
    let builds = stats["index_builds"]?.int ?? -1
    report.checks.append(
      (
        "the index was built once for all \(3 * Self.repeats + 2 * Self.repeats + 2) page requests (index_builds \(builds))",
        builds == 1
      ))

    report.targets = [
      Target(
        description: "open: server answering + first grid page < 2 s",
        measured: Report.seconds(open) + " s", passed: open < 2),
      Target(
        description: "a later page (offset \(middle)) < 0.1 s",
        measured: Report.seconds(middleSeconds) + " s", passed: middleSeconds < 0.1),
      Target(
        description: "a page filtered by class < 0.1 s",
        measured: Report.seconds(filteredSeconds) + " s", passed: filteredSeconds < 0.1),
      Target(
        description: "paging independent of the offset: page \(last) < 2 × page 0",
        measured: String(format: "%.2f×", lastSeconds / max(startSeconds, 1e-9)),
        passed: lastSeconds < 2 * startSeconds + 0.002),
    ]
    return report
  }

  /// Writes N labelled samples and commits them (untimed), or reuses the repository a
  /// previous run kept.
  private func prepare() throws {
    let root = workspace.app
    if FileManager.default.fileExists(atPath: root + "/.git") {
      progress("reusing the repository in \(root)")
      return
    }
    progress("generating \(dataset.count) labelled samples (\(2 * dataset.count) files)")
    let (_, seconds) = try Stopwatch.time { () throws -> Void in
      _ = try CairnRepository.create(at: root, bare: false, now: now)
      let schema = Schema(
        fields: [
          SyntheticDataset.field: FieldDefinition(
            type: .detections, classes: SyntheticDataset.classes)
        ],
        sampleFields: [:])
      try FileIO.writeAtomically(schema.encoded, to: root + "/schema.json")
      let writer = MirrorWriter(roots: [root])
      for index in 0..<dataset.count {
        try writer.write(dataset.sampleBytes(index), to: dataset.samplePath(index))
        try writer.write(dataset.labelBytes(index), to: dataset.labelPath(index))
      }
      let repository = try CairnRepository.open(from: root)
      _ = try repository.commit(message: "Import \(dataset.count) samples", now: now)
    }
    progress(String(format: "  generated and committed in %.1f s (untimed)", seconds))
  }

  /// Flushes dirty pages and reads every file once (untimed), so that the server and the
  /// peers start with the files in the page cache.
  private func settle() throws {
    try Shell.run("sync")
    try Shell.run(
      "cd \(Shell.quote(workspace.app)) && find samples labels -type f -print0 | xargs -0 cat > /dev/null"
    )
  }

  /// `cat` of the record and label files of the samples of a page: the least reading it needs.
  private static func catPage(_ page: JSONValue, in root: String) throws -> (
    files: Int, seconds: Double
  ) {
    let keys = (page["samples"]?.array ?? []).compactMap { $0["key"]?.string }
    let paths = keys.flatMap {
      [FormatV1.samplePath($0), FormatV1.labelPath(field: SyntheticDataset.field, key: $0)]
    }
    let list = root + "/.page-files"
    try FileIO.writeAtomically(Array(paths.joined(separator: "\n").utf8), to: list)
    defer { try? FileIO.remove(list) }
    var times: [Double] = []
    for _ in 0..<repeats {
      times.append(
        try Shell.run("cd \(Shell.quote(root)) && xargs cat < .page-files > /dev/null").seconds)
    }
    return (paths.count, Stopwatch.median(times))
  }

  private func progress(_ text: String) { print("• " + text) }
}

/// A running `cairn app --port 0`: started with Foundation's `Process`, its URL read from
/// standard output.
final class AppServerProcess: @unchecked Sendable {
  private let process: Process
  let port: Int
  let token: String
  /// Seconds from the launch to the URL on standard output.
  let urlSeconds: Double

  init(cairn: String, directory: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: cairn)
    process.arguments = ["app", "--port", "0"]
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    let out = Pipe()
    process.standardOutput = out
    process.standardInput = FileHandle.nullDevice
    let start = DispatchTime.now().uptimeNanoseconds
    try process.run()
    self.process = process
    var printed = Data()
    var found: (Int, String)?
    while found == nil {
      let chunk = out.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      printed.append(chunk)
      let text = String(decoding: printed, as: UTF8.self)
      if let range = text.range(
        of: #"http://127\.0\.0\.1:[0-9]+/\?token=[0-9a-f]+"#, options: .regularExpression),
        let components = URLComponents(string: String(text[range])), let port = components.port,
        let token = components.queryItems?.first(where: { $0.name == "token" })?.value
      {
        found = (port, token)
      }
    }
    urlSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    guard let found else {
      process.terminate()
      throw BenchError("cairn app printed no URL: \(String(decoding: printed, as: UTF8.self))")
    }
    (port, token) = found
  }

  func stop() {
    guard process.isRunning else { return }
    process.terminate()
    process.waitUntilExit()
  }
}

/// A minimal HTTP/1.1 client over a loopback socket: one request per connection
/// (`Connection: close`), the body read to the end.
struct HTTPClient {
  let port: Int
  let token: String

  /// `GET path` with the token; returns the body, or throws unless the status is 200.
  func get(_ path: String) throws -> [UInt8] {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw BenchError("socket failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
      }
    }
    guard connected else { throw BenchError("cannot connect to 127.0.0.1:\(port)") }
    let request =
      "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(token)\r\n"
      + "Connection: close\r\n\r\n"
    let bytes = Array(request.utf8)
    var sent = 0
    while sent < bytes.count {
      let count = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
      guard count > 0 else { throw BenchError("send failed") }
      sent += count
    }
    var response: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if count < 0 && errno == EINTR { continue }
      if count <= 0 { break }
      response.append(contentsOf: chunk[0..<count])
    }
    let separator: [UInt8] = [13, 10, 13, 10]
    guard
      let end = (0..<max(0, response.count - 3)).first(where: {
        Array(response[$0..<$0 + 4]) == separator
      })
    else { throw BenchError("no HTTP response for \(path)") }
    let head = String(decoding: response[0..<end], as: UTF8.self)
    guard head.hasPrefix("HTTP/1.1 200") else {
      throw BenchError("GET \(path): \(head.split(separator: "\r\n").first ?? "")")
    }
    return Array(response[(end + 4)...])
  }
}
