import HeraldCore

extension MessageStore {
    /// Claims up to `limit` messages that are due (queued or retrying and due, or sending
    /// with a lease that ran out): marks them `sending` under `owner` until `leaseUntil`.
    /// `maxAge` gives the age limit of a slug for messages that have no expiry yet.
    func claimDue(
        now: Int64, owner: String, leaseUntil: Int64, limit: Int, maxAge: @Sendable (String?) -> Int64
    ) throws -> [ClaimedMessage] {
        // One index range per status, each in index order with its own LIMIT: the cost is the
        // number claimed, not the backlog (an OR across statuses made SQLite collect and sort
        // every due row on each claim).
        var candidates: [(due: Int64, id: Int64, slug: String?, createdAt: Int64, expiresAt: Int64?, occurredAt: Int64?)] = []
        for (status, column) in [("sending", "lease_until"), ("queued", "next_attempt_at"), ("retrying", "next_attempt_at")] {
            let bound = status == "sending" ? "lease_until < ?" : "next_attempt_at <= ?"
            try connection.query("""
                SELECT id, slug, created_at, expires_at, COALESCE(next_attempt_at, 0), occurred_at FROM messages
                WHERE status = '\(status)' AND \(bound) ORDER BY \(column) LIMIT ?
                """, [.integer(now), .integer(Int64(limit))]
            ) { row in
                while try row.step() {
                    candidates.append((
                        row.int(4), row.int(0), row.text(1), row.int(2), row.isNull(3) ? nil : row.int(3), row.isNull(5) ? nil : row.int(5)))
                }
            }
        }
        candidates.sort { ($0.due, $0.id) < ($1.due, $1.id) }
        var claimed: [ClaimedMessage] = []
        for (_, id, slug, createdAt, expiresAt, occurredAt) in candidates.prefix(limit) {
            // The age counts from when Clerk created the event (never later than it arrived).
            let expiry = expiresAt ?? min(occurredAt ?? createdAt, createdAt) + maxAge(slug)
            let message: ClaimedMessage? = try connection.query("""
                UPDATE messages SET status = 'sending', lease_owner = ?, lease_until = ?, expires_at = ?, updated_at = ?
                WHERE id = ? AND ((status IN ('queued', 'retrying') AND next_attempt_at <= ?) OR (status = 'sending' AND lease_until < ?))
                RETURNING id, channel, slug, recipient, clerk_id, attempts, created_at, expires_at, webhook_id
                """, [.text(owner), .integer(leaseUntil), .integer(expiry), .integer(now), .integer(id), .integer(now), .integer(now)]
            ) { row in
                guard try row.step(), let channel = row.text(1).flatMap(Channel.init(rawValue:)) else { return nil }
                let message = ClaimedMessage(
                    id: row.int(0), channel: channel, slug: row.text(2), recipient: row.text(3) ?? "", clerkID: row.text(4),
                    attempts: Int(row.int(5)), createdAt: row.int(6), expiresAt: row.int(7), payload: [],
                    webhookID: row.text(8) ?? "")
                while try row.step() {}
                return message
            }
            if var message {
                message.payload = try payload(messageID: id) ?? []
                claimed.append(message)
                try recordEvent(messageID: id, status: .sending, detail: "attempt \(message.attempts + 1)", at: now)
            }
        }
        return claimed
    }

    /// Records the attempts of one round and moves the message on, if `owner` still holds
    /// it. Returns false when the lease was lost (another process took the message over).
    func finishAttempts(messageID: Int64, owner: String, attempts: [AttemptRecord], result: AttemptResult, now: Int64) throws -> Bool {
        let made = attempts.filter { $0.outcome != "expired" }
        let template = attempts.last?.template
        try connection.run("""
            UPDATE messages SET status = ?, attempts = attempts + ?, next_attempt_at = ?, last_error = ?,
                provider_id = COALESCE(?, provider_id), template = COALESCE(?, template), lease_owner = NULL,
                lease_until = NULL, updated_at = ?
            WHERE id = ? AND status = 'sending' AND lease_owner = ?
            """, [
                .text(result.status.rawValue), .integer(Int64(made.count)), result.nextAttemptAt.map(SQLValue.integer) ?? .null,
                .optional(result.lastError), .optional(result.providerID), .optional(template), .integer(now),
                .integer(messageID), .text(owner),
            ])
        guard connection.changes == 1 else { return false }
        for attempt in made {
            try connection.run("""
                INSERT INTO attempts (message_id, number, transport, started_at, duration_ms, outcome, code, provider_id, error, template,
                                      provider_code)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [
                    .integer(messageID), .integer(Int64(attempt.number)), .text(attempt.transport), .integer(attempt.startedAt),
                    .integer(attempt.durationMs), .text(attempt.outcome), attempt.code.map { .integer(Int64($0)) } ?? .null,
                    .optional(attempt.providerID), .optional(attempt.error), .optional(attempt.template), .optional(attempt.providerCode),
                ])
        }
        try recordEvent(messageID: messageID, status: result.status, detail: result.detail, at: now)
        return true
    }

    /// One attempt (tests and callers with a single try).
    @discardableResult
    func finishAttempt(messageID: Int64, owner: String, attempt: AttemptRecord, result: AttemptResult, now: Int64) throws -> Bool {
        try finishAttempts(messageID: messageID, owner: owner, attempts: [attempt], result: result, now: now)
    }

    /// A message's attempts, oldest first.
    func attempts(messageID: Int64) throws -> [AttemptRecord] {
        try connection.query("""
            SELECT number, transport, started_at, duration_ms, outcome, code, provider_id, error, template, provider_code
            FROM attempts WHERE message_id = ? ORDER BY id
            """, [.integer(messageID)]
        ) { row in
            var attempts: [AttemptRecord] = []
            while try row.step() {
                attempts.append(AttemptRecord(
                    number: Int(row.int(0)), transport: row.text(1) ?? "", startedAt: row.int(2), durationMs: row.int(3),
                    outcome: row.text(4) ?? "", code: row.isNull(5) ? nil : Int(row.int(5)), providerID: row.text(6),
                    error: row.text(7), template: row.text(8), providerCode: row.text(9)))
            }
            return attempts
        }
    }

    /// Puts failed, expired or cancelled messages back in the queue with a fresh age
    /// window; `ids` nil means every failed message. Returns the ids requeued.
    func retry(ids: [Int64]?, now: Int64, maxAge: (String?) -> Int64) throws -> [Int64] {
        let rows: [(Int64, String?, MessageStatus)]
        if let ids {
            rows = try ids.compactMap { id in
                try connection.query("SELECT id, slug, status FROM messages WHERE id = ?", [.integer(id)]) { row in
                    try row.step() ? (row.int(0), row.text(1), MessageStatus(rawValue: row.text(2) ?? "") ?? .failed) : nil
                }
            }
        } else {
            rows = try connection.query("SELECT id, slug, status FROM messages WHERE status = 'failed' AND channel IS NOT NULL AND recipient IS NOT NULL") { row in
                var rows: [(Int64, String?, MessageStatus)] = []
                while try row.step() { rows.append((row.int(0), row.text(1), .failed)) }
                return rows
            }
        }
        var requeued: [Int64] = []
        for (id, slug, status) in rows {
            var machine = DeliveryStateMachine(status: status, attempts: 0, expiresAt: 0, policy: RetryPolicy())
            guard machine.retry() == .requeue else { continue }
            try connection.run("""
                UPDATE messages SET status = 'queued', next_attempt_at = ?, expires_at = ?, last_error = NULL, updated_at = ?
                WHERE id = ? AND status = ? AND channel IS NOT NULL AND recipient IS NOT NULL
                """, [.integer(now), .integer(now + maxAge(slug)), .integer(now), .integer(id), .text(status.rawValue)])
            guard connection.changes == 1 else { continue }
            try recordEvent(messageID: id, status: .queued, detail: "retried by an operator", at: now)
            requeued.append(id)
        }
        return requeued
    }

    /// Cancels queued or retrying messages. Returns the ids cancelled.
    func cancel(ids: [Int64], now: Int64) throws -> [Int64] {
        var cancelled: [Int64] = []
        for id in ids {
            try connection.run("""
                UPDATE messages SET status = 'cancelled', next_attempt_at = NULL, updated_at = ?
                WHERE id = ? AND status IN ('queued', 'retrying')
                """, [.integer(now), .integer(id)])
            guard connection.changes == 1 else { continue }
            try recordEvent(messageID: id, status: .cancelled, detail: "cancelled by an operator", at: now)
            cancelled.append(id)
        }
        return cancelled
    }

    /// Extends the leases of exactly `ids`, where `owner` still holds them in `sending`,
    /// so that a slow send or a long queue never lets another claim take a message still
    /// being worked on.
    func renewLeases(ids: Set<Int64>, owner: String, until: Int64) throws {
        for id in ids {
            try connection.run(
                "UPDATE messages SET lease_until = ? WHERE id = ? AND status = 'sending' AND lease_owner = ? AND lease_until < ?",
                [.integer(until), .integer(id), .text(owner), .integer(until)])
        }
    }

    /// Gives back messages `owner` holds: due again at once.
    /// Back to `queued` (or `retrying`, after an attempt), due now, so that `herald log` and
    /// the gauges never show a message `sending` that nobody sends.
    func releaseLeases(ids: [Int64], owner: String, at now: Int64) throws {
        for id in ids {
            let released: MessageStatus? = try connection.query("""
                UPDATE messages SET status = CASE WHEN attempts = 0 THEN 'queued' ELSE 'retrying' END,
                    next_attempt_at = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?
                WHERE id = ? AND status = 'sending' AND lease_owner = ?
                RETURNING status
                """, [.integer(now), .integer(now), .integer(id), .text(owner)]
            ) { row in
                guard try row.step() else { return nil }
                let value = MessageStatus(rawValue: row.text(0) ?? "") ?? .queued
                while try row.step() {}
                return value
            }
            if let status = released {
                try recordEvent(messageID: id, status: status, detail: "given back by the process that claimed it", at: now)
            }
        }
    }

    /// When the next message becomes due (Unix ms), if any is waiting.
    func nextDueAt() throws -> Int64? {
        try connection.query("""
            SELECT MIN(due) FROM (
                SELECT MIN(next_attempt_at) AS due FROM messages WHERE status = 'queued'
                UNION ALL SELECT MIN(next_attempt_at) FROM messages WHERE status = 'retrying'
                UNION ALL SELECT MIN(lease_until) FROM messages WHERE status = 'sending')
            """) { row in
            try row.step() && !row.isNull(0) ? row.int(0) : nil
        }
    }
}
