import Foundation

/// This process's delivery engine, as a store's writer sees it when a transaction stores
/// new messages: the writer claims for the engine in that same transaction, so that a new
/// message is stored and leased in one commit and a worker starts it as the commit lands,
/// instead of after a second transaction of the dispatcher's (a commit more between a
/// webhook and its send at a light load; under load that claim mostly shared the next
/// batch's transaction already). The claim is the dispatcher's own, made for it: due
/// messages oldest first, as many as the engine can take now, with the same lease.
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

/// Where a store keeps the ``ClaimAlong`` of this process's engine (nil until one
/// registers). Under a lock, not a `Mutex`: a closure read out of `Mutex.withLock`'s inout
/// value is wrapped in a new reabstraction thunk and written back on every read, so each
/// read went through all the earlier wrappers (ever slower, ever deeper: a stack overflow
/// after enough commits).
public final class ClaimAlongSlot: @unchecked Sendable {
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var claim: ClaimAlong?

    public init() {}

    public func set(_ along: ClaimAlong) {
        lock.lock()
        claim = along
        lock.unlock()
    }

    public var along: ClaimAlong? {
        lock.lock()
        defer { lock.unlock() }
        return claim
    }
}

/// A reservation of ``ClaimAlong`` in one transaction: what its claim took, then the one
/// call of `finish` that every reservation gets, whatever becomes of the transaction.
public final class ClaimAlongReservation: @unchecked Sendable {
    // Used by the store's thread only.
    public let along: ClaimAlong
    public let requested: Int
    public let now: Int64
    /// What the claim took, in claim order (set by the store, in the transaction).
    public var claimed: [ClaimedMessage] = []
    private var finished = false

    /// Reserves a claim for the engine; nil when it takes nothing now.
    public init?(_ along: ClaimAlong) {
        let requested = along.reserve()
        guard requested > 0 else { return nil }
        self.along = along
        self.requested = requested
        now = along.now()
    }

    /// A reservation for a transaction that stored `newMessages`, if any and if the slot
    /// holds an engine's claim (the slot is not read otherwise).
    public convenience init?(newMessages: Int, in slot: ClaimAlongSlot) {
        guard newMessages > 0, let along = slot.along else { return nil }
        self.init(along)
    }

    public var leaseUntil: Int64 { now + along.leaseMilliseconds }

    /// Whether the claim took all it asked for (more may be due than this process takes).
    public var cameBackFull: Bool { claimed.count >= requested }

    /// The transaction committed: hands what the claim took to the engine.
    public func committed() {
        finish(.success(claimed))
    }

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
