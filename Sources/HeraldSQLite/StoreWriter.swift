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

    private let queue = JobQueue<Job>()
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

    /// The most jobs one batch has held so far (reads included).
    var largestBatch: Int { queue.largestBatch }

    /// Finishes queued jobs, then closes the store. Later writes fail.
    func close() {
        queue.close(waiting: true)
    }

    private func submit(_ job: Job) {
        if !queue.append(job) {
            job.finish(.failure(SQLiteError(code: SQLiteError.closedCode, message: "the store is closed")))
        }
    }

    private static func loop(store: MessageStore, queue: JobQueue<Job>, logger: Logger, maxBatch: Int) {
        let connection = store.connection
        while let taken = queue.nextBatch(limit: maxBatch) {
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

            // Fast path: the whole batch in one transaction. Jobs rarely fail; when one does,
            // the batch is rolled back and run again with a savepoint per job, so that only
            // the failing job is undone.
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
            for (job, outcome) in zip(batch, outcomes) { job.finish(outcome) }
        }
    }
}

/// Carries a job's value from the writer thread to the caller; written before the
/// completion that publishes it.
private final class Box<T>: @unchecked Sendable {
    var value: T?
}
