import Foundation
import HeraldApp
import HeraldCore
import HeraldTestSupport
import Testing

@Suite struct ClaimAlongEngineTests {
    /// Stored one after another while the engine is idle, each message is leased in the
    /// commit that stores it and sent by the engine without a claim of the dispatcher's:
    /// intake's word of it finds the engine holding it already.
    @Test(arguments: TestBackend.allCases)
    func aMessageStoredWhileTheEngineIsIdleIsSentWithoutAClaimOfItsOwn(_ backend: TestBackend) throws {
        var counting: FaultyQueue?
        let setup = try EngineOnStore(backend, workers: 2) { store in
            counting = FaultyQueue(store, passesClaimAlong: true)
            return counting!
        }
        let (store, engine, script) = (setup.store, setup.engine, setup.script)
        let queue = try #require(counting)
        defer { store.close() }
        defer { engine.stop() }
        // The dispatcher's first look (nothing due) settles.
        try waitUntil { queue.claims >= 1 }
        Thread.sleep(forTimeInterval: 0.05)
        let before = queue.claims
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
        #expect(queue.claims - before <= min(polls, 9))
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
