import Foundation

/// Where commands write: standard output and standard error, replaceable in tests.
public struct Output: Sendable {
    public var write: @Sendable (String) -> Void
    public var writeError: @Sendable (String) -> Void
    public var isTerminal: Bool

    public init(write: @escaping @Sendable (String) -> Void, writeError: @escaping @Sendable (String) -> Void, isTerminal: Bool) {
        self.write = write
        self.writeError = writeError
        self.isTerminal = isTerminal
    }

    public static let standard = Output(
        write: { FileHandle.standardOutput.write(Data($0.utf8)) },
        writeError: { FileHandle.standardError.write(Data($0.utf8)) },
        isTerminal: isatty(STDOUT_FILENO) == 1)
}

/// Lays out rows in aligned columns, every cell escaped (``TerminalText``).
enum Table {
    static func render(_ unescaped: [[String]]) -> String {
        let rows = unescaped.map { $0.map(TerminalText.escape) }
        guard let first = rows.first else { return "" }
        var widths = Array(repeating: 0, count: first.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
