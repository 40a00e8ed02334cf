import Foundation
import HeraldCore

/// Owns the writing connection on one dedicated thread and runs write jobs with group
/// commit, as SQLite's writer does: every job waiting when the thread comes round runs in
/// one transaction (if one fails, the batch is run again with a savepoint per job, so it
/// does not undo the others); the history rows of the whole batch are written at its end,
/// in one statement that keeps their ids readable in order across instances (``History``),
/// then one commit (`synchronous_commit` on) makes everything durable and every caller is
/// answered; a batch that stored new messages also claims for this process's engine
/// (``ClaimAlong``: they are leased in the commit that stores them); a `NOTIFY` follows the
/// commit when work became due (new messages: only those this process does not take, see
/// ``LocalEngine``). `BEGIN` goes in the
/// round trip of the batch's first statement, and the history, the `COMMIT` and the
/// `NOTIFY` in one more (libpq's pipeline mode). A lost connection fails the batch
/// (nothing of it is kept) and is opened again with backoff; while the database is down,
/// jobs fail at once.
final class Writer: Sendable {
    /// How every transaction of the writer opens, sent with its first statement (one round
    /// trip); the settings are the transaction's own (`set_config(..., true)`: `SET LOCAL`),
    /// so that a pooler handing each transaction to another server connection keeps them.
    /// `synchronous_commit` on whatever the server's default; a lock not had in 5 s fails
    /// the batch (intake answers 503) instead of waiting. And sequential scans priced out:
    /// every statement of the writer finds its rows by an index, but its prepared statements
    /// keep the generic plan made after their fifth run, and one made while `messages` was
    /// small (a fresh database, before autovacuum's first analyze) read the whole table on
    /// every claim, ever slower as the table grew (5 ms a claim at 12,000 rows).
    static let opening: [Connection.Statement] = [
        Connection.Statement(sql: "BEGIN"),
        Connection.Statement(sql: "SELECT set_config('synchronous_commit', 'on', true), set_config('lock_timeout', '5s', true), "
            + "set_config('enable_seqscan', 'off', true)"),
    ]
    private let queue = JobQueue<WriteJob>()
    private let tracker: StoreHealthTracker
    private let engine = LocalEngine()

    /// What the last commits left: failing while the database cannot be reached or refuses
    /// the batch (a lock not had in time, a lack of resources), ok again after a commit.
    var health: StoreHealth { tracker.health }

    /// Connects (running `prepare`, the migrations, on the first connection) on a new
    /// thread. Throws if the database cannot be reached or migrated.
    init(
        target: ConnectionTarget, logger: Logger, maxBatch: Int = 1024, linger: TimeInterval = Writer.linger,
        prepare: @escaping @Sendable (Connection) throws(PostgresError) -> Void) throws(PostgresError) {
        let opened = Outcome<Void>()
        tracker = StoreHealthTracker(logger: logger)
        let (queue, tracker, engine) = (self.queue, self.tracker, self.engine)
        startThread(named: "herald-pg-write") {
            let link = Link(target: target, role: "writer", logger: logger, prepare: prepare)
            do {
                _ = try link.open()
                opened.set(.success(()))
            } catch {
                opened.set(.failure(error))
                return
            }
            Writer.loop(link: link, queue: queue, tracker: tracker, engine: engine, logger: logger, maxBatch: maxBatch, linger: linger)
            link.close()
        }
        do {
            try opened.wait().get()
        } catch {
            throw error as? PostgresError ?? PostgresError.internalError("cannot start the writer")
        }
    }

    /// How long a write nobody waits for (`patient`: a delivery round's record, a lease
    /// renewal) may wait for others to share its commit (see ``JobQueue``). A record went
    /// in the next commit, whatever else it held: each of three instances on one database
    /// then made as many commits for its third of the rounds as one instance made for all
    /// of them (the same work in more transactions). 10 ms: a message shows `sent` that much
    /// later at most, and one instance's drain of a backlog also went faster (fewer commits).
    static let linger: TimeInterval = 0.010

    /// Runs `body` in the next group commit and returns its result once committed.
    /// Blocks the calling thread: call it from a dedicated (C) thread only.
    func writeBlocking<T: Sendable>(patient: Bool = false, _ body: @escaping @Sendable (WriteContext) throws -> T) throws -> T {
        let done = Outcome<T>()
        submit(.closure(body) { done.set($0) }, patient: patient)
        return try done.wait().get()
    }

    /// Runs `job` in the next group commit and finishes it once committed (or failed), on
    /// the writer thread: keep its completion short. A `patient` job may wait up to
    /// ``linger`` for company.
    func submit(_ job: WriteJob, patient: Bool = false) {
        if !queue.append(job, patient: patient) { job.finish(.failure(PostgresError.closedStore)) }
    }

    /// Asked at each commit that stored new messages whether to announce them.
    func spareWorkers(_ provider: @escaping @Sendable () -> Int) {
        engine.setSpareWorkers(provider)
    }

    /// From now on, each batch that stores new messages claims for this process's engine.
    func claimAlong(_ along: ClaimAlong) {
        engine.claimAlong.set(along)
    }

    /// The most jobs one transaction has held so far.
    var largestBatch: Int { queue.largestBatch }

    /// Finishes queued jobs, then closes the connection (`waiting`: before returning).
    /// Later writes fail.
    func close(waiting: Bool = true) {
        queue.close(waiting: waiting)
    }

    private static func loop(
        link: Link, queue: JobQueue<WriteJob>, tracker: StoreHealthTracker, engine: LocalEngine, logger: Logger,
        maxBatch: Int, linger: TimeInterval
    ) {
        while let batch = queue.nextBatch(limit: maxBatch, linger: linger, enough: maxBatch) {
            let outcomes = run(batch, link: link, engine: engine, logger: logger)
            tracker.batchEnded(errors: outcomes.lazy.compactMap { outcome -> StoreError? in
                guard case .failure(let error) = outcome else { return nil }
                return PostgresError.storeError(error)
            })
            for (job, outcome) in zip(batch, outcomes) { job.finish(outcome) }
        }
    }

    /// Runs a batch in one transaction and returns each job's outcome.
    private static func run(_ batch: [WriteJob], link: Link, engine: LocalEngine, logger: Logger) -> [Swift.Result<Void, any Error>] {
        // A connection that died while idle fails at the batch's first round trip (BEGIN goes
        // with its first statement). Until the COMMIT is sent nothing of the batch can have
        // been kept: open a new connection and run it again, once.
        for attempt in 0..<2 {
            let connection: Connection
            do {
                connection = try link.open()
            } catch {
                link.failed(error)
                return Array(repeating: .failure(error), count: batch.count)
            }
            var commitSent = false
            do {
                connection.begin(opening)
                return try runInTransaction(batch, connection: connection, engine: engine, logger: logger, commitSent: &commitSent)
            } catch {
                // The connection failed, or the commit did: nothing of the batch is kept.
                if !connection.isBroken { _ = try? connection.execute("ROLLBACK; " + History.releaseAfterFailure) }
                link.failed(error)
                if attempt == 0 && !commitSent && error.needsReconnect && link.retryDelay == 0 { continue }
                return Array(repeating: .failure(error), count: batch.count)
            }
        }
        return Array(repeating: .failure(PostgresError.internalError("unreachable")), count: batch.count)
    }

    /// Fast path: the whole batch in the open transaction (and the claim along with its new
    /// messages). Jobs rarely fail; when one does, the transaction is rolled back and the
    /// batch run again with a savepoint per job, so that only the failing job is undone (and
    /// nothing is claimed along: the dispatcher claims). Throws when the connection fails
    /// (the whole batch is lost then).
    private static func runInTransaction(
        _ batch: [WriteJob], connection: Connection, engine: LocalEngine, logger: Logger, commitSent: inout Bool
    ) throws(PostgresError) -> [Swift.Result<Void, any Error>] {
        var context = WriteContext(connection: connection)
        var along: ClaimAlongReservation?
        do {
            try WriteJob.run(batch, in: context)
            // The batch stored new messages and this process's engine takes some now: its
            // claim, in the batch's transaction (one that fails fails the fast path).
            along = ClaimAlongReservation(newMessages: context.newMessages, in: engine.claimAlong)
            if let along {
                along.claimed = try context.claimDue(
                    now: along.now, owner: along.along.owner, leaseUntil: along.leaseUntil, limit: along.requested,
                    maxAge: along.along.maxAge)
            }
            try commit(context, engine: engine, along: along, logger: logger, commitSent: &commitSent)
            // Before the batch's callers hear of it: intake's word to the engine then finds
            // the message held already.
            along?.committed()
            return Array(repeating: .success(()), count: batch.count)
        } catch {
            along?.finish(.failure(PostgresError.storeError(error)))
            try rethrowIfFatal(error)
        }
        try connection.execute("ROLLBACK; " + History.releaseAfterFailure)
        connection.begin(opening)
        context = WriteContext(connection: connection)
        var outcomes: [Swift.Result<Void, any Error>] = []
        outcomes.reserveCapacity(batch.count)
        for job in batch {
            try connection.execute("SAVEPOINT job")
            let mark = context.mark
            do {
                try WriteJob.run([job], in: context)
                try connection.execute("RELEASE SAVEPOINT job")
                outcomes.append(.success(()))
            } catch {
                try rethrowIfFatal(error)
                try connection.execute("ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job")
                context.restore(mark)
                outcomes.append(.failure(error))
            }
        }
        try commit(context, engine: engine, along: nil, logger: logger, commitSent: &commitSent)
        return outcomes
    }

    /// A job's error that is the connection's or the server's (not the job's own) fails
    /// the whole batch: every job would meet it again.
    private static func rethrowIfFatal(_ error: any Error) throws(PostgresError) {
        if let error = error as? PostgresError, error.failsTheBatch { throw error }
    }

    /// Writes the batch's history (its ids in the order ``History`` keeps), then commits,
    /// and then, when work became due that this process does not start itself, `NOTIFY`s
    /// in a transaction of its own. All in one round trip (with a `BEGIN` still pending,
    /// for a batch that sent nothing). Not in the batch's transaction: a transaction that
    /// notifies holds a lock for the whole server from its commit until its WAL is on
    /// disk, so the commits of every instance that notifies would wait for each other's
    /// flush one after another; a transaction that only notifies writes nothing to flush.
    /// Listeners still hear of the work only once it is committed. The `NOTIFY` is
    /// tolerated (``Connection/pipeline(_:tolerating:)``): when it fails (its queue full)
    /// the batch stands, committed, and the other instances find the work by their poll.
    private static func commit(
        _ context: WriteContext, engine: LocalEngine, along: ClaimAlongReservation?, logger: Logger, commitSent: inout Bool
    ) throws(PostgresError) {
        var statements: [Connection.Statement] = []
        if !context.events.isEmpty { statements.append(Connection.Statement(sql: History.insert, values: History.insertParameters(context.events))) }
        statements.append(Connection.Statement(sql: "COMMIT"))
        let notify = context.announces(spareWorkers: engine.spareWorkers, along: along) ? Connection.Statement(sql: "NOTIFY herald_work") : nil
        commitSent = true
        let (results, unannounced) = try context.connection.pipeline(statements, tolerating: notify)
        if let unannounced {
            logger.warning("new work not announced to the other instances; their poll finds it", ["error": unannounced.description])
        }
        let result = results[statements.count - 1]
        guard result.commandTag == "COMMIT" else {
            throw PostgresError.internalError("the transaction was rolled back at its commit (\(result.commandTag))")
        }
    }
}
