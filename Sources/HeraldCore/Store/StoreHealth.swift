/// Whether the store keeps what it is given, as its last commits tell: what `/healthz` and
/// `/readyz` report.
public struct StoreHealth: Sendable, Equatable {
    public enum State: String, Sendable, Equatable {
        /// The last commit succeeded (or none failed since the store opened).
        case ok
        /// The last commit failed (a full disk, an I/O error, a lock held too long): writes
        /// are refused (503) until one succeeds again.
        case failing
        /// The store can no longer keep anything in this process: its file was deleted or
        /// replaced under it. Only a restart (which opens the file at the path) mends it.
        case lost
    }

    public var state: State
    /// Why it is not ok: a ``StoreError`` code (`sqlite_full`, `store_file_replaced`).
    public var code: String?
    /// When (Unix ms) it entered this state.
    public var since: Int64

    public init(state: State, code: String? = nil, since: Int64) {
        self.state = state
        self.code = code
        self.since = since
    }

    public var isOK: Bool { state == .ok }
}

/// A store that can tell its health. Not part of ``MessageStoreBackend``: a backend without
/// it is reported as ok by its last answers alone.
public protocol StoreHealthSource: Sendable {
    /// The health the last commits left.
    var health: StoreHealth { get }
    /// Commits a small write of its own (joining the next group commit) and answers with the
    /// health after it, on the store's thread: how a failing store is seen to recover while
    /// no webhook arrives. Does not block.
    func probe(then: @escaping @Sendable (StoreHealth) -> Void)
}
