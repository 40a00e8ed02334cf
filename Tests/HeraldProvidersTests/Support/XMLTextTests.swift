import HeraldCore
import HeraldProviders
import Testing

/// The Support pieces the AWS adapters brought: the XML text extractor (SNS's answers) and
/// botocore's form encoding (spaces as `+`).
@Suite struct XMLTextTests {
    @Test(arguments: [
        ("<A><B>x</B></A>", "B", nil, "x"),
        ("<A><B>x</B></A>", "B", "A", "x"),
        ("<R><C>1</C></R><A><C>2</C></A>", "C", "A", "2"),
        (#"<Code attr="1">Throttling</Code>"#, "Code", nil, "Throttling"),
        ("<CodeX>no</CodeX><Code>yes</Code>", "Code", nil, "yes"),
        ("<Code\n>spaced</Code >", "Code", nil, "spaced"),
        ("<Code/>", "Code", nil, ""),
        ("<M>a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; &#233; &#x1F600;</M>", "M", nil, "a <b> & \"c\" 'd' é 😀"),
        ("<M><![CDATA[<not> &amp; markup]]> after</M>", "M", nil, "<not> &amp; markup after"),
        ("<M>bare & ampersand</M>", "M", nil, nil),
        ("<M>&bogus;</M>", "M", nil, nil),
        ("<M>&#0;</M>", "M", nil, nil),
        ("<M>&#xD800;</M>", "M", nil, nil),
        ("<M>&#+65;</M>", "M", nil, nil),
        ("<M><child>x</child></M>", "M", nil, nil),
        ("<M>unterminated", "M", nil, nil),
        ("<A><B>x</B>", "B", "A", nil),
        ("<A>x</A>", "B", nil, nil),
        ("<A>x</A>", "", nil, nil),
        ("<A>x</A>", "A>", nil, nil),
    ] as [(String, String, String?, String?)])
    func xmlTextReadsOneTextElement(_ xml: String, _ tag: String, _ parent: String?, _ expected: String?) {
        #expect(XMLText.value(tag, inside: parent, in: xml) == expected)
    }

    @Test func xmlTextIsLinearOnAHostileBody() {
        let hostile = String(repeating: "<Code", count: 20_000) + String(repeating: "&amp;", count: 20_000)
        #expect(XMLText.value("Code", in: hostile) == nil)
    }

    @Test func formEncodingWritesSpacesAsBotocoreDoesWhenAsked() {
        let fields = [("Message", "a b+c~é"), ("Phone", "+1 5")]
        #expect(String(decoding: FormEncoding.encode(fields, space: .plus), as: UTF8.self) == "Message=a+b%2Bc~%C3%A9&Phone=%2B1+5")
        #expect(String(decoding: FormEncoding.encode(fields), as: UTF8.self) == "Message=a%20b%2Bc~%C3%A9&Phone=%2B1%205")
        #expect(FormEncoding.decode(FormEncoding.encode(fields, space: .plus)).map(\.1) == ["a b+c~é", "+1 5"])
    }
}
