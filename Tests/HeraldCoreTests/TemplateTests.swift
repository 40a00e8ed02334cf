import HeraldCore
import Testing

@Suite struct TemplateTests {
    @Test(arguments: [
        ("Hello {{name", TemplateError(.unclosedTag, line: 1, column: 7)),
        ("line one\n  {{#items}}\n{{.}}", TemplateError(.unclosedSection("items"), line: 2, column: 3)),
        ("{{/nothing}}", TemplateError(.unexpectedClose("nothing"), line: 1, column: 1)),
        ("{{#a}}\n{{/b}}", TemplateError(.mismatchedClose(expected: "a", found: "b"), line: 2, column: 1)),
        ("é {{=<% =}}", TemplateError(.invalidDelimiters, line: 1, column: 3)),
        ("{{ }}", TemplateError(.emptyTag, line: 1, column: 1)),
    ])
    func parseErrorsCarryLineAndColumn(_ source: String, _ expected: TemplateError) {
        #expect(throws: expected) { try Template(source) }
    }

    @Test func escapingPerChannel() throws {
        let template = try Template("{{v}}|{{{v}}}|{{&v}}")
        let data = JSONValue.object(["v": .string("<a href=\"x\">'&'</a>")])
        #expect(template.render(data, escaping: .html)
            == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;|<a href=\"x\">'&'</a>|<a href=\"x\">'&'</a>")
        #expect(template.render(data, escaping: .none) == "<a href=\"x\">'&'</a>|<a href=\"x\">'&'</a>|<a href=\"x\">'&'</a>")
    }

    @Test func strictRenderRefusesBlanks() throws {
        let template = try Template("Your code is {{otp_code}}{{#app}} for {{name}}{{/app}}")
        let good = JSONValue.object(["otp_code": .string("012345"), "app": .object(["name": .string("Acme")])])
        #expect(try template.renderStrict(good, escaping: .none, partials: PartialDictionary([:])) == "Your code is 012345 for Acme")
        #expect(throws: RenderError.missingVariable("otp_code")) {
            try template.renderStrict(.object(["otp_code": .null]), escaping: .none, partials: PartialDictionary([:]))
        }
        // A section over a missing value is a guard, not an error.
        #expect(try template.renderStrict(.object(["otp_code": .string("1")]), escaping: .none, partials: PartialDictionary([:]))
            == "Your code is 1")
        #expect(throws: RenderError.missingPartial("footer")) {
            try Template("{{>footer}}").renderStrict(.null, escaping: .none, partials: PartialDictionary([:]))
        }
    }

    @Test func runawayRecursionStops() throws {
        let loop = try Template("x{{>loop}}")
        let partials = PartialDictionary(["loop": loop])
        #expect(loop.render(.null, partials: partials).count == Template.maxDepth + 1)
        #expect(throws: RenderError.tooDeep) { try loop.renderStrict(.null, escaping: .none, partials: partials) }
    }

    @Test func outputThatWouldGrowWithoutBoundStopsAtTheLimit() throws {
        // A partial that includes itself twice doubles at every level: 2^64 copies, found by
        // the fuzzer as an out-of-memory. Strict rendering stops at the depth limit first.
        let twice = try Template("xy{{>twice}}{{>twice}}")
        let partials = PartialDictionary(["twice": twice])
        let lenient = twice.render(.null, partials: partials)
        #expect(lenient.utf8.count > Template.maxOutputBytes && lenient.utf8.count < Template.maxOutputBytes + 1024)
        #expect(throws: RenderError.tooDeep) { try twice.renderStrict(.null, escaping: .none, partials: partials) }
        // Nested sections over a list multiply without nesting partials: 30^5 lines.
        let nested = try Template("{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}0123456789{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}")
        let data = JSONValue.object(["l": .array(Array(repeating: .int(1), count: 30))])
        #expect(throws: RenderError.tooLarge) { try nested.renderStrict(data, escaping: .none, partials: partials) }
    }

    @Test func numbersAndNamesRenderAsUsersExpect() throws {
        let template = try Template("{{n}} {{d}} {{big}} {{t}} {{#list}}{{.}},{{/list}} {{a.b.c}}")
        let data = JSONValue.object([
            "n": .int(42), "d": .double(1.5), "big": .double(3.0), "t": .bool(true),
            "list": .array([.string("x"), .int(2)]), "a": .object(["b": .object(["c": .string("deep")])]),
        ])
        #expect(template.render(data) == "42 1.5 3 true x,2, deep")
    }

    @Test func introspection() throws {
        let template = try Template("{{>header}}{{<layout}}{{$body}}{{otp_code}}{{/body}}{{/layout}}{{#app}}{{name}}{{/app}}{{>*dynamic}}")
        #expect(template.partialNames == ["header", "layout"])
        #expect(template.variableNames == ["otp_code", "app", "name"])
    }
}

@Suite struct TrimmingTests {
    @Test func smsTextsLoseTrailingCRLF() throws {
        let composer = MessageComposer(templates: TemplateSet(sources: ["sms/x.mustache": "Code {{otp_code}}\r\n"]))
        let event = JSONValue.object(["data": .object(["slug": .string("x"), "to_phone_number": .string("+15555550123"),
                                                        "data": .object(["otp_code": .string("1")])])])
        #expect(try composer.compose(channel: .sms, event: event).text == "Code 1")
    }
}
