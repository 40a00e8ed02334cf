private import CLibPQ
import Foundation

/// `PG_DIAG_*` (C character macros), redeclared once.
private let diagnosticSQLState = Int32(UInt8(ascii: "C"))
private let diagnosticPrimaryMessage = Int32(UInt8(ascii: "M"))

/// libpq prints notices (`NOTICE: ... already exists, skipping`) on stderr by default;
/// Herald's stderr is its log.
private func ignoreNotice(_: UnsafeMutableRawPointer?, _: UnsafePointer<CChar>?) {}

/// An open connection (`PGconn *`), finished in `deinit`. Used by one thread at a time
/// (each belongs to one of the store's threads). Statements are prepared once per
/// connection and run with bound parameters only.
final class Connection {
    private let handle: OpaquePointer
    private var prepared: [String: String] = [:]
    let target: ConnectionTarget

    /// Connects, or throws libpq's reason (scrubbed of any password).
    init(_ target: ConnectionTarget) throws(PostgresError) {
        self.target = target
        // Defaults first, then the URL (which may override them), then what Herald needs.
        let settings: [(String, String)] = [
            ("application_name", "herald"), ("connect_timeout", "5"), ("keepalives_idle", "10"), ("keepalives_interval", "5"),
            ("keepalives_count", "3"), ("tcp_user_timeout", "15000"), ("dbname", target.url), ("client_encoding", "UTF8"),
        ]
        let connection = withCStrings(settings.map(\.0)) { keywords in
            withCStrings(settings.map(\.1)) { values in PQconnectdbParams(keywords, values, 1) }
        }
        guard let connection else { throw PostgresError(sqlState: nil, message: "out of memory", connectionLost: true) }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = target.scrub(Self.firstLine(String(cString: PQerrorMessage(connection))))
            PQfinish(connection)
            throw PostgresError(sqlState: nil, message: message, connectionLost: true)
        }
        handle = connection
        PQsetNoticeProcessor(connection, ignoreNotice, nil)
    }

    deinit {
        PQfinish(handle)
    }

    /// Whether the connection is gone (the server went away or closed it).
    var isBroken: Bool { PQstatus(handle) != CONNECTION_OK }

    /// Whether a transaction is open (or failed and not yet rolled back).
    var inTransaction: Bool { PQtransactionStatus(handle) != PQTRANS_IDLE }

    /// Runs SQL without parameters over the simple protocol: several statements may share
    /// one round trip (`BEGIN; SET LOCAL ...`).
    @discardableResult
    func execute(_ sql: String) throws(PostgresError) -> QueryResult {
        try check(PQexec(handle, sql))
    }

    /// Runs one statement with `values` bound to `$1...`, prepared on first use.
    @discardableResult
    func query(_ sql: String, _ values: [SQLValue] = []) throws(PostgresError) -> QueryResult {
        let name = try statementName(for: sql, parameters: Int32(values.count))
        return try check(SQLValue.withParameters(values) { pointers, lengths, formats in
            PQexecPrepared(handle, name, Int32(values.count), pointers, lengths, formats, 0)
        })
    }

    private func statementName(for sql: String, parameters: Int32) throws(PostgresError) -> String {
        if let name = prepared[sql] { return name }
        let name = "herald_\(prepared.count + 1)"
        _ = try check(PQprepare(handle, name, sql, parameters, nil))
        prepared[sql] = name
        return name
    }

    private func check(_ raw: OpaquePointer?) throws(PostgresError) -> QueryResult {
        guard let raw else { throw error(sqlState: nil, message: String(cString: PQerrorMessage(handle))) }
        let result = QueryResult(raw)
        switch PQresultStatus(raw) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return result
        default:
            let state = PQresultErrorField(raw, diagnosticSQLState).map { String(cString: $0) }
            let message = PQresultErrorField(raw, diagnosticPrimaryMessage).map { String(cString: $0) }
                ?? String(cString: PQresultErrorMessage(raw))
            throw error(sqlState: state, message: message)
        }
    }

    private func error(sqlState: String?, message: String) -> PostgresError {
        var text = Self.firstLine(message)
        // Data exceptions quote the offending value: never put a bound value in a log.
        if sqlState?.hasPrefix("22") == true { text = "invalid value" }
        return PostgresError(sqlState: sqlState, message: target.scrub(text), connectionLost: isBroken)
    }

    /// libpq's messages go on with hints on further lines (`\tIs the server running...`).
    private static func firstLine(_ message: String) -> String {
        String(message.split(separator: "\n", maxSplits: 1).first ?? "").trimmingCharacters(in: .whitespaces)
    }

    // MARK: LISTEN

    /// The socket to wait on for notifications.
    var socket: Int32 { PQsocket(handle) }

    /// Reads what arrived and drops the notifications; returns how many there were, or
    /// nil when the connection is gone.
    func drainNotifications() -> Int? {
        guard PQconsumeInput(handle) == 1 else { return nil }
        var count = 0
        while let notification = PQnotifies(handle) {
            PQfreemem(notification)
            count += 1
        }
        return isBroken ? nil : count
    }
}

@available(*, unavailable)
extension Connection: Sendable {}

/// A query's result (`PGresult *`), cleared in `deinit`. Values come as text.
final class QueryResult {
    private let handle: OpaquePointer

    fileprivate init(_ handle: OpaquePointer) {
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

/// A value bound to a statement parameter: text format, except bytes (binary).
enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)
    case bytes([UInt8])

    static func optional(_ text: String?) -> SQLValue { text.map(SQLValue.text) ?? .null }
    static func optional(_ number: Int64?) -> SQLValue { number.map(SQLValue.integer) ?? .null }

    /// Lays the values out in one buffer (text NUL-terminated, as libpq reads it) and
    /// calls `body` with libpq's three parameter arrays.
    fileprivate static func withParameters<T>(
        _ values: [SQLValue],
        _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> T
    ) -> T {
        var storage: [UInt8] = [0]  // never empty: a base address always exists
        var offsets: [Int?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        for value in values {
            switch value {
            case .null:
                offsets.append(nil)
                lengths.append(0)
                formats.append(0)
            case .integer(let number):
                offsets.append(storage.count)
                storage += Array(String(number).utf8) + [0]
                lengths.append(0)
                formats.append(0)
            case .text(let text):
                offsets.append(storage.count)
                storage += Array(text.utf8) + [0]
                lengths.append(0)
                formats.append(0)
            case .bytes(let bytes):
                offsets.append(storage.count)
                storage += bytes
                lengths.append(Int32(bytes.count))
                formats.append(1)
            }
        }
        return storage.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!)
            let pointers: [UnsafePointer<CChar>?] = offsets.map { offset in
                offset.map { (base + $0).assumingMemoryBound(to: CChar.self) }
            }
            return body(pointers, lengths, formats)
        }
    }
}

/// Runs `body` with `strings` as a NULL-terminated array of C strings.
private func withCStrings<T>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> T) -> T {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

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
