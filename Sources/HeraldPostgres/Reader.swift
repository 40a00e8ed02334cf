import Foundation
import HeraldCore
import Synchronization

/// A second connection on its own thread, for what need not wait for the writer's group
/// commit: the operator's reads, the delivery engine's look at what is due, `/metrics`,
/// and retention's deletes (each batch a short transaction of its own, so that intake
/// never waits behind one). Jobs run one at a time, outside any transaction unless they
/// open one. Opened on first use; a job that meets a lost connection runs again once on a
/// new one (reads, and deletes that only remove what is due to go, may run twice).
final class Reader: Sendable {
    private let queue = JobQueue<Job<Connection>>()
    /// Whether the thread was started (on first use).
    private let started = Mutex(false)
    private let target: ConnectionTarget
    private let logger: Logger

    init(target: ConnectionTarget, logger: Logger) {
        self.target = target
        self.logger = logger
    }

    /// Runs `body` on the reader's connection and returns its result. Blocks the calling
    /// thread: call it from a dedicated thread only.
    func readBlocking<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) throws -> T {
        try Job.wait(body, submit: submit)
    }

    /// Runs `body` on the reader's thread and calls `completion` there with its result.
    func submit<T: Sendable>(
        _ body: @escaping @Sendable (Connection) throws -> T, completion: @escaping @Sendable (Swift.Result<T, any Error>) -> Void
    ) {
        submit(Job.returning(body, completion: completion))
    }

    private func submit(_ job: Job<Connection>) {
        guard queue.append(job) else { return job.finish(.failure(PostgresError.closedStore)) }
        let start = started.withLock { started in
            defer { started = true }
            return !started
        }
        guard start else { return }
        let (queue, target, logger) = (self.queue, self.target, self.logger)
        startThread(named: "herald-pg-read") {
            let link = Link(target: target, role: "reader", logger: logger)
            while let jobs = queue.nextBatch(limit: 64, gathering: false) {
                for job in jobs { job.finish(Reader.run(job, link: link)) }
            }
            link.close()
        }
    }

    /// Finishes queued jobs, then closes the connection (`waiting`: before returning).
    /// Later reads fail.
    func close(waiting: Bool = true) {
        queue.close(waiting: waiting, hasConsumer: started.withLock { $0 })
    }

    private static func run(_ job: Job<Connection>, link: Link) -> Swift.Result<Void, any Error> {
        for attempt in 0..<2 {
            let connection: Connection
            do {
                connection = try link.open()
            } catch {
                return .failure(error)
            }
            do {
                try job.run(connection)
                return .success(())
            } catch let error as PostgresError {
                if connection.inTransaction && !connection.isBroken { _ = try? connection.execute("ROLLBACK") }
                link.failed(error)
                if attempt == 0 && error.needsReconnect && link.retryDelay == 0 { continue }
                return .failure(error)
            } catch {
                return .failure(error)
            }
        }
        return .failure(PostgresError.internalError("unreachable"))
    }
}
