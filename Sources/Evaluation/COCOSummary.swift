/// pycocotools' `summarize` and the per-category means, over the accumulated arrays.
struct COCOSummary {
  let shape: COCOShape
  let parameters: COCOParameters
  let precision: [Double]
  let recall: [Double]

  /// The twelve numbers of `COCOeval.stats`.
  func stats() -> [Double] {
    let caps = parameters.maxDetections
    let last = caps.count - 1
    let capSmall = caps.isEmpty ? -1 : caps[0]
    let capMedium = caps.isEmpty ? -1 : caps[min(1, last)]
    let capLarge = caps.isEmpty ? -1 : caps[min(2, last)]
    return [
      mean(precision: true, threshold: nil, area: "all", cap: capLarge),
      mean(precision: true, threshold: 0.5, area: "all", cap: capLarge),
      mean(precision: true, threshold: 0.75, area: "all", cap: capLarge),
      mean(precision: true, threshold: nil, area: "small", cap: capLarge),
      mean(precision: true, threshold: nil, area: "medium", cap: capLarge),
      mean(precision: true, threshold: nil, area: "large", cap: capLarge),
      mean(precision: false, threshold: nil, area: "all", cap: capSmall),
      mean(precision: false, threshold: nil, area: "all", cap: capMedium),
      mean(precision: false, threshold: nil, area: "all", cap: capLarge),
      mean(precision: false, threshold: nil, area: "small", cap: capLarge),
      mean(precision: false, threshold: nil, area: "medium", cap: capLarge),
      mean(precision: false, threshold: nil, area: "large", cap: capLarge),
    ]
  }

  /// The thresholds selected as pycocotools does: all, or those equal (`==`) to `threshold`.
  private func thresholdIndices(_ threshold: Double?) -> [Int] {
    let all = Array(parameters.iouThresholds.indices)
    guard let threshold else { return all }
    return all.filter { parameters.iouThresholds[$0] == threshold }
  }

  /// `_summarize`: the mean of the entries above -1, in numpy's C order, or -1.
  private func mean(precision usePrecision: Bool, threshold: Double?, area: String, cap: Int)
    -> Double
  {
    let areas = parameters.areaNames.indices.filter { parameters.areaNames[$0] == area }
    let capIndices = parameters.maxDetections.indices.filter {
      parameters.maxDetections[$0] == cap
    }
    var values: [Double] = []
    for threshold in thresholdIndices(threshold) {
      let points = usePrecision ? Array(0..<shape.recallPoints) : [0]
      for point in points {
        for category in 0..<shape.categories {
          for area in areas {
            for capIndex in capIndices {
              let value =
                usePrecision
                ? precision[
                  shape.precisionIndex(
                    threshold: threshold, recallPoint: point, category: category, area: area,
                    cap: capIndex)]
                : recall[
                  shape.recallIndex(
                    threshold: threshold, category: category, area: area, cap: capIndex)]
              if value > -1 { values.append(value) }
            }
          }
        }
      }
    }
    return numpyMeanOrMinusOne(values)
  }

  /// The mean precision of one category (first area range, last cap), or nil without entries.
  ///
  /// - Parameters:
  ///   - category: The category index.
  ///   - threshold: One IoU threshold (selected with `==`), or nil for all of them.
  /// - Returns: The mean over the entries above -1.
  func categoryMean(_ category: Int, precisionAt threshold: Double?) -> Double? {
    guard shape.areas > 0, shape.caps > 0 else { return nil }
    var values: [Double] = []
    for threshold in thresholdIndices(threshold) {
      for point in 0..<shape.recallPoints {
        let value = precision[
          shape.precisionIndex(
            threshold: threshold, recallPoint: point, category: category, area: 0,
            cap: shape.caps - 1)]
        if value > -1 { values.append(value) }
      }
    }
    let mean = numpyMeanOrMinusOne(values)
    return values.isEmpty ? nil : mean
  }

  /// The mean recall of one category over the thresholds (first area range, last cap).
  func categoryRecall(_ category: Int) -> Double? {
    guard shape.areas > 0, shape.caps > 0 else { return nil }
    var values: [Double] = []
    for threshold in 0..<shape.thresholds {
      let value = recall[
        shape.recallIndex(threshold: threshold, category: category, area: 0, cap: shape.caps - 1)
      ]
      if value > -1 { values.append(value) }
    }
    let mean = numpyMeanOrMinusOne(values)
    return values.isEmpty ? nil : mean
  }
}
