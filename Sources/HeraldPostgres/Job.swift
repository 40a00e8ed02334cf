import HeraldCore

/// Work for one of the store's threads, run with that thread's `Context` (the writer's
/// transaction, the reader's connection).
final class Job<Context>: @unchecked Sendable {
    // `run` and the value it leaves are touched only by the store's thread between
    // submission and completion.
    let run: (Context) throws -> Void
    let finish: (Result<Void, any Error>) -> Void

    private init(run: @escaping (Context) throws -> Void, finish: @escaping (Result<Void, any Error>) -> Void) {
        self.run = run
        self.finish = finish
    }

    /// Runs `body` (perhaps more than once: a batch that fails is run again) and hands its
    /// last value to `completion`.
    static func returning<T: Sendable>(
        _ body: @escaping @Sendable (Context) throws -> T, completion: @escaping @Sendable (Result<T, any Error>) -> Void
    ) -> Job {
        let box = Box<T>()
        return Job(run: { context in box.value = try body(context) }, finish: { result in completion(result.map { box.value! }) })
    }

    /// Submits a job through `submit` and waits for its completion. Blocks the calling
    /// thread: call it from a dedicated thread only.
    static func wait<T: Sendable>(_ body: @escaping @Sendable (Context) throws -> T, submit: (Job) -> Void) throws -> T {
        let done = Outcome<T>()
        submit(returning(body) { done.set($0) })
        return try done.wait().get()
    }
}
