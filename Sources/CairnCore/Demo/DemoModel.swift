/// A simulated detector for the demo: it predicts the boxes of an image with the errors a
/// real model makes, deterministically for a seed.
///
/// Version 1 misses most triangles and fires once on dark images; version 2, "trained" after
/// its failures were mined, misses fewer. Boxes are jittered by up to 3 % of the image.
package enum DemoModel {
  /// The predicted labels of `image` (detections with a confidence).
  package static func predict(
    _ image: DemoImage, version: Int, dark: Bool, using random: inout DemoRandom
  ) -> [JSONValue] {
    var labels: [JSONValue] = []
    let missTriangle = version == 1 ? 0.7 : 0.15
    for box in image.boxes {
      let draw = Double(random.next() % 1000) / 1000
      if box.label == "triangle" && draw < missTriangle { continue }
      var jittered = box.bbox
      for index in 0..<4 {
        let shift = (Double(random.next() % 61) - 30) / 1000
        jittered[index] = min(max(jittered[index] + shift * (index < 2 ? 1 : 0.5), 0), 1)
      }
      jittered[2] = min(jittered[2], 1 - jittered[0])
      jittered[3] = min(jittered[3], 1 - jittered[1])
      let confidence = 0.55 + Double(random.next() % 440) / 1000
      labels.append(label(box.label, jittered, confidence, using: &random))
    }
    if dark && version == 1 {
      labels.append(label("circle", [0.4, 0.4, 0.1, 0.1], 0.52, using: &random))
    }
    return labels
  }

  private static func label(
    _ name: String, _ bbox: [Double], _ confidence: Double, using random: inout DemoRandom
  ) -> JSONValue {
    .object([
      "id": .string(LabelID.make(using: &random)), "type": .string("detection"),
      "label": .string(name),
      "bbox": .array(bbox.map { .double(($0 * 10_000).rounded() / 10_000) }),
      "confidence": .double((confidence * 1000).rounded() / 1000),
    ])
  }
}
