internal import ArgumentParser

extension Cairn {
  struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "eval",
      abstract: "Evaluate predictions against ground truth; keep, compare and mine the runs.",
      discussion: """
        Detection metrics follow pycocotools (COCO) and the PASCAL VOC devkit; see \
        Docs/evaluation.md for the conventions and the reference each number follows.
        """,
      subcommands: [
        Detections.self, Classifications.self, Cuboids.self, COCO.self, List.self, Show.self,
        Compare.self, Failures.self,
      ])
  }
}
