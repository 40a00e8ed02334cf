import Foundation
import HeraldCore

/// This process's delivery engine as the writer sees it: how many new messages its idle
/// workers could start (nil until an engine registers: a process without one announces
/// everything), for deciding whether new messages are announced to the other instances,
/// and the claim to make for it along with new messages (``ClaimAlongSlot``). The provider
/// is a plain property under a lock, not in a `Mutex`, for the reason the slot gives.
final class LocalEngine: @unchecked Sendable {
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var provider: (@Sendable () -> Int)?
    let claimAlong = ClaimAlongSlot()

    func setSpareWorkers(_ provider: @escaping @Sendable () -> Int) {
        lock.lock()
        self.provider = provider
        lock.unlock()
    }

    func spareWorkers() -> Int? {
        lock.lock()
        let provider = self.provider
        lock.unlock()
        return provider?()
    }
}
