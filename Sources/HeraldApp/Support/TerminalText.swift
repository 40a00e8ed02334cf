/// Text from the store or from a remote party, made safe to print: every control character
/// is written as a visible escape, so that a signed event cannot retitle or clear the
/// operator's terminal, move its cursor, or forge a row of `herald log`'s table or TSV.
/// A backslash is doubled, so that an escape shown is never text that looks like one.
/// JSON output does not use this: it is JSON-escaped.
enum TerminalText {
    static func escape(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                out.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{1B}": out += "\\e"
            case "\u{07}": out += "\\a"
            case "\u{08}": out += "\\b"
            case "\0": out += "\\0"
            default:
                let hex = String(scalar.value, radix: 16)
                out += scalar.value < 0x100 ? "\\x" + (hex.count < 2 ? "0" : "") + hex : "\\u{\(hex)}"
            }
        }
        return out
    }

    /// C0 and C1 controls, DEL, the line and paragraph separators and the bidirectional
    /// controls (which reorder what follows them on screen), and the backslash.
    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x5C: true
        case 0x200E, 0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
