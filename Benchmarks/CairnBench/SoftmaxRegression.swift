#if canImport(Glibc)
import Glibc
#endif

/// Features of a whole data set, standardised with the mean and standard deviation of some of
/// its rows.
///
/// The loop standardises with the statistics of the training pool (labelled or not: pixels
/// are known before anyone labels them), never of the test set.
struct StandardisedFeatures {
  /// The number of rows.
  let count: Int
  /// Floats per row.
  let dimension: Int
  /// `count × dimension` standardised values, row-major.
  let values: [Double]

  /// Standardises every row of `raw` with the statistics of `reference` rows.
  ///
  /// A column that is constant over the reference rows is only centred (its scale is taken as
  /// 1), as scikit-learn's `StandardScaler` does.
  ///
  /// - Parameters:
  ///   - raw: `count × dimension` values, row-major.
  ///   - dimension: Floats per row.
  ///   - reference: The rows whose statistics are used.
  init(raw: [Double], dimension: Int, reference: [Int]) {
    let count = raw.count / dimension
    var means = [Double](repeating: 0, count: dimension)
    var squares = [Double](repeating: 0, count: dimension)
    for row in reference {
      for column in 0..<dimension { means[column] += raw[row * dimension + column] }
    }
    means = means.map { $0 / Double(max(1, reference.count)) }
    for row in reference {
      for column in 0..<dimension {
        let centred = raw[row * dimension + column] - means[column]
        squares[column] += centred * centred
      }
    }
    let scales = squares.map { sum -> Double in
      let deviation = (sum / Double(max(1, reference.count))).squareRoot()
      return deviation > 1e-12 ? deviation : 1
    }
    var values = raw
    for row in 0..<count {
      for column in 0..<dimension {
        values[row * dimension + column] =
          (raw[row * dimension + column] - means[column]) / scales[column]
      }
    }
    self.count = count
    self.dimension = dimension
    self.values = values
  }
}

/// Multinomial logistic regression (softmax) with an L2 penalty, trained by L-BFGS.
///
/// The objective is scikit-learn's `LogisticRegression(C=1)`: the summed cross-entropy of the
/// training rows plus ½ ‖W‖² over the weights (not the intercepts). It is strictly convex, so
/// L-BFGS from zero weights finds the same optimum whatever the order of the work, and the
/// training is deterministic.
struct SoftmaxRegression {
  /// The number of classes.
  let classes: Int
  /// Features per row.
  let dimension: Int
  /// `classes × (dimension + 1)` parameters: each class's weights, then its intercept.
  private(set) var parameters: [Double]

  /// The L2 penalty (scikit-learn's 1 / C).
  static let penalty = 1.0
  /// L-BFGS history length.
  static let history = 10
  /// The most L-BFGS iterations.
  static let maximumIterations = 500
  /// Stop when the largest gradient component falls below this.
  static let tolerance = 1e-6

  /// Trains on `rows` of `features` with their `labels`.
  ///
  /// - Parameters:
  ///   - features: The standardised features of every sample.
  ///   - rows: The training samples.
  ///   - labels: The class of every sample (only `rows` are read).
  ///   - classes: The number of classes.
  init(features: StandardisedFeatures, rows: [Int], labels: [Int], classes: Int) {
    self.classes = classes
    dimension = features.dimension
    let width = dimension + 1
    parameters = [Double](repeating: 0, count: classes * width)
    guard !rows.isEmpty else { return }
    let model = self
    func objective(_ weights: [Double]) -> (Double, [Double]) {
      model.loss(weights, features: features, rows: rows, labels: labels)
    }
    parameters = Self.minimise(objective, from: parameters)
  }

  /// The class probabilities of sample `row`.
  ///
  /// - Parameters:
  ///   - features: The standardised features the model was trained on.
  ///   - row: A sample.
  /// - Returns: `classes` probabilities summing to 1.
  func probabilities(_ features: StandardisedFeatures, row: Int) -> [Double] {
    var logits = self.logits(parameters, features: features, row: row)
    let largest = logits.max() ?? 0
    var total = 0.0
    for index in logits.indices {
      logits[index] = exp(logits[index] - largest)
      total += logits[index]
    }
    return logits.map { $0 / total }
  }

  /// The most probable class of sample `row` (the smaller class on ties).
  ///
  /// - Parameters:
  ///   - features: The standardised features the model was trained on.
  ///   - row: A sample.
  /// - Returns: The predicted class.
  func predict(_ features: StandardisedFeatures, row: Int) -> Int {
    let logits = self.logits(parameters, features: features, row: row)
    var best = 0
    for index in logits.indices where logits[index] > logits[best] { best = index }
    return best
  }

  private func logits(_ weights: [Double], features: StandardisedFeatures, row: Int) -> [Double] {
    let width = dimension + 1
    var logits = [Double](repeating: 0, count: classes)
    weights.withUnsafeBufferPointer { weights in
      features.values.withUnsafeBufferPointer { values in
        let base = row * dimension
        for label in 0..<classes {
          var sum = weights[label * width + dimension]
          for column in 0..<dimension {
            sum += weights[label * width + column] * values[base + column]
          }
          logits[label] = sum
        }
      }
    }
    return logits
  }

  /// The penalised summed cross-entropy and its gradient.
  private func loss(
    _ weights: [Double], features: StandardisedFeatures, rows: [Int], labels: [Int]
  ) -> (Double, [Double]) {
    let width = dimension + 1
    var gradient = [Double](repeating: 0, count: weights.count)
    var total = 0.0
    var logits = [Double](repeating: 0, count: classes)
    weights.withUnsafeBufferPointer { weights in
      features.values.withUnsafeBufferPointer { values in
        gradient.withUnsafeMutableBufferPointer { gradient in
          for row in rows {
            let base = row * dimension
            var largest = -Double.infinity
            for label in 0..<classes {
              var sum = weights[label * width + dimension]
              for column in 0..<dimension {
                sum += weights[label * width + column] * values[base + column]
              }
              logits[label] = sum
              largest = max(largest, sum)
            }
            var partition = 0.0
            for label in 0..<classes { partition += exp(logits[label] - largest) }
            let logPartition = largest + log(partition)
            total += logPartition - logits[labels[row]]
            for label in 0..<classes {
              let residual =
                exp(logits[label] - logPartition) - (label == labels[row] ? 1 : 0)
              for column in 0..<dimension {
                gradient[label * width + column] += residual * values[base + column]
              }
              gradient[label * width + dimension] += residual
            }
          }
          for label in 0..<classes {
            for column in 0..<dimension {
              let weight = weights[label * width + column]
              total += 0.5 * Self.penalty * weight * weight
              gradient[label * width + column] += Self.penalty * weight
            }
          }
        }
      }
    }
    return (total, gradient)
  }

  /// Minimises a smooth function by L-BFGS with a backtracking (Armijo) line search.
  ///
  /// - Parameters:
  ///   - objective: The value and gradient at a point.
  ///   - start: The starting point.
  /// - Returns: The point reached when the gradient is small, the value stops decreasing, or
  ///   the iterations run out.
  static func minimise(
    _ objective: ([Double]) -> (Double, [Double]), from start: [Double]
  ) -> [Double] {
    func dot(_ a: [Double], _ b: [Double]) -> Double {
      var sum = 0.0
      for index in a.indices { sum += a[index] * b[index] }
      return sum
    }
    var point = start
    var (value, gradient) = objective(point)
    var steps: [[Double]] = []
    var changes: [[Double]] = []
    for _ in 0..<maximumIterations {
      if gradient.map(abs).max() ?? 0 < tolerance { break }
      // Two-loop recursion: direction = −H·gradient.
      var direction = gradient
      var alphas = [Double](repeating: 0, count: steps.count)
      for index in steps.indices.reversed() {
        let rho = 1 / dot(changes[index], steps[index])
        alphas[index] = rho * dot(steps[index], direction)
        for k in direction.indices { direction[k] -= alphas[index] * changes[index][k] }
      }
      if let step = steps.last, let change = changes.last {
        let scale = dot(step, change) / dot(change, change)
        direction = direction.map { $0 * scale }
      } else {
        let norm = dot(gradient, gradient).squareRoot()
        direction = direction.map { $0 / max(1, norm) }
      }
      for index in steps.indices {
        let rho = 1 / dot(changes[index], steps[index])
        let beta = rho * dot(changes[index], direction)
        for k in direction.indices { direction[k] += (alphas[index] - beta) * steps[index][k] }
      }
      direction = direction.map { -$0 }
      var slope = dot(gradient, direction)
      if slope >= 0 {
        steps.removeAll()
        changes.removeAll()
        direction = gradient.map { -$0 }
        slope = -dot(gradient, gradient)
      }
      var length = 1.0
      var next = point
      var nextValue = value
      var nextGradient = gradient
      var accepted = false
      while length > 1e-12 {
        next = zip(point, direction).map { $0 + length * $1 }
        (nextValue, nextGradient) = objective(next)
        if nextValue <= value + 1e-4 * length * slope {
          accepted = true
          break
        }
        length *= 0.5
      }
      guard accepted else { break }
      let step = zip(next, point).map { $0 - $1 }
      let change = zip(nextGradient, gradient).map { $0 - $1 }
      if dot(step, change) > 1e-12 {
        steps.append(step)
        changes.append(change)
        if steps.count > history {
          steps.removeFirst()
          changes.removeFirst()
        }
      }
      let decrease = value - nextValue
      (point, value, gradient) = (next, nextValue, nextGradient)
      if decrease <= 1e-12 * max(1, abs(value)) { break }
    }
    return point
  }
}
