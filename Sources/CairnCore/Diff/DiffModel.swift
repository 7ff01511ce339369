package import GitStore

/// A value on each side of a change; nil where the side does not have it.
package struct ValueChange: Sendable, Equatable {
  package var old: JSONValue?
  package var new: JSONValue?

  package init(old: JSONValue?, new: JSONValue?) {
    self.old = old
    self.new = new
  }
}

/// One member of a record (a sample record or a group record) that differs, by its dotted path
/// (`fields.weather`, `media.sha256`, `tags`).
package struct MemberChange: Sendable, Equatable {
  package var path: String
  package var change: ValueChange
}

/// How a label's geometry moved.
///
/// Metrics are rounded to six decimals so that reports are stable across platforms.
package struct GeometryChange: Sendable, Equatable {
  /// What the geometry is.
  package enum Kind: String, Sendable {
    /// A 2D box `[x, y, w, h]` (detections).
    case bbox
    /// A 3D box: centre, dimensions, rotation (cuboids).
    case cuboid
    /// Points of polylines or keypoints.
    case points
  }

  package var kind: Kind
  /// The geometry members on each side: the `bbox` array; `{center, dimensions, rotation}`;
  /// the `points` array.
  package var old: JSONValue
  package var new: JSONValue
  /// Boxes: intersection over union of the two boxes.
  package var iou: Double?
  /// Boxes: new area / old area; cuboids: new volume / old volume (nil when the old one is 0).
  package var sizeRatio: Double?
  /// Cuboids: distance between the two centres, in the frame's units.
  package var centreDistance: Double?
  /// Cuboids: whether the rotation changed.
  package var rotationChanged = false
  /// Points: mean and largest distance between points of the same index, over points present
  /// on both sides (nil when there are none).
  package var meanDisplacement: Double?
  package var maxDisplacement: Double?
  /// Points: how many points each side has.
  package var oldCount = 0
  package var newCount = 0
}

/// What changed in a label that kept its id.
package struct LabelModification: Sendable, Equatable {
  /// The class (`label`), when it changed.
  package var classChange: ValueChange?
  package var geometry: GeometryChange?
  /// Attributes whose value changed, was set or was removed, by name (sorted).
  package var attributes: [(name: String, change: ValueChange)] = []
  package var confidence: ValueChange?
  package var tagsAdded: [String] = []
  package var tagsRemoved: [String] = []
  /// Any other member that changed (`type`, `frame`, `mask`, `closed`, `provenance`…), sorted.
  package var other: [(member: String, change: ValueChange)] = []

  package init() {}

  /// Whether nothing changed (the two labels are equal as values).
  package var isEmpty: Bool {
    classChange == nil && geometry == nil && attributes.isEmpty && confidence == nil
      && tagsAdded.isEmpty && tagsRemoved.isEmpty && other.isEmpty
  }

  package static func == (lhs: LabelModification, rhs: LabelModification) -> Bool {
    lhs.classChange == rhs.classChange && lhs.geometry == rhs.geometry
      && lhs.attributes.elementsEqual(rhs.attributes, by: { $0 == $1 })
      && lhs.confidence == rhs.confidence && lhs.tagsAdded == rhs.tagsAdded
      && lhs.tagsRemoved == rhs.tagsRemoved && lhs.other.elementsEqual(rhs.other, by: { $0 == $1 })
  }
}

/// One label added, removed or modified, matched by id.
package struct LabelDiff: Sendable {
  /// What happened to the label.
  package enum Change: String, Sendable {
    case added, removed, modified
  }

  package var id: String
  package var change: Change
  /// The label on each side (nil in a diff that only counts, ``DiffDetail/counts``).
  package var old: JSONValue?
  package var new: JSONValue?
  /// For modified labels: what changed (nil in a diff that only counts).
  package var modification: LabelModification?
  /// The class on the old side.
  package var oldClass: String?
  /// The class on the new side.
  package var newClass: String?

  /// A label change with its values; the classes are read from them.
  package init(
    id: String, change: Change, old: JSONValue? = nil, new: JSONValue? = nil,
    modification: LabelModification? = nil
  ) {
    self.id = id
    self.change = change
    self.old = old
    self.new = new
    self.modification = modification
    oldClass = old?["label"]?.string
    newClass = new?["label"]?.string
  }

  /// A label change known only by id and classes.
  package init(id: String, change: Change, oldClass: String?, newClass: String?) {
    self.id = id
    self.change = change
    self.oldClass = oldClass
    self.newClass = newClass
  }

  /// The class the label is counted under: the new class, or the old one for a removed label.
  package var currentClass: String? { change == .removed ? oldClass : newClass }
}

/// How much of each changed label a diff works out.
package enum DiffDetail: Sendable {
  /// Every label's values and what changed in it.
  case full
  /// Only which labels were added, removed and modified, with their classes (`--stat`).
  /// Committed records and label files are canonical JSON, so equal bytes are equal values:
  /// records of modified samples are not read (a changed blob is a changed record), and
  /// labels are compared as bytes.
  case counts
}

/// The label changes of one label field of one sample.
package struct FieldDiff: Sendable {
  package var field: String
  /// The label file was added, deleted or modified.
  package var file: ChangeKind
  /// Label changes, sorted by label id.
  package var labels: [LabelDiff]
  /// Why a side could not be read (broken JSON in the working tree, say); labels are then empty.
  package var problem: String?
}

/// Everything that changed about one sample: its record and its label files.
package struct SampleDiff: Sendable {
  package var key: String
  /// `added` or `deleted` when the sample record is only on one side; `modified` otherwise.
  package var change: ChangeKind
  /// The record on each side, for an added or deleted sample.
  package var oldRecord: JSONValue?
  package var newRecord: JSONValue?
  /// Changed members of a record present on both sides.
  package var recordChanges: [MemberChange] = []
  /// The record changed on both sides, told from its blob ids without reading it (counts
  /// only; ``recordChanges`` is then empty).
  package var recordModified = false
  /// Label fields with changes, sorted by field.
  package var fields: [FieldDiff] = []
  /// Why the record could not be read, if it could not.
  package var problem: String?
}

/// A group record added, removed or modified.
package struct GroupDiff: Sendable {
  package var id: String
  package var change: ChangeKind
  package var changes: [MemberChange]
}

/// A saved view added, removed or changed.
package struct ViewChange: Sendable, Equatable {
  package var name: String
  package var change: ChangeKind
}

/// One side of a diff.
package enum DiffSide: Sendable, Equatable {
  /// A commit, named as the user gave it.
  case revision(String)
  /// The working tree.
  case workingTree
}

/// What a diff compares and which samples it keeps.
package struct DiffRequest: Sendable {
  /// The old side (a revision; HEAD when nil).
  package var from: String?
  /// The new side.
  package var to: DiffSide
  /// Only these samples (none: every sample).
  package var keys: [String] = []
  /// Only the samples this saved view selects on either side.
  package var view: String?
  /// Only the labels of this field (and its schema changes); records, views and groups are
  /// left out.
  package var field: String?
  /// How much of each change to work out.
  package var detail: DiffDetail

  package init(
    from: String?, to: DiffSide, keys: [String] = [], view: String? = nil, field: String? = nil,
    detail: DiffDetail = .full
  ) {
    self.from = from
    self.to = to
    self.keys = keys
    self.view = view
    self.field = field
    self.detail = detail
  }
}

/// Per field and class: how many labels were added, removed and modified.
package struct ClassCounts: Sendable, Equatable {
  package var added = 0
  package var removed = 0
  package var modified = 0

  package init(added: Int = 0, removed: Int = 0, modified: Int = 0) {
    self.added = added
    self.removed = removed
    self.modified = modified
  }
}

/// Counts of a whole diff, accumulated while its samples stream by.
package struct DiffStat: Sendable {
  package var samplesAdded = 0
  package var samplesRemoved = 0
  package var samplesModified = 0
  package var labelsAdded = 0
  package var labelsRemoved = 0
  package var labelsModified = 0
  /// Field → class → counts; labels without a class count under the empty string.
  package var classes: [String: [String: ClassCounts]] = [:]

  package init() {}

  /// Adds one sample's changes.
  package mutating func add(_ sample: SampleDiff) {
    switch sample.change {
    case .added: samplesAdded += 1
    case .deleted: samplesRemoved += 1
    case .modified: samplesModified += 1
    }
    for field in sample.fields {
      for label in field.labels {
        let name = label.currentClass ?? ""
        var counts = classes[field.field, default: [:]][name, default: ClassCounts()]
        switch label.change {
        case .added:
          labelsAdded += 1
          counts.added += 1
        case .removed:
          labelsRemoved += 1
          counts.removed += 1
        case .modified:
          labelsModified += 1
          counts.modified += 1
        }
        classes[field.field, default: [:]][name] = counts
      }
    }
  }
}

/// Everything about a diff that is known before its samples are read: the two sides, the
/// schema and view changes, group records and other files.
package struct DiffHeader: Sendable {
  /// The old side's commit and how it was named.
  package var fromCommit: ObjectID
  package var fromRevision: String
  /// The new side's commit (nil for the working tree) and how it was named.
  package var toCommit: ObjectID?
  package var toRevision: String?
  /// Schema changes; nil when `schema.json` did not change.
  package var schema: SchemaDiff?
  package var views: [ViewChange] = []
  package var groups: [GroupDiff] = []
  /// Changed files that are neither samples, labels, groups, views nor the schema.
  package var other: [FileChange] = []
  /// How many samples have changes (before reading them: a sample whose files differ only in
  /// bytes, not in meaning, is dropped later).
  package var sampleCount = 0
}
