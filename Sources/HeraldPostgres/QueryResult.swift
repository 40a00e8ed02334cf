private import CLibPQ

/// A query's result (`PGresult *`), cleared in `deinit`. Values come as text.
final class QueryResult {
    private let handle: OpaquePointer

    init(_ handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        PQclear(handle)
    }

    var count: Int { Int(PQntuples(handle)) }

    /// The command's tag (`COMMIT`, `INSERT 0 1`; `ROLLBACK` for a commit that failed).
    var commandTag: String { String(cString: PQcmdStatus(handle)) }

    /// Rows changed by an INSERT, UPDATE or DELETE.
    var changes: Int { Int(String(cString: PQcmdTuples(handle))) ?? 0 }

    func isNull(_ row: Int, _ column: Int32) -> Bool { PQgetisnull(handle, Int32(row), column) == 1 }

    func text(_ row: Int, _ column: Int32) -> String? {
        guard !isNull(row, column), let value = PQgetvalue(handle, Int32(row), column) else { return nil }
        return String(cString: value)
    }

    func int(_ row: Int, _ column: Int32) -> Int64 { optionalInt(row, column) ?? 0 }

    func optionalInt(_ row: Int, _ column: Int32) -> Int64? {
        guard !isNull(row, column), let value = PQgetvalue(handle, Int32(row), column) else { return nil }
        return Int64(String(cString: value))
    }

    /// A `bytea` column (hex text: `\x0102...`).
    func bytes(_ row: Int, _ column: Int32) -> [UInt8]? {
        guard !isNull(row, column), let value = PQgetvalue(handle, Int32(row), column) else { return nil }
        let length = Int(PQgetlength(handle, Int32(row), column))
        return UnsafeRawBufferPointer(start: value, count: length).withMemoryRebound(to: UInt8.self) { Hex.decodeBytea($0) }
    }
}

@available(*, unavailable)
extension QueryResult: Sendable {}

enum Hex {
    /// `\x` followed by hex digits, as PostgreSQL prints `bytea`.
    static func decodeBytea(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        guard text.count >= 2, text[0] == UInt8(ascii: "\\"), text[1] == UInt8(ascii: "x") else { return Array(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity((text.count - 2) / 2)
        var index = 2
        while index + 1 < text.count {
            bytes.append(nibble(text[index]) << 4 | nibble(text[index + 1]))
            index += 2
        }
        return bytes
    }

    private static func nibble(_ byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: 0
        }
    }
}
