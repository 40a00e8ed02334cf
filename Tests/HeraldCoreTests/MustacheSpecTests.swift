import Foundation
import HeraldCore
import Testing

/// One case of the official Mustache spec (vendored in Fixtures/mustache-spec, MIT).
struct SpecCase: Sendable, CustomTestStringConvertible {
    var file: String
    var name: String
    var data: JSONValue
    var template: String
    var partials: [String: String]
    var expected: String

    var testDescription: String { "\(file): \(name)" }

    static func load(_ file: String) -> [SpecCase] {
        let url = Bundle.module.url(forResource: "Fixtures/mustache-spec/\(file)", withExtension: "json")!
        let root = try! JSONValue.parse([UInt8](try! Data(contentsOf: url)))
        guard case .array(let tests) = root["tests"] else { return [] }
        return tests.compactMap { test in
            // Lambdas are out of scope: their data carries code, not values.
            if case .object(let data) = test["data"], data["lambda"] != nil { return nil }
            var partials: [String: String] = [:]
            if case .object(let members) = test["partials"] {
                for (name, value) in members { partials[name] = value.stringValue ?? "" }
            }
            return SpecCase(
                file: file, name: test["name"]?.stringValue ?? "?", data: test["data"] ?? .null,
                template: test["template"]?.stringValue ?? "", partials: partials, expected: test["expected"]?.stringValue ?? "")
        }
    }
}

let requiredSpecFiles = ["comments", "delimiters", "interpolation", "inverted", "partials", "sections"]
let optionalSpecFiles = ["~inheritance", "~dynamic-names"]

@Suite struct MustacheSpecTests {
    @Test func requiredFilesHold136Cases() {
        #expect(requiredSpecFiles.flatMap(SpecCase.load).count == 136)
    }

    @Test(arguments: requiredSpecFiles.flatMap(SpecCase.load))
    func required(_ spec: SpecCase) throws {
        try check(spec)
    }

    @Test(arguments: optionalSpecFiles.flatMap(SpecCase.load))
    func optional(_ spec: SpecCase) throws {
        try check(spec)
    }

    func check(_ spec: SpecCase) throws {
        let template = try Template(spec.template)
        var partials: [String: Template] = [:]
        for (name, source) in spec.partials { partials[name] = try Template(source) }
        let rendered = template.render(spec.data, escaping: .html, partials: PartialDictionary(partials))
        #expect(rendered == spec.expected, "\(spec.name)")
    }
}
