import Foundation
import HeraldCore

/// The delivery engine's shared state (one ``DispatchStateMachine`` and the count of its
/// running threads) under one mutex, with a condition per kind of waiter: the dispatcher,
/// the workers, and `stop()` waiting for the engine to settle. A change wakes only the
/// waiters it concerns (workers when messages were queued for them, the dispatcher when
/// news arrived or room opened, `stop()` when the engine fell idle): with one condition
/// broadcast on every change, each finished message woke every idle worker and the
/// dispatcher, twice, for nothing.
final class DispatchMonitor: @unchecked Sendable {
    enum Waiter: Int, CaseIterable {
        case dispatcher, workers, settled
    }

    /// Every access under the lock.
    var machine: DispatchStateMachine
    /// Threads started and not yet ended (dispatcher and workers).
    var running = 0
    /// The machine's worker count, readable without the lock.
    private let workers: Int

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let conditions = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: Waiter.allCases.count)

    init(workers: Int) {
        machine = DispatchStateMachine(workers: workers)
        self.workers = machine.workers
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)  // timed waits immune to clock steps
        for waiter in Waiter.allCases { pthread_cond_init(conditions + waiter.rawValue, &attributes) }
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        for waiter in Waiter.allCases { pthread_cond_destroy(conditions + waiter.rawValue) }
        pthread_mutex_destroy(mutex)
        conditions.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }

    /// Waits (holding the lock) until woken; spurious wake-ups happen, so callers look again.
    func wait(_ waiter: Waiter) {
        pthread_cond_wait(conditions + waiter.rawValue, mutex)
    }

    /// Waits (holding the lock) until woken or `deadline` passes; false once it has passed.
    func wait(_ waiter: Waiter, until deadline: Deadline) -> Bool {
        var time = deadline.time
        return pthread_cond_timedwait(conditions + waiter.rawValue, mutex, &time) != ETIMEDOUT
    }

    /// Wakes one waiter of a kind, or all of them.
    func wake(_ waiter: Waiter, all: Bool = false) {
        if all {
            pthread_cond_broadcast(conditions + waiter.rawValue)
        } else {
            pthread_cond_signal(conditions + waiter.rawValue)
        }
    }

    /// Changes the machine under the lock, then wakes whoever the change concerns.
    func withLock<T>(_ body: (inout DispatchStateMachine) -> T) -> T {
        lock()
        let before = Snapshot(machine)
        let value = body(&machine)
        let after = Snapshot(machine)
        unlock()
        if after.stopping && !before.stopping {
            for waiter in Waiter.allCases { wake(waiter, all: true) }
            return value
        }
        // After the unlock: `machine` is no longer to be read here.
        let queued = after.waiting - before.waiting
        if queued >= workers {
            wake(.workers, all: true)
        } else if queued > 0 {
            for _ in 0..<queued { wake(.workers) }
        }
        if (after.hasNews && !before.hasNews) || (after.claimable > 0 && before.claimable <= 0) { wake(.dispatcher) }
        if after.isIdle && !before.isIdle { wake(.settled, all: true) }
        return value
    }

    /// What the wake-ups depend on.
    private struct Snapshot {
        var waiting: Int
        var claimable: Int
        var hasNews: Bool
        var isIdle: Bool
        var stopping: Bool

        init(_ machine: DispatchStateMachine) {
            waiting = machine.waitingCount
            claimable = machine.claimable
            hasNews = machine.hasNews
            isIdle = machine.isIdle
            stopping = machine.stopping
        }
    }

    /// A point on the monotonic clock, for ``wait(_:until:)``.
    struct Deadline {
        fileprivate var time: timespec

        init(secondsFromNow seconds: Double) {
            let seconds = max(seconds, 0)
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let nanoseconds = Int(now.tv_nsec) + Int(seconds.truncatingRemainder(dividingBy: 1) * 1e9)
            time = timespec(tv_sec: now.tv_sec + Int(seconds) + nanoseconds / 1_000_000_000, tv_nsec: nanoseconds % 1_000_000_000)
        }
    }
}
