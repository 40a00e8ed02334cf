import HeraldCore
import Testing

@testable import HeraldPostgres

@Suite struct LocalEngineTests {
    @Test func aProcessWithoutAnEngineHasNoAnswerAndNoClaimAlong() {
        let engine = LocalEngine()
        #expect(engine.spareWorkers() == nil)
        #expect(engine.claimAlong.along == nil)
    }

    /// Asked at every commit that stores new messages, for as long as the process runs. Kept
    /// in a `Mutex`, each read wrapped the closure once more (a call went through every
    /// earlier wrapper): 20,000 calls took seconds and enough of them overflowed the stack.
    @Test func askingAtEveryCommitCostsTheSameAfterAMillionCommits() {
        let engine = LocalEngine()
        var answer = 0
        engine.setSpareWorkers { 3 }
        engine.claimAlong.set(ClaimAlong(owner: "a", leaseMilliseconds: 1, now: { 0 }, maxAge: { _ in 0 }, reserve: { 5 }, finish: { _, _ in }))
        var reserved = 0
        for _ in 0..<1_000_000 {
            answer = engine.spareWorkers() ?? -1
            reserved = engine.claimAlong.along?.reserve() ?? -1
        }
        #expect(answer == 3)
        #expect(reserved == 5)
        engine.setSpareWorkers { 0 }
        #expect(engine.spareWorkers() == 0)
    }
}
