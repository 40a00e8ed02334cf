import HeraldCore

extension MessageStore {
    /// Counts the messages not yet final, from the status index (the cost follows the
    /// backlog, not the history).
    func pendingSummary() throws -> PendingSummary {
        let counts: [MessageStatus: Int] = try connection.query(
            "SELECT status, COUNT(*) FROM messages WHERE status IN (\(Self.statusList(MessageStatus.pending))) GROUP BY status"
        ) { row in
            var counts = Dictionary(uniqueKeysWithValues: MessageStatus.pending.map { ($0, 0) })
            while try row.step() {
                if let status = row.text(0).flatMap(MessageStatus.init(rawValue:)) { counts[status] = Int(row.int(1)) }
            }
            return counts
        }
        let oldest: Int64? = try connection.query("SELECT MIN(next_attempt_at) FROM messages WHERE status = 'queued'") { row in
            try row.step() && !row.isNull(0) ? row.int(0) : nil
        }
        return PendingSummary(counts: counts, oldestQueuedDueAt: oldest)
    }
}
