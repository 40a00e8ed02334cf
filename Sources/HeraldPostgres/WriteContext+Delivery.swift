import HeraldCore

extension WriteContext {
    /// Due messages, oldest due first, locked for this transaction: `SKIP LOCKED` passes
    /// over what another instance's open claim holds, so instances never wait for each
    /// other or claim the same message. One index range per status, each with its own limit.
    private static let candidates = """
        WITH sending AS (
            SELECT id, slug, created_at, expires_at, COALESCE(next_attempt_at, 0) AS due, occurred_at FROM messages
            WHERE status = 'sending' AND lease_until < $1 ORDER BY lease_until LIMIT $2 FOR UPDATE SKIP LOCKED),
        queued AS (
            SELECT id, slug, created_at, expires_at, COALESCE(next_attempt_at, 0) AS due, occurred_at FROM messages
            WHERE status = 'queued' AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED),
        retrying AS (
            SELECT id, slug, created_at, expires_at, COALESCE(next_attempt_at, 0) AS due, occurred_at FROM messages
            WHERE status = 'retrying' AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
        SELECT id, slug, created_at, expires_at, occurred_at FROM (
            SELECT * FROM sending UNION ALL SELECT * FROM queued UNION ALL SELECT * FROM retrying) AS due
        ORDER BY due, id LIMIT $2
        """

    /// Leases the locked candidates, each with its expiry, and returns what a worker needs.
    /// `m.id = ANY($1)` beside the join lets the plan reach the rows by the primary key
    /// (with the settings of ``Writer/opening``, instead of a sequential scan).
    static let lease = """
        WITH v AS (SELECT * FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS v (id, expiry, n)),
        u AS (
            UPDATE messages m SET status = 'sending', lease_owner = $3, lease_until = $4, expires_at = v.expiry, updated_at = $5
            FROM v WHERE m.id = ANY($1::bigint[]) AND m.id = v.id
            RETURNING m.id, m.channel, m.slug, m.recipient, m.clerk_id, m.attempts, m.created_at, m.expires_at, m.webhook_id)
        SELECT u.id, u.channel, u.slug, u.recipient, u.clerk_id, u.attempts, u.created_at, u.expires_at, u.webhook_id, p.body
        FROM u JOIN v ON v.id = u.id LEFT JOIN payloads p ON p.message_id = u.id
        ORDER BY v.n
        """

    /// Claims up to `limit` due messages (queued or retrying and due, or sending with a
    /// lease that ran out) for `owner` until `leaseUntil`, in the order they fell due.
    /// `maxAge` gives the age limit of a slug for messages that have no expiry yet.
    func claimDue(now: Int64, owner: String, leaseUntil: Int64, limit: Int, maxAge: (String?) -> Int64) throws -> [ClaimedMessage] {
        guard limit > 0 else { return [] }
        let due = try connection.query(Self.candidates, [.integer(now), .integer(Int64(limit))])
        guard due.count > 0 else { return [] }
        var ids: [Int64] = []
        var expiries: [Int64] = []
        for row in 0..<due.count {
            ids.append(due.int(row, 0))
            // The age counts from when Clerk created the event (never later than it arrived).
            let createdAt = due.int(row, 2)
            expiries.append(due.optionalInt(row, 3) ?? min(due.optionalInt(row, 4) ?? createdAt, createdAt) + maxAge(due.text(row, 1)))
        }
        let leased = try connection.query(Self.lease, [
            ArrayLiteral.integers(ids), ArrayLiteral.integers(expiries), .text(owner), .integer(leaseUntil), .integer(now),
        ])
        var claimed: [ClaimedMessage] = []
        for row in 0..<leased.count {
            guard let channel = leased.text(row, 1).flatMap(Channel.init(rawValue:)) else { continue }
            let message = ClaimedMessage(
                id: leased.int(row, 0), channel: channel, slug: leased.text(row, 2), recipient: leased.text(row, 3) ?? "",
                clerkID: leased.text(row, 4), attempts: Int(leased.int(row, 5)), createdAt: leased.int(row, 6),
                expiresAt: leased.int(row, 7), payload: leased.bytes(row, 9) ?? [], webhookID: leased.text(row, 8) ?? "")
            claimed.append(message)
            recordEvent(messageID: message.id, status: .sending, detail: "attempt \(message.attempts + 1)", at: now)
        }
        return claimed
    }

    /// Moves each message on and records its round's attempts, all in one statement, where
    /// the round's `owner` still holds the message (`recorded` false otherwise: the lease
    /// was lost). `m.id = ANY($1)`: by the primary key (see ``lease``).
    static let record = """
        WITH v AS (
            SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[],
                                 $9::bigint[])
                AS v (id, owner, status, made, next_attempt_at, last_error, provider_id, template, at)),
        u AS (
            UPDATE messages m SET status = v.status, attempts = m.attempts + v.made, next_attempt_at = v.next_attempt_at,
                last_error = v.last_error, provider_id = COALESCE(v.provider_id, m.provider_id),
                template = COALESCE(v.template, m.template), lease_owner = NULL, lease_until = NULL, updated_at = v.at
            FROM v WHERE m.id = ANY($1::bigint[]) AND m.id = v.id AND m.status = 'sending' AND m.lease_owner = v.owner
            RETURNING m.id),
        a AS (
            INSERT INTO attempts (message_id, number, transport, started_at, duration_ms, outcome, code, provider_id, error,
                                  template, provider_code)
            SELECT t.message_id, t.number, t.transport, t.started_at, t.duration_ms, t.outcome, t.code, t.provider_id, t.error,
                   t.template, t.provider_code
            FROM unnest($10::bigint[], $11::bigint[], $12::text[], $13::bigint[], $14::bigint[], $15::text[], $16::bigint[],
                        $17::text[], $18::text[], $19::text[], $20::text[])
                 WITH ORDINALITY AS t (message_id, number, transport, started_at, duration_ms, outcome, code, provider_id, error,
                                       template, provider_code, n)
            WHERE t.message_id IN (SELECT id FROM u)
            ORDER BY t.n)
        SELECT id FROM u
        """

    /// Records each request's round (its attempts, oldest first; an `expired` one is not an
    /// attempt) and moves its message on. Returns, in order, whether each was recorded.
    func record(_ requests: [RecordRequest]) throws -> [Bool] {
        // One row per message in a statement: a message recorded twice in one batch (it
        // cannot be, while the engine holds it) would be recorded once and reported twice.
        // Then one statement each, in order: the first records it, the next finds it moved on.
        guard Set(requests.map(\.messageID)).count == requests.count else { return try requests.map { try record([$0])[0] } }
        let rounds = requests.map { request in (request, request.attempts.filter { $0.outcome != "expired" }) }
        let attempts = rounds.flatMap { request, made in made.map { (request.messageID, $0) } }
        let updated = try connection.query(Self.record, [
            ArrayLiteral.integers(requests.map(\.messageID)), ArrayLiteral.texts(requests.map(\.owner)),
            ArrayLiteral.texts(requests.map(\.result.status.rawValue)), ArrayLiteral.integers(rounds.map { Int64($0.1.count) }),
            ArrayLiteral.optionalIntegers(requests.map(\.result.nextAttemptAt)), ArrayLiteral.texts(requests.map(\.result.lastError)),
            ArrayLiteral.texts(requests.map(\.result.providerID)), ArrayLiteral.texts(requests.map { $0.attempts.last?.template }),
            ArrayLiteral.integers(requests.map(\.at)),
            ArrayLiteral.integers(attempts.map(\.0)), ArrayLiteral.integers(attempts.map { Int64($0.1.number) }),
            ArrayLiteral.texts(attempts.map(\.1.transport)), ArrayLiteral.integers(attempts.map(\.1.startedAt)),
            ArrayLiteral.integers(attempts.map(\.1.durationMs)), ArrayLiteral.texts(attempts.map(\.1.outcome)),
            ArrayLiteral.optionalIntegers(attempts.map { $0.1.code.map(Int64.init) }), ArrayLiteral.texts(attempts.map(\.1.providerID)),
            ArrayLiteral.texts(attempts.map(\.1.error)), ArrayLiteral.texts(attempts.map(\.1.template)),
            ArrayLiteral.texts(attempts.map(\.1.providerCode)),
        ])
        let recorded = Set((0..<updated.count).map { updated.int($0, 0) })
        for request in requests where recorded.contains(request.messageID) {
            recordEvent(messageID: request.messageID, status: request.result.status, detail: request.result.detail, at: request.at)
        }
        return requests.map { recorded.contains($0.messageID) }
    }

    /// Extends the leases of exactly `ids`, where `owner` still holds them in `sending`.
    func renewLeases(ids: Set<Int64>, owner: String, until: Int64) throws {
        try connection.query("""
            UPDATE messages SET lease_until = $1
            WHERE id = ANY($2::bigint[]) AND status = 'sending' AND lease_owner = $3 AND lease_until < $1
            """, [.integer(until), ArrayLiteral.integers(ids.sorted()), .text(owner)])
    }

    /// Gives back messages `owner` holds: `queued` again (`retrying` after an attempt), due
    /// at `now` on any instance, so that `herald log` and the gauges never show a message
    /// `sending` that nobody sends.
    func releaseLeases(ids: [Int64], owner: String, at now: Int64) throws {
        let released = try connection.query("""
            UPDATE messages SET status = CASE WHEN attempts = 0 THEN 'queued' ELSE 'retrying' END,
                next_attempt_at = $1, lease_owner = NULL, lease_until = NULL, updated_at = $1
            WHERE id = ANY($2::bigint[]) AND status = 'sending' AND lease_owner = $3
            RETURNING id, status
            """, [.integer(now), ArrayLiteral.integers(ids), .text(owner)])
        var statuses: [Int64: MessageStatus] = [:]
        for row in 0..<released.count {
            statuses[released.int(row, 0)] = released.text(row, 1).flatMap(MessageStatus.init(rawValue:)) ?? .queued
        }
        for id in ids {
            guard let status = statuses.removeValue(forKey: id) else { continue }
            recordEvent(messageID: id, status: status, detail: "given back by the process that claimed it", at: now)
        }
        if released.count > 0 { wakeWorkers() }
    }
}
