/// Rows (normally scaled to unit length) as `Float`, each padded with zeros to a multiple of 4 floats.
///
/// Dot products of these rows are cosine similarities. A zero row stays zero (similarity 0 with
/// everything, as scikit-learn's `normalize` leaves it).
struct UnitRows: Sendable {
  /// The number of rows.
  let count: Int
  /// The distance between rows, in floats (the dimension rounded up to a multiple of 4).
  let stride: Int
  /// `count × stride` floats.
  let values: [Float]

  /// Normalises the rows of `matrix`, after subtracting `means` when given.
  ///
  /// - Parameters:
  ///   - matrix: The embeddings.
  ///   - means: Column means to subtract first, or nil.
  init(_ matrix: EmbeddingMatrix, subtracting means: [Double]?) {
    let dimension = matrix.dimension
    let stride = (dimension + 3) / 4 * 4
    var values = [Float](repeating: 0, count: matrix.count * stride)
    let count = matrix.count
    values.withUnsafeMutableBufferPointer { output in
      matrix.values.withUnsafeBufferPointer { input in
        let shared = SharedBuffer(base: output)
        let source = SharedReadBuffer(base: input)
        let workers = Parallel.workerCount
        Parallel.forEach(workers) { worker in
          var centred = [Double](repeating: 0, count: dimension)
          var row = worker
          while row < count {
            var squares = 0.0
            for column in 0..<dimension {
              let value = Double(source[row * dimension + column]) - (means?[column] ?? 0)
              centred[column] = value
              squares += value * value
            }
            let scale = squares > 0 ? 1 / squares.squareRoot() : 0
            for column in 0..<dimension {
              shared[row * stride + column] = Float(centred[column] * scale)
            }
            row += workers
          }
        }
      }
    }
    self.init(count: count, stride: stride, values: values)
  }

  init(count: Int, stride: Int, values: [Float]) {
    self.count = count
    self.stride = stride
    self.values = values
  }
}

/// Receives the similarity of each unordered pair of rows from `CosinePairs.forEach`.
protocol PairVisitor: Sendable {
  /// Called once per pair `row < column`.
  mutating func visit(_ row: Int, _ column: Int, _ similarity: Float)
}

/// The `k` most similar other rows of every row, as (similarity, index) in descending
/// similarity order, ties broken by the smaller index.
///
/// The order is total, so the lists a set of offers produces do not depend on the order of
/// the offers; that makes the all-pairs search deterministic whatever the thread count. The
/// storage is allocated by hand (and freed by `release()`) so that the hot loop writes through
/// plain pointers, without copy-on-write checks.
struct NeighbourLists: PairVisitor, @unchecked Sendable {
  let k: Int
  let similarities: UnsafeMutablePointer<Float>
  let indices: UnsafeMutablePointer<Int32>

  init(rows: Int, k: Int) {
    self.k = k
    similarities = .allocate(capacity: max(1, rows * k))
    similarities.initialize(repeating: -.infinity, count: rows * k)
    indices = .allocate(capacity: max(1, rows * k))
    indices.initialize(repeating: .max, count: rows * k)
  }

  func release() {
    similarities.deallocate()
    indices.deallocate()
  }

  /// The index of `row`'s `slot`-th nearest neighbour (`Int32.max` when there is none).
  func index(_ row: Int, _ slot: Int) -> Int32 { indices[row * k + slot] }

  @inline(__always)
  mutating func visit(_ row: Int, _ column: Int, _ similarity: Float) {
    offer(row, similarity, Int32(truncatingIfNeeded: column))
    offer(column, similarity, Int32(truncatingIfNeeded: row))
  }

  /// Offers `index` at `similarity` as a neighbour of `row`.
  @inline(__always)
  func offer(_ row: Int, _ similarity: Float, _ index: Int32) {
    let base = row * k
    var position = base + k - 1
    let last = similarities[position]
    guard similarity > last || (similarity == last && index < indices[position]) else { return }
    while position > base {
      let above = similarities[position - 1]
      guard above < similarity || (above == similarity && indices[position - 1] > index) else {
        break
      }
      similarities[position] = above
      indices[position] = indices[position - 1]
      position -= 1
    }
    similarities[position] = similarity
    indices[position] = index
  }

  /// Offers every neighbour of `other` to this table.
  func merge(_ other: NeighbourLists, rows: Int) {
    for row in 0..<rows {
      for slot in 0..<k {
        let index = other.indices[row * k + slot]
        if index == .max { break }
        offer(row, other.similarities[row * k + slot], index)
      }
    }
  }
}

/// All-pairs cosine similarities with a tiled `Float` kernel on all cores.
enum CosinePairs {
  /// Rows per tile: three rows of one side stay in L1 while a tile of the other streams from
  /// L2.
  static let tileRows = 96

  /// The number of workers worth starting for `count` rows.
  static func workers(for count: Int) -> Int {
    let tiles = (count + tileRows - 1) / tileRows
    return min(Parallel.workerCount, max(1, (tiles + 1) / 2))
  }

  /// Calls `visitors[w].visit` for every unordered pair of rows, each pair once, from
  /// `visitors.count` workers.
  ///
  /// Tile row t and tile row (tiles − 1 − t) are handed to the same worker: together they
  /// cost the same for every t, so static interleaving balances the workers.
  ///
  /// - Parameters:
  ///   - rows: Unit rows.
  ///   - visitors: One visitor per worker.
  /// - Complexity: O(N² D / 2) multiply-adds.
  static func forEach<Visitor: PairVisitor>(_ rows: UnitRows, visitors: inout [Visitor]) {
    let count = rows.count
    let tiles = (count + tileRows - 1) / tileRows
    let workers = visitors.count
    visitors.withUnsafeMutableBufferPointer { visitorBuffer in
      rows.values.withUnsafeBufferPointer { values in
        let shared = SharedBuffer(base: visitorBuffer)
        let matrix = SharedReadBuffer(base: values)
        Parallel.forEach(workers) { worker in
          guard let base = matrix.base.baseAddress else { return }
          var visitor = shared[worker]
          var pair = worker
          while pair < (tiles + 1) / 2 {
            let mirror = tiles - 1 - pair
            for tile in mirror == pair ? [pair] : [pair, mirror] {
              for other in tile..<tiles {
                Self.tile(base, stride: rows.stride, count: count, tile, other, &visitor)
              }
            }
            pair += workers
          }
          shared[worker] = visitor
        }
      }
    }
  }

  /// For every row, the `k` other rows of largest similarity.
  ///
  /// Every worker keeps its own lists for all rows; they are merged at the end, so no lock is
  /// taken in the hot loop.
  ///
  /// - Parameters:
  ///   - rows: Unit rows.
  ///   - k: How many neighbours to keep per row (at most `rows.count - 1`).
  /// - Returns: The lists; the caller releases them.
  static func nearest(_ rows: UnitRows, k: Int) -> NeighbourLists {
    var lists = (0..<workers(for: rows.count)).map { _ in NeighbourLists(rows: rows.count, k: k) }
    forEach(rows, visitors: &lists)
    for other in lists.dropFirst() {
      lists[0].merge(other, rows: rows.count)
      other.release()
    }
    return lists[0]
  }

  /// Visits every pair of rows between tile `first` and tile `second` (each pair once when
  /// they are the same tile).
  @inline(__always)
  private static func tile<Visitor: PairVisitor>(
    _ matrix: UnsafePointer<Float>, stride: Int, count: Int, _ first: Int, _ second: Int,
    _ visitor: inout Visitor
  ) {
    let iStart = first * tileRows
    let iEnd = min(count, iStart + tileRows)
    let jStart = second * tileRows
    let jEnd = min(count, jStart + tileRows)
    let diagonal = first == second
    var i = iStart
    while i < iEnd {
      let a0 = matrix + i * stride
      let a1 = matrix + min(i + 1, iEnd - 1) * stride
      let a2 = matrix + min(i + 2, iEnd - 1) * stride
      let rowsHere = min(3, iEnd - i)
      var j = diagonal ? i : jStart
      while j < jEnd {
        let b0 = matrix + j * stride
        let b1 = matrix + min(j + 1, jEnd - 1) * stride
        let b2 = matrix + min(j + 2, jEnd - 1) * stride
        let products = dots3x3(a0, a1, a2, b0, b1, b2, stride)
        let columnsHere = min(3, jEnd - j)
        for a in 0..<rowsHere {
          for b in 0..<columnsHere {
            let row = i + a
            let column = j + b
            if diagonal && column <= row { continue }
            visitor.visit(row, column, products[a * 3 + b])
          }
        }
        j += 3
      }
      i += 3
    }
  }

  /// The nine dot products of three rows with three rows, four lanes at a time, as
  /// `[a0·b0, a0·b1, a0·b2, a1·b0, …]` in the first nine lanes.
  @inline(__always)
  static func dots3x3(
    _ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>, _ a2: UnsafePointer<Float>,
    _ b0: UnsafePointer<Float>, _ b1: UnsafePointer<Float>, _ b2: UnsafePointer<Float>,
    _ length: Int
  ) -> SIMD16<Float> {
    var c00 = SIMD4<Float>()
    var c01 = SIMD4<Float>()
    var c02 = SIMD4<Float>()
    var c10 = SIMD4<Float>()
    var c11 = SIMD4<Float>()
    var c12 = SIMD4<Float>()
    var c20 = SIMD4<Float>()
    var c21 = SIMD4<Float>()
    var c22 = SIMD4<Float>()
    var offset = 0
    while offset < length {
      let x0 = load4(a0 + offset)
      let x1 = load4(a1 + offset)
      let x2 = load4(a2 + offset)
      let y0 = load4(b0 + offset)
      let y1 = load4(b1 + offset)
      let y2 = load4(b2 + offset)
      c00 += x0 * y0
      c01 += x0 * y1
      c02 += x0 * y2
      c10 += x1 * y0
      c11 += x1 * y1
      c12 += x1 * y2
      c20 += x2 * y0
      c21 += x2 * y1
      c22 += x2 * y2
      offset += 4
    }
    var result = SIMD16<Float>()
    result[0] = c00.sum()
    result[1] = c01.sum()
    result[2] = c02.sum()
    result[3] = c10.sum()
    result[4] = c11.sum()
    result[5] = c12.sum()
    result[6] = c20.sum()
    result[7] = c21.sum()
    result[8] = c22.sum()
    return result
  }
}

/// Loads four floats from any address.
@inline(__always)
func load4(_ pointer: UnsafePointer<Float>) -> SIMD4<Float> {
  UnsafeRawPointer(pointer).loadUnaligned(as: SIMD4<Float>.self)
}
