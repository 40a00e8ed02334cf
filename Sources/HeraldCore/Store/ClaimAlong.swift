/// This process's delivery engine, as a store's writer sees it when a transaction stores
/// new messages: the writer claims for the engine in that same transaction, so that a new
/// message is stored and leased in one commit and a worker starts it as the commit lands,
/// instead of after a second transaction of the dispatcher's (under load that claim was
/// about two in five of the writer's transactions, and a commit more between a webhook and
/// its send). The claim is the dispatcher's own, made for it: due messages oldest first,
/// as many as the engine can take now, with the same lease.
public struct ClaimAlong: Sendable {
    /// The instance that owns the leases.
    public var owner: String
    public var leaseMilliseconds: Int64
    /// The engine's clock (a test's driven time).
    public var now: @Sendable () -> Int64
    /// The age limit of a slug, for messages that have no expiry yet.
    public var maxAge: @Sendable (String?) -> Int64
    /// How many messages the engine takes now, reserving the claim as the dispatcher's
    /// would be (none while one is in flight, or while stopping). Each reservation of one or
    /// more is followed by exactly one call of `finish`.
    public var reserve: @Sendable () -> Int
    /// After the transaction: what the reserved claim took, in claim order, or the error
    /// that ended the transaction (nothing is claimed then). Called on the store's thread
    /// before the batch's callers hear of their writes; keep it short.
    public var finish: @Sendable (_ claimed: Result<[ClaimedMessage], StoreError>, _ requested: Int) -> Void

    public init(
        owner: String, leaseMilliseconds: Int64, now: @escaping @Sendable () -> Int64, maxAge: @escaping @Sendable (String?) -> Int64,
        reserve: @escaping @Sendable () -> Int,
        finish: @escaping @Sendable (_ claimed: Result<[ClaimedMessage], StoreError>, _ requested: Int) -> Void
    ) {
        self.owner = owner
        self.leaseMilliseconds = leaseMilliseconds
        self.now = now
        self.maxAge = maxAge
        self.reserve = reserve
        self.finish = finish
    }
}

/// A reservation of ``ClaimAlong`` in one transaction: its claim, then the one call of
/// `finish` that every reservation gets, whatever becomes of the transaction.
public final class ClaimAlongReservation: @unchecked Sendable {
    // Used by the store's thread only.
    public let along: ClaimAlong
    public let requested: Int
    public let now: Int64
    private var finished = false

    /// Reserves a claim for the engine; nil when it takes nothing now.
    public init?(_ along: ClaimAlong) {
        let requested = along.reserve()
        guard requested > 0 else { return nil }
        self.along = along
        self.requested = requested
        now = along.now()
    }

    public var leaseUntil: Int64 { now + along.leaseMilliseconds }

    /// Hands the result to the engine, once (later calls do nothing).
    public func finish(_ result: Result<[ClaimedMessage], StoreError>) {
        guard !finished else { return }
        finished = true
        along.finish(result, requested)
    }

    deinit {
        // A path that forgot it must not leave the engine waiting for a claim for ever.
        finish(.failure(StoreError(.unavailable, code: "claim_abandoned", message: "the claim's transaction ended without a result")))
    }
}
