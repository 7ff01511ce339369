/// Boxes grouped by (category, image), or by image alone, with a stable counting sort.
///
/// The evaluators look at the boxes of one image and one category at a time; a counting sort
/// gathers them in `O(n + buckets)` and keeps the input order inside each bucket, which is the
/// tie order the references use. Boxes whose image or category index is out of range are left
/// out.
struct BoxBuckets {
  /// `offsets[key]..<offsets[key + 1]` are the positions of bucket `key` in ``boxes``.
  var offsets: [Int]
  /// The boxes in bucket order.
  var boxes: [EvalBox]
  /// For each entry of ``boxes``, its index in the input.
  var source: [Int32]
  let imageCount: Int
  let byCategory: Bool

  /// Groups `input`.
  ///
  /// - Parameters:
  ///   - input: The boxes, in problem order.
  ///   - imageCount: The number of images.
  ///   - categoryCount: The number of categories; boxes outside are dropped.
  ///   - byCategory: Key by `category * imageCount + image`; when false by image alone.
  init(_ input: [EvalBox], imageCount: Int, categoryCount: Int, byCategory: Bool) {
    self.imageCount = max(imageCount, 0)
    self.byCategory = byCategory
    let bucketCount = byCategory ? self.imageCount * max(categoryCount, 0) : self.imageCount
    var offsets = [Int](repeating: 0, count: bucketCount + 1)
    var keys = [Int](repeating: -1, count: input.count)
    var valid = 0
    let images = self.imageCount
    input.withUnsafeBufferPointer { boxes in
      keys.withUnsafeMutableBufferPointer { keys in
        offsets.withUnsafeMutableBufferPointer { offsets in
          for index in boxes.indices {
            let box = boxes[index]
            let image = Int(box.image)
            let category = Int(box.category)
            guard image >= 0, image < images, category >= 0, category < categoryCount else {
              continue
            }
            let key = byCategory ? category * images + image : image
            keys[index] = key
            offsets[key + 1] += 1
            valid += 1
          }
          for key in 0..<bucketCount { offsets[key + 1] += offsets[key] }
        }
      }
    }
    var cursor = offsets
    var source = [Int32](repeating: 0, count: valid)
    keys.withUnsafeBufferPointer { keys in
      source.withUnsafeMutableBufferPointer { source in
        cursor.withUnsafeMutableBufferPointer { cursor in
          for index in keys.indices where keys[index] >= 0 {
            let key = keys[index]
            source[cursor[key]] = Int32(truncatingIfNeeded: index)
            cursor[key] += 1
          }
        }
      }
    }
    self.offsets = offsets
    self.source = source
    self.boxes = source.map { input[Int($0)] }
  }

  /// The positions of the boxes of `image` in `category` (ignored when not by category).
  func range(category: Int, image: Int) -> Range<Int> {
    let key = byCategory ? category * imageCount + image : image
    return offsets[key]..<offsets[key + 1]
  }
}

/// A buffer that concurrent workers write at disjoint indices.
///
/// Swift cannot prove that the per-category workers of `concurrentPerform` never write the same
/// element; they do not, by construction, so the wrapper opts out of the check.
struct SharedBuffer<Element>: @unchecked Sendable {
  let base: UnsafeMutableBufferPointer<Element>

  subscript(index: Int) -> Element {
    get { base[index] }
    nonmutating set { base[index] = newValue }
  }
}

/// The sum numpy's `add.reduce` gives for a contiguous float64 array (pairwise summation).
///
/// Reproducing numpy's order of additions makes means agree with the reference bit for bit
/// rather than to the last few units in the last place.
/// - Parameter values: The numbers, in the order numpy would see them.
/// - Returns: Their sum.
func numpySum(_ values: UnsafeBufferPointer<Double>) -> Double {
  pairwiseSum(values, values.startIndex, values.count)
}

private func pairwiseSum(_ values: UnsafeBufferPointer<Double>, _ start: Int, _ count: Int)
  -> Double
{
  if count < 8 {
    var sum = 0.0
    for index in start..<(start + count) { sum += values[index] }
    return sum
  }
  if count <= 128 {
    var partial = (0..<8).map { values[start + $0] }
    var index = 8
    let whole = count - count % 8
    while index < whole {
      for lane in 0..<8 { partial[lane] += values[start + index + lane] }
      index += 8
    }
    var sum =
      ((partial[0] + partial[1]) + (partial[2] + partial[3]))
      + ((partial[4] + partial[5]) + (partial[6] + partial[7]))
    while index < count {
      sum += values[start + index]
      index += 1
    }
    return sum
  }
  var half = count / 2
  half -= half % 8
  return pairwiseSum(values, start, half) + pairwiseSum(values, start + half, count - half)
}

/// numpy's `mean` of the values: their pairwise sum divided by their count; -1 when empty.
///
/// - Parameter values: The numbers, in numpy's order.
/// - Returns: The mean, or -1 (pycocotools' "no value") for an empty list.
func numpyMeanOrMinusOne(_ values: [Double]) -> Double {
  guard !values.isEmpty else { return -1 }
  return values.withUnsafeBufferPointer { numpySum($0) } / Double(values.count)
}
