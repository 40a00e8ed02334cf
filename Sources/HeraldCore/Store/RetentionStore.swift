/// What retention asks of the store.
public protocol RetentionStore: Sendable {
    /// Deletes up to `limit` messages in a final state that arrived before `cutoff` (Unix
    /// ms), with their body, history and attempts; never one still pending. Returns how
    /// many were deleted.
    func prune(before cutoff: Int64, limit: Int) throws(StoreError) -> Int
    /// How many ``prune(before:limit:)`` would delete in all.
    func prunableCount(before cutoff: Int64) throws(StoreError) -> Int
}

/// Every role of the store: what a backend implements.
public typealias MessageStoreBackend = IntakeStore & BacklogSource & DeliveryQueue & MessageLog & RetentionStore
