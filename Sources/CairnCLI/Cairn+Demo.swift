internal import ArgumentParser
internal import CairnCore
internal import GitStore

extension Cairn {
  struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Build a small synthetic dataset and walk through the loop.",
      discussion: """
        Draws PNG images of circles, squares and triangles with their ground-truth boxes (no \
        download), creates a repository in DIR, declares the label schema, imports and \
        commits the images with their boxes, tags a training split, saves it as a view, \
        exports that view for Ultralytics YOLO with a manifest, relabels a box on a branch, \
        and shows status, history and a sample, printing each step.
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
        "4. Declare the label schema and add ground-truth boxes",
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
      var random = DemoRandom(seed: 7)
      var boxCount = 0
      for image in dataset {
        let labels: [JSONValue] = image.boxes.map { box in
          .object([
            "id": .string(LabelID.make(using: &random)), "type": .string("detection"),
            "label": .string(box.label), "bbox": .array(box.bbox.map { .double($0) }),
          ])
        }
        boxCount += labels.count
        try repo.writeLabels(field: "ground_truth", key: image.name, labels: labels)
      }
      Output.line("   \(boxCount) boxes in \(dataset.count) label files")

      step("5. Status before committing", "cairn status")
      let status = try repo.status()
      for (group, changes) in status.groups { Output.line("   \(group): \(changes.count) added") }

      step("6. Commit the batch", "cairn commit -m \"Batch 1: …\"")
      let first = try repo.commit(
        message: "Batch 1: \(dataset.count) images with ground-truth boxes", now: currentTime())
      Output.line(
        "   [main \(first.id.short)] \(first.changes.count) files, \(first.objectsWritten) objects in one pack"
      )

      step(
        "7. Tag a training split and save it as a view",
        "cairn tags add train --take \(max(1, images * 3 / 4)) --seed 7 && "
          + "cairn view save training --match '\"train\" in tags'")
      let tagged = try repo.editTags(
        ["train"], add: true,
        selection: SampleSelection(stages: [.take(count: max(1, images * 3 / 4), seed: 7)]),
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
        "8. Export the training view for Ultralytics",
        "cairn export yolo --view training --field ground_truth --out exports/training-yolo")
      let exportDirectory = root + "/exports/training-yolo"
      let commit = try repo.resolve("HEAD")
      let source = DataSource.revision(commit.hex)
      let selected = try repo.evaluate(try repo.view(named: "training", in: source), in: source)
      let batch = try repo.exportBatch(
        revision: commit.hex, field: "ground_truth", keys: selected.keys, view: "training")
      try CairnError.wrap { try FileIO.makeDirectories(exportDirectory) }
      let files = try YOLOFormat.write(batch, to: exportDirectory)
      try ExportManifest(format: "yolo", batch: batch, files: files).write(to: exportDirectory)
      try repo.excludeFromGit("exports")
      Output.line(
        "   \(batch.samples.count) images, \(batch.samples.reduce(0) { $0 + $1.labels.count }) "
          + "boxes; data.yaml and cairn-export.json (commit \(commit.short), view training)")

      step("9. Relabel on a branch", "cairn switch -c relabel")
      _ = try repo.switchBranch("relabel", create: true)
      let edited = dataset[0]
      if var file = try repo.readLabels(field: "ground_truth", key: edited.name),
        var label = file.labels.first?.object,
        let box = label["bbox"]?.array?.compactMap(\.number), box.count == 4
      {
        label["bbox"] = .array(
          [box[0] + 0.01, box[1] + 0.01, box[2] - 0.02, box[3] - 0.02].map {
            .double(($0 * 10_000).rounded() / 10_000)
          })
        file.labels[0] = .object(label)
        try repo.writeLabels(field: "ground_truth", key: edited.name, labels: file.labels)
      }
      let second = try repo.commit(
        message: "Tighten the first box of \(edited.name)", now: currentTime())
      Output.line(
        "   [relabel \(second.id.short)] \(second.changes.map(\.path).joined(separator: ", "))")

      step("10. History of one sample", "cairn log --oneline -- \(edited.name)")
      for commit in try repo.log(from: nil, keys: [edited.name], limit: nil) {
        Output.line("   \(commit.id.short) \(commit.summary)")
      }

      step("11. Back to main", "cairn switch main")
      let back = try repo.switchBranch("main", create: false)
      Output.line(
        "   \(back.filesWritten) file(s) restored; branches: "
          + (try repo.branches()).map { ($0.isCurrent ? "*" : "") + $0.name }.joined(separator: " ")
      )

      step("12. Plain git sees ordinary commits", "git log --oneline --all")
      Output.line("   try: git -C \(directory) log --oneline --all && git -C \(directory) fsck")
      Output.line(
        "\nDone. Explore with: cairn -C \(directory) … (status, log, show HEAD:\(edited.name))")
    }

    private func step(_ title: String, _ command: String) {
      Output.line("\n== \(title)\n   $ \(command)")
    }
  }
}
