/// A parsed Mustache template: full spec (interpolation, sections, inverted sections,
/// comments, partials, set delimiters) plus the optional inheritance (parents and blocks)
/// and dynamic names. Parse once, render many times; immutable and Sendable.
public struct Template: Sendable, Equatable {
    indirect enum Node: Sendable, Equatable {
        case text(String)
        case variable(Name, escaped: Bool)
        case section(Name, inverted: Bool, [Node])
        /// `{{>name}}` / `{{>*name}}`; indentation of a standalone tag, applied to each line.
        case partial(PartialName, indentation: String)
        /// `{{<name}}...{{/name}}`: the blocks it overrides.
        case parent(PartialName, indentation: String, blocks: [String: Block])
        /// `{{$name}}default{{/name}}`.
        case block(Block)
    }

    /// A variable name: `.` (the current item) or dotted components.
    struct Name: Sendable, Equatable {
        var components: [String]
        var text: String { components.isEmpty ? "." : components.joined(separator: ".") }
    }

    enum PartialName: Sendable, Equatable {
        case literal(String)
        case dynamic(Name)
    }

    struct Block: Sendable, Equatable {
        var name: String
        var nodes: [Node]
        /// Indentation of the block's content when its opening tag stands alone: removed
        /// where an override is defined, added where a block is expanded.
        var indentation: String?
    }

    let nodes: [Node]

    /// Parses `source`. Throws ``TemplateError`` with line and column.
    public init(_ source: String) throws(TemplateError) {
        nodes = try TemplateParser(source).parse()
    }

    /// Names of the partials (and parents) this template uses directly, dynamic names
    /// excluded. For checking that they exist.
    public var partialNames: Set<String> {
        var names: Set<String> = []
        func walk(_ nodes: [Node]) {
            for node in nodes {
                switch node {
                case .text, .variable: break
                case .section(_, _, let children): walk(children)
                case .partial(let name, _):
                    if case .literal(let text) = name { names.insert(text) }
                case .parent(let name, _, let blocks):
                    if case .literal(let text) = name { names.insert(text) }
                    for block in blocks.values { walk(block.nodes) }
                case .block(let block): walk(block.nodes)
                }
            }
        }
        walk(nodes)
        return names
    }

    /// Variable and section names this template reads (dotted, as written).
    public var variableNames: Set<String> {
        var names: Set<String> = []
        func walk(_ nodes: [Node]) {
            for node in nodes {
                switch node {
                case .text, .partial: break
                case .variable(let name, _): names.insert(name.text)
                case .section(let name, _, let children):
                    names.insert(name.text)
                    walk(children)
                case .parent(_, _, let blocks): for block in blocks.values { walk(block.nodes) }
                case .block(let block): walk(block.nodes)
                }
            }
        }
        walk(nodes)
        return names
    }
}
