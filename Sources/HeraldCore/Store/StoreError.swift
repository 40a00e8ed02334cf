/// Why the store could not do what it was asked. Its kind decides what a caller does:
/// intake answers 503 with `Retry-After` to what the store cannot take now (Svix retries),
/// and logs everything else as the bug it is.
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// Passing or operational: busy past the timeout, disk full, an I/O error, the
        /// database down. Nothing was written; try again later.
        case unavailable
        /// The database was written by a newer Herald.
        case schemaTooNew
        /// The database is damaged.
        case corrupt
        /// The store was closed (the process is stopping).
        case closed
        /// A bug: a constraint or statement that should never fail.
        case internalError
    }

    public var kind: Kind
    /// Stable and short: `sqlite_busy`, `sqlite_full`, `pg_57P01`.
    public var code: String
    /// The backend's message, for logs (never bound values: no addresses or codes).
    public var message: String

    public init(_ kind: Kind, code: String, message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    /// Whether a caller should answer "try again later" rather than treat it as a bug.
    public var isTemporary: Bool { kind == .unavailable || kind == .closed }

    public var description: String { "\(code): \(message)" }
}
