import Foundation
import HeraldCore

/// The claim to make for this process's engine along with new messages (nil until an
/// engine registers). Under a lock, not a `Mutex` (see PostgreSQL's `LocalEngine`).
final class AlongHolder: @unchecked Sendable {
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var claim: ClaimAlong?

    func set(_ along: ClaimAlong) {
        lock.lock()
        claim = along
        lock.unlock()
    }

    var along: ClaimAlong? {
        lock.lock()
        defer { lock.unlock() }
        return claim
    }
}
