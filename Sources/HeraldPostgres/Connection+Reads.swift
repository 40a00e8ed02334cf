import HeraldCore

/// What the reader runs: the operator's log, the engine's look at what is due, the
/// backlog for `/metrics`, and retention.
extension Connection {
    static let recordColumns = """
        id, webhook_id, clerk_id, event_type, channel, slug, recipient, subject, status, attempts, last_error,
        created_at, updated_at, occurred_at, provider_id,
        (SELECT transport FROM attempts WHERE attempts.message_id = messages.id ORDER BY attempts.id DESC LIMIT 1)
        """

    /// Messages matching `filter`, newest first. Each filter adds a bound parameter.
    func messages(matching filter: MessageFilter) throws(PostgresError) -> [MessageRecord] {
        var clauses: [String] = []
        var values: [SQLValue] = []
        func add(_ clause: (String) -> String, _ value: SQLValue) {
            values.append(value)
            clauses.append(clause("$\(values.count)"))
        }
        if let status = filter.status { add({ "status = \($0)" }, .text(status.rawValue)) }
        if let channel = filter.channel { add({ "channel = \($0)" }, .text(channel.rawValue)) }
        if let slug = filter.slug { add({ "slug = \($0)" }, .text(slug)) }
        if let recipient = filter.recipient { add({ "lower(recipient) = lower(\($0))" }, .text(recipient)) }
        if let since = filter.since { add({ "created_at >= \($0)" }, .integer(since)) }
        let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        values.append(.integer(Int64(max(filter.limit, 0))))
        let rows = try query("SELECT \(Self.recordColumns) FROM messages \(whereClause) ORDER BY id DESC LIMIT $\(values.count)", values)
        return (0..<rows.count).map { Self.record(rows, $0) }
    }

    /// One message by its number, webhook id (`msg_...`) or Clerk id (`ema_...`, `sms_...`).
    func message(_ reference: String) throws(PostgresError) -> MessageRecord? {
        let rows: QueryResult
        if let id = Int64(reference) {
            rows = try query("SELECT \(Self.recordColumns) FROM messages WHERE id = $1", [.integer(id)])
        } else {
            rows = try query(
                "SELECT \(Self.recordColumns) FROM messages WHERE webhook_id = $1 OR clerk_id = $1 ORDER BY id DESC LIMIT 1", [.text(reference)])
        }
        return rows.count > 0 ? Self.record(rows, 0) : nil
    }

    func payload(messageID: Int64) throws(PostgresError) -> [UInt8]? {
        let rows = try query("SELECT body FROM payloads WHERE message_id = $1", [.integer(messageID)])
        return rows.count > 0 ? rows.bytes(0, 0) : nil
    }

    func history(messageID: Int64) throws(PostgresError) -> [MessageEvent] {
        Self.events(try query("SELECT id, message_id, at, status, detail FROM message_events WHERE message_id = $1 ORDER BY id", [.integer(messageID)]))
    }

    /// Changes after `sequence`, up to the bound below which every row is there (see
    /// ``History``): two statements, the bound first.
    func events(after sequence: Int64, limit: Int) throws(PostgresError) -> [MessageEvent] {
        let bound = try latestSequence()
        guard bound > sequence else { return [] }
        return Self.events(try query(
            "SELECT id, message_id, at, status, detail FROM message_events WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3",
            [.integer(sequence), .integer(bound), .integer(Int64(limit))]))
    }

    /// The newest change every earlier one of which is there (0 when empty).
    func latestSequence() throws(PostgresError) -> Int64 {
        try query(History.boundQuery, History.boundParameters).int(0, 0)
    }

    func attempts(messageID: Int64) throws(PostgresError) -> [AttemptRecord] {
        let rows = try query("""
            SELECT number, transport, started_at, duration_ms, outcome, code, provider_id, error, template, provider_code
            FROM attempts WHERE message_id = $1 ORDER BY id
            """, [.integer(messageID)])
        return (0..<rows.count).map { row in
            AttemptRecord(
                number: Int(rows.int(row, 0)), transport: rows.text(row, 1) ?? "", startedAt: rows.int(row, 2), durationMs: rows.int(row, 3),
                outcome: rows.text(row, 4) ?? "", code: rows.optionalInt(row, 5).map(Int.init), providerID: rows.text(row, 6),
                error: rows.text(row, 7), template: rows.text(row, 8), providerCode: rows.text(row, 9))
        }
    }

    func ignoredEventCounts() throws(PostgresError) -> [String: Int64] {
        let rows = try query("SELECT event_type, count FROM event_counters")
        return Dictionary((0..<rows.count).map { (rows.text($0, 0) ?? "", rows.int($0, 1)) }, uniquingKeysWith: +)
    }

    func statusCounts() throws(PostgresError) -> [MessageStatus: Int64] {
        let rows = try query("SELECT status, COUNT(*) FROM messages GROUP BY status")
        var counts: [MessageStatus: Int64] = [:]
        for row in 0..<rows.count {
            if let status = rows.text(row, 0).flatMap(MessageStatus.init(rawValue:)) { counts[status] = rows.int(row, 1) }
        }
        return counts
    }

    /// The messages not yet final, and the oldest queued one's due time: each from its
    /// status's own index (the cost follows the backlog, not the history).
    func pendingSummary() throws(PostgresError) -> PendingSummary {
        let row = try query("""
            SELECT (SELECT COUNT(*) FROM messages WHERE status = 'queued'), (SELECT COUNT(*) FROM messages WHERE status = 'sending'),
                   (SELECT COUNT(*) FROM messages WHERE status = 'retrying'), (SELECT MIN(next_attempt_at) FROM messages WHERE status = 'queued')
            """)
        let counts: [MessageStatus: Int] = [.queued: Int(row.int(0, 0)), .sending: Int(row.int(0, 1)), .retrying: Int(row.int(0, 2))]
        return PendingSummary(counts: counts, oldestQueuedDueAt: row.optionalInt(0, 3))
    }

    /// When the next message falls due (Unix ms), if any waits.
    func nextDueAt() throws(PostgresError) -> Int64? {
        try query("""
            SELECT LEAST(
                (SELECT MIN(next_attempt_at) FROM messages WHERE status = 'queued'),
                (SELECT MIN(next_attempt_at) FROM messages WHERE status = 'retrying'),
                (SELECT MIN(lease_until) FROM messages WHERE status = 'sending'))
            """).optionalInt(0, 0)
    }

    func instances() throws(PostgresError) -> [InstanceRecord] {
        let rows = try query("SELECT id, host, pid, pid_namespace, process_start, started_at, heartbeat_at FROM instances ORDER BY started_at")
        return (0..<rows.count).map { row in
            InstanceRecord(
                id: rows.text(row, 0) ?? "", host: rows.text(row, 1) ?? "", pid: Int32(truncatingIfNeeded: rows.int(row, 2)),
                pidNamespace: rows.text(row, 3) ?? "", processStart: rows.int(row, 4), startedAt: rows.int(row, 5), heartbeatAt: rows.int(row, 6))
        }
    }

    /// Attempts per provider since `since`, their durations counted in the histogram's
    /// buckets by the server (`width_bucket` over its bounds: the cost follows the
    /// providers and buckets, not the rows sent), and each provider's newest failure.
    func providerStats(since: Int64) throws(PostgresError) -> [ProviderStats] {
        var stats: [String: ProviderStats] = [:]
        let buckets = try query("""
            SELECT transport, width_bucket(duration_ms - 1, $2::bigint[]) AS bucket, COUNT(*), COUNT(*) FILTER (WHERE outcome = 'delivered')
            FROM attempts WHERE started_at >= $1 AND transport <> '-' GROUP BY transport, bucket
            """, [.integer(since), ArrayLiteral.integers(Array(LatencyHistogram.bounds.dropLast()))])
        for row in 0..<buckets.count {
            let name = buckets.text(row, 0) ?? "-"
            var entry = stats[name] ?? ProviderStats(provider: name)
            entry.attempts += Int(buckets.int(row, 2))
            entry.delivered += Int(buckets.int(row, 3))
            entry.latency.add(bucket: Int(buckets.int(row, 1)), count: Int(buckets.int(row, 2)))
            stats[name] = entry
        }
        let failures = try query("""
            SELECT DISTINCT ON (transport) transport, error, started_at FROM attempts
            WHERE started_at >= $1 AND outcome <> 'delivered' AND transport <> '-' ORDER BY transport, id DESC
            """, [.integer(since)])
        for row in 0..<failures.count {
            let name = failures.text(row, 0) ?? "-"
            stats[name]?.lastError = failures.text(row, 1)
            stats[name]?.lastErrorAt = failures.int(row, 2)
        }
        return stats.keys.sorted().map { stats[$0]! }
    }

    // MARK: Retention

    /// The statuses a message never leaves on its own: the only ones retention removes.
    static let finalStatuses = ArrayLiteral.texts(MessageStatus.allCases.filter(\.isFinal).map(\.rawValue))

    /// Deletes up to `limit` messages in a final state that arrived before `cutoff`, with
    /// their body, history and attempts (cascading), as one short transaction of its own.
    /// Rows another transaction holds are passed over, never waited for.
    func prune(before cutoff: Int64, limit: Int) throws(PostgresError) -> Int {
        try query("""
            DELETE FROM messages WHERE id IN (
                SELECT id FROM messages WHERE created_at < $1 AND status = ANY($2::text[])
                ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED)
            """, [.integer(cutoff), Self.finalStatuses, .integer(Int64(limit))]).changes
    }

    func prunableCount(before cutoff: Int64) throws(PostgresError) -> Int {
        Int(try query("SELECT COUNT(*) FROM messages WHERE created_at < $1 AND status = ANY($2::text[])", [.integer(cutoff), Self.finalStatuses]).int(0, 0))
    }

    private static func record(_ rows: QueryResult, _ row: Int) -> MessageRecord {
        MessageRecord(
            id: rows.int(row, 0), webhookID: rows.text(row, 1) ?? "", clerkID: rows.text(row, 2), eventType: rows.text(row, 3) ?? "",
            channel: rows.text(row, 4).flatMap(Channel.init(rawValue:)), slug: rows.text(row, 5), recipient: rows.text(row, 6),
            subject: rows.text(row, 7), status: rows.text(row, 8).flatMap(MessageStatus.init(rawValue:)) ?? .failed,
            attempts: Int(rows.int(row, 9)), lastError: rows.text(row, 10), createdAt: rows.int(row, 11), updatedAt: rows.int(row, 12),
            occurredAt: rows.optionalInt(row, 13), provider: rows.text(row, 15), providerID: rows.text(row, 14))
    }

    private static func events(_ rows: QueryResult) -> [MessageEvent] {
        (0..<rows.count).map { row in
            MessageEvent(
                sequence: rows.int(row, 0), messageID: rows.int(row, 1), at: rows.int(row, 2),
                status: rows.text(row, 3).flatMap(MessageStatus.init(rawValue:)) ?? .failed, detail: rows.text(row, 4))
        }
    }
}
