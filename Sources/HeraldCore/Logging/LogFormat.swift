/// logfmt rendering of a ``LogRecord``: one line, `key=value` pairs, keys sorted, values
/// quoted when they contain spaces, quotes, `=` or control characters (C0, DEL and C1: NEL,
/// U+0085, ends a line for some readers), which are escaped.
public enum LogFormat {
    public static func logfmt(_ record: LogRecord, timestamp: String) -> String {
        var line = "ts=\(timestamp) level=\(record.level.name) logger=\(quote(record.label)) msg=\(quote(record.message))"
        for key in record.metadata.keys.sorted() {
            line += " \(sanitizeKey(key))=\(quote(record.metadata[key] ?? ""))"
        }
        return line
    }

    static func sanitizeKey(_ key: String) -> String {
        guard !key.isEmpty else { return "_" }  // `=value` alone is no pair
        return String(key.unicodeScalars.map { scalar -> Character in
            scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "." || scalar == "_"
                ? Character(scalar) : "_"
        })
    }

    static func quote(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.unicodeScalars.contains { scalar in
            scalar == " " || scalar == "\"" || scalar == "=" || scalar == "\\" || isControl(scalar)
        }
        guard needsQuotes else { return value }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if isControl(scalar) {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// U+0000–U+001F, U+007F and U+0080–U+009F.
    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control
    }
}
