/// A template that cannot be parsed, with where (1-based line and column).
public struct TemplateError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        case unclosedTag
        case emptyTag
        case unclosedSection(String)
        case unexpectedClose(String)
        case mismatchedClose(expected: String, found: String)
        case invalidDelimiters
    }

    public var kind: Kind
    public var line: Int
    public var column: Int

    public init(_ kind: Kind, line: Int, column: Int) {
        self.kind = kind
        self.line = line
        self.column = column
    }

    public var description: String {
        let what: String
        switch kind {
        case .unclosedTag: what = "tag is not closed"
        case .emptyTag: what = "tag has no name"
        case .unclosedSection(let name): what = "section '\(name)' is not closed"
        case .unexpectedClose(let name): what = "'{{/\(name)}}' closes nothing"
        case .mismatchedClose(let expected, let found): what = "'{{/\(found)}}' found where '{{/\(expected)}}' was expected"
        case .invalidDelimiters: what = "invalid delimiter change (use e.g. {{=<% %>=}})"
        }
        return "line \(line), column \(column): \(what)"
    }
}
