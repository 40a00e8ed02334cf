import HeraldCore

/// An error from SQLite: the extended result code, SQLite's message and the SQL text.
/// Bound values are never included.
struct SQLiteError: Error, CustomStringConvertible, Sendable {
    /// Herald's own codes for conditions SQLite does not name.
    static let schemaTooNewCode: Int32 = -1
    static let closedCode: Int32 = -2
    static let fileReplacedCode: Int32 = -3
    static let damagedCode: Int32 = -4

    var code: Int32
    var message: String
    var sql: String?

    init(code: Int32, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// Primary result code (`SQLITE_BUSY`, `SQLITE_FULL`, ...).
    var primaryCode: Int32 { code & 0xFF }

    var description: String {
        var text = "SQLite error \(code): \(message)"
        if let sql { text += " (in: \(sql.prefix(120)))" }
        return text
    }
}

extension SQLiteError {
    /// What the store's callers see: the kind decides 503 versus a bug.
    var storeError: StoreError {
        let text = message + (sql.map { " (in: \($0.prefix(80)))" } ?? "")
        switch code {
        case Self.schemaTooNewCode: return StoreError(.schemaTooNew, code: "schema_too_new", message: message)
        case Self.closedCode: return StoreError(.closed, code: "store_closed", message: message)
        case Self.fileReplacedCode: return StoreError(.unavailable, code: "store_file_replaced", message: message)
        case Self.damagedCode: return StoreError(.corrupt, code: "store_damaged", message: message)
        default: break
        }
        switch primaryCode {
        case 5: return StoreError(.unavailable, code: "sqlite_busy", message: text)
        case 6: return StoreError(.unavailable, code: "sqlite_locked", message: text)
        case 7: return StoreError(.unavailable, code: "sqlite_nomem", message: text)
        case 8: return StoreError(.unavailable, code: "sqlite_readonly", message: text)
        case 10: return StoreError(.unavailable, code: "sqlite_ioerr", message: text)
        case 13: return StoreError(.unavailable, code: "sqlite_full", message: text)
        case 14: return StoreError(.unavailable, code: "sqlite_cantopen", message: text)
        case 15: return StoreError(.unavailable, code: "sqlite_protocol", message: text)
        case 11: return StoreError(.corrupt, code: "sqlite_corrupt", message: text)
        case 26: return StoreError(.corrupt, code: "sqlite_notadb", message: text)
        default: return StoreError(.internalError, code: "sqlite_\(code)", message: text)
        }
    }

    /// Any error thrown inside a store job, as a ``StoreError``.
    static func storeError(_ error: any Error) -> StoreError {
        if let error = error as? SQLiteError { return error.storeError }
        if let error = error as? StoreError { return error }
        return StoreError(.internalError, code: "internal", message: String(describing: type(of: error)))
    }
}
