import Foundation
import HeraldCore

/// Owns a ``MessageStore`` on one dedicated thread and runs write jobs with group commit:
/// every job waiting when the thread comes round runs in one transaction (if one fails, the
/// batch is run again with a savepoint per job, so it does not undo the others), then one
/// commit makes them all durable, then every caller is answered. Callers never wait on Swift's cooperative pool:
/// the blocking entry point is for C threads (the HTTP server's), the async one suspends.
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

    /// Queue state, guarded by `condition`'s lock.
    private final class Queue: @unchecked Sendable {
        // All fields are read and written only while `condition` is locked.
        let condition = NSCondition()
        var jobs: [Job] = []
        var stopping = false
        var stopped = false
        /// The most write jobs one transaction held (for tests of group commit).
        var largestBatch = 0
        /// What the last commits left.
        var health = StoreHealth(state: .ok, since: StoreWriter.now())
    }

    private let queue = Queue()
    private let logger: Logger
    let maxBatch: Int

    /// Opens the store at `path` on a new thread. Throws if it cannot be opened.
    init(path: String, logger: Logger = .disabled, maxBatch: Int = 1024) throws {
        self.logger = logger
        self.maxBatch = maxBatch
        let opened = Outcome<Void>()
        let queue = self.queue
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
                return
            }
            StoreWriter.loop(store: store, queue: queue, logger: logger, maxBatch: maxBatch)
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

    /// The most write jobs one transaction has held so far.
    var largestBatch: Int {
        queue.condition.lock()
        defer { queue.condition.unlock() }
        return queue.largestBatch
    }

    /// Wall-clock time in Unix milliseconds.
    static func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// What the last commits left.
    var health: StoreHealth {
        queue.condition.lock()
        defer { queue.condition.unlock() }
        return queue.health
    }

    /// Finishes queued jobs, then checkpoints and closes the store on its thread, and
    /// returns once it is closed. Later writes fail.
    func close() {
        queue.condition.lock()
        queue.stopping = true
        queue.condition.broadcast()
        while !queue.stopped { queue.condition.wait() }
        queue.condition.unlock()
    }

    private func submit(_ job: Job) {
        queue.condition.lock()
        if queue.stopping {
            queue.condition.unlock()
            job.finish(.failure(SQLiteError(code: SQLiteError.closedCode, message: "the store is closed")))
            return
        }
        queue.jobs.append(job)
        queue.condition.signal()
        queue.condition.unlock()
    }

    private static func loop(store: MessageStore, queue: Queue, logger: Logger, maxBatch: Int) {
        var previousBatch = 0
        while true {
            queue.condition.lock()
            while queue.jobs.isEmpty && !queue.stopping { queue.condition.wait() }
            // Commit delay: under load, writers arrive in waves right after each commit; a
            // wave that has only begun is worth a fraction of a millisecond to fill up.
            if !queue.stopping && queue.jobs.count * 2 < previousBatch {
                let deadline = Date().addingTimeInterval(0.0005)
                while queue.jobs.count * 2 < previousBatch && queue.condition.wait(until: deadline) {}
            }
            if queue.jobs.isEmpty && queue.stopping {
                let lost = queue.health.state == .lost
                queue.condition.unlock()
                // Inside this thread and before close() returns: a process that exits right
                // after a clean stop leaves the database file whole, its WAL merged.
                store.close(logger: logger, checkpoint: !lost)
                queue.condition.lock()
                queue.stopped = true
                queue.condition.broadcast()
                queue.condition.unlock()
                return
            }
            let taken = Array(queue.jobs.prefix(maxBatch))
            queue.jobs.removeFirst(taken.count)
            let lost = queue.health.state == .lost
            queue.condition.unlock()
            previousBatch = taken.count

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
            queue.condition.lock()
            queue.largestBatch = max(queue.largestBatch, batch.count)
            queue.condition.unlock()

            var outcomes = commit(batch, store: store, logger: logger)
            // Only now may the callers hear that it is kept: the commit went into the file at
            // the configured path, not into one deleted or replaced under it.
            if let replaced = store.replacedFile() {
                outcomes = Array(repeating: .failure(fileReplaced(store)), count: batch.count)
                update(queue, to: StoreHealth(state: .lost, code: "store_file_replaced", since: StoreWriter.now()), logger: logger, file: replaced)
            } else {
                let trouble = outcomes.lazy.compactMap { outcome -> StoreError? in
                    guard case .failure(let error) = outcome else { return nil }
                    let storeError = SQLiteError.storeError(error)
                    return storeError.kind == .unavailable || storeError.kind == .corrupt ? storeError : nil
                }.first
                let health = trouble.map { StoreHealth(state: .failing, code: $0.code, since: StoreWriter.now()) }
                update(queue, to: health ?? StoreHealth(state: .ok, since: StoreWriter.now()), logger: logger, file: nil)
            }
            for (job, outcome) in zip(batch, outcomes) { job.finish(outcome) }
        }
    }

    /// Runs a batch in one transaction and commits it: the fast path runs every job; when
    /// one fails (rarely), the batch is rolled back and run again with a savepoint per job,
    /// so that only the failing job is undone. Returns each job's outcome.
    private static func commit(_ batch: [Job], store: MessageStore, logger: Logger) -> [Result<Void, any Error>] {
        let connection = store.connection
        var outcomes: [Result<Void, any Error>] = []
        outcomes.reserveCapacity(batch.count)
        do {
            try connection.run("BEGIN IMMEDIATE")
            var failed = false
            for job in batch {
                do {
                    try job.run(store)
                } catch {
                    failed = true
                    break
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
        }
        return outcomes
    }

    private static func fileReplaced(_ store: MessageStore) -> SQLiteError {
        SQLiteError(
            code: SQLiteError.fileReplacedCode,
            message: "the database file at \(store.connection.path) is no longer the one open (deleted or replaced); restart to open it again")
    }

    /// Records the health a batch left and logs each change of state once.
    private static func update(_ queue: Queue, to health: StoreHealth, logger: Logger, file: String?) {
        queue.condition.lock()
        let previous = queue.health
        if previous.state != health.state {
            queue.health = health
        } else if previous.code != health.code {
            queue.health.code = health.code
        }
        queue.condition.unlock()
        guard previous.state != health.state else { return }
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

/// A one-shot result that one thread sets and another waits for.
private final class Outcome<T>: @unchecked Sendable {
    // `result` is guarded by `condition`.
    private let condition = NSCondition()
    private var result: Result<T, any Error>?

    func set(_ value: Result<T, any Error>) {
        condition.lock()
        result = value
        condition.signal()
        condition.unlock()
    }

    func wait() -> Result<T, any Error> {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        return result!
    }
}

/// Carries a job's value from the writer thread to the caller; written before the
/// completion that publishes it.
private final class Box<T>: @unchecked Sendable {
    var value: T?
}
