/// Turns template source into ``Template/Node``s: tokenize (honouring delimiter changes),
/// drop standalone lines (a line holding only non-output tags and white space vanishes,
/// newline included), then build the tree.
struct TemplateParser {
    private enum TagKind: Equatable {
        case variable, unescaped, section, inverted, close, comment, partial, delimiters, parent, block

        var canStandAlone: Bool {
            switch self {
            case .variable, .unescaped: false
            default: true
            }
        }
    }

    private enum Token {
        case text(String)
        case newline(String)
        case tag(TagKind, String, offset: Int, indentation: String, standalone: Bool)
    }

    private let bytes: [UInt8]

    init(_ source: String) {
        bytes = Array(source.utf8)
    }

    func parse() throws(TemplateError) -> [Template.Node] {
        let tokens = removeStandaloneLines(try tokenize())
        var index = 0
        let nodes = try build(tokens, &index, closing: nil)
        return nodes
    }

    // MARK: Tokens

    private func tokenize() throws(TemplateError) -> [Token] {
        var tokens: [Token] = []
        var open = Array("{{".utf8)
        var close = Array("}}".utf8)
        var position = 0
        var textStart = 0

        func flushText(upTo end: Int) {
            var start = textStart
            var cursor = textStart
            while cursor < end {
                if bytes[cursor] == 0x0A {
                    let lineEnd = cursor > start && bytes[cursor - 1] == 0x0D ? cursor - 1 : cursor
                    if lineEnd > start { tokens.append(.text(string(start, lineEnd))) }
                    tokens.append(.newline(string(lineEnd, cursor + 1)))
                    start = cursor + 1
                }
                cursor += 1
            }
            if end > start { tokens.append(.text(string(start, end))) }
        }

        while position < bytes.count {
            guard matches(open, at: position) else {
                position += 1
                continue
            }
            flushText(upTo: position)
            let tagStart = position
            var cursor = position + open.count
            guard cursor < bytes.count else { throw error(.unclosedTag, at: tagStart) }
            var kind = TagKind.variable
            var closing = close
            switch bytes[cursor] {
            case UInt8(ascii: "{"): kind = .unescaped; closing = Array("}".utf8) + close; cursor += 1
            case UInt8(ascii: "&"): kind = .unescaped; cursor += 1
            case UInt8(ascii: "#"): kind = .section; cursor += 1
            case UInt8(ascii: "^"): kind = .inverted; cursor += 1
            case UInt8(ascii: "/"): kind = .close; cursor += 1
            case UInt8(ascii: "!"): kind = .comment; cursor += 1
            case UInt8(ascii: ">"): kind = .partial; cursor += 1
            case UInt8(ascii: "="): kind = .delimiters; closing = Array("=".utf8) + close; cursor += 1
            case UInt8(ascii: "<"): kind = .parent; cursor += 1
            case UInt8(ascii: "$"): kind = .block; cursor += 1
            default: break
            }
            guard let end = find(closing, from: cursor) else { throw error(.unclosedTag, at: tagStart) }
            let content = string(cursor, end).trimmingWhitespace()
            position = end + closing.count
            textStart = position
            switch kind {
            case .comment:
                break
            case .delimiters:
                let parts = content.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard parts.count == 2, !parts.contains(where: { $0.contains("=") }) else {
                    throw error(.invalidDelimiters, at: tagStart)
                }
                open = Array(parts[0].utf8)
                close = Array(parts[1].utf8)
            default:
                guard !content.isEmpty else { throw error(.emptyTag, at: tagStart) }
            }
            tokens.append(.tag(kind, content, offset: tagStart, indentation: "", standalone: false))
        }
        flushText(upTo: bytes.count)
        return tokens
    }

    /// Drops lines that hold only standalone-capable tags and white space; records the
    /// line's indentation on its tags.
    private func removeStandaloneLines(_ tokens: [Token]) -> [Token] {
        var result: [Token] = []
        result.reserveCapacity(tokens.count)
        var line: [Token] = []

        func finishLine(newline: Token?) {
            var tagCount = 0
            var standalone = true
            for token in line {
                switch token {
                case .tag(let kind, _, _, _, _):
                    tagCount += 1
                    if !kind.canStandAlone { standalone = false }
                case .text(let text):
                    if !text.allSatisfy({ $0 == " " || $0 == "\t" }) { standalone = false }
                case .newline:
                    break
                }
            }
            if standalone && tagCount > 0 {
                var indentation = ""
                if case .text(let text) = line.first { indentation = text }
                for token in line {
                    if case .tag(let kind, let content, let offset, _, _) = token {
                        result.append(.tag(kind, content, offset: offset, indentation: indentation, standalone: true))
                    }
                }
            } else {
                result.append(contentsOf: line)
                if let newline { result.append(newline) }
            }
            line.removeAll(keepingCapacity: true)
        }

        for token in tokens {
            if case .newline = token {
                finishLine(newline: token)
            } else {
                line.append(token)
            }
        }
        finishLine(newline: nil)
        return result
    }

    // MARK: Tree

    private func build(_ tokens: [Token], _ index: inout Int, closing: (name: String, offset: Int)?) throws(TemplateError) -> [Template.Node] {
        var nodes: [Template.Node] = []
        while index < tokens.count {
            let token = tokens[index]
            index += 1
            switch token {
            case .text(let text), .newline(let text):
                if case .text(let previous) = nodes.last {
                    nodes[nodes.count - 1] = .text(previous + text)
                } else {
                    nodes.append(.text(text))
                }
            case .tag(let kind, let content, let offset, let indentation, let standalone):
                switch kind {
                case .comment, .delimiters:
                    break
                case .variable, .unescaped:
                    nodes.append(.variable(Self.name(content), escaped: kind == .variable))
                case .section, .inverted:
                    let children = try build(tokens, &index, closing: (content, offset))
                    nodes.append(.section(Self.name(content), inverted: kind == .inverted, children))
                case .partial:
                    nodes.append(.partial(Self.partialName(content), indentation: indentation))
                case .block:
                    let children = try build(tokens, &index, closing: (content, offset))
                    nodes.append(.block(Self.block(content, children, standalone: standalone, tagIndentation: indentation)))
                case .parent:
                    let children = try build(tokens, &index, closing: (content, offset))
                    var blocks: [String: Template.Block] = [:]
                    for child in children {
                        if case .block(let block) = child, blocks[block.name] == nil { blocks[block.name] = block }
                    }
                    nodes.append(.parent(Self.partialName(content), indentation: indentation, blocks: blocks))
                case .close:
                    guard let closing else { throw error(.unexpectedClose(content), at: offset) }
                    guard closing.name == content else {
                        throw error(.mismatchedClose(expected: closing.name, found: content), at: offset)
                    }
                    return nodes
                }
            }
        }
        if let closing { throw error(.unclosedSection(closing.name), at: closing.offset) }
        return nodes
    }

    private static func block(_ name: String, _ nodes: [Template.Node], standalone: Bool, tagIndentation: String) -> Template.Block {
        guard standalone else { return Template.Block(name: name, nodes: nodes, indentation: nil) }
        // The content's own indentation: the leading white space of its first line, or the
        // tag's when the block is empty.
        if case .text(let text) = nodes.first {
            let leading = String(text.prefix { $0 == " " || $0 == "\t" })
            return Template.Block(name: name, nodes: nodes, indentation: leading)
        }
        return Template.Block(name: name, nodes: nodes, indentation: nodes.isEmpty ? tagIndentation : "")
    }

    private static func name(_ content: String) -> Template.Name {
        content == "." ? Template.Name(components: []) : Template.Name(components: content.split(separator: ".", omittingEmptySubsequences: false).map(String.init))
    }

    private static func partialName(_ content: String) -> Template.PartialName {
        if content.hasPrefix("*") {
            return .dynamic(name(String(content.dropFirst()).trimmingWhitespace()))
        }
        return .literal(content)
    }

    // MARK: Bytes

    private func matches(_ needle: [UInt8], at position: Int) -> Bool {
        guard position + needle.count <= bytes.count else { return false }
        for offset in 0..<needle.count where bytes[position + offset] != needle[offset] {
            return false
        }
        return true
    }

    private func find(_ needle: [UInt8], from start: Int) -> Int? {
        var position = start
        while position + needle.count <= bytes.count {
            if matches(needle, at: position) { return position }
            position += 1
        }
        return nil
    }

    private func string(_ start: Int, _ end: Int) -> String {
        String(decoding: bytes[start..<end], as: UTF8.self)
    }

    private func error(_ kind: TemplateError.Kind, at offset: Int) -> TemplateError {
        var line = 1
        var column = 1
        for byte in bytes[0..<min(offset, bytes.count)] {
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return TemplateError(kind, line: line, column: column)
    }
}
