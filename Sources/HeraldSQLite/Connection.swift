private import CSQLite
import Foundation

/// `SQLITE_TRANSIENT`: SQLite copies bound text and blobs.
private let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// An open SQLite database (`sqlite3 *`), closed in `deinit`. Not thread-safe: one
/// connection belongs to one thread (opened with `SQLITE_OPEN_NOMUTEX`).
final class Connection {
    fileprivate let handle: OpaquePointer
    private var cache: [String: Statement] = [:]
    private var isOpen = true
    let path: String

    /// Opens (and, unless `readOnly` or not `create`, creates) the database file at `path`.
    init(path: String, readOnly: Bool = false, create: Bool = true) throws(SQLiteError) {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0))) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open database"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: message)
        }
        self.handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, 5_000)
        var ignored: Int32 = 0
        _ = csqlite_db_config_int(db, SQLITE_DBCONFIG_DEFENSIVE, 1, &ignored)
    }

    deinit {
        cache.removeAll()
        if isOpen { sqlite3_close_v2(handle) }
    }

    /// Finalizes the cached statements and closes the database now. When this is the last
    /// connection to the file, SQLite checkpoints the WAL into it and deletes the WAL.
    func close() throws(SQLiteError) {
        guard isOpen else { return }
        cache.removeAll()
        let rc = sqlite3_close(handle)
        guard rc == SQLITE_OK else { throw error(rc, sql: nil) }
        isOpen = false
    }

    /// Copies what the WAL holds into the database file as far as no reader or writer of
    /// another connection stands in the way (`SQLITE_CHECKPOINT_PASSIVE`: never waits).
    /// Returns the WAL's frames and how many of them the database file now holds.
    func checkpoint() throws(SQLiteError) -> (frames: Int, merged: Int) {
        var frames: Int32 = 0
        var merged: Int32 = 0
        let rc = sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, &frames, &merged)
        guard rc == SQLITE_OK else { throw error(rc, sql: nil) }
        return (Int(frames), Int(merged))
    }

    /// Whether the database file at ``path`` is no longer the file this connection has
    /// open: deleted, renamed, or replaced by another (`SQLITE_FCNTL_HAS_MOVED`, which
    /// compares the inode at the path with the open one's). Writes would go on into a file
    /// no one will ever open again.
    var fileHasMoved: Bool {
        var moved: Int32 = 0
        return sqlite3_file_control(handle, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK && moved != 0
    }

    /// Runs one or more statements without results.
    func execute(_ sql: String) throws(SQLiteError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errorMessage)
            throw SQLiteError(code: rc, message: message, sql: sql)
        }
    }

    /// A prepared statement for `sql`, cached and reset for reuse.
    func statement(_ sql: String) throws(SQLiteError) -> Statement {
        if let cached = cache[sql] {
            cached.reset()
            return cached
        }
        var raw: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard rc == SQLITE_OK, let raw else { throw error(rc, sql: sql) }
        let statement = Statement(raw, connection: self, sql: sql)
        cache[sql] = statement
        return statement
    }

    /// Prepares (or reuses) `sql`, binds `values`, runs `body` over it, and resets the
    /// statement afterwards so that it never holds a read snapshot open.
    func query<T>(_ sql: String, _ values: [SQLValue] = [], _ body: (Statement) throws -> T) throws -> T {
        let prepared = try statement(sql)
        defer { prepared.reset() }
        try prepared.bind(values)
        return try body(prepared)
    }

    /// Runs a statement without results.
    func run(_ sql: String, _ values: [SQLValue] = []) throws {
        try query(sql, values) { try $0.run() }
    }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    var changes: Int { Int(sqlite3_changes(handle)) }

    func error(_ rc: Int32, sql: String?) -> SQLiteError {
        SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }

    /// Runs `body` in a transaction, committing on success and rolling back on error.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }
}

@available(*, unavailable)
extension Connection: Sendable {}

/// A prepared statement (`sqlite3_stmt *`), finalized in `deinit`.
final class Statement {
    private let handle: OpaquePointer
    private unowned let connection: Connection
    private let sql: String

    fileprivate init(_ handle: OpaquePointer, connection: Connection, sql: String) {
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Binds values to `?` parameters in order.
    @discardableResult
    func bind(_ values: [SQLValue]) throws(SQLiteError) -> Statement {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(handle, index)
            case .integer(let number): rc = sqlite3_bind_int64(handle, index, number)
            case .text(let text):
                // With its byte length, so that a NUL inside the text is stored, not the end of it.
                // (`utf8CString` ends with a terminator, so it is never empty: a null pointer would bind NULL.)
                rc = text.utf8CString.withUnsafeBufferPointer { buffer in
                    sqlite3_bind_text64(handle, index, buffer.baseAddress, UInt64(buffer.count - 1), SQLITE_TRANSIENT, UInt8(SQLITE_UTF8))
                }
            case .blob(let bytes):
                rc = bytes.withUnsafeBytes { buffer in
                    sqlite3_bind_blob64(handle, index, buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1), UInt64(buffer.count), SQLITE_TRANSIENT)
                }
            }
            guard rc == SQLITE_OK else { throw connection.error(rc, sql: sql) }
        }
        return self
    }

    /// Steps once; true when a row is available.
    func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.error(rc, sql: sql)
        }
    }

    /// Steps to completion, ignoring rows.
    func run() throws(SQLiteError) {
        while try step() {}
    }

    func int(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    /// The column's text, whole: a NUL inside it is kept (the byte count decides, not a terminator).
    func text(_ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let pointer = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}

@available(*, unavailable)
extension Statement: Sendable {}

/// A value bound to a statement parameter.
enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)
    case blob([UInt8])

    static func optional(_ text: String?) -> SQLValue { text.map(SQLValue.text) ?? .null }
}
