import Foundation

/// The queue in front of a store's own thread (SQLite's writer, PostgreSQL's writer and
/// reader): any thread appends jobs; the store's thread takes every job waiting as one
/// batch, which a writer runs in one transaction (group commit). Under load, writers arrive
/// in waves right after each commit; a wave that has only begun is given up to half a
/// millisecond to fill up.
public final class JobQueue<Job: Sendable>: @unchecked Sendable {
    // Every field is read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var closing = false
    private var ended = false
    private var previousBatch = 0
    private var largest = 0

    public init() {}

    /// Appends `job` for the store's thread; false once the queue is closed (the caller
    /// fails the job itself).
    public func append(_ job: Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closing else { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    /// Waits for jobs and takes up to `limit` of them (waiting briefly for a wave to fill
    /// up when `gathering`); nil once the queue is closed and empty: the thread ends.
    public func nextBatch(limit: Int, gathering: Bool = true) -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        while jobs.isEmpty && !closing { condition.wait() }
        if gathering && !closing && jobs.count * 2 < previousBatch {
            let deadline = Date().addingTimeInterval(0.0005)
            while jobs.count * 2 < previousBatch && condition.wait(until: deadline) {}
        }
        if jobs.isEmpty {
            ended = true
            condition.broadcast()
            return nil
        }
        let batch = Array(jobs.prefix(limit))
        jobs.removeFirst(batch.count)
        previousBatch = batch.count
        largest = max(largest, batch.count)
        return batch
    }

    /// Later appends fail; what is queued is still taken. With `waiting`, returns once the
    /// store's thread has taken the last batch and asked for another (`hasConsumer`: a
    /// thread exists to do so).
    public func close(waiting: Bool, hasConsumer: Bool = true) {
        condition.lock()
        defer { condition.unlock() }
        closing = true
        condition.broadcast()
        while waiting && hasConsumer && !ended { condition.wait() }
    }

    /// The most jobs one batch has held so far (for tests of group commit).
    public var largestBatch: Int {
        condition.lock()
        defer { condition.unlock() }
        return largest
    }
}

/// A one-shot result that one thread sets and another waits for (a blocking call into a
/// store's thread).
public final class Outcome<T>: @unchecked Sendable {
    // `result` is guarded by `condition`.
    private let condition = NSCondition()
    private var result: Result<T, any Error>?

    public init() {}

    public func set(_ value: Result<T, any Error>) {
        condition.lock()
        result = value
        condition.signal()
        condition.unlock()
    }

    public func wait() -> Result<T, any Error> {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        return result!
    }
}

/// Carries a job's value from the store's thread to the caller; written before the
/// completion that publishes it.
public final class Box<T>: @unchecked Sendable {
    public var value: T?
    public init() {}
}
