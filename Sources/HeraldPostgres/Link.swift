import Foundation
import HeraldCore

/// One of the store's connections, which comes back after it is lost: opened on demand,
/// dropped when an error calls for it (the connection is gone, the server is shutting down,
/// a standby after a failover), opened again no sooner than a backoff allows (50 ms,
/// doubling to 2 s), so that a database that is down is not hammered and callers get its
/// error at once meanwhile. Confined to the thread that owns the connection.
final class Link {
    let target: ConnectionTarget
    private let role: String
    private let logger: Logger
    /// Runs on every new connection before it is used (migrations, `LISTEN`).
    private let prepare: (Connection) throws(PostgresError) -> Void
    private(set) var connection: Connection?
    /// Counts the connections opened: a new number is a new session (an object's address
    /// can be reused by the next connection, a number cannot).
    private(set) var generation = 0
    private var lastError: PostgresError?
    private var retryAt = Date.distantPast
    private var backoff: TimeInterval = Link.firstBackoff
    private var lost = false

    static let firstBackoff: TimeInterval = 0.05
    static let longestBackoff: TimeInterval = 2

    init(target: ConnectionTarget, role: String, logger: Logger, prepare: @escaping (Connection) throws(PostgresError) -> Void = { _ in }) {
        self.target = target
        self.role = role
        self.logger = logger
        self.prepare = prepare
    }

    /// Seconds until the next attempt to connect is allowed (0: now).
    var retryDelay: TimeInterval { connection == nil ? max(retryAt.timeIntervalSinceNow, 0) : 0 }

    /// The open connection, connecting if the backoff allows; otherwise the last error.
    func open() throws(PostgresError) -> Connection {
        if let connection { return connection }
        if let lastError, Date() < retryAt { throw lastError }
        do {
            let opened = try Connection(target)
            try prepare(opened)
            connection = opened
            generation += 1
            lastError = nil
            backoff = Self.firstBackoff
            if lost {
                lost = false
                logger.notice("database connection restored", ["store.connection": role])
            }
            return opened
        } catch {
            lastError = error
            retryAt = Date().addingTimeInterval(backoff)
            backoff = min(backoff * 2, Self.longestBackoff)
            if !lost {
                lost = true
                logger.error("cannot connect to the database; retrying with backoff", ["store.connection": role, "error": error.description])
            }
            throw error
        }
    }

    /// Drops the connection after `error`, when the error calls for a new one.
    func failed(_ error: PostgresError) {
        guard error.needsReconnect, connection != nil else { return }
        connection = nil
        if !lost {
            lost = true
            logger.warning("database connection lost; reconnecting", ["store.connection": role, "error": error.description])
        }
    }

    /// Closes the connection.
    func close() {
        connection = nil
    }
}

@available(*, unavailable)
extension Link: Sendable {}
