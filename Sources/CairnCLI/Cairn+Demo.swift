internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "demo",
      abstract: "Build a small synthetic dataset and walk through the loop.",
      discussion: """
        Draws PNG images of circles, squares and triangles with their ground-truth boxes (no \
        download), creates a repository in DIR, declares the label schema, freezes a golden \
        set and a test set, commits an annotation batch and measures it against the golden \
        set, tags a training split, saves it as a view, checks it for leakage and exports it \
        for Ultralytics YOLO with a manifest, fixes the batch on a branch, measures again, \
        merges, evaluates two simulated model iterations on the frozen test set (mining the \
        first one's misses into a view and comparing the runs), and shows a sample's history, \
        printing each step.
        """)

    @Argument(help: "Where to create the demo repository.")
    var directory: String = "cairn-demo"

    @Option(help: "How many images to draw.")
    var images: Int = 24

    func validate() throws {
      if images < 2 || images > 10_000 {
        throw ValidationError("--images must be between 2 and 10000")
      }
    }

    func run() async throws {
      if let names = FileIO.list(directory), !names.isEmpty {
        throw CairnError(
          .alreadyExists, "\(directory) exists and is not empty; choose another folder")
      }
      step("1. Create a repository", "cairn init \(directory)")
      let repo = try CairnRepository.create(at: directory, bare: false, now: currentTime())
      let root = try repo.requireRoot(for: "demo")
      Output.line(
        "   git repository at \(repo.git.gitDirectory), branch main, format v\(FormatV1.version)")

      step("2. Draw \(images) synthetic images", "(PNG, 160×120, shapes with known boxes)")
      let dataset = DemoDataset.generate(count: images, seed: 2026)
      try CairnError.wrap {
        try FileIO.makeDirectories(root + "/media/images")
        for image in dataset {
          try FileIO.writeAtomically(image.png, to: root + "/media/images/" + image.name)
        }
      }
      Output.line("   wrote \(dataset.count) images to \(root)/media/images")

      step("3. Import them as samples", "cairn import images media/images")
      let imported = try repo.importImages(directory: root + "/media/images", prefix: nil)
      Output.line("   \(imported.added.count) samples added (key, sha256, size, width, height)")

      step(
        "4. Declare the label schema",
        "cairn schema add-field ground_truth --type detections --classes … --no-commit")
      let classes = Array(Set(dataset.flatMap { $0.boxes.map(\.label) })).sorted()
      _ = try repo.changeSchema(
        message: "", commit: false, now: currentTime(),
        edit: { (schema: inout Schema) throws(CairnError) in
          try SchemaEdits.addField(
            &schema, name: "ground_truth", type: .detections, classes: classes, coverage: true,
            minLabels: 1)
          try SchemaEdits.setAttribute(
            &schema, field: "ground_truth", className: nil, name: "occluded",
            definition: AttributeDefinition(kind: .bool, defaultValue: .bool(false)))
        })
      Output.line("   ground_truth: detections of \(classes.joined(separator: ", "))")

      // A quarter of the images (at least one each) are reviewed ground truth before any
      // batch: half of them the golden set annotators are measured on, half the test set.
      let reviewed = max(2, images / 4)
      let golden = Array(dataset.prefix(max(1, reviewed / 2)))
      let test = Array(dataset.prefix(reviewed).dropFirst(golden.count))
      let rest = Array(dataset.dropFirst(reviewed))
      var random = DemoRandom(seed: 7)
      func labels(_ image: DemoImage) -> [JSONValue] {
        image.boxes.map { box in
          .object([
            "id": .string(LabelID.make(using: &random)), "type": .string("detection"),
            "label": .string(box.label), "bbox": .array(box.bbox.map { .double($0) }),
          ])
        }
      }
      step(
        "5. Freeze a golden set and a test set before the first batch",
        "cairn freeze golden golden-v1 --view golden && cairn freeze test test-v1 --view test")
      var goldenLabels: [String: [JSONValue]] = [:]
      for image in golden + test {
        let made = labels(image)
        goldenLabels[image.name] = made
        try repo.writeLabels(field: "ground_truth", key: image.name, labels: made)
      }
      try saveKeysView(repo, "golden", golden.map(\.name), "the golden QA set")
      try saveKeysView(repo, "test", test.map(\.name), "the frozen test set")
      _ = try repo.commit(
        message: "Reviewed labels of the golden and test sets", now: currentTime())
      let goldenSet = try repo.freeze(
        .golden, name: "golden-v1", view: "golden", revision: nil, now: currentTime())
      let testSet = try repo.freeze(
        .test, name: "test-v1", view: "test", revision: nil, now: currentTime())
      Output.line(
        "   refs/golden/golden-v1: \(goldenSet.samples) samples; refs/frozen/test-v1: "
          + "\(testSet.samples) samples (neither can ever move)")

      step(
        "6. Embed every image and choose batch v0 by coverage (typical clusters)",
        "cairn embed compute --name pixels && cairn select --budget \(max(1, rest.count * 2 / 3)) "
          + "--embeddings pixels --field ground_truth --save batch-v0")
      let computed = try repo.computeEmbeddings(
        name: "pixels", field: nil, in: .workingTree, replace: false)
      _ = try repo.commit(
        message: "Embeddings of every image (built-in descriptor)", now: currentTime())
      let v0 = try repo.select(
        SelectionOptions(
          name: "batch-v0", budget: max(1, rest.count * 2 / 3), view: nil, field: "ground_truth",
          embeddings: "pixels"))
      Output.line(
        "   \(computed.set.keys.count) vectors of \(computed.set.dimension) numbers; batch-v0: "
          + "\(v0.picks.count) of a pool of \(v0.poolSize) (\(v0.excludedProtected) frozen or "
          + "golden samples left out)")
      let chosen = Set(v0.picks.map(\.key))
      let batchOne = rest.filter { chosen.contains($0.name) }

      step(
        "7. Batch 1: an annotator labels batch-v0 (and, blind, the golden samples)",
        "cairn commit -m \"Batch 1: …\"")
      var boxCount = 0
      for image in batchOne {
        let made = labels(image)
        boxCount += made.count
        try repo.writeLabels(field: "ground_truth", key: image.name, labels: made)
      }
      // The annotator's golden labels carry known errors: a loose box, a missed box.
      for (index, image) in golden.enumerated() {
        var made = goldenLabels[image.name] ?? []
        if index == 0, var first = made.first?.object,
          let box = first["bbox"]?.array?.compactMap(\.number), box.count == 4
        {
          first["bbox"] = .array(
            [box[0] - 0.02, box[1] - 0.02, box[2] + 0.04, box[3] + 0.04].map {
              .double((min(max($0, 0), 1) * 10_000).rounded() / 10_000)
            })
          made[0] = .object(first)
        }
        if index == golden.count - 1 && made.count > 1 { made.removeLast() }
        try repo.writeLabels(field: "ground_truth", key: image.name, labels: made)
      }
      let status = try repo.status()
      for (group, changes) in status.groups {
        Output.line("   \(group): \(changes.count) changed")
      }
      let first = try repo.commit(
        message: "Batch 1: \(batchOne.count) images with ground-truth boxes", now: currentTime())
      Output.line(
        "   [main \(first.id.short)] \(first.changes.count) files, \(first.objectsWritten) objects "
          + "in one pack (\(boxCount) new boxes)")
      try report(repo, "8. Golden QA after batch 1")

      step(
        "9. Tag a training split and save it as a view",
        "cairn tags add train --view … && cairn view save training --match '\"train\" in tags'")
      let tagged = try repo.editTags(
        ["train"], add: true, selection: SampleSelection(stages: [.keys(batchOne.map(\.name))]),
        labels: nil)
      let trainTag = try CairnError.wrap {
        try QueryParser.parse("\"train\" in tags", context: .sample)
      }
      try repo.saveView(
        "training",
        ViewDefinition(description: "the training split", stages: [.match(trainTag)]),
        replace: true)
      let split = try repo.commit(message: "Training split and view", now: currentTime())
      Output.line(
        "   \(tagged.samplesChanged) samples tagged 'train'; views/training.json saved; "
          + "[main \(split.id.short)]")

      step(
        "10. Check for leakage and export the training view for Ultralytics",
        "cairn check leakage && cairn export yolo --view training --field ground_truth "
          + "--out exports/training-yolo")
      let exportDirectory = root + "/exports/training-yolo"
      let commit = try repo.resolve("HEAD")
      let source = DataSource.revision(commit.hex)
      let selected = try repo.evaluate(try repo.view(named: "training", in: source), in: source)
      let leaks = try repo.leaks(keys: selected.keys, at: commit)
      Output.line("   \(leaks.count) test sample(s) found in the training view")
      let batch = try repo.exportBatch(
        revision: commit.hex, field: "ground_truth", keys: selected.keys, view: "training")
      try CairnError.wrap { try FileIO.makeDirectories(exportDirectory) }
      let files = try YOLOFormat.write(batch, to: exportDirectory)
      try ExportManifest(format: "yolo", batch: batch, files: files).write(to: exportDirectory)
      try repo.excludeFromGit("exports")
      Output.line(
        "   \(batch.samples.count) images, \(batch.samples.reduce(0) { $0 + $1.labels.count }) "
          + "boxes; data.yaml and cairn-export.json (commit \(commit.short), view training)")

      step(
        "11. Batch 2 on a branch: the annotator fixes the golden errors", "cairn switch -c batch-2")
      _ = try repo.switchBranch("batch-2", create: true)
      for image in golden {
        try repo.writeLabels(
          field: "ground_truth", key: image.name, labels: goldenLabels[image.name] ?? [])
      }
      let second = try repo.commit(message: "Batch 2: fixes after golden QA", now: currentTime())
      Output.line(
        "   [batch-2 \(second.id.short)] \(second.changes.map(\.path).joined(separator: ", "))")
      try report(repo, "12. Golden QA after batch 2")

      step(
        "13. Label drift between the two batches",
        "cairn drift \(first.id.short)..\(second.id.short) --field ground_truth")
      let drift = try repo.drift(
        from: first.id.hex, to: second.id.hex, field: "ground_truth", perCommit: false)
      if let field = drift.total.fields["ground_truth"] {
        for (transition, count) in field.transitions.sorted(by: {
          ($0.key.from, $0.key.to) < ($1.key.from, $1.key.to)
        }) {
          Output.line("   \(transition.from) → \(transition.to): \(count) label(s)")
        }
        for (label, geometry) in field.geometry.sorted(by: { $0.key < $1.key }) {
          if let iou = geometry.meanIoU, let ratio = geometry.meanAreaRatio {
            let tighter = ratio < 1 ? "tighter" : "looser"
            Output.line(
              "   \(label): \(geometry.boxes) box(es) edited, mean IoU "
                + "\(Int((iou * 1000).rounded()))‰, area ×\(Int((ratio * 100).rounded()))% "
                + "(\(tighter))")
          }
        }
      }

      step("14. Merge batch 2 into main", "cairn switch main && cairn merge batch-2")
      _ = try repo.switchBranch("main", create: false)
      let merged = try repo.merge("batch-2", message: nil, now: currentTime())
      Output.line("   \(merged.kind.rawValue): main at \(merged.commit?.short ?? "?")")

      try evaluate(
        repo, test: test, classes: classes, pool: rest, batchSize: batchOne.count, labels: labels)

      let edited = golden[0].name
      step("20. History of one sample", "cairn log --oneline -- \(edited)")
      for commit in try repo.log(from: nil, keys: [edited], limit: nil) {
        Output.line("   \(commit.id.short) \(commit.summary)")
      }

      step("21. Plain git sees ordinary commits and protected refs", "git log --oneline --all")
      Output.line("   try: git -C \(directory) log --oneline --all && git -C \(directory) fsck")
      Output.line(
        "\nDone. Explore with: cairn -C \(directory) … (status, log, show HEAD:\(edited), "
          + "qa golden golden-v1 --history, protect list, eval list, eval show model-v2)")
    }

    /// Steps 15–19: two model iterations evaluated on the frozen test set, the first one's
    /// misses mined into a view, and the two runs compared.
    private func evaluate(
      _ repo: CairnRepository, test: [DemoImage], classes: [String], pool: [DemoImage],
      batchSize: Int, labels: (DemoImage) -> [JSONValue]
    ) throws {
      step(
        "15. Model v1 predicts the frozen test set",
        "cairn schema add-field predictions --type detections … && cairn commit")
      _ = try repo.changeSchema(
        message: "", commit: false, now: currentTime(),
        edit: { (schema: inout Schema) throws(CairnError) in
          try SchemaEdits.addField(
            &schema, name: "predictions", type: .detections, classes: classes, coverage: false,
            minLabels: nil)
        })
      var random = DemoRandom(seed: 11)
      func predict(version: Int) throws {
        for image in test {
          let dark = Int(image.name.prefix(4)).map { ($0 - 1) % 8 == 7 } ?? false
          try repo.writeLabels(
            field: "predictions", key: image.name,
            labels: DemoModel.predict(image, version: version, dark: dark, using: &random))
        }
      }
      try predict(version: 1)
      let v1 = try repo.commit(message: "Model v1 predictions on test-v1", now: currentTime())
      Output.line("   [main \(v1.id.short)] \(test.count) label files of field predictions")

      step(
        "16. Evaluate model v1 on the frozen test set (COCO metrics, as pycocotools)",
        "cairn eval detections --gt ground_truth --pred predictions --frozen test-v1 --key model-v1"
      )
      let first = try evaluateRun(repo, key: "model-v1")
      let failures = first.failures(.falseNegatives)
      try repo.saveView(
        "missed-by-model-v1",
        ViewDefinition(
          description: "false negatives of evaluation run model-v1",
          stages: [.keys(failures.keys)]),
        replace: true)
      let mined = try repo.commit(
        message: "Evaluation model-v1 and the view of its misses", now: currentTime())

      step(
        "17. Mine the false negatives: the input of targeted selection",
        "cairn eval failures model-v1 --fn --save-view missed-by-model-v1")
      Output.line(
        "   \(failures.objects.count) missed object(s) in \(failures.keys.count) sample(s): "
          + failures.keys.joined(separator: ", ") + "; views/missed-by-model-v1.json "
          + "[main \(mined.id.short)]")

      step(
        "18. Choose batch v1: 30 % coverage, 70 % near model v1's failures",
        "cairn select --budget \(max(1, pool.count - batchSize)) --embeddings pixels "
          + "--field ground_truth --target model-v1 --save batch-v1")
      let nextBatch = try repo.select(
        SelectionOptions(
          name: "batch-v1", budget: max(1, pool.count - batchSize), view: nil,
          field: "ground_truth", embeddings: "pixels", targetRun: "model-v1"))
      let targeted = nextBatch.picks.filter { $0.source == "targeted" }.count
      Output.line(
        "   \(nextBatch.picks.count) picks: \(nextBatch.picks.count - targeted) coverage, "
          + "\(targeted) near the \(nextBatch.failures) failing test sample(s); an annotator "
          + "labels them")
      let picked = Set(nextBatch.picks.map(\.key))
      for image in pool where picked.contains(image.name) {
        try repo.writeLabels(field: "ground_truth", key: image.name, labels: labels(image))
      }
      let labelled = try repo.commit(
        message: "Batch v1: \(nextBatch.picks.count) images chosen by 30/70 selection",
        now: currentTime())
      Output.line("   [main \(labelled.id.short)]")

      step(
        "19. Model v2 (retrained on the misses): evaluate and compare the iterations",
        "cairn eval detections … --key model-v2 && cairn eval compare model-v1 model-v2")
      try predict(version: 2)
      _ = try repo.commit(message: "Model v2 predictions on test-v1", now: currentTime())
      let second = try evaluateRun(repo, key: "model-v2")
      _ = try repo.commit(message: "Evaluation model-v2", now: currentTime())
      let before = Dictionary(first.metrics.map { ($0.name, $0.value) }) { a, _ in a }
      for metric in second.metrics where ["AP", "AP50", "recall"].contains(metric.name) {
        let old = before[metric.name] ?? nil
        let change = zip2(old, metric.value).map {
          ($0.1 - $0.0 >= 0 ? "+" : "") + EvaluationOutput.format($0.1 - $0.0)
        }
        Output.line(
          "   \(EvaluationOutput.pad(metric.name, 7)) \(EvaluationOutput.format(old)) → "
            + "\(EvaluationOutput.format(metric.value)) (\(change ?? "-"))")
      }
    }

    /// Evaluates the predictions of HEAD on the frozen test set as run `key` and stores it.
    private func evaluateRun(_ repo: CairnRepository, key: String) throws -> EvaluationRun {
      let data = try repo.evaluationData(
        truth: "ground_truth", predictions: "predictions", type: .detections,
        scope: EvaluationScope(frozen: "test-v1"))
      let evaluation = DetectionEvaluation(
        DetectionData(data),
        parameters: DetectionRunParameters(truth: "ground_truth", predictions: "predictions"))
      let run = evaluation.run(key: key, source: data)
      try repo.saveRun(run, replace: true)
      let values = Dictionary(run.metrics.map { ($0.name, $0.value) }) { a, _ in a }
      Output.line(
        "   \(key): AP \(EvaluationOutput.format(values["AP"] ?? nil)), AP50 "
          + "\(EvaluationOutput.format(values["AP50"] ?? nil)), recall at IoU 0.5 "
          + "\(EvaluationOutput.format(values["recall"] ?? nil)) over \(data.samples.count) "
          + "test samples; runs/eval/\(key)/")
      return run
    }

    private func zip2(_ a: Double?, _ b: Double?) -> (Double, Double)? {
      guard let a, let b else { return nil }
      return (a, b)
    }

    private func saveKeysView(
      _ repo: CairnRepository, _ name: String, _ keys: [String], _ description: String
    ) throws {
      try repo.saveView(
        name, ViewDefinition(description: description, stages: [.keys(keys)]), replace: true)
    }

    private func report(_ repo: CairnRepository, _ title: String) throws {
      step(title, "cairn qa golden golden-v1")
      let report = try repo.goldenReport(set: "golden-v1", revision: nil, field: "ground_truth")
      let total = report.overall
      func percent(_ value: Double?) -> String {
        value.map { String(Int(($0 * 100).rounded())) + "%" } ?? "-"
      }
      Output.line(
        "   precision \(percent(total.precision)), recall \(percent(total.recall)), mean IoU "
          + (total.meanIoU.map { String(Int(($0 * 1000).rounded())) + "‰" } ?? "-")
          + ", \(report.missing.count) missed, \(report.extra.count) extra, "
          + "\(report.confusions.values.flatMap(\.values).reduce(0, +)) confused")
    }

    private func step(_ title: String, _ command: String) {
      Output.line("\n== \(title)\n   $ \(command)")
    }
  }
}
