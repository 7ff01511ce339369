/// One box of a detection evaluation, in pixels, `[x, y, width, height]` from the top-left corner.
///
/// Boxes refer to images and categories by their index in the problem's lists, so that the
/// evaluator works on integers; the caller keeps the names and ids beside.
package struct EvalBox: Sendable, Equatable {
  /// Index of the image (sample) in ``DetectionProblem/imageCount``'s range.
  package var image: Int32
  /// Index of the category in ``DetectionProblem/categories``.
  package var category: Int32
  package var x: Double
  package var y: Double
  package var width: Double
  package var height: Double
  /// The area that decides the small, medium and large ranges.
  ///
  /// Ground truth: the annotation's own `area` (COCO's `area` field). Predictions:
  /// `width * height`.
  package var area: Double
  /// A crowd ground-truth box (COCO `iscrowd` 1): matched by intersection over the prediction's
  /// own area, may match several predictions, and a prediction matched to it is ignored.
  package var crowd: Bool
  /// The prediction's confidence; ignored for ground truth.
  package var score: Double

  package init(
    image: Int32, category: Int32, x: Double, y: Double, width: Double, height: Double,
    area: Double? = nil, crowd: Bool = false, score: Double = 1
  ) {
    self.image = image
    self.category = category
    self.x = x
    self.y = y
    self.width = width
    self.height = height
    self.area = area ?? width * height
    self.crowd = crowd
    self.score = score
  }
}

/// A detection evaluation's input: ground truth and predictions over a fixed set of images.
///
/// Order matters where the reference is order-sensitive: predictions of equal score keep their
/// order in `predictions` (a stable sort), and images are taken in index order — pass them in
/// the order the reference would (pycocotools sorts image ids).
package struct DetectionProblem: Sendable {
  /// The number of images; every box's `image` is below it.
  package var imageCount: Int
  /// Category names, by index; every box's `category` is below its count.
  package var categories: [String]
  package var groundTruth: [EvalBox]
  package var predictions: [EvalBox]

  package init(
    imageCount: Int, categories: [String], groundTruth: [EvalBox], predictions: [EvalBox]
  ) {
    self.imageCount = imageCount
    self.categories = categories
    self.groundTruth = groundTruth
    self.predictions = predictions
  }
}
