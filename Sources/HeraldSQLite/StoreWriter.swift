import Foundation
import HeraldCore
import Synchronization

/// Owns a ``MessageStore`` on one dedicated thread and runs write jobs with group commit:
/// every job waiting when the thread comes round runs in one transaction (if one fails, the
/// batch is run again with a savepoint per job, so it does not undo the others), then one
/// commit makes them all durable, then every caller is answered. A batch that stored new
/// messages also claims for this process's engine (``ClaimAlong``). Callers never wait on
/// Swift's cooperative pool: the blocking entry point is for C threads (the HTTP server's),
/// the async one suspends.
final class StoreWriter: Sendable {
    private final class Job: @unchecked Sendable {
        // Touched only by the writer thread between submission and completion.
        let run: (MessageStore) throws -> Void
        let finish: (Result<Void, any Error>) -> Void
        /// Runs outside any transaction (reads only).
        let readOnly: Bool
        init(readOnly: Bool = false, run: @escaping (MessageStore) throws -> Void, finish: @escaping (Result<Void, any Error>) -> Void) {
            self.readOnly = readOnly
            self.run = run
            self.finish = finish
        }
    }

    private let queue = JobQueue<Job>()
    /// The most write jobs one transaction held (for tests of group commit).
    private final class Largest: Sendable {
        let value = Atomic<Int>(0)
    }
    private let largestWriteBatch = Largest()
    private let tracker: StoreHealthTracker
    /// Set once the writer thread has checkpointed and closed the store (or failed to open it).
    private let closed = Outcome<Void>()
    private let logger: Logger
    let maxBatch: Int
    private let slot = ClaimAlongSlot()

    /// Opens the store at `path` on a new thread. Throws if it cannot be opened.
    init(path: String, logger: Logger = .disabled, maxBatch: Int = 1024) throws {
        self.logger = logger
        self.maxBatch = maxBatch
        let opened = Outcome<Void>()
        tracker = StoreHealthTracker(logger: logger)
        let queue = self.queue
        let (tracker, largest, slot) = (self.tracker, self.largestWriteBatch, self.slot)
        let closed = self.closed
        startThread(named: "herald-store") { [logger, maxBatch] in
            let store: MessageStore
            do {
                store = try MessageStore(path: path)
                let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? NSNumber
                if let mode, mode.intValue & 0o077 != 0 {
                    logger.warning("the store is readable by other users of this host (it holds codes and phone numbers)", [
                        "database.mode": String(mode.intValue, radix: 8), "fix": "chmod 600 \(path)*",
                    ])
                }
                if let check = store.openCheck {
                    logger.info("store checked", [
                        "check": check.full ? "quick_check" : "quick_check, all but the event bodies", "store.bytes": String(check.bytes),
                        "duration.ms": String(check.milliseconds),
                    ])
                }
                opened.set(.success(()))
            } catch {
                opened.set(.failure(error))
                closed.set(.success(()))
                return
            }
            StoreWriter.loop(store: store, queue: queue, tracker: tracker, largest: largest, slot: slot, logger: logger, maxBatch: maxBatch)
            closed.set(.success(()))
        }
        try opened.wait().get()
    }

    /// Runs `body` in the next group commit and returns its result once committed.
    /// Blocks the calling thread: call it from a dedicated (C) thread only.
    func writeBlocking<T: Sendable>(_ body: @escaping @Sendable (MessageStore) throws -> T) throws -> T {
        let done = Outcome<T>()
        submit(body) { done.set($0) }
        return try done.wait().get()
    }

    /// Runs `body` (which only reads) on the writer thread outside any transaction, and
    /// returns its result. Blocks the calling thread.
    func readBlocking<T: Sendable>(_ body: @escaping @Sendable (MessageStore) throws -> T) throws -> T {
        let done = Outcome<T>()
        let box = Box<T>()
        submit(Job(readOnly: true, run: { store in box.value = try body(store) }, finish: { result in
            done.set(result.map { box.value! })
        }))
        return try done.wait().get()
    }

    /// Runs `body` in the next group commit and calls `completion` once committed (or
    /// failed), on the writer thread: keep the completion short.
    func submit<T: Sendable>(
        _ body: @escaping @Sendable (MessageStore) throws -> T,
        completion: @escaping @Sendable (Result<T, any Error>) -> Void
    ) {
        let box = Box<T>()
        submit(Job(run: { store in box.value = try body(store) }, finish: { result in
            completion(result.map { box.value! })
        }))
    }

    /// From now on, each batch that stores new messages claims for this process's engine.
    func claimAlong(_ along: ClaimAlong) {
        slot.set(along)
    }

    /// The most write jobs one transaction has held so far.
    var largestBatch: Int { largestWriteBatch.value.load(ordering: .relaxed) }

    /// What the last commits left.
    var health: StoreHealth { tracker.health }

    /// Finishes queued jobs, then checkpoints and closes the store on its thread, and
    /// returns once it is closed. Later writes fail.
    func close() {
        queue.close(waiting: false)
        _ = closed.wait()
    }

    private func submit(_ job: Job) {
        if !queue.append(job) {
            job.finish(.failure(SQLiteError(code: SQLiteError.closedCode, message: "the store is closed")))
        }
    }

    private static func loop(
        store: MessageStore, queue: JobQueue<Job>, tracker: StoreHealthTracker, largest: Largest, slot: ClaimAlongSlot, logger: Logger,
        maxBatch: Int
    ) {
        while let taken = queue.nextBatch(limit: maxBatch) {
            let lost = tracker.isLost
            // Reads first, each on its own, outside any transaction.
            for job in taken where job.readOnly {
                do {
                    try job.run(store)
                    job.finish(.success(()))
                } catch {
                    job.finish(.failure(error))
                }
            }
            let batch = taken.filter { !$0.readOnly }
            if batch.isEmpty { continue }
            if lost {
                // The file is gone: whatever is written now would be lost with it.
                for job in batch { job.finish(.failure(fileReplaced(store))) }
                continue
            }
            largest.value.max(batch.count, ordering: .relaxed)

            var (outcomes, along) = commit(batch, store: store, slot: slot, logger: logger)
            // Only now may the callers hear that it is kept: the commit went into the file at
            // the configured path, not into one deleted or replaced under it.
            if let replaced = store.replacedFile() {
                outcomes = Array(repeating: .failure(fileReplaced(store)), count: batch.count)
                tracker.lost(code: "store_file_replaced", file: replaced)
                along?.finish(.failure(SQLiteError.storeError(fileReplaced(store))))
            } else {
                // Before the batch's callers hear of it: intake's word to the engine then
                // finds the message held already.
                along?.committed()
                tracker.batchEnded(errors: outcomes.lazy.compactMap { outcome -> StoreError? in
                    guard case .failure(let error) = outcome else { return nil }
                    return SQLiteError.storeError(error)
                })
            }
            for (job, outcome) in zip(batch, outcomes) { job.finish(outcome) }
        }
        // Inside this thread and before close() returns: a process that exits right after a
        // clean stop leaves the database file whole, its WAL merged.
        store.close(logger: logger, checkpoint: !tracker.isLost)
    }

    /// Runs a batch in one transaction and commits it: the fast path runs every job (and
    /// the claim along with its new messages); when one fails (rarely), the batch is rolled
    /// back and run again with a savepoint per job, so that only the failing job is undone
    /// (and nothing is claimed along: the dispatcher claims). Returns each job's outcome,
    /// and the claim along, committed, for the caller to hand over once the file is known
    /// to be the right one.
    private static func commit(
        _ batch: [Job], store: MessageStore, slot: ClaimAlongSlot, logger: Logger
    ) -> ([Result<Void, any Error>], ClaimAlongReservation?) {
        let connection = store.connection
        var outcomes: [Result<Void, any Error>] = []
        outcomes.reserveCapacity(batch.count)
        var along: ClaimAlongReservation?
        do {
            try connection.run("BEGIN IMMEDIATE")
            store.newQueued = 0
            var failed = false
            for job in batch {
                do {
                    try job.run(store)
                } catch {
                    failed = true
                    break
                }
            }
            if !failed, let reservation = ClaimAlongReservation(newMessages: store.newQueued, in: slot) {
                do {
                    reservation.claimed = try store.claimDue(
                        now: reservation.now, owner: reservation.along.owner, leaseUntil: reservation.leaseUntil,
                        limit: reservation.requested, maxAge: reservation.along.maxAge)
                    along = reservation
                } catch {
                    reservation.finish(.failure(SQLiteError.storeError(error)))
                    failed = true
                }
            }
            if failed {
                try connection.run("ROLLBACK")
                try connection.run("BEGIN IMMEDIATE")
                for job in batch {
                    try connection.run("SAVEPOINT job")
                    do {
                        try job.run(store)
                        try connection.run("RELEASE job")
                        outcomes.append(.success(()))
                    } catch {
                        try connection.run("ROLLBACK TO job")
                        try connection.run("RELEASE job")
                        outcomes.append(.failure(error))
                    }
                }
            } else {
                outcomes = Array(repeating: .success(()), count: batch.count)
            }
            try connection.run("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            logger.error("store commit failed", ["error": "\(error)", "batch.size": "\(batch.count)"])
            outcomes = Array(repeating: .failure(error), count: batch.count)
            along?.finish(.failure(SQLiteError.storeError(error)))
            along = nil
        }
        return (outcomes, along)
    }

    private static func fileReplaced(_ store: MessageStore) -> SQLiteError {
        SQLiteError(
            code: SQLiteError.fileReplacedCode,
            message: "the database file at \(store.connection.path) is no longer the one open (deleted or replaced); restart to open it again")
    }
}
