/// Labels as a file format describes them, before they become Cairn samples and label files.
///
/// Every importer (`cairn import coco|yolo|voc|kitti|cvat|labelstudio`) reads its files into
/// this shape; ``CairnRepository/importLabels(_:options:)`` does the rest the same way for all
/// of them: keys, media, schema classes, stable label ids, validation and the writes.
package struct ExternalDataset: Sendable {
  /// The folder media file names are relative to.
  package var mediaDirectory: String
  /// The class names in the format's own order (COCO categories, YOLO names); a new field is
  /// declared with them in this order.
  package var classes: [String]
  /// The type of field the labels belong in.
  package var fieldType: FieldType
  package var samples: [ExternalSample]
  /// Label attributes the format defines (VOC's `difficult`, CVAT's `occluded`), declared on
  /// the field when it does not declare them yet.
  package var attributes: [String: AttributeDefinition]
  /// Attributes the format defines for one class only (CVAT label attributes), by class name
  /// as the format writes it; declared like `attributes`.
  package var classAttributes: [String: [String: AttributeDefinition]]
  /// What the reader left out (shapes a field of this type cannot hold, extra annotations),
  /// one sentence each; the command prints them as warnings.
  package var warnings: [String]
  /// Makes the labels of `samples[index]` when the import reaches that sample.
  ///
  /// For formats whose labels would not fit in memory all at once (a COCO file of a million
  /// annotations); the samples' own `labels` are then empty. Problems it finds refuse the
  /// import like any other, before anything is written.
  package var deferredLabels: LabelMaker?
  /// With `deferredLabels`: the classes the labels use, in order of first use.
  package var deferredClasses: [String] = []

  /// Makes the labels of one sample, and the problems found while making them.
  package typealias LabelMaker =
    @Sendable (_ index: Int) -> (labels: [ExternalLabel], problems: [CairnError.Violation])

  package init(
    mediaDirectory: String, classes: [String], fieldType: FieldType, samples: [ExternalSample],
    attributes: [String: AttributeDefinition] = [:],
    classAttributes: [String: [String: AttributeDefinition]] = [:], warnings: [String] = []
  ) {
    self.mediaDirectory = mediaDirectory
    self.classes = classes
    self.fieldType = fieldType
    self.samples = samples
    self.attributes = attributes
    self.classAttributes = classAttributes
    self.warnings = warnings
  }

  /// The labels of `samples[index]`, made now when they are deferred.
  func labels(of index: Int) -> (labels: [ExternalLabel], problems: [CairnError.Violation]) {
    if let deferredLabels { return deferredLabels(index) }
    return (samples[index].labels, [])
  }

  /// The class names the labels use (before `--map`), in order of first use.
  var classesInLabels: [String] {
    if deferredLabels != nil { return deferredClasses }
    var seen: Set<String> = []
    var names: [String] = []
    for sample in samples {
      for label in sample.labels where seen.insert(label.className).inserted {
        names.append(label.className)
      }
    }
    return names
  }
}

/// One image (or point cloud) of an external dataset with its labels.
package struct ExternalSample: Sendable {
  /// The media file, relative to the dataset's media directory, as the format names it.
  package var file: String
  /// Where the format itself names the sample (for messages): `instances.json: image 42`.
  package var origin: String
  /// The image size in pixels, when the format records it.
  package var width: Int?
  package var height: Int?
  package var labels: [ExternalLabel]

  package init(
    file: String, origin: String, width: Int? = nil, height: Int? = nil,
    labels: [ExternalLabel] = []
  ) {
    self.file = file
    self.origin = origin
    self.width = width
    self.height = height
    self.labels = labels
  }
}

/// One label of an external dataset.
package struct ExternalLabel: Sendable {
  /// The class name as the format writes it (before `--map`).
  package var className: String
  /// The format's own id of the label, kept as `source_id`.
  package var sourceID: String?
  /// The label's members in Cairn's encoding, except `id`, `type`, `label` and `source_id`.
  package var members: [String: JSONValue]
  /// A box in pixels (`x, y, w, h`, top-left origin), turned into the relative `bbox` with
  /// the image size; nil when `members` already holds `bbox` or the label has no box.
  package var pixelBox: [Double]?
  /// Where the format names the label (for messages): `000001.xml: object 3`.
  package var origin: String

  package init(
    className: String, sourceID: String? = nil, members: [String: JSONValue] = [:],
    pixelBox: [Double]? = nil, origin: String
  ) {
    self.className = className
    self.sourceID = sourceID
    self.members = members
    self.pixelBox = pixelBox
    self.origin = origin
  }
}

/// How labels are brought in.
package struct LabelImportOptions: Sendable {
  /// The label field the labels go into.
  package var field: String
  /// Put before every sample key (as `cairn import images --prefix`).
  package var prefix: String?
  /// Add classes missing from the schema instead of refusing them.
  package var addClasses: Bool
  /// Class renames applied before anything else (`--map old=new`).
  package var classMap: [String: String]
  /// Record media that is not on disk as missing instead of refusing it.
  package var allowMissingMedia: Bool

  package init(
    field: String, prefix: String? = nil, addClasses: Bool = false,
    classMap: [String: String] = [:], allowMissingMedia: Bool = false
  ) {
    self.field = field
    self.prefix = prefix
    self.addClasses = addClasses
    self.classMap = classMap
    self.allowMissingMedia = allowMissingMedia
  }
}

/// What a label import did.
package struct LabelImportResult: Sendable {
  package var samplesAdded: Int = 0
  package var samplesUpdated: Int = 0
  package var labelFilesWritten: Int = 0
  package var labels: Int = 0
  /// Labels that kept the id of a label already there (by `source_id` or by class and IoU).
  package var labelsMatched: Int = 0
  package var missingMedia: Int = 0
  /// Classes added to the schema (a new field, or `--add-classes`).
  package var classesAdded: [String] = []
  /// Attributes declared on the field (`name`, or `class.name` for a class attribute).
  package var attributesAdded: [String] = []
  package var fieldCreated = false
}
