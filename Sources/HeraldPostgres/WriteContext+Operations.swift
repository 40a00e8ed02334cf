import HeraldCore

extension WriteContext {
    /// Puts failed, expired or cancelled messages back in the queue with a fresh age
    /// window; `ids` nil means every failed message. Returns the ids requeued, in the
    /// order asked.
    func requeue(ids: [Int64]?, now: Int64, maxAge: (String?) -> Int64) throws -> [Int64] {
        let found: QueryResult
        if let ids {
            found = try connection.query("SELECT id, slug, status FROM messages WHERE id = ANY($1::bigint[])", [ArrayLiteral.integers(ids)])
        } else {
            found = try connection.query("""
                SELECT id, slug, status FROM messages WHERE status = 'failed' AND channel IS NOT NULL AND recipient IS NOT NULL ORDER BY id
                """)
        }
        var rows: [Int64: (slug: String?, status: MessageStatus)] = [:]
        for row in 0..<found.count {
            rows[found.int(row, 0)] = (found.text(row, 1), found.text(row, 2).flatMap(MessageStatus.init(rawValue:)) ?? .failed)
        }
        var requeued: [Int64] = []
        for id in ids ?? (0..<found.count).map({ found.int($0, 0) }) {
            guard let (slug, status) = rows[id] else { continue }
            var machine = DeliveryStateMachine(status: status, attempts: 0, expiresAt: 0, policy: RetryPolicy())
            guard machine.retry() == .requeue else { continue }
            let updated = try connection.query("""
                UPDATE messages SET status = 'queued', next_attempt_at = $1, expires_at = $2, last_error = NULL, updated_at = $1
                WHERE id = $3 AND status = $4 AND channel IS NOT NULL AND recipient IS NOT NULL
                """, [.integer(now), .integer(now + maxAge(slug)), .integer(id), .text(status.rawValue)])
            guard updated.changes == 1 else { continue }
            recordEvent(messageID: id, status: .queued, detail: "retried by an operator", at: now)
            requeued.append(id)
        }
        if !requeued.isEmpty { wakeWorkers() }
        return requeued
    }

    /// Cancels queued or retrying messages. Returns the ids cancelled, in the order asked.
    func cancel(ids: [Int64], now: Int64) throws -> [Int64] {
        let updated = try connection.query("""
            UPDATE messages SET status = 'cancelled', next_attempt_at = NULL, updated_at = $1
            WHERE id = ANY($2::bigint[]) AND status IN ('queued', 'retrying')
            RETURNING id
            """, [.integer(now), ArrayLiteral.integers(ids)])
        var changed = Set((0..<updated.count).map { updated.int($0, 0) })
        var cancelled: [Int64] = []
        for id in ids where changed.remove(id) != nil {
            recordEvent(messageID: id, status: .cancelled, detail: "cancelled by an operator", at: now)
            cancelled.append(id)
        }
        return cancelled
    }

    // MARK: Instances

    func register(_ instance: InstanceRecord) throws {
        try connection.query("""
            INSERT INTO instances (id, host, pid, pid_namespace, process_start, started_at, heartbeat_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at
            """, [
                .text(instance.id), .text(instance.host), .integer(Int64(instance.pid)), .text(instance.pidNamespace),
                .integer(instance.processStart), .integer(instance.startedAt), .integer(instance.heartbeatAt),
            ])
    }

    func heartbeat(_ instanceID: String, at: Int64) throws {
        try connection.query("UPDATE instances SET heartbeat_at = $1 WHERE id = $2", [.integer(at), .text(instanceID)])
    }

    func deregister(_ instanceID: String) throws {
        try connection.query("DELETE FROM instances WHERE id = $1", [.text(instanceID)])
    }

    /// Makes what `owners` left in `sending` due at once (on any instance), and forgets
    /// those instances.
    func takeOver(from owners: [String]) throws -> Int {
        let released = try connection.query(
            "UPDATE messages SET lease_until = 0 WHERE status = 'sending' AND lease_owner = ANY($1::text[])", [ArrayLiteral.texts(owners)])
        try connection.query("DELETE FROM instances WHERE id = ANY($1::text[])", [ArrayLiteral.texts(owners)])
        if released.changes > 0 { wakeWorkers() }
        return released.changes
    }
}
