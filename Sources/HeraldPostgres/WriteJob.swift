import HeraldCore

/// A webhook's message to store.
struct InsertRequest: Sendable {
    var webhookID: String
    var draft: MessageDraft
    var payload: [UInt8]
    var at: Int64
}

/// A delivery round to record, if `owner` still holds the message.
struct RecordRequest: Sendable {
    var messageID: Int64
    var owner: String
    var attempts: [AttemptRecord]
    var result: AttemptResult
    var at: Int64
}

/// One write for the writer's thread: a closure on the batch's transaction, or an insert
/// or a record, which a batch runs together with the others of its kind in one statement
/// (every webhook of the batch in one `INSERT`, every delivery round in one `UPDATE`): the
/// round trips a batch costs do not grow with it.
final class WriteJob: @unchecked Sendable {
    enum Work {
        case closure((WriteContext) throws -> Void)
        case insert(InsertRequest)
        case record(RecordRequest)
    }

    // `work` runs, and the results are set, on the writer's thread only, before `finish`
    // publishes them.
    let work: Work
    var inserted: InsertOutcome?
    var recorded: Bool?
    private let completion: (WriteJob, Result<Void, any Error>) -> Void

    private init(_ work: Work, completion: @escaping (WriteJob, Result<Void, any Error>) -> Void) {
        self.work = work
        self.completion = completion
    }

    func finish(_ result: Result<Void, any Error>) {
        completion(self, result)
    }

    /// Runs `body` (again, if its batch is run again) and hands its last value on.
    static func closure<T: Sendable>(
        _ body: @escaping @Sendable (WriteContext) throws -> T, completion: @escaping @Sendable (Result<T, any Error>) -> Void
    ) -> WriteJob {
        let box = Box<T>()
        return WriteJob(.closure { context in box.value = try body(context) }) { _, result in completion(result.map { box.value! }) }
    }

    static func insert(_ request: InsertRequest, completion: @escaping @Sendable (Result<InsertOutcome, any Error>) -> Void) -> WriteJob {
        WriteJob(.insert(request)) { job, result in completion(result.flatMap { job.value(job.inserted) }) }
    }

    static func record(_ request: RecordRequest, completion: @escaping @Sendable (Result<Bool, any Error>) -> Void) -> WriteJob {
        WriteJob(.record(request)) { job, result in completion(result.flatMap { job.value(job.recorded) }) }
    }

    private func value<T>(_ value: T?) -> Result<T, any Error> {
        value.map(Result.success) ?? .failure(PostgresError.internalError("the batch left a job without its result"))
    }

    /// Runs `jobs` in the open transaction: the inserts in one statement, the records in
    /// another, then the closures in order. Their history rows go to `context` in that order.
    static func run(_ jobs: [WriteJob], in context: WriteContext) throws {
        var inserts: [(job: WriteJob, request: InsertRequest)] = []
        var records: [(job: WriteJob, request: RecordRequest)] = []
        for job in jobs {
            switch job.work {
            case .insert(let request): inserts.append((job, request))
            case .record(let request): records.append((job, request))
            case .closure: break
            }
        }
        if !inserts.isEmpty {
            for (entry, outcome) in zip(inserts, try context.insert(inserts.map(\.request))) { entry.job.inserted = outcome }
        }
        if !records.isEmpty {
            for (entry, recorded) in zip(records, try context.record(records.map(\.request))) { entry.job.recorded = recorded }
        }
        for job in jobs {
            if case .closure(let run) = job.work { try run(context) }
        }
    }
}
