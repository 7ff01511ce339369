internal import ArgumentParser
internal import CairnCore
internal import Evaluation

#if canImport(Glibc)
internal import Glibc
#endif

extension Cairn.Eval {
  struct COCO: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "coco",
      abstract: "Evaluate a COCO results file against a COCO instances file (box mAP).",
      discussion: """
        Computes what pycocotools' COCOeval computes for iouType "bbox" (evaluate, accumulate, \
        summarize) and prints its twelve summary lines, then a table per category. Results \
        whose image id is not in the ground truth are dropped with a warning (pycocotools \
        refuses the file); results and annotations of categories the ground truth does not \
        list are dropped (pycocotools ignores them). --iou also matches the boxes at one IoU \
        and prints precision, recall, F1 and the confusion matrix there. No repository is \
        needed. See Docs/evaluation.md.
        """)

    @Argument(help: ArgumentHelp("A COCO instances (ground-truth) file.", valueName: "gt.json"))
    var groundTruth: String

    @Argument(
      help: ArgumentHelp(
        "A COCO results file: a JSON array of {image_id, category_id, bbox, score}.",
        valueName: "results.json"))
    var results: String

    @Flag(help: "Print the result as JSON (envelope cairn.eval-coco/v1).")
    var json = false

    @Option(
      help: ArgumentHelp(
        "Also write a self-contained HTML report (PR curves, confusion matrix) to this file.",
        valueName: "file"))
    var report: String?

    @Option(
      help: ArgumentHelp(
        "Also match at this IoU: per-class precision, recall, F1, TP/FP/FN and the confusion "
          + "matrix (the report uses 0.5 when it is not given).",
        valueName: "T"))
    var iou: Double?

    func validate() throws {
      if let iou, !(iou > 0 && iou <= 1) {
        throw ValidationError("--iou is above 0 and at most 1")
      }
    }

    func run() async throws {
      let files = try COCOEvaluationFiles.load(groundTruth: groundTruth, results: results)
      if files.droppedResultsUnknownImage > 0 {
        Output.note(
          "cairn: warning: dropped \(files.droppedResultsUnknownImage) of \(files.resultCount) "
            + "results whose image_id is not an image of \(groundTruth)")
      }
      if files.droppedResultsUnknownCategory > 0 {
        Output.note(
          "cairn: warning: dropped \(files.droppedResultsUnknownCategory) results whose "
            + "category_id is not a category of \(groundTruth)")
      }
      if files.droppedAnnotations > 0 {
        Output.note(
          "cairn: warning: ignored \(files.droppedAnnotations) annotations of \(groundTruth) "
            + "whose image or category it does not list")
      }
      let result = COCOEvaluator.evaluate(files.problem)
      let matchIoU = iou ?? 0.5
      let matches =
        iou != nil || report != nil
        ? DetectionMatcher.match(files.problem, iou: matchIoU, classwise: true) : nil
      if let report {
        let file = try ReportFile(path: report)
        file.writer.write(
          EvaluationReport.html(
            title: "COCO evaluation of \(Self.baseName(results))", result: result,
            matches: matches, categories: files.problem.categories,
            parameters: [
              ("ground truth", groundTruth), ("results", results),
              ("images", String(files.problem.imageCount)),
              ("categories", String(files.problem.categories.count)),
              ("ground-truth boxes", String(files.problem.groundTruth.count)),
              ("predictions", String(files.problem.predictions.count)),
              (
                "dropped results",
                "\(files.droppedResultsUnknownImage) (unknown image), "
                  + "\(files.droppedResultsUnknownCategory) (unknown category)"
              ),
              ("matching IoU", CanonicalJSON.format(matchIoU)),
            ]))
        try file.commit()
        Output.note("wrote \(report)")
      }
      let shown = iou == nil ? nil : matches
      if json {
        Output.json("cairn.eval-coco/v1", Self.json(files, result, shown, iou: matchIoU))
      } else {
        Output.lines(Self.text(result, shown, categoryIDs: files.categoryIDs, iou: matchIoU))
      }
    }

    private static func baseName(_ path: String) -> String {
      path.split(separator: "/").last.map(String.init) ?? path
    }

    // MARK: Text

    /// pycocotools' `summarize()` lines, then the per-category table, then the matching.
    static func text(
      _ result: COCOResult, _ matches: DetectionMatches?, categoryIDs: [Int64], iou: Double
    ) -> [String] {
      var lines = summaryLines(result.stats)
      lines.append("")
      var rows: [[String]] = [["category", "id", "AP", "AP50", "AP75", "AR100", "gt", "pred"]]
      for (index, category) in result.categories.enumerated() {
        rows.append([
          category.name, String(categoryIDs[index]), decimal(category.ap),
          decimal(category.ap50), decimal(category.ap75), decimal(category.ar100),
          String(category.groundTruthCount), String(category.predictionCount),
        ])
      }
      lines += columns(rows)
      guard let matches else { return lines }
      lines.append("")
      lines.append("Matching at IoU \(CanonicalJSON.format(iou)) (same category only):")
      rows = [["category", "precision", "recall", "F1", "TP", "FP", "FN"]]
      for counts in matches.categories {
        rows.append([
          counts.name, decimal(counts.precision), decimal(counts.recall), decimal(counts.f1),
          String(counts.truePositives), String(counts.falsePositives),
          String(counts.falseNegatives),
        ])
      }
      lines += columns(rows)
      lines.append("")
      lines += confusionLines(matches, names: result.categories.map(\.name))
      return lines
    }

    /// The twelve lines of pycocotools' `COCOeval.summarize()` for boxes, character for
    /// character.
    static func summaryLines(_ stats: [Double]) -> [String] {
      let rows: [(ap: Bool, iou: String, area: String, maxDets: Int)] = [
        (true, "0.50:0.95", "all", 100), (true, "0.50", "all", 100),
        (true, "0.75", "all", 100), (true, "0.50:0.95", "small", 100),
        (true, "0.50:0.95", "medium", 100), (true, "0.50:0.95", "large", 100),
        (false, "0.50:0.95", "all", 1), (false, "0.50:0.95", "all", 10),
        (false, "0.50:0.95", "all", 100), (false, "0.50:0.95", "small", 100),
        (false, "0.50:0.95", "medium", 100), (false, "0.50:0.95", "large", 100),
      ]
      return zip(rows, stats).map { row, value in
        let title = row.ap ? "Average Precision  (AP)" : "Average Recall     (AR)"
        return " \(title) @[ IoU=\(pad(row.iou, 9)) | area=\(leftPad(row.area, 6)) | "
          + "maxDets=\(leftPad(String(row.maxDets), 3)) ] = \(printf3(value))"
      }
    }

    /// The confusion matrix as a grid for a few categories, else its non-zero cells.
    private static func confusionLines(_ matches: DetectionMatches, names: [String]) -> [String] {
      let labels = names + ["(background)"]
      let size = labels.count
      let lines = ["Confusion matrix (rows: ground truth, columns: predicted):"]
      if size <= 16 {
        var rows = [[""] + labels]
        for row in 0..<size {
          rows.append(
            [labels[row]] + (0..<size).map { String(matches.confusion[row * size + $0]) })
        }
        return lines + columns(rows)
      }
      var rows = [["ground truth", "predicted", "count"]]
      for row in 0..<size {
        for column in 0..<size where matches.confusion[row * size + column] > 0 {
          rows.append([
            labels[row], labels[column], String(matches.confusion[row * size + column]),
          ])
        }
      }
      return lines + columns(rows)
    }

    /// Left-aligned first column, right-aligned numbers, two spaces apart.
    private static func columns(_ rows: [[String]]) -> [String] {
      guard let first = rows.first else { return [] }
      let widths = first.indices.map { column in
        rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0
      }
      return rows.map { row in
        row.enumerated().map { column, cell in
          column == 0 ? pad(cell, widths[column]) : leftPad(cell, widths[column])
        }.joined(separator: "  ")
      }
    }

    private static func pad(_ text: String, _ width: Int) -> String {
      text + String(repeating: " ", count: max(0, width - text.count))
    }

    private static func leftPad(_ text: String, _ width: Int) -> String {
      String(repeating: " ", count: max(0, width - text.count)) + text
    }

    /// Three decimals, or `-` for nil.
    private static func decimal(_ value: Double?) -> String {
      value.map(printf3) ?? "-"
    }

    /// `%.3f` as C's printf (and Python's `format`) writes it: from the exact binary value,
    /// so that a number just below a rounding boundary is not rounded up.
    static func printf3(_ value: Double) -> String { EvaluationOutput.printf("%.3f", value) }

    // MARK: JSON

    static func json(
      _ files: COCOEvaluationFiles, _ result: COCOResult, _ matches: DetectionMatches?,
      iou: Double
    ) -> JSONValue {
      var summary: [String: JSONValue] = [:]
      for (name, value) in zip(COCOResult.statNames, result.stats) {
        summary[name] = .double(value)
      }
      let classes: [JSONValue] = result.categories.enumerated().map { index, category in
        var members: [String: JSONValue] = [
          "id": .int(files.categoryIDs[index]), "name": .string(category.name),
          "AP": optional(category.ap), "AP50": optional(category.ap50),
          "AP75": optional(category.ap75), "AR100": optional(category.ar100),
          "ground_truth": .int(Int64(category.groundTruthCount)),
          "predictions": .int(Int64(category.predictionCount)),
        ]
        if let counts = matches?.categories[index] {
          members["matching"] = .object([
            "true_positives": .int(Int64(counts.truePositives)),
            "false_positives": .int(Int64(counts.falsePositives)),
            "false_negatives": .int(Int64(counts.falseNegatives)),
            "precision": optional(counts.precision), "recall": optional(counts.recall),
            "f1": optional(counts.f1),
          ])
        }
        return .object(members)
      }
      var body: [String: JSONValue] = [
        "summary": .object(summary),
        "classes": .array(classes),
        "images": .int(Int64(files.problem.imageCount)),
        "ground_truth_boxes": .int(Int64(files.problem.groundTruth.count)),
        "predictions": .int(Int64(files.problem.predictions.count)),
        "results": .int(Int64(files.resultCount)),
        "dropped": .object([
          "results_unknown_image": .int(Int64(files.droppedResultsUnknownImage)),
          "results_unknown_category": .int(Int64(files.droppedResultsUnknownCategory)),
          "annotations_unknown_image_or_category": .int(Int64(files.droppedAnnotations)),
        ]),
      ]
      if let matches {
        let size = files.problem.categories.count + 1
        body["matching"] = .object([
          "iou": .double(iou),
          "labels": .array(
            (files.problem.categories + ["(background)"]).map { .string($0) }),
          "confusion": .array(
            (0..<size).map { row in
              .array((0..<size).map { .int(Int64(matches.confusion[row * size + $0])) })
            }),
        ])
      }
      return .object(body)
    }

    private static func optional(_ value: Double?) -> JSONValue {
      value.map { .double($0) } ?? .null
    }
  }
}
