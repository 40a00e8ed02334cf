public import HeraldCore
import Synchronization

/// A clock a test moves by hand.
public final class ManualTime: TimeSource {
    private let now: Mutex<Int64>
    public init(_ start: Int64 = 1_800_000_000_000) { now = Mutex(start) }
    public func milliseconds() -> Int64 { now.withLock { $0 } }
    public func advance(by milliseconds: Int64) { now.withLock { $0 += milliseconds } }
}
