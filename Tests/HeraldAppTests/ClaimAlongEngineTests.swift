import Foundation
import HeraldApp
import HeraldCore
import HeraldTestSupport
import Synchronization
import Testing

/// A delivery queue that forwards everything to a real store (the claim along with new
/// messages too) and counts the dispatcher's own claims.
final class ClaimCountingQueue: DeliveryQueue {
    let base: any ClosableStore
    let claims = Mutex(0)

    init(_ base: any ClosableStore) {
        self.base = base
    }

    func claim(
        upTo limit: Int, owner: String, now: Int64, leaseUntil: Int64, maxAge: @escaping @Sendable (String?) -> Int64
    ) throws(StoreError) -> [ClaimedMessage] {
        claims.withLock { $0 += 1 }
        return try base.claim(upTo: limit, owner: owner, now: now, leaseUntil: leaseUntil, maxAge: maxAge)
    }

    func finish(
        messageID: Int64, owner: String, attempts: [AttemptRecord], result: AttemptResult, at: Int64,
        then: @escaping @Sendable (Result<Bool, StoreError>) -> Void
    ) {
        base.finish(messageID: messageID, owner: owner, attempts: attempts, result: result, at: at, then: then)
    }

    func renew(_ ids: Set<Int64>, owner: String, until: Int64) throws(StoreError) { try base.renew(ids, owner: owner, until: until) }
    func release(_ ids: [Int64], owner: String, at: Int64) throws(StoreError) { try base.release(ids, owner: owner, at: at) }
    func nextDueAt() throws(StoreError) -> Int64? { try base.nextDueAt() }
    func onWorkQueued(spareWorkers: @escaping @Sendable () -> Int, _ wake: @escaping @Sendable () -> Void) {
        base.onWorkQueued(spareWorkers: spareWorkers, wake)
    }
    func claimAlongWithNewMessages(_ along: ClaimAlong) { base.claimAlongWithNewMessages(along) }
    func register(_ instance: InstanceRecord) throws(StoreError) { try base.register(instance) }
    func heartbeat(_ instanceID: String, at: Int64) throws(StoreError) { try base.heartbeat(instanceID, at: at) }
    func deregister(_ instanceID: String) throws(StoreError) { try base.deregister(instanceID) }
    func instances() throws(StoreError) -> [InstanceRecord] { try base.instances() }
    func takeOver(from deadOwners: [String]) throws(StoreError) -> Int { try base.takeOver(from: deadOwners) }
}

@Suite struct ClaimAlongEngineTests {
    /// Stored one after another while the engine is idle, each message is leased in the
    /// commit that stores it and sent by the engine without a claim of the dispatcher's:
    /// intake's word of it finds the engine holding it already.
    @Test(arguments: TestBackend.allCases)
    func aMessageStoredWhileTheEngineIsIdleIsSentWithoutAClaimOfItsOwn(_ backend: TestBackend) throws {
        var counting: ClaimCountingQueue?
        let setup = try EngineOnStore(backend, workers: 2) { store in
            counting = ClaimCountingQueue(store)
            return counting!
        }
        let (store, engine, script) = (setup.store, setup.engine, setup.script)
        let queue = try #require(counting)
        defer { store.close() }
        defer { engine.stop() }
        // The dispatcher's first look (nothing due) settles.
        try waitUntil { queue.claims.withLock { $0 } >= 1 }
        Thread.sleep(forTimeInterval: 0.05)
        let before = queue.claims.withLock { $0 }
        let started = Date()
        var ids: [Int64] = []
        for index in 0..<10 {
            let body = try freshFixture("email.created", at: Clock.nowMilliseconds())  // a Clerk id of its own
            guard case .record(let draft) = ClerkEvent.decide(body: body) else { throw CommandError("not a message") }
            let outcome = try store.insertAndWait(draft, webhookID: "msg_along_\(index)", payload: body, at: Clock.nowMilliseconds())
            engine.notify(newMessage: outcome.id)  // as intake does
            ids.append(outcome.id)
            try waitUntil { try store.message(id: outcome.id)?.status == .sent }
        }
        #expect(script.sent.count == 10)
        for id in ids { #expect(try store.history(messageID: id).map(\.status) == [.queued, .sending, .sent]) }
        // The dispatcher's poll looks at most once a second; ten claims (one a message) would
        // be its claims for each message.
        let polls = Int(Date().timeIntervalSince(started)) + 2
        #expect(queue.claims.withLock { $0 } - before <= min(polls, 9))
    }
}

/// A new store of a backend and a started engine on it (through the queue `wrap` makes of
/// it), sending with a script that delivers everything.
struct EngineOnStore {
    let store: any ClosableStore
    let engine: DeliveryEngine
    let script = ScriptedTransport.Script([.delivered(providerID: nil, code: 250)])

    init(_ backend: TestBackend, workers: Int, queue wrap: (any ClosableStore) -> any DeliveryQueue = { $0 }) throws {
        let folder = try temporaryFolder()
        store = try StoreFactory.open(try DatabaseLocation(parsing: try backend.database(in: folder)))
        var settings = DeliveryEngine.Settings()
        settings.workers = workers
        let script = self.script
        engine = DeliveryEngine(
            queue: wrap(store), templates: TemplateStore(root: folder.appendingPathComponent("templates").path), settings: settings,
            logger: .disabled, makeSender: { _ in ScriptedTransport(script) })
        try engine.start()
    }
}

/// Waits up to 10 s for `condition`.
func waitUntil(_ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(10)
    while Date() < deadline {
        if try condition() { return }
        Thread.sleep(forTimeInterval: 0.005)
    }
    Issue.record("timed out")
}
