/// What is waiting for delivery, for monitoring.
public struct PendingSummary: Sendable, Equatable {
    /// Messages queued, sending and retrying.
    public var counts: [MessageStatus: Int]
    /// When the longest-waiting queued message became due (Unix ms), if one is queued.
    public var oldestQueuedDueAt: Int64?

    public init(counts: [MessageStatus: Int], oldestQueuedDueAt: Int64?) {
        self.counts = counts
        self.oldestQueuedDueAt = oldestQueuedDueAt
    }
}
