import Synchronization

/// The health a store's last commits left: its writer thread records each batch, any thread
/// reads it (`/healthz`, `/readyz`, `/livez`). Each change of state is logged once. Shared by
/// every backend's writer.
public final class StoreHealthTracker: Sendable {
    private let current: Mutex<StoreHealth>
    private let logger: Logger
    private let time: any TimeSource

    public init(logger: Logger, time: any TimeSource = SystemTime()) {
        self.logger = logger
        self.time = time
        current = Mutex(StoreHealth(state: .ok, since: time.milliseconds()))
    }

    public var health: StoreHealth { current.withLock { $0 } }

    /// The store can keep nothing more in this process (its file is gone).
    public var isLost: Bool { health.state == .lost }

    /// After a batch: failing with the first of its errors that says the store cannot keep
    /// writes (unavailable or corrupt), ok again when none does. A lost store stays lost.
    public func batchEnded(errors: some Sequence<StoreError>) {
        let trouble = errors.first { $0.kind == .unavailable || $0.kind == .corrupt }
        change(to: trouble.map { StoreHealth(state: .failing, code: $0.code, since: time.milliseconds()) }
            ?? StoreHealth(state: .ok, since: time.milliseconds()), file: nil)
    }

    /// The file at the store's path is no longer the one open: nothing written from now on
    /// would be kept. Only a restart mends it.
    public func lost(code: String, file: String) {
        change(to: StoreHealth(state: .lost, code: code, since: time.milliseconds()), file: file)
    }

    private func change(to health: StoreHealth, file: String?) {
        let previous = current.withLock { current in
            let previous = current
            if previous.state == .lost { return previous }
            if previous.state != health.state {
                current = health
            } else if previous.code != health.code {
                current.code = health.code
            }
            return previous
        }
        guard previous.state != health.state, previous.state != .lost else { return }
        switch health.state {
        case .lost:
            logger.error(
                "the database file was deleted or replaced while open: nothing more is stored (503); restart to open the file at the path",
                ["database.file": file ?? "?", "error": health.code ?? ""])
        case .failing:
            logger.error("store failing: writes are refused (503) until a commit succeeds", ["error": health.code ?? ""])
        case .ok:
            logger.notice("store recovered: commits succeed again", ["down.ms": String(health.since - previous.since)])
        }
    }
}
