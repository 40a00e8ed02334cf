import Foundation
import HeraldCore
import Mustache

// herald-render-bench: renders per second, Herald's engine against swift-mustache, on
// (1) the shipped verification_code email, all three parts, with the sample event's data,
// (2) the largest cases of the required Mustache spec files.
// Usage: herald-render-bench TEMPLATES_DIR SPEC_DIR [--seconds S]

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: herald-render-bench TEMPLATES_DIR SPEC_DIR [--seconds S]\n".utf8))
    exit(64)
}
let templatesDir = arguments[1]
let specDir = arguments[2]
let seconds = arguments.count >= 5 && arguments[3] == "--seconds" ? Double(arguments[4]) ?? 1 : 1.0

/// Converts typed JSON into the untyped values swift-mustache renders.
func untyped(_ value: JSONValue) -> Any {
    switch value {
    case .null: return Optional<String>.none as Any
    case .bool(let flag): return flag
    case .int(let number): return Int(number)
    case .double(let number): return number
    case .string(let text): return text
    case .array(let items): return items.map(untyped)
    case .object(let members): return members.compactMapValues { $0 == .null ? nil : untyped($0) }
    }
}

/// Best renders/s over three timed rounds of `seconds / 3`.
func measure(_ body: () -> Int) -> Double {
    var best = 0.0
    var sink = 0
    for _ in 0..<3 {
        let start = Date()
        var count = 0
        while Date().timeIntervalSince(start) < seconds / 3 {
            for _ in 0..<100 { sink &+= body() }
            count += 100
        }
        best = max(best, Double(count) / Date().timeIntervalSince(start))
    }
    if sink == 42 { print("") }
    return best
}

func files(_ root: String) -> [String: String] {
    var result: [String: String] = [:]
    let enumerator = FileManager.default.enumerator(atPath: root)
    while let path = enumerator?.nextObject() as? String {
        if path.hasSuffix(".mustache"), let data = FileManager.default.contents(atPath: root + "/" + path) {
            result[path] = String(decoding: data, as: UTF8.self)
        }
    }
    return result
}

var results: [String] = []

// (1) The shipped verification_code email.
let sources = files(templatesDir)
let set = TemplateSet(sources: sources)
guard let resolved = set.templates(channel: .email, slug: "verification_code", locale: nil) else { fatalError("no verification_code template") }
let sampleURL = URL(fileURLWithPath: templatesDir).deletingLastPathComponent().appendingPathComponent("Tests/HeraldAppTests/Fixtures/email.created.json")
let event = try JSONValue.parse([UInt8](try Data(contentsOf: sampleURL)))
let variables = MessageComposer(templates: set).variables(channel: .email, event: event).0
var library = MustacheLibrary()
for (path, source) in sources {
    var name = String(path.dropLast(".mustache".count))
    if name.hasPrefix("partials/") { name = String(name.dropFirst("partials/".count)) }
    try library.register(source, named: name)
}
let untypedVariables = untyped(variables)
let parts: [(TemplateSet.Part, Escaping)] = [(.subject, .none), (.html, .html), (.text, .none)]
@MainActor func heraldEmail() -> Int {
    var total = 0
    for (part, escaping) in parts {
        total += (try? resolved.parts[part]!.renderStrict(variables, escaping: escaping, partials: resolved.partials))?.utf8.count ?? 0
    }
    return total
}
@MainActor func peerEmail() -> Int {
    var total = 0
    for part in ["subject", "html", "text"] {
        total += library.render(untypedVariables, withTemplate: "email/verification_code/\(part)")?.utf8.count ?? 0
    }
    return total
}
let heraldHTML = try resolved.parts[.html]!.renderStrict(variables, escaping: .html, partials: resolved.partials)
let peerHTML = library.render(untypedVariables, withTemplate: "email/verification_code/html") ?? ""
// Equal text, or equal but for blank lines (the engines differ on a standalone line there).
func withoutBlankLines(_ text: String) -> String { text.split(separator: "\n").filter { !$0.allSatisfy(\.isWhitespace) }.joined(separator: "\n") }
let same = heraldHTML == peerHTML ? "identical" : (withoutBlankLines(heraldHTML) == withoutBlankLines(peerHTML) ? "same but blank lines" : "different")
let herald1 = measure(heraldEmail)
let peer1 = measure(peerEmail)
results.append(String(format: #"{"case":"verification_code email (3 parts)","herald_per_s":%.0f,"peer_per_s":%.0f,"ratio":%.2f,"html":"%@"}"#, herald1, peer1, herald1 / peer1, same))

// (2) The largest required spec cases (by template plus partial size), lambdas excluded.
struct Case { var name: String; var template: String; var partials: [String: String]; var data: JSONValue }
var cases: [Case] = []
for file in ["comments", "delimiters", "interpolation", "inverted", "partials", "sections"] {
    let root = try JSONValue.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(specDir)/\(file).json"))))
    guard case .array(let tests) = root["tests"] else { continue }
    for test in tests {
        var partials: [String: String] = [:]
        if case .object(let members) = test["partials"] { for (key, value) in members { partials[key] = value.stringValue } }
        cases.append(Case(name: "\(file): \(test["name"]?.stringValue ?? "")", template: test["template"]?.stringValue ?? "", partials: partials, data: test["data"] ?? .null))
    }
}
cases.sort { ($0.template.count + $0.partials.values.map(\.count).reduce(0, +)) > ($1.template.count + $1.partials.values.map(\.count).reduce(0, +)) }
for spec in cases.prefix(5) {
    let template = try Template(spec.template)
    var partials: [String: Template] = [:]
    var peerLibrary = MustacheLibrary()
    for (name, source) in spec.partials {
        partials[name] = try Template(source)
        try peerLibrary.register(source, named: name)
    }
    try peerLibrary.register(spec.template, named: "main")
    let provider = PartialDictionary(partials)
    let data = untyped(spec.data)
    let herald = measure { template.render(spec.data, escaping: .html, partials: provider).utf8.count }
    let peer = measure { peerLibrary.render(data, withTemplate: "main")?.utf8.count ?? 0 }
    results.append(String(format: #"{"case":"%@","herald_per_s":%.0f,"peer_per_s":%.0f,"ratio":%.2f}"#, spec.name, herald, peer, herald / peer))
}
for line in results { print(line) }
if CommandLine.arguments.contains("--diff") {
    try Data(heraldHTML.utf8).write(to: URL(fileURLWithPath: "/tmp/herald.html"))
    try Data(peerHTML.utf8).write(to: URL(fileURLWithPath: "/tmp/peer.html"))
}
