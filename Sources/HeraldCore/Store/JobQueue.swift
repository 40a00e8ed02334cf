import Foundation

/// The queue in front of a store's own thread (SQLite's writer, PostgreSQL's writer and
/// reader): any thread appends jobs; the store's thread takes every job waiting as one
/// batch, which a writer runs in one transaction (group commit). Under load, writers arrive
/// in waves right after each commit; a wave that has only begun is given up to half a
/// millisecond to fill up.
///
/// A job that nobody waits for (`patient`: a delivery round's record, a claim ahead while
/// every worker still has work) may wait a little for company: a batch of only such jobs
/// lingers until the oldest has waited `linger`, unless a job somebody waits for arrives or
/// `enough` are queued. Under load every commit then carries more of them (fewer commits
/// for the same work); a job somebody waits for never waits for this.
public final class JobQueue<Job: Sendable>: @unchecked Sendable {
    // Every field is read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var jobs: [Job] = []
    /// Whether each of `jobs` is patient.
    private var patience: [Bool] = []
    /// How many of `jobs` somebody waits for.
    private var impatient = 0
    /// When the oldest of `jobs` was appended.
    private var oldestArrival = Date.distantPast
    private var closing = false
    private var ended = false
    private var previousBatch = 0
    private var largest = 0

    public init() {}

    /// Appends `job` for the store's thread; false once the queue is closed (the caller
    /// fails the job itself).
    public func append(_ job: Job, patient: Bool = false) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closing else { return false }
        if jobs.isEmpty { oldestArrival = Date() }
        jobs.append(job)
        patience.append(patient)
        if !patient { impatient += 1 }
        condition.signal()
        return true
    }

    /// Waits for jobs and takes up to `limit` of them (waiting briefly for a wave to fill
    /// up when `gathering`, and for patient jobs to be joined, see the type's notes); nil
    /// once the queue is closed and empty: the thread ends.
    public func nextBatch(limit: Int, gathering: Bool = true, linger: Double = 0, enough: Int = .max) -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        while jobs.isEmpty && !closing { condition.wait() }
        var lingered = false
        if linger > 0 && impatient == 0 {
            let deadline = oldestArrival.addingTimeInterval(linger)
            while impatient == 0 && jobs.count < enough && !closing && condition.wait(until: deadline) {}
            lingered = impatient == 0
        }
        if gathering && !lingered && !closing && jobs.count * 2 < previousBatch {
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
        impatient -= patience.prefix(batch.count).lazy.filter { !$0 }.count
        patience.removeFirst(batch.count)
        if !jobs.isEmpty { oldestArrival = .distantPast }  // left behind by `limit`: waited enough
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
