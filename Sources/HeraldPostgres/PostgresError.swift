import Foundation
import HeraldCore

/// An error from PostgreSQL or libpq: the SQLSTATE when the server sent one, its primary
/// message (never a bound value), and whether the connection is gone.
struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// Herald's own codes for conditions PostgreSQL does not name.
    static let schemaTooNew = "herald_schema_too_new"
    static let closed = "herald_closed"

    var sqlState: String?
    var message: String
    var connectionLost: Bool

    var description: String { "\(code): \(message)" }

    /// `pg_57P01`, or `pg_connection` when the connection failed without a SQLSTATE.
    var code: String {
        switch sqlState {
        case Self.schemaTooNew?: "schema_too_new"
        case Self.closed?: "store_closed"
        case let state?: "pg_\(state)"
        case nil: "pg_connection"
        }
    }

    /// Whether the connection should be dropped and opened again: it is gone, the server
    /// is shutting down or starting, or it landed on a read-only server (a standby after a
    /// failover: reconnecting lets libpq find the new primary).
    var needsReconnect: Bool {
        guard !connectionLost, let state = sqlState else { return true }
        return state.hasPrefix("08") || ["57P01", "57P02", "57P03", "25006"].contains(state)
    }

    /// Whether the error is the connection's or the server's state rather than one job's:
    /// the connection is gone, a lock could not be had in time (`lock_timeout`), the server
    /// is out of a resource, a statement was cancelled. Every job of a batch would meet it.
    var failsTheBatch: Bool {
        guard !needsReconnect else { return true }
        guard let state = sqlState else { return false }
        return state == "55P03" || state == "57014" || state.hasPrefix("53")
    }

    var storeError: StoreError {
        let kind: StoreError.Kind
        switch sqlState {
        case Self.schemaTooNew?: kind = .schemaTooNew
        case Self.closed?: kind = .closed
        case nil: kind = .unavailable
        case let state?:
            switch state.prefix(2) {
            // Connection, shutdown or cancel, resources (disk full, too many connections),
            // the system, authentication, a missing database; serialization failures and
            // deadlocks, lock timeouts, a read-only (standby) server: all pass.
            case "08", "57", "53", "58", "28", "3D", "40": kind = .unavailable
            case "55" where state == "55P03": kind = .unavailable
            case "25" where state == "25006": kind = .unavailable
            case "XX" where state == "XX001" || state == "XX002": kind = .corrupt
            default: kind = connectionLost ? .unavailable : .internalError
            }
        }
        return StoreError(kind, code: code, message: message)
    }

    /// Any error thrown inside a store job, as a ``StoreError``.
    static func storeError(_ error: any Error) -> StoreError {
        if let error = error as? PostgresError { return error.storeError }
        if let error = error as? StoreError { return error }
        return StoreError(.internalError, code: "internal", message: String(describing: type(of: error)))
    }

    static let closedStore = PostgresError(sqlState: closed, message: "the store is closed", connectionLost: false)

    static func internalError(_ message: String) -> PostgresError {
        PostgresError(sqlState: "XX000", message: message, connectionLost: false)
    }
}

/// What a connection is opened with: the URL as given, and the passwords it holds (and
/// libpq's `PGPASSWORD`), which are scrubbed from every message that leaves this module.
struct ConnectionTarget: Sendable {
    let url: String
    private let secrets: [String]

    init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.url = url
        // Longest first, so that a password containing another is replaced whole; very
        // short ones would turn every message into stars and are left alone.
        let candidates = DatabaseLocation.passwords(in: url) + [environment["PGPASSWORD"]].compactMap { $0 }
        secrets = Array(Set(candidates.filter { $0.count >= 4 })).sorted { $0.count > $1.count }
    }

    func scrub(_ message: String) -> String {
        secrets.reduce(message) { $0.replacingOccurrences(of: $1, with: "***") }
    }
}
