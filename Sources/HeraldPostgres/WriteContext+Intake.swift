import HeraldCore

extension WriteContext {
    /// The message and its body in one statement. `ON CONFLICT DO NOTHING` names no
    /// constraint, so that every unique index (the webhook id today) makes a repeat a
    /// duplicate: another instance's insert of the same id waits for that one to commit,
    /// then finds it.
    private static let insertMessage = """
        WITH m AS (
            INSERT INTO messages (webhook_id, clerk_id, event_type, channel, slug, recipient, subject, status, attempts,
                                  last_error, created_at, updated_at, next_attempt_at, occurred_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, $10, $11, $12)
            ON CONFLICT DO NOTHING
            RETURNING id),
        p AS (INSERT INTO payloads (message_id, body) SELECT id, $13::bytea FROM m)
        SELECT id FROM m
        """

    /// Stores a new message for `webhookID`, or returns the one stored already: a webhook
    /// id is stored at most once, whichever instance it reached.
    func insert(webhookID: String, draft: MessageDraft, payload: [UInt8], now: Int64) throws -> InsertOutcome {
        let inserted = try connection.query(Self.insertMessage, [
            .text(webhookID), .optional(draft.clerkID), .text(draft.eventType), .optional(draft.channel?.rawValue),
            .optional(draft.slug), .optional(draft.recipient), .optional(draft.subject), .text(draft.status.rawValue),
            .optional(draft.status == .failed ? draft.reason : nil), .integer(now),
            draft.status == .queued ? .integer(now) : .null, .optional(draft.occurredAt), .bytes(payload),
        ])
        guard inserted.count == 1 else { return try existing(webhookID: webhookID, draft: draft) }
        let id = inserted.int(0, 0)
        recordEvent(messageID: id, status: draft.status, detail: draft.reason, at: now)
        if draft.status == .queued { wakeWorkers() }
        return InsertOutcome(id: id, status: draft.status, duplicate: false)
    }

    /// The message a conflicting insert ran into (a new statement: it sees what the other
    /// transaction committed).
    private func existing(webhookID: String, draft: MessageDraft) throws -> InsertOutcome {
        let found = try connection.query("SELECT id, status FROM messages WHERE webhook_id = $1", [.text(webhookID)])
        guard found.count == 1 else { throw PostgresError.internalError("conflicting webhook id not found") }
        return InsertOutcome(id: found.int(0, 0), status: found.text(0, 1).flatMap(MessageStatus.init(rawValue:)) ?? .queued, duplicate: true)
    }

    /// Counts an event type that Herald does not handle.
    func countIgnoredEvent(type: String, now: Int64) throws {
        try connection.query("""
            INSERT INTO event_counters (event_type, count, last_seen_at) VALUES ($1, 1, $2)
            ON CONFLICT (event_type) DO UPDATE SET count = event_counters.count + 1, last_seen_at = excluded.last_seen_at
            """, [.text(type), .integer(now)])
    }
}
