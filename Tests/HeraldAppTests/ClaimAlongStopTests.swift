import Foundation
@testable import HeraldApp
import HeraldCore
import HeraldTestSupport
import Testing

@Suite struct ClaimAlongStopTests {
    /// A writer reserved a claim for the engine, then the engine was told to stop before the
    /// commit landed: what the claim took is given back before stop() returns (the store is
    /// closed right after it), not left leased to an instance that is gone.
    @Test(arguments: TestBackend.allCases)
    func aClaimAlongThatLandsWhileStoppingIsGivenBackBeforeStopReturns(_ backend: TestBackend) throws {
        let setup = try EngineOnStore(backend, workers: 1)
        let (store, engine, script) = (setup.store, setup.engine, setup.script)
        defer { store.close() }
        // As a writer does before its commit: the engine's claim is then in flight (once the
        // dispatcher's first look, which finds nothing due, has come back).
        let along = engine.claimAlong
        var requested = 0
        try waitUntil {
            requested = along.reserve()
            return requested > 0
        }
        #expect(requested == 4)
        let body = try freshFixture("email.created")
        guard case .record(let draft) = ClerkEvent.decide(body: body) else { throw CommandError("not a message") }
        let stored = try store.insertAndWait(draft, webhookID: "msg_stopping", payload: body, at: Clock.nowMilliseconds())
        let now = Clock.nowMilliseconds()
        let claimed = try store.claim(upTo: requested, owner: engine.owner, now: now, leaseUntil: now + 30_000, maxAge: { _ in 600_000 })
        #expect(claimed.map(\.id) == [stored.id])
        let stopped = DispatchSemaphore(value: 0)
        Thread {
            engine.stop(drainSeconds: 10)
            stopped.signal()
        }.start()
        #expect(stopped.wait(timeout: .now() + 0.2) == .timedOut)  // it waits for the claim
        along.finish(.success(claimed), requested)
        #expect(stopped.wait(timeout: .now() + 10) == .success)
        #expect(try store.message(id: stored.id)?.status == .queued)
        #expect(script.sent.isEmpty)
    }
}
