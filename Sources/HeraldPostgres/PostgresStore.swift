import Foundation
public import HeraldCore

/// The message store in PostgreSQL, shared by any number of Herald instances: every role
/// of the store over three connections, each owned by a thread of its own (libpq blocks):
///
/// - the **writer** group-commits every write (intake, claims, records, leases, the
///   operator's changes) and `NOTIFY`s the instances when work became due;
/// - the **reader** runs the reads and retention's short deletes, so they never wait
///   behind a batch nor hold one up;
/// - the **listener** (started by ``onWorkQueued(_:)``) `LISTEN`s and wakes the workers.
///
/// A lost connection fails what was in flight with ``StoreError/Kind/unavailable`` (intake
/// answers 503; nothing half-written is kept) and is opened again with backoff. The only
/// public type of this module, and the only importer of libpq.
public final class PostgresStore: MessageStoreBackend, StoreHealthSource {
    private let writer: Writer
    private let reader: Reader
    private let listener: Listener

    /// Connects to `url` (`postgres://user:password@host:5432/database?sslmode=verify-full`,
    /// libpq's environment filling in what it leaves out) and migrates the schema (once,
    /// whichever instance gets there first).
    public init(url: String, logger: Logger = .disabled) throws(StoreError) {
        let target = ConnectionTarget(url: url)
        do {
            writer = try Writer(target: target, logger: logger) { connection throws(PostgresError) in try Schema.migrate(connection) }
        } catch {
            throw error.storeError
        }
        reader = Reader(target: target, logger: logger)
        listener = Listener(target: target, logger: logger)
    }

    deinit {
        // The threads hold their connections, not the store: let them finish on their own
        // (the last reference may be dropped on one of them).
        listener.close(waiting: false)
        writer.close(waiting: false)
        reader.close(waiting: false)
    }

    /// Finishes what was submitted, then closes the connections. Later calls fail with
    /// ``StoreError/Kind/closed``.
    public func close() {
        listener.close()
        writer.close()
        reader.close()
    }

    /// The most jobs one transaction has held so far (for tests of group commit).
    public var largestBatch: Int { writer.largestBatch }

    private func write<T: Sendable>(patient: Bool = false, _ body: @escaping @Sendable (WriteContext) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.writeBlocking(patient: patient, body)
        } catch {
            throw PostgresError.storeError(error)
        }
    }

    private func submit<T: Sendable>(
        _ body: @escaping @Sendable (WriteContext) throws -> T, then: @escaping @Sendable (Result<T, StoreError>) -> Void
    ) {
        writer.submit(.closure(body) { result in then(result.mapError(PostgresError.storeError)) })
    }

    private func read<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) throws(StoreError) -> T {
        do {
            return try reader.readBlocking(body)
        } catch {
            throw PostgresError.storeError(error)
        }
    }

    // MARK: StoreHealthSource

    public var health: StoreHealth { writer.health }

    public func probe(then: @escaping @Sendable (StoreHealth) -> Void) {
        let writer = self.writer
        writer.submit(.closure({ context in _ = try context.connection.query("SELECT 1") }) { _ in then(writer.health) })
    }

    // MARK: IntakeStore, BacklogSource

    public func insert(
        _ draft: MessageDraft, webhookID: String, payload: [UInt8], at: Int64,
        then: @escaping @Sendable (Result<InsertOutcome, StoreError>) -> Void
    ) {
        let request = InsertRequest(webhookID: webhookID, draft: draft, payload: payload, at: at)
        writer.submit(.insert(request) { result in then(result.mapError(PostgresError.storeError)) })
    }

    public func countIgnoredEvent(type: String, at: Int64, then: @escaping @Sendable (Result<Void, StoreError>) -> Void) {
        submit({ try $0.countIgnoredEvent(type: type, now: at) }, then: then)
    }

    public func pendingSummary(then: @escaping @Sendable (Result<PendingSummary, StoreError>) -> Void) {
        reader.submit({ try $0.pendingSummary() }) { result in then(result.mapError(PostgresError.storeError)) }
    }

    // MARK: DeliveryQueue

    public func claim(
        upTo limit: Int, owner: String, now: Int64, leaseUntil: Int64, maxAge: @escaping @Sendable (String?) -> Int64
    ) throws(StoreError) -> [ClaimedMessage] {
        // Somebody waits for a claim: the dispatcher (and the workers its messages are for).
        try write { try $0.claimDue(now: now, owner: owner, leaseUntil: leaseUntil, limit: limit, maxAge: maxAge) }
    }

    public func finish(
        messageID: Int64, owner: String, attempts: [AttemptRecord], result: AttemptResult, at: Int64,
        then: @escaping @Sendable (Result<Bool, StoreError>) -> Void
    ) {
        let request = RecordRequest(messageID: messageID, owner: owner, attempts: attempts, result: result, at: at)
        // Nobody waits for a round's record: the worker has moved on (the lease holds the message).
        writer.submit(.record(request) { result in then(result.mapError(PostgresError.storeError)) }, patient: true)
    }

    public func renew(_ ids: Set<Int64>, owner: String, until: Int64) throws(StoreError) {
        guard !ids.isEmpty else { return }
        try write(patient: true) { try $0.renewLeases(ids: ids, owner: owner, until: until) }
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

    /// Every instance's new work wakes `wake`: `LISTEN`/`NOTIFY` on a connection of its own.
    /// The writer asks `spareWorkers` at each commit that stored new messages whether to
    /// announce them (see ``DeliveryQueue/onWorkQueued(spareWorkers:_:)``).
    public func onWorkQueued(spareWorkers: @escaping @Sendable () -> Int, _ wake: @escaping @Sendable () -> Void) {
        writer.spareWorkers(spareWorkers)
        listener.add(wake)
    }

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
        try write { try $0.requeue(ids: ids, now: at, maxAge: maxAge) }
    }

    public func providerStats(since: Int64) throws(StoreError) -> [ProviderStats] {
        try read { try $0.providerStats(since: since) }
    }

    public func cancel(_ ids: [Int64], at: Int64) throws(StoreError) -> [Int64] {
        try write { try $0.cancel(ids: ids, now: at) }
    }

    // MARK: RetentionStore

    public func prune(before cutoff: Int64, limit: Int) throws(StoreError) -> Int {
        try read { try $0.prune(before: cutoff, limit: limit) }
    }

    public func prunableCount(before cutoff: Int64) throws(StoreError) -> Int {
        try read { try $0.prunableCount(before: cutoff) }
    }
}
