import CairnCore
import Testing

@Suite struct XMLReaderTests {
  static func parse(_ text: String) throws(XMLProblem) -> CairnCore.XMLElement {
    try XMLReader.parse(Array(text.utf8))
  }

  @Test func readsElementsAttributesTextAndEntities() throws {
    let root = try Self.parse(
      """
      \u{FEFF}<?xml version="1.0" encoding="UTF-8"?>
      <!-- a comment -->
      <annotation kind='voc' note="a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;">
        <filename>caf&#233;&#x2F;x.jpg</filename>
        <empty/>
        <?skip this?>
        <text><![CDATA[<raw> & ]]>tail</text>
        <object><name>car</name></object>
        <object><name>bus</name></object>
      </annotation>
      <!-- after -->
      """)
    #expect(root.name == "annotation")
    #expect(root.line == 3)
    #expect(root[attribute: "kind"] == "voc")
    #expect(root[attribute: "note"] == "a & b <c> \"d\" 'e'")
    #expect(root.childText("filename") == "café/x.jpg")
    #expect(root.child("empty")?.children.isEmpty == true)
    #expect(root.childText("text") == "<raw> & tail")
    #expect(root.children("object").compactMap { $0.childText("name") } == ["car", "bus"])
    #expect(root.children("object").last?.line == 9)
    #expect(XMLReader.escaped("a<b & \"c\"") == "a&lt;b &amp; &quot;c&quot;")
  }

  @Test(arguments: [
    ("<a>\n<b></a>", 2, "end tag </a> does not match <b> opened on line 2"),
    ("<a x='1' x='2'/>", 1, "attribute 'x' appears twice in <a>"),
    ("<a>\n\nfish & chips</a>", 3, "'&' must start an entity such as &amp;"),
    ("<a>&nbsp;</a>", 1, "unknown entity '&nbsp;'"),
    ("<!DOCTYPE a [<!ENTITY x \"y\">]><a/>", 1, "document type declarations"),
    ("<a/>\n<b/>", 2, "content after the root element"),
    ("<a>\n<b>\n", 2, "element <b> is not closed"),
    ("<a x=1/>", 1, "an attribute value must be quoted"),
    ("<a x='<'/>", 1, "'<' inside an attribute value"),
    (
      "<?xml version='1.0' encoding='ISO-8859-1'?><a/>", 1, "encoding 'ISO-8859-1' is not supported"
    ),
    ("", 1, "the document has no root element"),
    ("<a>&#0;</a>", 1, "'&#0;' is not a valid character reference"),
    (String(repeating: "<a>", count: 300), 1, "elements are nested more than 256 deep"),
  ])
  func refusesMalformedDocumentsNamingTheLine(text: String, line: Int, reason: String) {
    do {
      _ = try Self.parse(text)
      Issue.record("parsed: \(text)")
    } catch {
      #expect(error.line == line, "\(error)")
      #expect(error.reason.contains(reason), "\(error)")
    }
  }
}
