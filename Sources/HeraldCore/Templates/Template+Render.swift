/// How interpolated values are escaped: HTML for HTML parts, nothing for text and SMS.
public enum Escaping: Sendable {
    case html
    case none
}

/// Why a strict render failed.
public enum RenderError: Error, Equatable, Sendable {
    /// A variable printed by the template has no value (missing or null) in the data.
    case missingVariable(String)
    /// A partial or parent the template names does not exist.
    case missingPartial(String)
    /// Partials nest deeper than ``Template/maxDepth`` (probably a recursion).
    case tooDeep
    /// The output passed ``Template/maxOutputBytes`` (a partial that includes itself
    /// more than once grows exponentially long before it nests too deeply).
    case tooLarge
}

/// Looks up partials by name; parsed once by whoever provides them.
public protocol PartialProvider: Sendable {
    func partial(named name: String) -> Template?
}

/// Partials held in a dictionary.
public struct PartialDictionary: PartialProvider {
    public var templates: [String: Template]
    public init(_ templates: [String: Template]) { self.templates = templates }
    public func partial(named name: String) -> Template? { templates[name] }
}

extension Template {
    public static let maxDepth = 64
    /// No message is this long (mail clients cut HTML at about 100 KB).
    public static let maxOutputBytes = 4 << 20

    /// Renders with Mustache's lenient rules: a missing variable or partial renders as
    /// nothing (as the spec requires).
    public func render(_ data: JSONValue, escaping: Escaping = .html, partials: any PartialProvider = PartialDictionary([:])) -> String {
        var renderer = Renderer(escaping: escaping, partials: partials, strict: false)
        renderer.stack = [data]
        try? renderer.render(nodes)
        return renderer.output
    }

    /// Renders strictly: a variable that prints nothing because it is missing, null or empty, a
    /// missing partial, or runaway recursion is an error instead of a silent blank.
    /// (Sections over missing values are fine: that is how templates guard optional data.)
    public func renderStrict(_ data: JSONValue, escaping: Escaping, partials: any PartialProvider) throws(RenderError) -> String {
        var renderer = Renderer(escaping: escaping, partials: partials, strict: true)
        renderer.stack = [data]
        try renderer.render(nodes)
        return renderer.output
    }
}

private struct Override {
    var block: Template.Block
}

private struct Renderer {
    let escaping: Escaping
    let partials: any PartialProvider
    let strict: Bool
    var stack: [JSONValue] = []
    var output = ""
    var indentation = ""
    var atLineStart = true
    var overrides: [String: Override] = [:]
    var depth = 0

    init(escaping: Escaping, partials: any PartialProvider, strict: Bool) {
        self.escaping = escaping
        self.partials = partials
        self.strict = strict
        output.reserveCapacity(1024)
    }

    mutating func render(_ nodes: [Template.Node]) throws(RenderError) {
        for node in nodes {
            // Every append is bounded (template text, one value), so checking here bounds the output.
            if output.utf8.count > Template.maxOutputBytes { throw .tooLarge }
            switch node {
            case .text(let text):
                emitTemplateText(text)
            case .variable(let name, let escaped):
                let value = lookup(name)
                if strict, value == nil || value == .null || value == .string("") { throw .missingVariable(name.text) }
                guard let value else { continue }
                let text = Self.text(of: value)
                if text.isEmpty { continue }
                if atLineStart && !indentation.isEmpty { output += indentation }
                atLineStart = false
                if escaped && escaping == .html {
                    Self.appendEscaped(text, to: &output)
                } else {
                    output += text
                }
            case .section(let name, let inverted, let children):
                let value = lookup(name)
                if inverted {
                    if !Self.isTruthy(value) { try render(children) }
                    continue
                }
                guard let value, Self.isTruthy(value) else { continue }
                if case .array(let items) = value {
                    for item in items {
                        stack.append(item)
                        try render(children)
                        stack.removeLast()
                    }
                } else {
                    stack.append(value)
                    try render(children)
                    stack.removeLast()
                }
            case .partial(let partialName, let extra):
                guard let template = try resolve(partialName) else { continue }
                try withNesting(extraIndentation: extra) { renderer throws(RenderError) in
                    try renderer.render(template.nodes)
                }
            case .parent(let partialName, let extra, let blocks):
                guard let template = try resolve(partialName) else { continue }
                let saved = overrides
                for (name, block) in blocks where overrides[name] == nil {
                    overrides[name] = Override(block: block)
                }
                try withNesting(extraIndentation: extra) { renderer throws(RenderError) in
                    try renderer.render(template.nodes)
                }
                overrides = saved
            case .block(let block):
                guard let override = overrides[block.name] else {
                    try render(block.nodes)
                    continue
                }
                // Reindent: drop the override's own indentation, add this site's.
                let remove = override.block.indentation ?? ""
                let add = block.indentation ?? ""
                if remove == add {
                    try render(override.block.nodes)
                    continue
                }
                var inner = self
                inner.output = ""
                inner.atLineStart = true
                inner.indentation = ""
                try inner.render(override.block.nodes)
                var expanded = Self.reindent(inner.output, remove: remove, add: add)
                // A standalone site took its line's newline with it: the expansion ends the line.
                if block.indentation != nil, !expanded.isEmpty, !expanded.hasSuffix("\n") { expanded += "\n" }
                emitTemplateText(expanded)
            }
        }
    }

    private mutating func withNesting(
        extraIndentation: String, _ body: (inout Renderer) throws(RenderError) -> Void
    ) throws(RenderError) {
        guard depth < Template.maxDepth else {
            if strict { throw .tooDeep }
            return
        }
        depth += 1
        let savedIndentation = indentation
        indentation += extraIndentation
        defer {
            indentation = savedIndentation
            depth -= 1
        }
        try body(&self)
    }

    private func resolve(_ name: Template.PartialName) throws(RenderError) -> Template? {
        let resolved: String
        switch name {
        case .literal(let text): resolved = text
        case .dynamic(let variable):
            guard let value = lookup(variable), case .string(let text) = value else {
                if strict { throw .missingPartial("*" + variable.text) }
                return nil
            }
            resolved = text
        }
        guard let template = partials.partial(named: resolved) else {
            if strict { throw .missingPartial(resolved) }
            return nil
        }
        return template
    }

    /// Template text, with the current indentation at the start of each line that has
    /// something on it.
    private mutating func emitTemplateText(_ text: String) {
        if indentation.isEmpty {
            output += text
            if let last = text.utf8.last { atLineStart = last == 0x0A }
            return
        }
        var lineStart = text.startIndex
        while lineStart < text.endIndex {
            if atLineStart { output += indentation }
            if let newline = text[lineStart...].firstIndex(of: "\n") {
                let next = text.index(after: newline)
                output += text[lineStart..<next]
                atLineStart = true
                lineStart = next
            } else {
                output += text[lineStart...]
                atLineStart = false
                lineStart = text.endIndex
            }
        }
    }

    /// Resolves a (dotted) name against the context stack: the first part is searched
    /// from the innermost context outwards, the rest only inside what it found.
    func lookup(_ name: Template.Name) -> JSONValue? {
        guard let first = name.components.first else { return stack.last }
        var found: JSONValue?
        for frame in stack.reversed() {
            if case .object(let members) = frame, let value = members[first] {
                found = value
                break
            }
        }
        for component in name.components.dropFirst() {
            guard case .object(let members) = found else { return nil }
            found = members[component]
        }
        return found
    }

    static func isTruthy(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null?, .bool(false)?: false
        case .array(let items)?: !items.isEmpty
        case .string(let text)?: !text.isEmpty
        default: true
        }
    }

    static func text(of value: JSONValue) -> String {
        switch value {
        case .null: ""
        case .bool(let flag): flag ? "true" : "false"
        case .int(let number): String(number)
        case .double(let number): number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : "\(number)"
        case .string(let text): text
        case .array, .object: value.serialized()
        }
    }

    static func appendEscaped(_ text: String, to output: inout String) {
        guard text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else {
            output += text
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            default: output.unicodeScalars.append(scalar)
            }
        }
    }

    static func reindent(_ text: String, remove: String, add: String) -> String {
        var result = ""
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let endsWithNewline = lines.last == ""
        if endsWithNewline { lines.removeLast() }
        for (index, line) in lines.enumerated() {
            var body = Substring(line)
            if body.hasPrefix(remove) { body = body.dropFirst(remove.count) }
            result += add + body
            if index < lines.count - 1 || endsWithNewline { result += "\n" }
        }
        return result
    }
}
