public import Foundation
public import HeraldCore
import Synchronization

/// A delivery queue that forwards to a real one, with faults a test can switch on: the
/// next records fail as a full disk would make them fail, and a claim can be held at a
/// gate (to stop the engine while it is in flight). It counts the claims made through it.
public final class FaultyQueue: DeliveryQueue {
    private let base: any DeliveryQueue
    private let failingFinishes = Mutex(0)
    private let claimGate = Mutex<DispatchSemaphore?>(nil)
    private let claimsWaiting = Mutex(0)
    private let claimCount = Mutex(0)
    private let passesClaimAlong: Bool

    /// `passesClaimAlong`: the base store also claims for the engine along with new messages
    /// (those claims bypass the gate and the count); by default every claim comes through here.
    public init(_ base: any DeliveryQueue, passesClaimAlong: Bool = false) {
        self.base = base
        self.passesClaimAlong = passesClaimAlong
    }

    /// How many claims came through ``claim(upTo:owner:now:leaseUntil:maxAge:)`` so far.
    public var claims: Int { claimCount.withLock { $0 } }

    /// The next `count` attempt records fail (nothing is written).
    public func failNextFinishes(_ count: Int) { failingFinishes.withLock { $0 = count } }

    /// The next claim waits until the returned semaphore is signalled.
    public func holdNextClaim() -> DispatchSemaphore {
        let gate = DispatchSemaphore(value: 0)
        claimGate.withLock { $0 = gate }
        return gate
    }

    /// How many claims are waiting at the gate now.
    public var heldClaims: Int { claimsWaiting.withLock { $0 } }

    public func claim(
        upTo limit: Int, owner: String, now: Int64, leaseUntil: Int64, maxAge: @escaping @Sendable (String?) -> Int64
    ) throws(StoreError) -> [ClaimedMessage] {
        claimCount.withLock { $0 += 1 }
        if let gate = claimGate.withLock({ gate in defer { gate = nil }; return gate }) {
            claimsWaiting.withLock { $0 += 1 }
            gate.wait()
            claimsWaiting.withLock { $0 -= 1 }
        }
        return try base.claim(upTo: limit, owner: owner, now: now, leaseUntil: leaseUntil, maxAge: maxAge)
    }

    public func finish(
        messageID: Int64, owner: String, attempts: [AttemptRecord], result: AttemptResult, at: Int64,
        then: @escaping @Sendable (Result<Bool, StoreError>) -> Void
    ) {
        let fail = failingFinishes.withLock { count in
            guard count > 0 else { return false }
            count -= 1
            return true
        }
        if fail {
            DispatchQueue.global().async { then(.failure(StoreError(.unavailable, code: "sqlite_full", message: "database or disk is full"))) }
            return
        }
        base.finish(messageID: messageID, owner: owner, attempts: attempts, result: result, at: at, then: then)
    }

    public func renew(_ ids: Set<Int64>, owner: String, until: Int64) throws(StoreError) { try base.renew(ids, owner: owner, until: until) }
    public func release(_ ids: [Int64], owner: String, at: Int64) throws(StoreError) { try base.release(ids, owner: owner, at: at) }
    public func nextDueAt() throws(StoreError) -> Int64? { try base.nextDueAt() }
    public func onWorkQueued(spareWorkers: @escaping @Sendable () -> Int, _ wake: @escaping @Sendable () -> Void) {
        base.onWorkQueued(spareWorkers: spareWorkers, wake)
    }
    public func claimAlongWithNewMessages(_ along: ClaimAlong) {
        if passesClaimAlong { base.claimAlongWithNewMessages(along) }
    }
    public func register(_ instance: InstanceRecord) throws(StoreError) { try base.register(instance) }
    public func heartbeat(_ instanceID: String, at: Int64) throws(StoreError) { try base.heartbeat(instanceID, at: at) }
    public func deregister(_ instanceID: String) throws(StoreError) { try base.deregister(instanceID) }
    public func instances() throws(StoreError) -> [InstanceRecord] { try base.instances() }
    public func takeOver(from deadOwners: [String]) throws(StoreError) -> Int { try base.takeOver(from: deadOwners) }
}
