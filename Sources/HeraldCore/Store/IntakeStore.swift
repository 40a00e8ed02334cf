/// What intake asks of the store. Called on the HTTP server's event threads: it never
/// blocks; each completion comes once the write is durable (group-committed with others),
/// on the store's own thread, and must be short.
public protocol IntakeStore: Sendable {
    /// Stores a new message for `webhookID`, or answers with the one already stored for it
    /// (`duplicate`): a webhook id is stored at most once, and so is Clerk's message id
    /// (`draft.clerkID`, when there is one), so that one Clerk message sent under two
    /// webhook ids (two endpoints) is delivered once. The webhook id is looked up first.
    func insert(
        _ draft: MessageDraft, webhookID: String, payload: [UInt8], at: Int64,
        then: @escaping @Sendable (Result<InsertOutcome, StoreError>) -> Void)
    /// Counts an event type Herald does not handle.
    func countIgnoredEvent(type: String, at: Int64, then: @escaping @Sendable (Result<Void, StoreError>) -> Void)
}

/// The backlog, read for `/metrics` without blocking the caller.
public protocol BacklogSource: Sendable {
    func pendingSummary(then: @escaping @Sendable (Result<PendingSummary, StoreError>) -> Void)
}
