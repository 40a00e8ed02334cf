/// What the operator's commands read and change. May block; each method is atomic.
public protocol MessageLog: Sendable {
    /// Matching messages, newest first.
    func messages(matching filter: MessageFilter) throws(StoreError) -> [MessageRecord]
    /// One message by its number, webhook id (`msg_...`) or Clerk id (`ema_...`, `sms_...`).
    func message(_ reference: String) throws(StoreError) -> MessageRecord?
    /// The raw webhook body stored with a message.
    func payload(messageID: Int64) throws(StoreError) -> [UInt8]?
    /// A message's history, oldest first.
    func history(messageID: Int64) throws(StoreError) -> [MessageEvent]
    /// A message's attempts, oldest first.
    func attempts(messageID: Int64) throws(StoreError) -> [AttemptRecord]
    /// Changes after `sequence`, oldest first (`herald log --follow`).
    func changes(after sequence: Int64, limit: Int) throws(StoreError) -> [MessageEvent]
    /// The newest change's sequence number (0 when empty).
    func latestSequence() throws(StoreError) -> Int64
    /// Ignored event types and how often each came.
    func ignoredEventCounts() throws(StoreError) -> [String: Int64]
    /// Messages per status.
    func statusCounts() throws(StoreError) -> [MessageStatus: Int64]
    /// Messages not yet final, and how long the oldest queued one has waited.
    func pendingSummary() throws(StoreError) -> PendingSummary
    /// Puts failed, expired or cancelled messages back in the queue with a fresh age
    /// window; `ids` nil means every failed message. Returns the ids requeued.
    func requeue(_ ids: [Int64]?, at: Int64, maxAge: @escaping @Sendable (String?) -> Int64) throws(StoreError) -> [Int64]
    /// Attempts per provider since `since` (Unix ms), for every process sharing the store.
    func providerStats(since: Int64) throws(StoreError) -> [ProviderStats]
    /// Cancels queued or retrying messages. Returns the ids cancelled.
    func cancel(_ ids: [Int64], at: Int64) throws(StoreError) -> [Int64]
}

extension MessageLog {
    public func message(id: Int64) throws(StoreError) -> MessageRecord? {
        try message(String(id))
    }
}
