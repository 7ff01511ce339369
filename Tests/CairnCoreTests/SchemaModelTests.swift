import CairnCore
import Testing

@Suite struct SchemaModelTests {
  /// The example of the format specification parses and encodes back to the same bytes.
  @Test func documentedExampleRoundTrips() throws {
    let text = """
      {"fields":{"ground_truth":{"attributes":{"occluded":{"default":false,"type":"bool"}},\
      "class_attributes":{"car":{"color":{"type":"string","values":["red","blue","other"]}}},\
      "classes":["car","pedestrian"],"coverage":true,"type":"detections"}},\
      "sample_fields":{"weather":{"type":"string","values":["sunny","rain"]}},"version":1}

      """
    let schema = try Schema.parse(Array(text.utf8))
    #expect(String(decoding: schema.encoded, as: UTF8.self) == text)
    let field = try #require(schema.fields["ground_truth"])
    #expect(field.type == .detections)
    #expect(field.classes == ["car", "pedestrian"])
    #expect(field.attribute("color", forClass: "car")?.values?.count == 3)
    #expect(field.attribute("color", forClass: "pedestrian") == nil)
    #expect(field.attribute("occluded", forClass: "pedestrian")?.defaultValue == .bool(false))
    #expect(
      Schema.empty.encoded == Array("{\"fields\":{},\"sample_fields\":{},\"version\":1}\n".utf8))
  }

  @Test func attributeDefinitionsCheckValues() throws {
    let range = AttributeDefinition(kind: .int, minimum: 1, maximum: 5)
    #expect(range.problem(.int(3)) == nil)
    #expect(range.problem(.int(6)) == "is above the maximum 5")
    #expect(range.problem(.double(2.5)) == "is not an integer")
    let float = AttributeDefinition(kind: .float, minimum: 0)
    #expect(float.problem(.int(2)) == nil, "an integer is a valid float")
    let values = AttributeDefinition(kind: .string, values: [.string("a"), .string("b")])
    #expect(values.problem(.string("c")) == "is not one of the allowed values ('a', 'b')")
    #expect(throws: RecordProblem.self) {
      try AttributeDefinition(json: .object(["type": .string("bool"), "min": .int(0)]))
    }
    #expect(throws: RecordProblem.self) {
      try AttributeDefinition(
        json: .object(["type": .string("int"), "default": .string("x")]))
    }
  }

  @Test func singleLabelFieldsAndTypes() throws {
    let schema = Schema(
      fields: ["scene": FieldDefinition(type: .classification, classes: ["day"])],
      sampleFields: [:])
    let file = LabelFile(
      field: "scene", sample: "a",
      labels: [
        .object(["id": .string("1"), "type": .string("classification"), "label": .string("day")]),
        .object(["id": .string("2"), "type": .string("classification"), "label": .string("day")]),
      ])
    let found = schema.violations(of: file)
    #expect(found.count == 1)
    #expect(found.first?.contains("at most one label per sample, found 2") == true)
    #expect(FieldType.cuboids.labelType == "cuboid")
    #expect(FieldType.allCases.count == 7)
  }
}
