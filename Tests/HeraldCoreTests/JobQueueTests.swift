import Foundation
import HeraldCore
import Testing

/// A batch of jobs nobody waits for lingers for company; anything else ends the wait. The
/// lingers here are long (seconds) where the test shows that something ended them early,
/// so that a slow machine cannot make them pass or fail by chance.
@Suite struct JobQueueTests {
    /// Takes the next batch on a thread of its own; `taken` waits for it.
    final class Taker: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private(set) var batch: [Int]?
        private(set) var elapsed: TimeInterval = 0

        init(_ queue: JobQueue<Int>, limit: Int = 100, linger: Double, enough: Int = .max) {
            Thread {
                let started = Date()
                self.batch = queue.nextBatch(limit: limit, linger: linger, enough: enough)
                self.elapsed = Date().timeIntervalSince(started)
                self.done.signal()
            }.start()
        }

        func taken(within seconds: Double = 20) -> [Int]? {
            done.wait(timeout: .now() + seconds) == .success ? batch : nil
        }
    }

    @Test func patientJobsWaitForCompanyUntilTheOldestHasLingered() {
        let queue = JobQueue<Int>()
        _ = queue.append(1, patient: true)
        let taker = Taker(queue, linger: 1.5)
        Thread.sleep(forTimeInterval: 0.05)
        _ = queue.append(2, patient: true)
        #expect(taker.taken() == [1, 2])  // one batch: the second came while the first lingered
        #expect(taker.elapsed >= 0.75)
    }

    @Test func aJobSomebodyWaitsForEndsTheLingeringAtOnce() {
        let queue = JobQueue<Int>()
        _ = queue.append(1, patient: true)
        let taker = Taker(queue, linger: 30)
        Thread.sleep(forTimeInterval: 0.05)
        _ = queue.append(2)
        #expect(taker.taken() == [1, 2])
        #expect(taker.elapsed < 10)
    }

    @Test func aJobSomebodyWaitsForNeverLingers() {
        let queue = JobQueue<Int>()
        _ = queue.append(1)
        let taker = Taker(queue, linger: 30)
        #expect(taker.taken() == [1])
        #expect(taker.elapsed < 10)
    }

    @Test func enoughPatientJobsEndTheLingering() {
        let queue = JobQueue<Int>()
        let taker = Taker(queue, linger: 30, enough: 3)
        for job in 1...3 { _ = queue.append(job, patient: true) }
        #expect(taker.taken() == [1, 2, 3])
        #expect(taker.elapsed < 10)
    }

    @Test func closingEndsTheLingeringAndHandsOverWhatIsQueued() {
        let queue = JobQueue<Int>()
        _ = queue.append(1, patient: true)
        let taker = Taker(queue, linger: 30)
        Thread.sleep(forTimeInterval: 0.05)
        queue.close(waiting: false)
        #expect(taker.taken() == [1])
        #expect(taker.elapsed < 10)
        #expect(!queue.append(2, patient: true))
    }

    /// Jobs a full batch left behind have waited already: the next batch takes them at once.
    @Test func jobsLeftBehindByTheLimitDoNotLingerAgain() {
        let queue = JobQueue<Int>()
        for job in 1...3 { _ = queue.append(job, patient: true) }
        #expect(Taker(queue, limit: 2, linger: 30, enough: 3).taken() == [1, 2])
        let second = Taker(queue, limit: 2, linger: 30, enough: 3)
        #expect(second.taken() == [3])
        #expect(second.elapsed < 10)
    }

    /// An impatient job taken in one batch does not leave the queue thinking one still waits.
    @Test func theCountOfImpatientJobsFollowsWhatIsTaken() {
        let queue = JobQueue<Int>()
        _ = queue.append(1)
        _ = queue.append(2, patient: true)
        #expect(Taker(queue, limit: 1, linger: 30).taken() == [1])
        #expect(Taker(queue, linger: 30).taken() == [2])  // left behind: at once
        _ = queue.append(3, patient: true)
        let third = Taker(queue, linger: 1.5)
        Thread.sleep(forTimeInterval: 0.05)
        _ = queue.append(4, patient: true)
        #expect(third.taken() == [3, 4])  // lingered: no impatient job is counted any more
        #expect(third.elapsed >= 0.75)
    }
}
