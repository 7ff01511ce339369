import CairnCore
import Testing

/// Parses a JSON literal of a test.
private func json(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

/// The label elements of a label file literal.
private func elements(_ text: String) throws -> [ArraySlice<UInt8>] {
  try #require(LabelFileScanner.labelElements(Array(text.utf8)))
}

@Suite struct LabelComparisonTests {
  @Test func boxesGiveIoUAndAreaRatio() throws {
    #expect(abs(LabelComparison.iou([0, 0, 0.4, 0.4], [0.2, 0, 0.4, 0.4]) - 1.0 / 3) < 1e-12)
    #expect(LabelComparison.iou([0, 0, 0.1, 0.1], [0.5, 0.5, 0.1, 0.1]) == 0)
    let change = LabelComparison.modification(
      old: try json(#"{"bbox":[0.0,0.0,0.4,0.4],"id":"a","label":"car","type":"detection"}"#),
      new: try json(#"{"bbox":[0.0,0.0,0.2,0.4],"id":"a","label":"car","type":"detection"}"#))
    #expect(change.geometry?.kind == .bbox)
    #expect(change.geometry?.iou == 0.5)
    #expect(change.geometry?.sizeRatio == 0.5)
    #expect(change.classChange == nil && change.attributes.isEmpty && change.other.isEmpty)
  }

  @Test func cuboidsGiveCentreDistanceAndVolumeRatio() throws {
    let change = LabelComparison.modification(
      old: try json(
        #"{"center":[0,0,0],"dimensions":[1,2,2],"frame":"pcd","id":"c","label":"car","rotation":[0,0,0],"type":"cuboid"}"#
      ),
      new: try json(
        #"{"center":[3,4,0],"dimensions":[2,2,2],"frame":"left","id":"c","label":"car","rotation":[0,0.1,0],"type":"cuboid"}"#
      ))
    #expect(change.geometry?.kind == .cuboid)
    #expect(change.geometry?.centreDistance == 5)
    #expect(change.geometry?.sizeRatio == 2)
    #expect(change.geometry?.rotationChanged == true)
    #expect(change.other.map(\.member) == ["frame"])
  }

  @Test func pointsGiveDisplacementOverVisiblePairs() throws {
    let change = LabelComparison.modification(
      old: try json(#"{"id":"k","label":"person","points":[[0,0],null,[1,1]],"type":"keypoints"}"#),
      new: try json(
        #"{"id":"k","label":"person","points":[[0.3,0.4],[0.5,0.5],[1,1],[2,2]],"type":"keypoints"}"#
      ))
    #expect(change.geometry?.kind == .points)
    #expect(change.geometry?.meanDisplacement == 0.25)
    #expect(change.geometry?.maxDisplacement == 0.5)
    #expect(change.geometry?.oldCount == 3 && change.geometry?.newCount == 4)
  }

  @Test func attributesConfidenceAndTags() throws {
    let change = LabelComparison.modification(
      old: try json(
        #"{"attributes":{"occluded":false,"pose":"up"},"confidence":0.3,"id":"a","label":"car","tags":["a","b"]}"#
      ),
      new: try json(
        #"{"attributes":{"color":"red","occluded":true},"confidence":0.9,"id":"a","label":"truck","tags":["b","c"]}"#
      ))
    #expect(change.classChange == ValueChange(old: .string("car"), new: .string("truck")))
    #expect(change.attributes.map(\.name) == ["color", "occluded", "pose"])
    #expect(change.attributes[2].change == ValueChange(old: .string("up"), new: nil))
    #expect(change.confidence == ValueChange(old: .double(0.3), new: .double(0.9)))
    #expect(change.tagsAdded == ["c"] && change.tagsRemoved == ["a"])
  }

  @Test func labelsAreMatchedByIdNotPosition() throws {
    let old = try elements(
      #"{"field":"gt","labels":[{"id":"a","label":"car"},{"id":"b","label":"car"},{"id":"c","label":"bus"}],"sample":"x"}"#
    )
    let new = try elements(
      #"{"field":"gt","labels":[{"id":"c","label":"bus"},{"id":"a","label":"truck"},{"id":"d","label":"car"}],"sample":"x"}"#
    )
    for detail in [DiffDetail.full, .counts] {
      let changes = try LabelComparison.labelChanges(old: old, new: new, detail: detail)
      #expect(changes.map(\.id) == ["a", "b", "d"])
      #expect(changes.map(\.change) == [.modified, .removed, .added])
      #expect(changes.map(\.currentClass) == ["truck", "car", "car"])
    }
  }

  @Test func sameValueWrittenDifferentlyIsNoChange() throws {
    let old = try elements(#"{"field":"gt","labels":[{"id":"a","label":"car"}],"sample":"x"}"#)
    let new = try elements(
      "{ \"sample\": \"x\", \"labels\": [ { \"label\" : \"car\", \"id\": \"a\" } ], \"field\": \"gt\" }"
    )
    #expect(try LabelComparison.labelChanges(old: old, new: new, detail: .full).isEmpty)
  }

  @Test func scannerFollowsStringsAndNesting() throws {
    let text =
      #"{"field":"g]t","labels":[{"id":"a\"]","points":[[[0,1],[2,3]]],"label":"x,y"},{"id":"b"}],"sample":"}"}"#
    let found = try elements(text).map { String(decoding: $0, as: UTF8.self) }
    #expect(found == [#"{"id":"a\"]","points":[[[0,1],[2,3]]],"label":"x,y"}"#, #"{"id":"b"}"#])
    #expect(
      LabelFileScanner.idAndClass(Array(#"{"id":"b","label":"car"}"#.utf8)[...])?.label == "car")
    // An escaped id is left to the parser.
    #expect(LabelFileScanner.idAndClass(Array(#"{"id":"a\"]"}"#.utf8)[...]) == nil)
    #expect(LabelFileScanner.labelElements(Array(#"{"labels":[{"id":"a"}"#.utf8)) == nil)
  }

  @Test func recordMembersByDottedPath() throws {
    let changes = LabelComparison.memberChanges(
      old: try json(#"{"fields":{"weather":"rain"},"media":{"size":1},"tags":[]}"#),
      new: try json(#"{"fields":{"weather":"fog"},"media":{"size":2},"tags":["night"]}"#))
    #expect(changes.map(\.path) == ["fields.weather", "media.size", "tags"])
  }
}

@Suite struct SchemaDiffTests {
  @Test func renameIsOneChangeNotAnAddAndARemove() throws {
    let old = try Schema(
      json: try json(
        #"{"fields":{"gt":{"class_attributes":{"car":{"color":{"type":"string"}}},"classes":["car","bus"],"type":"detections"},"old":{"type":"classification"}},"version":1}"#
      ))
    let new = try Schema(
      json: try json(
        #"{"fields":{"gt":{"attributes":{"occluded":{"type":"bool"}},"class_attributes":{"vehicle":{"color":{"type":"string"}}},"classes":["vehicle","bus","tram"],"type":"detections"},"new":{"type":"cuboids"}},"sample_fields":{"weather":{"type":"string"}},"version":1}"#
      ))
    let diff = SchemaDiff(old: old, new: new)
    #expect(diff.fieldsAdded.map(\.field) == ["new"] && diff.fieldsAdded.map(\.type) == ["cuboids"])
    #expect(diff.fieldsRemoved == ["old"])
    #expect(diff.sampleFieldsAdded == ["weather"])
    let gt = try #require(diff.fieldsChanged.first)
    #expect(gt.classesRenamed.map(\.old) == ["car"] && gt.classesRenamed.map(\.new) == ["vehicle"])
    #expect(gt.classesAdded == ["tram"] && gt.classesRemoved.isEmpty)
    #expect(gt.attributesAdded == ["occluded"] && gt.attributesRemoved.isEmpty)
  }
}
