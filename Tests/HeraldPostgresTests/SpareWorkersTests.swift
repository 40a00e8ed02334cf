import Testing

@testable import HeraldPostgres

@Suite struct SpareWorkersTests {
    @Test func aProcessWithoutAnEngineHasNoAnswer() {
        #expect(SpareWorkers()() == nil)
    }

    /// Asked at every commit that stores new messages, for as long as the process runs. Kept
    /// in a `Mutex`, each read wrapped the closure once more (a call went through every
    /// earlier wrapper): 20,000 calls took seconds and enough of them overflowed the stack.
    @Test func askingAtEveryCommitCostsTheSameAfterAMillionCommits() {
        let spare = SpareWorkers()
        var answer = 0
        spare.set { 3 }
        for _ in 0..<1_000_000 { answer = spare() ?? -1 }
        #expect(answer == 3)
        spare.set { 0 }
        #expect(spare() == 0)
    }
}
