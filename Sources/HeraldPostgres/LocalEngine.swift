import Foundation
import HeraldCore

/// This process's delivery engine as the writer sees it: how many new messages its idle
/// workers could start (nil until an engine registers: a process without one announces
/// everything), for deciding whether new messages are announced to the other instances,
/// and the claim to make for it along with new messages (``ClaimAlong``). Plain properties
/// under a lock, not a `Mutex`: a closure read out of `Mutex.withLock`'s inout value is
/// wrapped in a new reabstraction thunk and written back on every read, so each call went
/// through all the earlier wrappers (ever slower, ever deeper: a stack overflow after
/// enough commits).
final class LocalEngine: @unchecked Sendable {
    private let lock = NSLock()
    /// Both guarded by `lock`.
    private var provider: (@Sendable () -> Int)?
    private var claim: ClaimAlong?

    func setSpareWorkers(_ provider: @escaping @Sendable () -> Int) {
        lock.lock()
        self.provider = provider
        lock.unlock()
    }

    func setAlong(_ along: ClaimAlong) {
        lock.lock()
        claim = along
        lock.unlock()
    }

    func spareWorkers() -> Int? {
        lock.lock()
        let provider = self.provider
        lock.unlock()
        return provider?()
    }

    var along: ClaimAlong? {
        lock.lock()
        defer { lock.unlock() }
        return claim
    }
}
