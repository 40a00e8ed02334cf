import Foundation
public import HeraldCore

/// Retention: deletes messages in a final state (sent, failed, expired, cancelled,
/// skipped) that arrived longer ago than the retention period, with their bodies, history
/// and attempts. Webhook bodies hold personal data (addresses, codes, links); they should
/// not be kept for ever. Runs on its own thread: once at start, then every `interval`.
/// Deletes in small batches, each its own write, so intake never waits long.
public final class Pruner: @unchecked Sendable {
    public static let batchSize = 500

    private let store: any RetentionStore
    private let retention: Int64
    private let interval: TimeInterval
    private let logger: Logger
    private let condition = NSCondition()
    private var stopping = false
    private var running = false

    /// `retention` and `interval` in milliseconds.
    public init(store: any RetentionStore, retention: Int64, interval: Int64 = 3_600_000, logger: Logger) {
        self.store = store
        self.retention = retention
        self.interval = TimeInterval(interval) / 1000
        self.logger = logger
    }

    /// Runs `batch` (which deletes up to ``batchSize`` messages and says how many) until a
    /// batch comes back short. Returns how many were deleted in all.
    static func deleteInBatches(_ batch: () throws -> Int) rethrows -> Int {
        var deleted = 0
        while true {
            let count = try batch()
            deleted += count
            if count < batchSize { return deleted }
        }
    }

    public func start() {
        condition.lock()
        running = true
        condition.unlock()
        startThread(named: "herald-prune") { [self] in loop() }
    }

    /// Stops between batches and waits for the thread to end.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }

    private func loop() {
        defer {
            condition.lock()
            running = false
            condition.broadcast()
            condition.unlock()
        }
        while true {
            pass()
            condition.lock()
            let deadline = Date().addingTimeInterval(interval)
            while !stopping && condition.wait(until: deadline) {}
            let stop = stopping
            condition.unlock()
            if stop { return }
        }
    }

    private func pass() {
        let cutoff = Clock.nowMilliseconds() - retention
        let deleted: Int
        do {
            // Each batch is a write of its own, so intake never waits long; a stop ends the pass.
            deleted = try Self.deleteInBatches {
                condition.lock()
                let stop = stopping
                condition.unlock()
                if stop { return 0 }
                return try store.prune(before: cutoff, limit: Self.batchSize)
            }
        } catch {
            logger.error("retention: cannot delete old messages", ["error": "\(error)"])
            return
        }
        if deleted > 0 {
            logger.notice("retention: deleted old messages", [
                "messages": String(deleted), "before": Timestamps.iso8601(milliseconds: cutoff),
            ])
        }
    }
}
