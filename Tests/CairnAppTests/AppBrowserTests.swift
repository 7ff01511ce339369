import CairnCore
import CairnTestSupport
import Foundation
import Testing

/// The app in headless Chromium: real clicks and drags on the real server and repository.
///
/// Skipped (with a printed reason) when chromium or chromedriver is missing, except under
/// `CI=true`. With `CAIRN_SCREENSHOTS=DIR` the pages are saved as PNGs in DIR.
@Suite(.serialized)
struct AppBrowserTests {
  /// Runs `body` with a served fixture repository and a browser signed in to it.
  private func withBrowser(
    prepare: (TemporaryDirectory) throws -> Void = { _ in },
    _ body: (TemporaryDirectory, AppProcess, WebDriver) async throws -> Void
  ) async throws {
    guard let tools = try WebDriver.available() else { return }
    let dir = try AppFixture.make()
    defer { dir.remove() }
    try prepare(dir)
    let app = try AppProcess(in: dir.path)
    defer { app.stop() }
    let browser = try await WebDriver(browser: tools.browser, driverPath: tools.driver)
    do {
      try await browser.navigate(app.url)
      try await body(dir, app, browser)
    } catch {
      await browser.quit()
      throw error
    }
    await browser.quit()
  }

  /// The image's rectangle on screen: left, top, width, height.
  private func imageRect(_ browser: WebDriver) async throws -> (Double, Double, Double, Double) {
    let rect = try await browser.execute(
      "const r = document.getElementById('sample-image').getBoundingClientRect();"
        + "return [r.left, r.top, r.width, r.height];")
    let values = (rect.array ?? []).compactMap(\.number)
    guard values.count == 4 else { throw AppTestError("no image rectangle: \(rect)") }
    return (values[0], values[1], values[2], values[3])
  }

  private func openSample(_ key: String, _ browser: WebDriver) async throws {
    try await browser.wait(
      for: "the grid", "return document.querySelectorAll('#grid .card').length === 6")
    try await browser.click("#grid .card[data-key='\(key)']")
    try await browser.wait(
      for: "the sample image",
      "const i = document.getElementById('sample-image');"
        + "return !!i && i.complete && i.naturalWidth > 0 && !!document.querySelector('#overlay')")
  }

  @Test func drawAClassifyAndCommitFromTheApp() async throws {
    try await withBrowser { dir, app, browser in
      try await browser.wait(
        for: "the grid", "return document.querySelectorAll('#grid .card').length === 6")
      try await browser.wait(
        for: "thumbnails",
        "return [...document.querySelectorAll('#grid img')].every(i => i.complete && i.naturalWidth > 0)"
      )
      let tokenInAddressBar = try await browser.execute("return location.search.includes('token')")
      #expect(tokenInAddressBar.bool == false)
      try await browser.saveScreenshot("grid.png")

      try await openSample("img3.png", browser)
      let (left, top, width, height) = try await imageRect(browser)
      let from = (0.2, 0.3)
      let to = (0.55, 0.8)
      try await browser.drag(
        from: (left + from.0 * width, top + from.1 * height),
        to: (left + to.0 * width, top + to.1 * height))
      try await browser.wait(
        for: "the new box", "return document.querySelectorAll('#labels-list li').length === 1")
      try await browser.click("#class-palette button[data-class='pedestrian']")
      try await browser.wait(
        for: "the class",
        "return document.querySelector('#labels-list li .label-class').textContent === 'pedestrian'"
      )
      try await browser.saveScreenshot("annotate.png")

      try await browser.click("#nav-commit")
      try await browser.wait(for: "the status", "return !!document.querySelector('#changes')")
      let changed = try await browser.execute(
        "return [...document.querySelectorAll('#changes td.mono')].map(t => t.textContent)")
      let paths = (changed.array ?? []).compactMap(\.string)
      #expect(paths == [FormatV1.labelPath(field: "ground_truth", key: "img3.png")])
      try await browser.type("#commit-message", "Box drawn in the app")
      try await browser.click("#commit-button")
      try await browser.wait(for: "the commit", "return !!document.querySelector('#commit-ok')")
      try await browser.saveScreenshot("commit.png")

      let shown = try CommandRunner.cairn(["show", "HEAD:img3.png", "--json"], in: dir.path)
      #expect(shown.exitCode == 0, "\(shown)")
      let sample = try #require(try JSONParser.parse(shown.stdout)["cairn.sample/v1"])
      let labels = sample["labels"]?["ground_truth"]?["labels"]?.array ?? []
      #expect(labels.count == 1)
      #expect(labels.first?["label"]?.string == "pedestrian")
      let box = (labels.first?["bbox"]?.array ?? []).compactMap(\.number)
      let expected = [from.0, from.1, to.0 - from.0, to.1 - from.1]
      #expect(box.count == 4)
      let error = zip(box, expected).map { abs($0 - $1) }.max() ?? 1
      #expect(error < 0.01, "bbox \(box), expected \(expected)")
      let log = try CommandRunner.cairn(["log"], in: dir.path)
      #expect(log.stdout.contains("Box drawn in the app"))
      let status = try CommandRunner.cairn(["status"], in: dir.path)
      #expect(!status.stdout.contains("labels/"), "\(status)")
    }
  }

  @Test func anOffSchemaClassIsRefusedAndShown() async throws {
    try await withBrowser { dir, app, browser in
      try await openSample("img1.png", browser)
      let path = FormatV1.labelPath(field: "ground_truth", key: "img1.png")
      let before = try dir.read(path)
      try await browser.click("#labels-list li[data-index='0']")
      try await browser.type("#class-input", "vehicle\u{E007}")
      try await browser.wait(
        for: "the refusal",
        "const e = document.getElementById('edit-error'); return !!e && e.textContent.includes('vehicle')"
      )
      let message = try await browser.execute(
        "return document.getElementById('edit-error').textContent")
      #expect(message.string?.contains("not in the schema") == true, "\(message)")
      let shownClass = try await browser.execute(
        "return document.querySelector('#labels-list li .label-class').textContent")
      #expect(shownClass.string == "car")
      #expect(try dir.read(path) == before)
      let status = try CommandRunner.cairn(["status"], in: dir.path)
      #expect(!status.stdout.contains("labels/"), "\(status)")
    }
  }

  @Test func aClassificationChosenInTheSampleViewLandsInTheLabelFile() async throws {
    try await withBrowser { dir, _, browser in
      try await openSample("img4.png", browser)
      try await browser.execute(
        "const s = document.getElementById('classification-weather'); s.value = 'night';"
          + "s.dispatchEvent(new Event('change'));")
      let path = FormatV1.labelPath(field: "weather", key: "img4.png")
      try await browser.wait(
        for: "the written label",
        "const s = document.getElementById('classification-weather');"
          + "return !!s && s.value === 'night' && !document.getElementById('edit-error')"
          + " && document.getElementById('change-count').textContent === '1'")
      let file = try LabelFile(json: try JSONParser.parse(Array(try dir.read(path).utf8)))
      #expect(file.labels.count == 1)
      #expect(file.labels.first?["label"]?.string == "night")
      #expect(file.labels.first?["type"]?.string == "classification")
      #expect(file.labels.first?["id"]?.string?.isEmpty == false)
      let check = try CommandRunner.cairn(["check"], in: dir.path)
      #expect(check.exitCode == 0, "\(check)")
    }
  }

  @Test func repositoryTextRendersAsText() async throws {
    try await withBrowser { _, _, browser in
      try await browser.wait(
        for: "the grid", "return document.querySelectorAll('#grid .card').length === 6")
      let tagShown = try await browser.execute(
        "return [...document.querySelectorAll('#grid .tag')].some(t => t.textContent === arguments[0])",
        [.string(AppFixture.hostileTag)])
      #expect(tagShown.bool == true)
      try await openSample("img1.png", browser)
      try await browser.wait(
        for: "the predicted class",
        "return document.getElementById('overlay').textContent.includes(arguments[0].slice(0, 8))",
        [.string(AppFixture.hostileClass)])
      let classShown = try await browser.execute(
        "return document.body.innerText.includes(arguments[0]) && "
          + "document.getElementById('overlay').textContent.includes(arguments[0])",
        [.string(AppFixture.hostileClass)])
      #expect(classShown.bool == true)
      try await openSampleFromGrid("img2.png", browser)
      let sampleTag = try await browser.execute(
        "return document.getElementById('sample-tags').textContent.includes(arguments[0])",
        [.string(AppFixture.hostileTag)])
      #expect(sampleTag.bool == true)
      let injected = try await browser.execute(
        "return [typeof window.__xss, document.querySelectorAll('main script, main img[src=x]').length]"
      )
      #expect(injected == .array([.string("undefined"), .int(0)]))
    }
  }

  @Test func theEvaluationPageLeadsToTheSamplesOfAConfusionCell() async throws {
    try await withBrowser { dir, app, browser in
      try AppFixture.run(
        ["eval", "detections", "--gt", "ground_truth", "--pred", "predictions", "--key", "run1"],
        in: dir.path)
      try await browser.navigate(app.base + "/#/eval/run1")
      try await browser.wait(
        for: "the confusion matrix", "return !!document.querySelector('#eval-confusion')")
      let classes = try await browser.execute(
        "return [...document.querySelectorAll('#eval-classes td:first-child')].map(t => t.textContent)"
      )
      #expect(classes.array?.compactMap(\.string).contains("car") == true, "\(classes)")
      let curve = try await browser.execute(
        "const c = document.querySelector('#eval-curves polyline[data-class=car]');"
          + "return c ? c.getAttribute('points').split(' ').length : 0")
      #expect((curve.int ?? 0) >= 2, "\(curve)")
      try await browser.execute(
        "document.getElementById('eval-curves').scrollIntoView({block: 'end'})")
      try await browser.saveScreenshot("evaluation.png")
      try await browser.click("#eval-confusion td[data-truth='car'][data-predicted='car']")
      try await browser.wait(
        for: "the cell's samples",
        "return document.body.dataset.page === 'grid' && !!document.querySelector('#grid[data-loaded]')"
          + " && document.querySelectorAll('#grid .card').length === 1")
      let keys = try await browser.execute(
        "return [...document.querySelectorAll('#grid .card')].map(c => c.dataset.key)")
      #expect(keys == .array([.string("img1.png")]))
    }
  }

  @Test func aLassoOnTheMapSavesExactlyItsClusterAsAView() async throws {
    try await withBrowser(prepare: AppFixture.addClusteredMap) { dir, app, browser in
      try await browser.navigate(app.base + "/#/map/clusters")
      try await browser.wait(
        for: "the map", "return !!document.querySelector('#map-canvas[data-loaded]')")
      try await browser.execute(
        "const s = document.getElementById('map-color'); s.value = 'labels.ground_truth';"
          + "s.dispatchEvent(new Event('change'));")
      try await browser.wait(
        for: "the colours",
        "return document.querySelectorAll('#map-legend li').length === 3 && !!mapPage.data.values")
      // Where the cluster's points are on screen, from the page's own layout.
      let located = try await browser.execute(
        "const r = document.getElementById('map-canvas').getBoundingClientRect();"
          + "const c = document.getElementById('map-canvas');"
          + "const k = r.width / c.width;"
          + "return mapPage.data.keys.map((key, i) => [key, r.left + screenX(i) * k, r.top + screenY(i) * k]);"
      )
      var cluster: [(Double, Double)] = []
      var others: [(Double, Double)] = []
      for entry in located.array ?? [] {
        let parts = entry.array ?? []
        guard parts.count == 3, let key = parts[0].string, let x = parts[1].number,
          let y = parts[2].number
        else { continue }
        if AppFixture.carCluster.contains(key) {
          cluster.append((x, y))
        } else {
          others.append((x, y))
        }
      }
      #expect(cluster.count == AppFixture.carCluster.count)
      // A free-hand loop around the cluster: a circle through its farthest point, plus a margin.
      let centre = (
        cluster.map(\.0).reduce(0, +) / Double(cluster.count),
        cluster.map(\.1).reduce(0, +) / Double(cluster.count)
      )
      let reach = cluster.map { hypot($0.0 - centre.0, $0.1 - centre.1) }.max() ?? 0
      let radius = reach + 12
      let nearestOther = others.map { hypot($0.0 - centre.0, $0.1 - centre.1) }.min() ?? .infinity
      #expect(nearestOther > radius + 5, "the clusters overlap on screen")
      // Pressed inside the canvas: the loop starts on the side facing the canvas's middle.
      let middle = try await browser.execute(
        "const r = document.getElementById('map-canvas').getBoundingClientRect();"
          + "return [r.left + r.width / 2, r.top + r.height / 2];")
      let canvasMiddle = (middle.array ?? []).compactMap(\.number)
      let start =
        canvasMiddle.count == 2 ? atan2(canvasMiddle[1] - centre.1, canvasMiddle[0] - centre.0) : 0
      let loop = (0...24).map { step -> (Double, Double) in
        let angle = start + Double(step) / 24 * 2 * Double.pi
        return (centre.0 + radius * cos(angle), centre.1 + radius * sin(angle))
      }
      try await browser.trace(loop)
      try await browser.wait(
        for: "the selection",
        "return document.getElementById('map-count').dataset.count === arguments[0]",
        [.string(String(AppFixture.carCluster.count))])
      try await browser.saveScreenshot("map.png")
      try await browser.type("#map-view-name", "map-pick")
      try await browser.click("#map-save-view")
      try await browser.wait(
        for: "the saved view",
        "const r = document.getElementById('map-result'); return !!r && !!r.querySelector('.ok')")
      let applied = try CommandRunner.cairn(["view", "apply", "map-pick"], in: dir.path)
      #expect(applied.exitCode == 0, "\(applied)")
      let keys = applied.stdout.split(separator: "\n").map(String.init)
      #expect(keys == AppFixture.carCluster)

      try await browser.click("#map-show")
      try await browser.wait(
        for: "the selection in the grid",
        "return document.body.dataset.page === 'grid' && !!document.querySelector('#grid[data-loaded]')"
          + " && !!document.getElementById('filter-selection')")
      let shown = try await browser.execute(
        "return [...document.querySelectorAll('#grid .card')].map(c => c.dataset.key)")
      let shownKeys = (shown.array ?? []).compactMap(\.string)
      #expect(shownKeys == AppFixture.carCluster)
    }
  }

  private func openSampleFromGrid(_ key: String, _ browser: WebDriver) async throws {
    try await browser.click("a[href='#/']")
    try await openSample(key, browser)
  }
}
