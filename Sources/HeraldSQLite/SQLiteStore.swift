import Foundation
public import HeraldCore

/// The message store in one SQLite file (WAL, `synchronous=FULL`): every role of the
/// store (intake, the delivery queue, the operator's log, retention) over one connection
/// owned by one writer thread, which group-commits concurrent writes. The only public type
/// of this module; the PostgreSQL backend implements the same protocols.
public final class SQLiteStore: MessageStoreBackend, StoreHealthSource {
    let writer: StoreWriter
    public let path: String

    /// Opens the store at `path`, creating the folder, the file and the schema as needed.
    public init(path: String, logger: Logger = .disabled) throws(StoreError) {
        self.path = path
        do {
            writer = try StoreWriter(path: path, logger: logger)
        } catch {
            throw SQLiteError.storeError(error)
        }
    }

    /// Finishes the writes already submitted, then closes the file. Later calls fail with
    /// ``StoreError/Kind/closed``.
    public func close() {
        writer.close()
    }

    private func write<T: Sendable>(_ body: @escaping @Sendable (MessageStore) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.writeBlocking(body)
        } catch {
            throw SQLiteError.storeError(error)
        }
    }

    private func read<T: Sendable>(_ body: @escaping @Sendable (MessageStore) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.readBlocking(body)
        } catch {
            throw SQLiteError.storeError(error)
        }
    }

    private func submit<T: Sendable>(
        _ body: @escaping @Sendable (MessageStore) throws -> T, then: @escaping @Sendable (Result<T, StoreError>) -> Void
    ) {
        writer.submit(body) { result in then(result.mapError(SQLiteError.storeError)) }
    }

    // MARK: StoreHealthSource

    public var health: StoreHealth { writer.health }

    public func probe(then: @escaping @Sendable (StoreHealth) -> Void) {
        let writer = self.writer
        writer.submit({ try $0.probe(now: SystemTime().milliseconds()) }) { _ in then(writer.health) }
    }

    // MARK: IntakeStore, BacklogSource

    public func insert(
        _ draft: MessageDraft, webhookID: String, payload: [UInt8], at: Int64,
        then: @escaping @Sendable (Result<InsertOutcome, StoreError>) -> Void
    ) {
        submit({ try $0.insert(webhookID: webhookID, draft: draft, payload: payload, now: at) }, then: then)
    }

    public func countIgnoredEvent(type: String, at: Int64, then: @escaping @Sendable (Result<Void, StoreError>) -> Void) {
        submit({ try $0.countIgnoredEvent(type: type, now: at) }, then: then)
    }

    public func pendingSummary(then: @escaping @Sendable (Result<PendingSummary, StoreError>) -> Void) {
        submit({ try $0.pendingSummary() }, then: then)
    }

    // MARK: DeliveryQueue

    public func claim(
        upTo limit: Int, owner: String, now: Int64, leaseUntil: Int64, maxAge: @escaping @Sendable (String?) -> Int64
    ) throws(StoreError) -> [ClaimedMessage] {
        try write { try $0.claimDue(now: now, owner: owner, leaseUntil: leaseUntil, limit: limit, maxAge: maxAge) }
    }

    public func finish(
        messageID: Int64, owner: String, attempts: [AttemptRecord], result: AttemptResult, at: Int64,
        then: @escaping @Sendable (Result<Bool, StoreError>) -> Void
    ) {
        submit({ try $0.finishAttempts(messageID: messageID, owner: owner, attempts: attempts, result: result, now: at) }, then: then)
    }

    public func renew(_ ids: Set<Int64>, owner: String, until: Int64) throws(StoreError) {
        guard !ids.isEmpty else { return }
        try write { try $0.renewLeases(ids: ids, owner: owner, until: until) }
    }

    public func release(_ ids: [Int64], owner: String, at: Int64) throws(StoreError) {
        guard !ids.isEmpty else { return }
        try write { try $0.releaseLeases(ids: ids, owner: owner, at: at) }
    }

    public func nextDueAt() throws(StoreError) -> Int64? {
        try read { try $0.nextDueAt() }
    }

    public func register(_ instance: InstanceRecord) throws(StoreError) {
        try write { try $0.register(instance) }
    }

    public func heartbeat(_ instanceID: String, at: Int64) throws(StoreError) {
        try write { try $0.heartbeat(instanceID, at: at) }
    }

    public func deregister(_ instanceID: String) throws(StoreError) {
        try write { try $0.deregister(instanceID) }
    }

    public func instances() throws(StoreError) -> [InstanceRecord] {
        try read { try $0.instances() }
    }

    public func takeOver(from deadOwners: [String]) throws(StoreError) -> Int {
        guard !deadOwners.isEmpty else { return 0 }
        return try write { try $0.takeOver(from: deadOwners) }
    }

    /// Nothing to do: intake in this process tells the engine itself, and other processes
    /// on the same file are found by the engine's poll.
    public func onWorkQueued(spareWorkers: @escaping @Sendable () -> Int, _ wake: @escaping @Sendable () -> Void) {}

    /// Each batch of the writer that stores new messages claims for `along`'s engine too.
    public func claimAlongWithNewMessages(_ along: ClaimAlong) {
        writer.claimAlong(along)
    }

    // MARK: MessageLog

    public func messages(matching filter: MessageFilter) throws(StoreError) -> [MessageRecord] {
        try read { try $0.messages(matching: filter) }
    }

    public func message(_ reference: String) throws(StoreError) -> MessageRecord? {
        try read { try $0.message(reference) }
    }

    public func payload(messageID: Int64) throws(StoreError) -> [UInt8]? {
        try read { try $0.payload(messageID: messageID) }
    }

    public func history(messageID: Int64) throws(StoreError) -> [MessageEvent] {
        try read { try $0.history(messageID: messageID) }
    }

    public func attempts(messageID: Int64) throws(StoreError) -> [AttemptRecord] {
        try read { try $0.attempts(messageID: messageID) }
    }

    public func changes(after sequence: Int64, limit: Int) throws(StoreError) -> [MessageEvent] {
        try read { try $0.events(after: sequence, limit: limit) }
    }

    public func latestSequence() throws(StoreError) -> Int64 {
        try read { try $0.latestSequence() }
    }

    public func ignoredEventCounts() throws(StoreError) -> [String: Int64] {
        try read { try $0.ignoredEventCounts() }
    }

    public func statusCounts() throws(StoreError) -> [MessageStatus: Int64] {
        try read { try $0.statusCounts() }
    }

    public func pendingSummary() throws(StoreError) -> PendingSummary {
        try read { try $0.pendingSummary() }
    }

    public func requeue(_ ids: [Int64]?, at: Int64, maxAge: @escaping @Sendable (String?) -> Int64) throws(StoreError) -> [Int64] {
        try write { try $0.retry(ids: ids, now: at, maxAge: maxAge) }
    }

    public func providerStats(since: Int64) throws(StoreError) -> [ProviderStats] {
        try read { try $0.providerStats(since: since) }
    }

    public func cancel(_ ids: [Int64], at: Int64) throws(StoreError) -> [Int64] {
        try write { try $0.cancel(ids: ids, now: at) }
    }

    // MARK: RetentionStore

    public func prune(before cutoff: Int64, limit: Int) throws(StoreError) -> Int {
        try write { try $0.prune(before: cutoff, limit: limit) }
    }

    public func prunableCount(before cutoff: Int64) throws(StoreError) -> Int {
        try read { try $0.prunableCount(before: cutoff) }
    }
}

extension SQLiteStore {
    /// What ``check(path:)`` found.
    public struct CheckReport: Sendable {
        /// What SQLite's `quick_check` found (at most 20 lines); empty when the file is sound.
        public var problems: [String]
        public var milliseconds: Int
        /// The database file and its WAL.
        public var bytes: Int64
    }

    /// Checks the whole store at `path` without changing it (`herald check`): the same
    /// `quick_check` as at open, over every table, the event bodies included. Reads every
    /// page: seconds per GB. Throws when the file cannot be opened at all.
    public static func check(path: String) throws(StoreError) -> CheckReport {
        if let reason = StoreCheck.emptiness(of: path) { return CheckReport(problems: [reason], milliseconds: 0, bytes: 0) }
        do {
            let store = try MessageStore(path: path, readOnly: true)
            let report = StoreCheck.run(store.connection, full: true)
            return CheckReport(problems: report.problems, milliseconds: report.milliseconds, bytes: report.bytes)
        } catch {
            throw SQLiteError.storeError(error)
        }
    }

    /// Runs raw SQL in a write transaction: for tests that must put the file into a state
    /// no API call makes (an old row, a broken value). Not for production code.
    public func unsafeExecuteForTesting(_ sql: String) throws(StoreError) {
        try write { try $0.connection.execute(sql) }
    }
}
