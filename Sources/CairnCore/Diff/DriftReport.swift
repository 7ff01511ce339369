/// How the labels of one field drifted between two versions: class transitions, count changes
/// per class and the geometry of edited labels (pure computation over a diff).
package struct FieldDrift: Sendable {
  /// The class a label came from or went to when it did not exist on that side.
  package static let new = "(new)"
  package static let removed = "(removed)"

  /// One cell of the transition matrix: labels that went from class `from` to class `to`.
  package struct Transition: Hashable, Sendable {
    package var from: String
    package var to: String

    package init(from: String, to: String) {
      self.from = from
      self.to = to
    }
  }

  /// Count changes of one class.
  package struct ClassCounts: Sendable, Equatable {
    package var added = 0
    package var removed = 0
    /// Labels that kept their id and moved to this class from another.
    package var reclassifiedIn = 0
    /// Labels that kept their id and moved from this class to another.
    package var reclassifiedOut = 0
    /// Labels of this class (on the new side) that changed in any way.
    package var modified = 0

    /// The change in the number of labels of the class.
    package var net: Int { added + reclassifiedIn - removed - reclassifiedOut }
  }

  /// Geometry of the labels of one class whose geometry was edited.
  package struct GeometryDrift: Sendable, Equatable {
    package var boxes = 0
    package var iouSum = 0.0
    package var areaRatioSum = 0.0
    package var areaRatios = 0
    package var cuboids = 0
    package var centreDistanceSum = 0.0
    package var volumeRatioSum = 0.0
    package var volumeRatios = 0
    package var points = 0
    package var displacementSum = 0.0
    package var displacements = 0

    /// Mean IoU of each edited box with its previous version.
    package var meanIoU: Double? {
      boxes > 0 ? LabelComparison.rounded(iouSum / Double(boxes)) : nil
    }
    /// Mean of new area / old area: below 1 boxes were tightened, above 1 loosened.
    package var meanAreaRatio: Double? {
      areaRatios > 0 ? LabelComparison.rounded(areaRatioSum / Double(areaRatios)) : nil
    }
    package var meanCentreDistance: Double? {
      cuboids > 0 ? LabelComparison.rounded(centreDistanceSum / Double(cuboids)) : nil
    }
    package var meanVolumeRatio: Double? {
      volumeRatios > 0 ? LabelComparison.rounded(volumeRatioSum / Double(volumeRatios)) : nil
    }
    package var meanDisplacement: Double? {
      displacements > 0 ? LabelComparison.rounded(displacementSum / Double(displacements)) : nil
    }
  }

  package var field: String
  package var transitions: [Transition: Int] = [:]
  package var classes: [String: ClassCounts] = [:]
  package var geometry: [String: GeometryDrift] = [:]
  /// Classes the schema lists on the new side and not on the old one, and the other way round
  /// (a renamed class is both).
  package var introduced: [String] = []
  package var abandoned: [String] = []

  package init(field: String) { self.field = field }

  /// Counts one label change.
  package mutating func add(_ label: LabelDiff) {
    let from = label.change == .added ? Self.new : label.oldClass ?? ""
    let to = label.change == .removed ? Self.removed : label.newClass ?? ""
    transitions[Transition(from: from, to: to), default: 0] += 1
    switch label.change {
    case .added: classes[to, default: ClassCounts()].added += 1
    case .removed: classes[from, default: ClassCounts()].removed += 1
    case .modified:
      classes[to, default: ClassCounts()].modified += 1
      if from != to {
        classes[from, default: ClassCounts()].reclassifiedOut += 1
        classes[to, default: ClassCounts()].reclassifiedIn += 1
      }
      guard let change = label.modification?.geometry else { return }
      var drift = geometry[to, default: GeometryDrift()]
      switch change.kind {
      case .bbox:
        drift.boxes += 1
        drift.iouSum += change.iou ?? 0
        if let ratio = change.sizeRatio {
          drift.areaRatioSum += ratio
          drift.areaRatios += 1
        }
      case .cuboid:
        drift.cuboids += 1
        drift.centreDistanceSum += change.centreDistance ?? 0
        if let ratio = change.sizeRatio {
          drift.volumeRatioSum += ratio
          drift.volumeRatios += 1
        }
      case .points:
        drift.points += 1
        if let mean = change.meanDisplacement {
          drift.displacementSum += mean
          drift.displacements += 1
        }
      }
      geometry[to] = drift
    }
  }

  /// The classes of the matrix's rows (old classes, `(new)` first) and columns (new classes,
  /// `(removed)` last), sorted by bytes otherwise.
  package var matrixAxes: (rows: [String], columns: [String]) {
    var rows = Set(transitions.keys.map(\.from))
    var columns = Set(transitions.keys.map(\.to))
    let hasNew = rows.remove(Self.new) != nil
    let hasRemoved = columns.remove(Self.removed) != nil
    return (
      (hasNew ? [Self.new] : []) + rows.sorted(by: ByteOrder.precedes),
      columns.sorted(by: ByteOrder.precedes) + (hasRemoved ? [Self.removed] : [])
    )
  }
}

/// Label drift between two versions, per label field.
package struct DriftReport: Sendable {
  /// Fields with changes (or with classes introduced or abandoned), by name.
  package var fields: [String: FieldDrift] = [:]

  package init() {}

  /// Adds the label changes of one sample.
  package mutating func add(_ sample: SampleDiff) {
    for field in sample.fields {
      for label in field.labels {
        fields[field.field, default: FieldDrift(field: field.field)].add(label)
      }
    }
  }

  /// Records the classes each field's schema introduced or abandoned between `old` and `new`,
  /// keeping only `field` when given.
  package mutating func compareClasses(old: Schema, new: Schema, field: String?) {
    for name in Set(old.fields.keys).union(new.fields.keys) {
      if let field, field != name { continue }
      let before = old.fields[name]?.classes ?? []
      let after = new.fields[name]?.classes ?? []
      let introduced = after.filter { !before.contains($0) }
      let abandoned = before.filter { !after.contains($0) }
      guard !introduced.isEmpty || !abandoned.isEmpty else { continue }
      fields[name, default: FieldDrift(field: name)].introduced = introduced
      fields[name, default: FieldDrift(field: name)].abandoned = abandoned
    }
  }

  /// The fields, sorted by name.
  package var sortedFields: [FieldDrift] {
    fields.keys.sorted(by: ByteOrder.precedes).compactMap { fields[$0] }
  }
}
