import Foundation
import HeraldCore
import HeraldTestSupport
import Synchronization
import Testing

/// What each backend's writer does for a process's engine (``ClaimAlong``): a transaction
/// that stores new messages claims for it, as the dispatcher would, before the callers hear.
@Suite struct ClaimAlongTests {
    /// What the engine side saw, in order, beside the inserts' completions.
    final class Engine: Sendable {
        let capacity = Mutex(0)
        let reservations = Mutex(0)
        let log = Mutex<[String]>([])
        let claims = Mutex<[(ids: [Int64], requested: Int)]>([])

        var along: ClaimAlong {
            ClaimAlong(
                owner: "a", leaseMilliseconds: 30_000, now: { 2_000 }, maxAge: tenMinutes,
                reserve: { [self] in
                    let count = capacity.withLock { $0 }
                    if count > 0 { reservations.withLock { $0 += 1 } }
                    return count
                },
                finish: { [self] result, requested in
                    let ids = (try? result.get())?.map(\.id) ?? []
                    log.withLock { $0.append("claimed \(ids)") }
                    claims.withLock { $0.append((ids, requested)) }
                })
        }

        /// Inserts and waits, logging the completion after whatever the engine was told.
        func insert(_ store: any MessageStoreBackend, _ webhookID: String, at: Int64) throws -> InsertOutcome {
            let done = DispatchSemaphore(value: 0)
            let outcome = Mutex<Result<InsertOutcome, StoreError>?>(nil)
            store.insert(draft, webhookID: webhookID, payload: [1], at: at) { [self] result in
                log.withLock { $0.append("stored \((try? result.get())?.id ?? -1)") }
                outcome.withLock { $0 = result }
                done.signal()
            }
            done.wait()
            return try outcome.withLock { $0! }.get()
        }
    }

    @Test(arguments: StoreBackend.all)
    func aNewMessageIsLeasedToTheEngineInTheCommitThatStoresIt(_ backend: StoreBackend) throws {
        let store = try backend.open().store
        let engine = Engine()
        store.claimAlongWithNewMessages(engine.along)
        // The engine takes nothing now: the message waits for a claim, queued.
        let first = try engine.insert(store, "msg_1", at: 1_000)
        #expect(engine.reservations.withLock { $0 } == 0)
        #expect(try store.message(id: first.id)?.status == .queued)
        // Room for two: the next commit claims the oldest due first, its own new one after.
        engine.capacity.withLock { $0 = 2 }
        let second = try engine.insert(store, "msg_2", at: 1_001)
        #expect(engine.log.withLock { $0 } == ["stored \(first.id)", "claimed [\(first.id), \(second.id)]", "stored \(second.id)"])
        #expect(engine.claims.withLock { $0.map(\.requested) } == [2])
        // Leased to "a" as a claim of its own would be: nobody else gets them, "a" records them.
        #expect(try store.claim(upTo: 10, owner: "b", now: 2_000, leaseUntil: 3_000, maxAge: tenMinutes).isEmpty)
        #expect(try store.message(id: second.id)?.status == .sending)
        #expect(try store.history(messageID: second.id).map(\.status) == [.queued, .sending])
        let attempt = AttemptRecord(number: 1, transport: "smtp", startedAt: 2_000, durationMs: 5, outcome: "delivered", code: 250)
        #expect(try !store.finishAndWait(messageID: second.id, owner: "b", attempt: attempt, result: AttemptResult(status: .sent), at: 2_005))
        #expect(try store.finishAndWait(messageID: second.id, owner: "a", attempt: attempt, result: AttemptResult(status: .sent), at: 2_005))
        // The lease is the engine's lease: run out, the message is anybody's again.
        #expect(try store.claim(upTo: 10, owner: "b", now: 32_001, leaseUntil: 40_000, maxAge: tenMinutes).map(\.id) == [first.id])
    }

    @Test(arguments: StoreBackend.all)
    func aCommitThatStoresNothingNewClaimsNothing(_ backend: StoreBackend) throws {
        let store = try backend.open().store
        let engine = Engine()
        let stored = try engine.insert(store, "msg_1", at: 1_000)
        store.claimAlongWithNewMessages(engine.along)
        engine.capacity.withLock { $0 = 4 }
        // A repeat, a message stored failed, an ignored event, a record: nothing new is due.
        #expect(try engine.insert(store, "msg_1", at: 1_001).duplicate)
        var unusable = draft
        unusable.status = .failed
        unusable.reason = "no recipient"
        _ = try store.insertAndWait(unusable, webhookID: "msg_2", payload: [], at: 1_002)
        try store.countIgnoredAndWait(type: "user.created", at: 1_003)
        #expect(engine.reservations.withLock { $0 } == 0)
        #expect(try store.message(id: stored.id)?.status == .queued)
    }

    @Test(arguments: StoreBackend.all)
    func aBurstIsClaimedUpToWhatTheEngineTakesAndTheRestWaits(_ backend: StoreBackend) throws {
        let store = try backend.open().store
        let engine = Engine()
        engine.capacity.withLock { $0 = 3 }
        store.claimAlongWithNewMessages(engine.along)
        let group = DispatchGroup()
        for index in 0..<40 {
            group.enter()
            store.insert(draft, webhookID: "msg_\(index)", payload: [], at: 1_000) { _ in group.leave() }
        }
        group.wait()
        // One claim per commit that stored new messages, each of at most three.
        let claims = engine.claims.withLock { $0 }
        #expect(claims.count == engine.reservations.withLock { $0 })
        #expect(!claims.isEmpty)
        #expect(claims.allSatisfy { $0.requested == 3 && (1...3).contains($0.ids.count) })
        let claimed = claims.flatMap(\.ids)
        #expect(Set(claimed).count == claimed.count)
        #expect(try store.pendingSummary().counts[.sending, default: 0] == claimed.count)
        #expect(try store.pendingSummary().counts[.queued, default: 0] == 40 - claimed.count)
    }
}
