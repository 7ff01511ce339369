/// Compares labels, label files and records as values (pure computation: no git, no I/O).
package enum LabelComparison {
  /// Members compared by their own rules; everything else is reported as "other".
  private static let handled: Set<String> = [
    "id", "label", "attributes", "confidence", "tags", "bbox", "center", "dimensions", "rotation",
    "points",
  ]

  /// What changed between two versions of one label (same id).
  package static func modification(old: JSONValue, new: JSONValue) -> LabelModification {
    var result = LabelModification()
    let a = old.object ?? [:]
    let b = new.object ?? [:]
    if a["label"] != b["label"] {
      result.classChange = ValueChange(old: a["label"], new: b["label"])
    }
    result.geometry = geometry(a, b)
    let oldAttributes = a["attributes"]?.object ?? [:]
    let newAttributes = b["attributes"]?.object ?? [:]
    for name in Set(oldAttributes.keys).union(newAttributes.keys).sorted(by: ByteOrder.precedes)
    where oldAttributes[name] != newAttributes[name] {
      result.attributes.append(
        (name, ValueChange(old: oldAttributes[name], new: newAttributes[name])))
    }
    if a["confidence"] != b["confidence"] {
      result.confidence = ValueChange(old: a["confidence"], new: b["confidence"])
    }
    let oldTags = Set((a["tags"]?.array ?? []).compactMap(\.string))
    let newTags = Set((b["tags"]?.array ?? []).compactMap(\.string))
    result.tagsAdded = newTags.subtracting(oldTags).sorted(by: ByteOrder.precedes)
    result.tagsRemoved = oldTags.subtracting(newTags).sorted(by: ByteOrder.precedes)
    let members = Set(a.keys).union(b.keys).subtracting(handled).sorted(by: ByteOrder.precedes)
    for member in members where a[member] != b[member] {
      result.other.append((member, ValueChange(old: a[member], new: b[member])))
    }
    // Geometry members of another type than the label's (a detection gaining `points`, say)
    // are still changes.
    if result.geometry == nil {
      for member in ["bbox", "center", "dimensions", "rotation", "points"]
      where a[member] != b[member] {
        result.other.append((member, ValueChange(old: a[member], new: b[member])))
      }
      result.other.sort { ByteOrder.precedes($0.member, $1.member) }
    }
    return result
  }

  // MARK: Geometry

  private static func geometry(_ a: [String: JSONValue], _ b: [String: JSONValue])
    -> GeometryChange?
  {
    if let oldBox = numbers(a["bbox"], count: 4), let newBox = numbers(b["bbox"], count: 4) {
      guard a["bbox"] != b["bbox"], let old = a["bbox"], let new = b["bbox"] else { return nil }
      var change = GeometryChange(kind: .bbox, old: old, new: new)
      change.iou = rounded(iou(oldBox, newBox))
      let oldArea = oldBox[2] * oldBox[3]
      change.sizeRatio = oldArea > 0 ? rounded(newBox[2] * newBox[3] / oldArea) : nil
      return change
    }
    if let oldCentre = numbers(a["center"], count: 3),
      let newCentre = numbers(b["center"], count: 3),
      let oldSize = numbers(a["dimensions"], count: 3),
      let newSize = numbers(b["dimensions"], count: 3)
    {
      guard
        a["center"] != b["center"] || a["dimensions"] != b["dimensions"]
          || a["rotation"] != b["rotation"]
      else { return nil }
      func box(_ members: [String: JSONValue]) -> JSONValue {
        .object([
          "center": members["center"] ?? .null, "dimensions": members["dimensions"] ?? .null,
          "rotation": members["rotation"] ?? .null,
        ])
      }
      var change = GeometryChange(kind: .cuboid, old: box(a), new: box(b))
      let dx = newCentre[0] - oldCentre[0]
      let dy = newCentre[1] - oldCentre[1]
      let dz = newCentre[2] - oldCentre[2]
      change.centreDistance = rounded((dx * dx + dy * dy + dz * dz).squareRoot())
      let oldVolume = oldSize[0] * oldSize[1] * oldSize[2]
      change.sizeRatio =
        oldVolume > 0 ? rounded(newSize[0] * newSize[1] * newSize[2] / oldVolume) : nil
      change.rotationChanged = a["rotation"] != b["rotation"]
      return change
    }
    if let oldPoints = a["points"], let newPoints = b["points"], oldPoints.array != nil,
      newPoints.array != nil
    {
      guard oldPoints != newPoints else { return nil }
      var change = GeometryChange(kind: .points, old: oldPoints, new: newPoints)
      let left = flatPoints(oldPoints)
      let right = flatPoints(newPoints)
      change.oldCount = left.count
      change.newCount = right.count
      var total = 0.0
      var largest = 0.0
      var pairs = 0
      for (p, q) in zip(left, right) {
        guard let p, let q else { continue }
        let distance = ((q.0 - p.0) * (q.0 - p.0) + (q.1 - p.1) * (q.1 - p.1)).squareRoot()
        total += distance
        largest = max(largest, distance)
        pairs += 1
      }
      if pairs > 0 {
        change.meanDisplacement = rounded(total / Double(pairs))
        change.maxDisplacement = rounded(largest)
      }
      return change
    }
    return nil
  }

  /// Intersection over union of two `[x, y, w, h]` boxes (1 for two equal empty boxes).
  package static func iou(_ a: [Double], _ b: [Double]) -> Double {
    let width = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    let height = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    let intersection = width * height
    let union = a[2] * a[3] + b[2] * b[3] - intersection
    if union <= 0 { return a == b ? 1 : 0 }
    return intersection / union
  }

  /// The points of polylines (shapes of points) or keypoints (points or null), flattened in
  /// order; nil stands for a point that is not visible or not a pair of numbers.
  private static func flatPoints(_ value: JSONValue) -> [(Double, Double)?] {
    var out: [(Double, Double)?] = []
    for element in value.array ?? [] {
      if let point = numbers(element, count: 2) {
        out.append((point[0], point[1]))
      } else if let shape = element.array, shape.first?.array != nil {
        for point in shape { out.append(numbers(point, count: 2).map { ($0[0], $0[1]) }) }
      } else {
        out.append(nil)
      }
    }
    return out
  }

  private static func numbers(_ value: JSONValue?, count: Int) -> [Double]? {
    guard let elements = value?.array, elements.count == count else { return nil }
    let values = elements.compactMap(\.number)
    return values.count == count ? values : nil
  }

  /// `value` rounded to six decimals.
  package static func rounded(_ value: Double) -> Double {
    (value * 1_000_000).rounded() / 1_000_000
  }

  // MARK: Label lists

  /// Label changes between two label lists, matched by id and sorted by id.
  ///
  /// Labels whose encodings are byte-identical on both sides are dropped before anything is
  /// parsed (compared at the same position first, which is where an unchanged label usually
  /// is). With `.full` detail what is left is parsed and compared as values, so a label
  /// written differently but meaning the same is not a change; with `.counts` only each
  /// remaining label's id and class are read, so the lists must be canonical JSON (as
  /// committed files are).
  ///
  /// - Parameters:
  ///   - old: The old file's label elements, each as its raw JSON bytes.
  ///   - new: The new file's label elements.
  ///   - detail: How much of each change to work out.
  /// - Returns: The labels added, removed or modified.
  /// - Throws: `JSONParseError` for an element that is not JSON.
  package static func labelChanges(
    old: [ArraySlice<UInt8>], new: [ArraySlice<UInt8>], detail: DiffDetail = .full
  ) throws(JSONParseError) -> [LabelDiff] {
    var leftOverNew = [Bool](repeating: true, count: new.count)
    var leftOverOld = [Bool](repeating: true, count: old.count)
    var remaining = old.count
    for index in 0..<min(old.count, new.count) where equalBytes(old[index], new[index]) {
      leftOverNew[index] = false
      leftOverOld[index] = false
      remaining -= 1
    }
    if remaining > 0 {
      if remaining * new.count <= 4096 {
        for (position, element) in old.enumerated() where leftOverOld[position] {
          if let match = new.indices.first(where: {
            leftOverNew[$0] && equalBytes(new[$0], element)
          }) {
            leftOverNew[match] = false
            leftOverOld[position] = false
          }
        }
      } else {
        var positions: [ArraySlice<UInt8>: [Int]] = [:]
        for (index, element) in new.enumerated() where leftOverNew[index] {
          positions[element, default: []].append(index)
        }
        for (position, element) in old.enumerated() where leftOverOld[position] {
          if var list = positions[element], let match = list.popLast() {
            positions[element] = list
            leftOverNew[match] = false
            leftOverOld[position] = false
          }
        }
      }
    }
    var changes: [LabelDiff]
    switch detail {
    case .full:
      changes = try valueChanges(
        old: old.indices.filter { leftOverOld[$0] }.map { old[$0] },
        new: new.indices.filter { leftOverNew[$0] }.map { new[$0] })
    case .counts:
      changes = try classChanges(
        old: old.indices.filter { leftOverOld[$0] }.map { old[$0] },
        new: new.indices.filter { leftOverNew[$0] }.map { new[$0] })
    }
    changes.sort { ByteOrder.precedes($0.id, $1.id) }
    return changes
  }

  private static func valueChanges(old: [ArraySlice<UInt8>], new: [ArraySlice<UInt8>])
    throws(JSONParseError) -> [LabelDiff]
  {
    var before: [String: JSONValue] = [:]
    var order: [String] = []
    for element in old {
      let value = try JSONParser.parse(Array(element))
      let id = value["id"]?.string ?? ""
      before[id] = value
      order.append(id)
    }
    var changes: [LabelDiff] = []
    for element in new {
      let value = try JSONParser.parse(Array(element))
      let id = value["id"]?.string ?? ""
      if let previous = before.removeValue(forKey: id) {
        let modification = modification(old: previous, new: value)
        if !modification.isEmpty {
          changes.append(
            LabelDiff(
              id: id, change: .modified, old: previous, new: value, modification: modification))
        }
      } else {
        changes.append(LabelDiff(id: id, change: .added, new: value))
      }
    }
    for id in order {
      if let value = before[id] { changes.append(LabelDiff(id: id, change: .removed, old: value)) }
    }
    return changes
  }

  private static func classChanges(old: [ArraySlice<UInt8>], new: [ArraySlice<UInt8>])
    throws(JSONParseError) -> [LabelDiff]
  {
    func identity(_ element: ArraySlice<UInt8>) throws(JSONParseError) -> (String, String?) {
      if let found = LabelFileScanner.idAndClass(element) { return found }
      let value = try JSONParser.parse(Array(element))
      return (value["id"]?.string ?? "", value["label"]?.string)
    }
    var before: [String: String?] = [:]
    var order: [String] = []
    for element in old {
      let (id, label) = try identity(element)
      before[id] = label
      order.append(id)
    }
    var changes: [LabelDiff] = []
    for element in new {
      let (id, label) = try identity(element)
      if let previous = before.removeValue(forKey: id) {
        changes.append(LabelDiff(id: id, change: .modified, oldClass: previous, newClass: label))
      } else {
        changes.append(LabelDiff(id: id, change: .added, oldClass: nil, newClass: label))
      }
    }
    for id in order {
      if let label = before[id] {
        changes.append(LabelDiff(id: id, change: .removed, oldClass: label, newClass: nil))
      }
    }
    return changes
  }

  private static func equalBytes(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    return a.withUnsafeBytes { x in
      b.withUnsafeBytes { y in
        guard let p = x.baseAddress, let q = y.baseAddress else { return true }
        return memcmp(p, q, x.count) == 0
      }
    }
  }

  // MARK: Records

  /// Members that differ between two records, as dotted paths into nested objects, sorted.
  ///
  /// Objects are compared member by member; arrays and scalars as whole values.
  package static func memberChanges(old: JSONValue, new: JSONValue, prefix: String = "")
    -> [MemberChange]
  {
    guard let a = old.object, let b = new.object else {
      return old == new ? [] : [MemberChange(path: prefix, change: ValueChange(old: old, new: new))]
    }
    var changes: [MemberChange] = []
    for name in Set(a.keys).union(b.keys).sorted(by: ByteOrder.precedes) where a[name] != b[name] {
      let path = prefix.isEmpty ? name : prefix + "." + name
      if let x = a[name], let y = b[name], x.object != nil, y.object != nil {
        changes += memberChanges(old: x, new: y, prefix: path)
      } else {
        changes.append(MemberChange(path: path, change: ValueChange(old: a[name], new: b[name])))
      }
    }
    return changes
  }
}

#if canImport(Glibc)
internal import Glibc
#endif
