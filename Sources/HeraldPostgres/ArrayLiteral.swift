/// PostgreSQL array literals in text format (`{1,2,3}`, `{"a","b\"c",NULL}`), bound as one
/// parameter and unpacked with `unnest($1::bigint[])`: one statement writes a whole
/// batch's rows, and its text never changes with the number of rows.
enum ArrayLiteral {
    static func integers(_ values: [Int64]) -> SQLValue {
        .text("{" + values.map(String.init).joined(separator: ",") + "}")
    }

    static func optionalIntegers(_ values: [Int64?]) -> SQLValue {
        .text("{" + values.map { $0.map(String.init) ?? "NULL" }.joined(separator: ",") + "}")
    }

    /// Every element quoted (so `NULL` the word stays a word), `"` and `\` escaped.
    static func texts(_ values: [String?]) -> SQLValue {
        var literal = "{"
        for (index, value) in values.enumerated() {
            if index > 0 { literal += "," }
            guard let value else {
                literal += "NULL"
                continue
            }
            literal += "\""
            for character in value.unicodeScalars {
                if character == "\"" || character == "\\" { literal += "\\" }
                literal.unicodeScalars.append(character)
            }
            literal += "\""
        }
        return .text(literal + "}")
    }
}
