import HeraldCore
import Synchronization
import Testing

@Suite struct ClaimAlongReservationTests {
    final class Calls: Sendable {
        let finished = Mutex<[(ok: Bool, requested: Int)]>([])
        func along(reserving count: Int) -> ClaimAlong {
            ClaimAlong(
                owner: "a", leaseMilliseconds: 500, now: { 1_000 }, maxAge: { _ in 0 }, reserve: { count },
                finish: { [self] result, requested in
                    let ok = (try? result.get()) != nil
                    finished.withLock { $0.append((ok, requested)) }
                })
        }
    }

    @Test func nothingReservedIsNoReservationAndNoFinish() {
        let calls = Calls()
        #expect(ClaimAlongReservation(calls.along(reserving: 0)) == nil)
        #expect(calls.finished.withLock { $0.isEmpty })
    }

    @Test func aReservationFinishesOnceWithItsLeaseFromTheEnginesClock() {
        let calls = Calls()
        do {
            let reservation = ClaimAlongReservation(calls.along(reserving: 3))
            #expect(reservation?.requested == 3)
            #expect(reservation?.leaseUntil == 1_500)
            reservation?.finish(.success([]))
            reservation?.finish(.failure(StoreError(.unavailable, code: "x", message: "later")))
        }
        #expect(calls.finished.withLock { $0.map(\.ok) } == [true])
        #expect(calls.finished.withLock { $0.map(\.requested) } == [3])
    }

    /// A path of the writer that dropped its reservation must not leave the engine's claim
    /// in flight for ever (its dispatcher would never claim again).
    @Test func aDroppedReservationFinishesAsAFailure() {
        let calls = Calls()
        do { _ = ClaimAlongReservation(calls.along(reserving: 2)) }
        #expect(calls.finished.withLock { $0.map(\.ok) } == [false])
    }
}
