import HeraldCore

extension WriteContext {
    /// A batch's messages and bodies in one statement. `ON CONFLICT DO NOTHING` names no
    /// constraint, so that every unique index (the webhook id; Clerk's message id joins it)
    /// makes a repeat a duplicate: another instance's insert of the same id waits for that
    /// one to commit, then passes over it. Rows go in the order given, so that of two with
    /// the same key in one batch the first is stored; each stored row's first request
    /// (`n`) gets its body.
    private static let insertMessages = """
        WITH v AS (
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                                 $9::text[], $10::bigint[], $11::bigint[], $12::bigint[])
                WITH ORDINALITY AS v (webhook_id, clerk_id, event_type, channel, slug, recipient, subject, status, last_error,
                                      created_at, next_attempt_at, occurred_at, n)),
        m AS (
            INSERT INTO messages (webhook_id, clerk_id, event_type, channel, slug, recipient, subject, status, attempts,
                                  last_error, created_at, updated_at, next_attempt_at, occurred_at)
            SELECT webhook_id, clerk_id, event_type, channel, slug, recipient, subject, status, 0, last_error, created_at,
                   created_at, next_attempt_at, occurred_at
            FROM v ORDER BY n
            ON CONFLICT DO NOTHING
            RETURNING id, webhook_id),
        f AS (SELECT m.id, min(v.n) AS n FROM m JOIN v USING (webhook_id) GROUP BY m.id),
        p AS (INSERT INTO payloads (message_id, body) SELECT f.id, b.body FROM f JOIN unnest($13::bytea[]) WITH ORDINALITY AS b (body, n) USING (n))
        SELECT id, n FROM f
        """

    /// Stores a new message for each request, or finds the one stored already: a webhook
    /// id is stored at most once, whichever instance it reached (and whichever request of
    /// the batch came first). Returns the outcomes in the order of `requests`.
    func insert(_ requests: [InsertRequest]) throws -> [InsertOutcome] {
        let drafts = requests.map(\.draft)
        let stored = try connection.query(Self.insertMessages, [
            ArrayLiteral.texts(requests.map(\.webhookID)), ArrayLiteral.texts(drafts.map(\.clerkID)),
            ArrayLiteral.texts(drafts.map(\.eventType)), ArrayLiteral.texts(drafts.map(\.channel?.rawValue)),
            ArrayLiteral.texts(drafts.map(\.slug)), ArrayLiteral.texts(drafts.map(\.recipient)), ArrayLiteral.texts(drafts.map(\.subject)),
            ArrayLiteral.texts(drafts.map(\.status.rawValue)), ArrayLiteral.texts(drafts.map { $0.status == .failed ? $0.reason : nil }),
            ArrayLiteral.integers(requests.map(\.at)), ArrayLiteral.optionalIntegers(requests.map { $0.draft.status == .queued ? $0.at : nil }),
            ArrayLiteral.optionalIntegers(drafts.map(\.occurredAt)), ArrayLiteral.byteArrays(requests.map(\.payload)),
        ])
        var outcomes = [InsertOutcome?](repeating: nil, count: requests.count)
        for (index, id) in (0..<stored.count).map({ (Int(stored.int($0, 1)) - 1, stored.int($0, 0)) }).sorted(by: { $0.0 < $1.0 }) {
            let request = requests[index]
            outcomes[index] = InsertOutcome(id: id, status: request.draft.status, duplicate: false)
            recordEvent(messageID: id, status: request.draft.status, detail: request.draft.reason, at: request.at)
            if request.draft.status == .queued { queuedNewMessage() }
        }
        let repeats = outcomes.indices.filter { outcomes[$0] == nil }
        if !repeats.isEmpty {
            let found = try existing(repeats.map { requests[$0] })
            for (index, outcome) in zip(repeats, found) { outcomes[index] = outcome }
        }
        return outcomes.map { $0! }
    }

    /// The messages repeats ran into (a new statement: it sees what the other transaction
    /// committed, and what this one stored). The webhook id is looked up first; Clerk's
    /// message id (the other unique key) after it, for the requests it leaves.
    private func existing(_ requests: [InsertRequest]) throws -> [InsertOutcome] {
        let rows = try connection.query(
            "SELECT id, status, webhook_id, clerk_id FROM messages WHERE webhook_id = ANY($1::text[]) OR clerk_id = ANY($2::text[])",
            [ArrayLiteral.texts(requests.map(\.webhookID)), ArrayLiteral.texts(requests.compactMap(\.draft.clerkID))])
        var byWebhook: [String: InsertOutcome] = [:]
        var byClerk: [String: InsertOutcome] = [:]
        for row in 0..<rows.count {
            let outcome = InsertOutcome(
                id: rows.int(row, 0), status: rows.text(row, 1).flatMap(MessageStatus.init(rawValue:)) ?? .queued, duplicate: true)
            byWebhook[rows.text(row, 2) ?? ""] = outcome
            if let clerkID = rows.text(row, 3) { byClerk[clerkID] = outcome }
        }
        return try requests.map { request in
            if let outcome = byWebhook[request.webhookID] { return outcome }
            if let clerkID = request.draft.clerkID, let outcome = byClerk[clerkID] { return outcome }
            throw PostgresError.internalError("conflicting webhook id or Clerk id not found")
        }
    }

    /// Counts an event type that Herald does not handle.
    func countIgnoredEvent(type: String, now: Int64) throws {
        try connection.query("""
            INSERT INTO event_counters (event_type, count, last_seen_at) VALUES ($1, 1, $2)
            ON CONFLICT (event_type) DO UPDATE SET count = event_counters.count + 1, last_seen_at = excluded.last_seen_at
            """, [.text(type), .integer(now)])
    }
}
