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

extension ArrayLiteral {
    /// A `bytea[]` in PostgreSQL's binary array format, bound as a binary parameter (the
    /// bodies travel as they are, not as text): dimensions, no nulls, element type `bytea`
    /// (OID 17), then each element's length and bytes, all integers big-endian.
    static func byteArrays(_ values: [[UInt8]]) -> SQLValue {
        var data: [UInt8] = []
        data.reserveCapacity(20 + values.reduce(0) { $0 + 4 + $1.count })
        func append(_ number: Int32) {
            withUnsafeBytes(of: number.bigEndian) { data.append(contentsOf: $0) }
        }
        append(1)  // dimensions
        append(0)  // no nulls
        append(17)  // bytea
        append(Int32(values.count))
        append(1)  // lower bound
        for value in values {
            append(Int32(value.count))
            data += value
        }
        return .bytes(data)
    }
}
