package import Evaluation
package import GitStore

/// Which samples an evaluation reads, and from where.
package struct EvaluationScope: Sendable, Equatable {
  /// The revision whose predictions (and, without a frozen set, ground truth) are read.
  package var revision: String
  /// A view of `revision` choosing the samples.
  package var view: String?
  /// A frozen test set: its samples, with the ground truth as frozen.
  package var frozen: String?

  package init(revision: String? = nil, view: String? = nil, frozen: String? = nil) {
    self.revision = revision ?? "HEAD"
    self.view = view
    self.frozen = frozen
  }
}

/// One sample of an evaluation: its size and the labels of the two fields compared.
package struct EvaluationSample: Sendable {
  package var key: String
  /// The media size in pixels, when the record has it.
  package var width: Double?
  package var height: Double?
  package var truth: [JSONValue]
  package var predictions: [JSONValue]
}

/// The samples an evaluation compares, with the commits they were read from.
package struct EvaluationData: Sendable {
  /// The commit the predictions were read from.
  package var commit: ObjectID
  /// The frozen set the samples and the ground truth came from, with its commit.
  package var frozen: (name: String, commit: ObjectID)?
  package var view: String?
  /// In key order (a frozen set's or a view's order otherwise).
  package var samples: [EvaluationSample]
  /// The ground-truth field's classes, in schema order (nil when the schema lists none).
  package var classes: [String]?
}

extension CairnRepository {
  /// Reads the labels of `truth` and `predictions` for the samples `scope` selects.
  ///
  /// With a frozen set, its samples are evaluated and their ground truth is read from the
  /// set's own commit — the labels as frozen, whatever the branch did to them since — while
  /// the predictions come from `scope.revision`; a frozen sample missing there has no
  /// predictions. With a view, its samples at the revision, after its label filters.
  ///
  /// - Throws: `CairnError` `.notFound` for an unknown revision, view, set or field;
  ///   `.invalidInput` when a field has another label type than `type` or a file cannot be
  ///   read.
  package func evaluationData(
    truth: String, predictions: String, type: FieldType, scope: EvaluationScope
  ) throws(CairnError) -> EvaluationData {
    let commit = try resolve(scope.revision)
    let schema = try self.schema(at: commit.hex)
    var truthSchema = schema
    var frozen: (name: String, commit: ObjectID)?
    if let name = scope.frozen {
      guard let set = try protectedSet(.test, name: name) else {
        throw CairnError(
          .notFound, "no frozen test set '\(name)' (cairn protect list shows the sets)")
      }
      frozen = (name, set.commit)
      truthSchema = try self.schema(at: set.commit.hex)
    }
    try Self.requireField(truth, type: type, in: truthSchema, at: frozen?.commit ?? commit)
    try Self.requireField(predictions, type: type, in: schema, at: commit)
    let revision = DataSource.revision(commit.hex)
    var samples: [EvaluationSample]
    if let frozen {
      let everything = ViewDefinition(stages: [])
      let truthSamples = try evaluate(everything, in: .revision(frozen.commit.hex))
        .samples(fields: [truth])
      let keys = truthSamples.map(\.key)
      let predicted = try evaluate(everything, extra: [.keys(keys)], in: revision)
        .samples(fields: [predictions])
      var predictionsByKey: [String: [JSONValue]] = [:]
      for sample in predicted { predictionsByKey[sample.key] = sample.labels[predictions] ?? [] }
      samples = truthSamples.map { sample in
        var result = Self.evaluationSample(sample, truth: truth, predictions: predictions)
        result.predictions = predictionsByKey[sample.key] ?? []
        return result
      }
    } else {
      let definition =
        try scope.view.map { name throws(CairnError) in try view(named: name, in: revision) }
        ?? ViewDefinition(stages: [])
      samples = try evaluate(definition, in: revision).samples(fields: [truth, predictions]).map {
        Self.evaluationSample($0, truth: truth, predictions: predictions)
      }
    }
    return EvaluationData(
      commit: commit, frozen: frozen, view: scope.view, samples: samples,
      classes: truthSchema.fields[truth]?.classes)
  }

  private static func requireField(
    _ field: String, type: FieldType, in schema: Schema, at commit: ObjectID
  ) throws(CairnError) {
    guard let definition = schema.fields[field] else {
      throw CairnError(.notFound, "field '\(field)' is not in the schema at \(commit.short)")
    }
    let accepted: Set<FieldType> =
      type == .classification ? [.classification, .classifications] : [type]
    guard accepted.contains(definition.type) else {
      throw CairnError(
        .invalidInput,
        "field '\(field)' holds \(definition.type.rawValue) labels, not \(type.rawValue)")
    }
  }

  private static func evaluationSample(_ sample: ViewSample, truth: String, predictions: String)
    -> EvaluationSample
  {
    let media = sample.record["media"]
    return EvaluationSample(
      key: sample.key, width: media?["width"]?.number, height: media?["height"]?.number,
      truth: sample.labels[truth] ?? [], predictions: sample.labels[predictions] ?? [])
  }
}

/// A detection problem read from a repository, with the names behind its indices.
package struct DetectionData: Sendable {
  package var problem: DetectionProblem
  /// Sample key of each image index.
  package var keys: [String]
  /// Label id of each ground-truth box and of each prediction.
  package var truthIDs: [String]
  package var predictionIDs: [String]
  /// Samples without a width and height: their boxes are measured in units of the image
  /// (IoU does not change; the area ranges then see every box as small).
  package var samplesWithoutSize: Int

  /// Builds the problem: boxes in pixels (relative boxes times the media size), the
  /// ground truth's `area` when it has one (COCO's polygon area) and `crowd` flags.
  ///
  /// Categories are the ground-truth field's classes in schema order, then every other class
  /// found, sorted.
  package init(_ data: EvaluationData) {
    var categories = data.classes ?? []
    var known = Set(categories)
    var found: Set<String> = []
    for sample in data.samples {
      for label in sample.truth + sample.predictions {
        if let name = label["label"]?.string, !known.contains(name) { found.insert(name) }
      }
    }
    categories += found.sorted()
    known.formUnion(found)
    var index: [String: Int32] = [:]
    for (position, name) in categories.enumerated() { index[name] = Int32(position) }
    var truth: [EvalBox] = []
    var predictions: [EvalBox] = []
    var truthIDs: [String] = []
    var predictionIDs: [String] = []
    var withoutSize = 0
    for (position, sample) in data.samples.enumerated() {
      let width = sample.width ?? 1
      let height = sample.height ?? 1
      if sample.width == nil || sample.height == nil { withoutSize += 1 }
      func box(_ label: JSONValue, truth: Bool) -> EvalBox? {
        guard let name = label["label"]?.string, let category = index[name],
          let numbers = label["bbox"]?.array?.compactMap(\.number), numbers.count == 4
        else { return nil }
        let w = numbers[2] * width
        let h = numbers[3] * height
        return EvalBox(
          image: Int32(position), category: category, x: numbers[0] * width,
          y: numbers[1] * height, width: w, height: h,
          area: truth ? (label["area"]?.number ?? w * h) : w * h,
          crowd: truth && label["crowd"]?.bool == true,
          score: label["confidence"]?.number ?? 1)
      }
      for label in sample.truth {
        if let box = box(label, truth: true) {
          truth.append(box)
          truthIDs.append(label["id"]?.string ?? "")
        }
      }
      for label in sample.predictions {
        if let box = box(label, truth: false) {
          predictions.append(box)
          predictionIDs.append(label["id"]?.string ?? "")
        }
      }
    }
    problem = DetectionProblem(
      imageCount: data.samples.count, categories: categories, groundTruth: truth,
      predictions: predictions)
    keys = data.samples.map(\.key)
    self.truthIDs = truthIDs
    self.predictionIDs = predictionIDs
    samplesWithoutSize = withoutSize
  }
}
