/// What the delivery engine asks of the store. Called from the engine's own threads; the
/// blocking calls may wait for a commit. Every method is atomic on its own.
public protocol DeliveryQueue: Sendable {
    /// Claims up to `limit` due messages (queued or retrying and due, or sending with a
    /// lease that ran out) for `owner` until `leaseUntil`. `maxAge` gives the age limit of
    /// a slug for messages that have no expiry yet.
    func claim(
        upTo limit: Int, owner: String, now: Int64, leaseUntil: Int64, maxAge: @escaping @Sendable (String?) -> Int64
    ) throws(StoreError) -> [ClaimedMessage]
    /// Records the attempts of one delivery round (one per provider tried, oldest first)
    /// and moves the message on, if `owner` still holds it; the completion says whether it
    /// did (false: the lease was lost). Does not block.
    func finish(
        messageID: Int64, owner: String, attempts: [AttemptRecord], result: AttemptResult, at: Int64,
        then: @escaping @Sendable (Result<Bool, StoreError>) -> Void)
    /// Extends the leases of exactly these messages, where `owner` still holds them.
    func renew(_ ids: Set<Int64>, owner: String, until: Int64) throws(StoreError)
    /// Gives back messages `owner` holds: `queued` again (`retrying` after an attempt),
    /// due at `at`.
    func release(_ ids: [Int64], owner: String, at: Int64) throws(StoreError)
    /// When the next message falls due, if any waits.
    func nextDueAt() throws(StoreError) -> Int64?

    /// Announces a delivering process (so that others can tell it is alive).
    func register(_ instance: InstanceRecord) throws(StoreError)
    /// Says that `instanceID` is still alive at `at`.
    func heartbeat(_ instanceID: String, at: Int64) throws(StoreError)
    /// A clean stop: the instance holds nothing any more.
    func deregister(_ instanceID: String) throws(StoreError)
    /// The registered instances.
    func instances() throws(StoreError) -> [InstanceRecord]
    /// Makes the messages that `deadOwners` left in `sending` due at once and forgets those
    /// instances. Returns how many messages were released.
    func takeOver(from deadOwners: [String]) throws(StoreError) -> Int

    /// Calls `wake` (on the store's own thread; keep it short) whenever any process may
    /// have made work due: a new message, a requeue, leases given back or taken over. For
    /// a store that other instances share (PostgreSQL: `LISTEN`/`NOTIFY`); a store of one
    /// machine does nothing here (intake tells its own engine, and the engine polls).
    ///
    /// `spareWorkers` says how many new messages this process could start at once (its idle
    /// workers). New messages this process stored are announced to the other instances only
    /// when one commit holds more of them than that, or, when the commit claimed along with
    /// them (``claimAlongWithNewMessages(_:)``), only when that claim came back full: this
    /// process starts the rest itself, and instances racing it for each message it is about
    /// to start would each claim, send and record in smaller batches (under load the same
    /// work cost more transactions and CPU). Work made due otherwise (a requeue, leases given back or
    /// taken over) is always announced, and so is everything a process without an engine
    /// stores (`--no-delivery`, the CLI).
    func onWorkQueued(spareWorkers: @escaping @Sendable () -> Int, _ wake: @escaping @Sendable () -> Void)

    /// From now on, every transaction of this process that stores new messages also claims
    /// for its engine (``ClaimAlong``), so that they are leased in the commit that stores
    /// them. The dispatcher still claims everything else (retries, other instances' work).
    func claimAlongWithNewMessages(_ along: ClaimAlong)
}

extension DeliveryQueue {
    /// A round of one attempt.
    public func finish(
        messageID: Int64, owner: String, attempt: AttemptRecord, result: AttemptResult, at: Int64,
        then: @escaping @Sendable (Result<Bool, StoreError>) -> Void
    ) {
        finish(messageID: messageID, owner: owner, attempts: [attempt], result: result, at: at, then: then)
    }
}
