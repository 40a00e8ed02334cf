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
    /// Statements that open a transaction, sent in the same round trip as the next one.
    private var prelude: [Statement] = []
    private var abandoned = false
    let target: ConnectionTarget

    /// A statement and the values bound to it.
    struct Statement {
        var sql: String
        var values: [SQLValue] = []
    }

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

    /// Whether the connection is gone (the server went away or closed it, or a pipeline
    /// could not be read back).
    var isBroken: Bool { abandoned || PQstatus(handle) != CONNECTION_OK }

    /// Whether a transaction is open (or failed and not yet rolled back).
    var inTransaction: Bool { PQtransactionStatus(handle) != PQTRANS_IDLE }

    /// Runs SQL without parameters over the simple protocol: several statements may share
    /// one round trip (`ROLLBACK; SELECT ...`). A pending ``begin(_:)`` runs first.
    @discardableResult
    func execute(_ sql: String) throws(PostgresError) -> QueryResult {
        if !prelude.isEmpty { _ = try pipeline([]) }
        return try check(PQexec(handle, sql))
    }

    /// Runs one statement with `values` bound to `$1...`, prepared on first use (in the
    /// round trip of a pending ``begin(_:)``): a pipeline of one.
    @discardableResult
    func query(_ sql: String, _ values: [SQLValue] = []) throws(PostgresError) -> QueryResult {
        try pipeline([Statement(sql: sql, values: values)])[0]
    }

    /// Opens a transaction with `statements` (`BEGIN`, its settings) when the next statement
    /// is sent, in the same round trip: a connection that died while idle fails there.
    func begin(_ statements: [Statement]) {
        prelude = statements
    }

    /// Sends a pending ``begin(_:)`` and `statements` at once (libpq's pipeline mode: one
    /// round trip) and returns the results of `statements`, in order. The first error is
    /// thrown once every answer was read (the server skips what follows an error).
    func pipeline(_ statements: [Statement]) throws(PostgresError) -> [QueryResult] {
        try pipeline(statements, tolerating: nil).results
    }

    /// The same, with `last` sent after `statements` in the same round trip and failing
    /// nothing: its error is returned, not thrown, and its result, when it has one, follows
    /// the others'. Last, so that the server has nothing after it to skip.
    func pipeline(
        _ statements: [Statement], tolerating last: Statement?
    ) throws(PostgresError) -> (results: [QueryResult], toleratedError: PostgresError?) {
        let all = prelude + statements + (last.map { [$0] } ?? [])
        let toleratedIndex = last == nil ? nil : all.count - 1
        prelude = []
        var toleratedError: PostgresError?
        guard PQenterPipelineMode(handle) == 1 else { throw error(sqlState: nil, message: String(cString: PQerrorMessage(handle))) }
        // A statement new to this connection is prepared in the pipeline, right before it
        // runs (the only place statements are prepared): inside the transaction, so under
        // its lock_timeout (preparing an INSERT takes a lock on its table).
        var steps: [(preparing: String?, name: String, tolerated: Bool)] = []
        var preparing: [String: String] = [:]
        for (index, statement) in all.enumerated() {
            let tolerated = index == toleratedIndex
            let count = Int32(statement.values.count)
            var name = prepared[statement.sql] ?? preparing[statement.sql]
            if name == nil {
                let fresh = "herald_\(prepared.count + preparing.count + 1)"
                guard PQsendPrepare(handle, fresh, statement.sql, count, nil) == 1 else { break }
                preparing[statement.sql] = fresh
                steps.append((statement.sql, fresh, tolerated))
                name = fresh
            }
            let queued = SQLValue.withParameters(statement.values) { pointers, lengths, formats in
                PQsendQueryPrepared(handle, name, count, pointers, lengths, formats, 0)
            }
            guard queued == 1 else { break }
            steps.append((nil, name!, tolerated))
        }
        guard steps.count == all.count + preparing.count, PQpipelineSync(handle) == 1 else {
            // What was queued can no longer be read back in order: give the connection up.
            let message = String(cString: PQerrorMessage(handle))
            abandoned = true
            throw error(sqlState: nil, message: message)
        }
        var results: [QueryResult] = []
        var firstError: PostgresError?
        var unanswered = 0  // the tolerated statement, when it failed
        for step in steps {
            var last: QueryResult?
            while let raw = PQgetResult(handle) {
                if PQresultStatus(raw) == PGRES_PIPELINE_ABORTED {
                    PQclear(raw)
                    continue
                }
                do {
                    last = try check(raw)
                } catch where step.tolerated {
                    toleratedError = error
                } catch {
                    firstError = firstError ?? error
                }
            }
            if let sql = step.preparing {
                if last != nil { prepared[sql] = step.name }
            } else if let last {
                results.append(last)
            } else if step.tolerated {
                unanswered += 1
            }
            if isBroken { break }
        }
        // The synchronisation point closes the pipeline; a connection that cannot leave
        // pipeline mode is given up (its next user opens another).
        if !isBroken {
            if let raw = PQgetResult(handle) { PQclear(raw) }
            if PQexitPipelineMode(handle) != 1 {
                abandoned = true
                throw error(sqlState: nil, message: "the connection was left in pipeline mode")
            }
        }
        if let firstError { throw firstError }
        guard results.count + unanswered == all.count else {
            throw error(sqlState: nil, message: isBroken ? "the connection was lost" : "a pipelined statement gave no result")
        }
        return (Array(results.suffix(statements.count + (last == nil ? 0 : 1) - unanswered)), toleratedError)
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

/// Runs `body` with `strings` as a NULL-terminated array of C strings.
private func withCStrings<T>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> T) -> T {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
