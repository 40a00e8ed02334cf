import HeraldCore

extension MessageStore {
    /// The statuses a message never leaves on its own: the only ones retention removes.
    static let finalStatusList = statusList(MessageStatus.allCases.filter(\.isFinal))

    /// `'sent', 'failed', ...` for an SQL `IN` list.
    static func statusList(_ statuses: [MessageStatus]) -> String {
        statuses.map { "'\($0.rawValue)'" }.joined(separator: ", ")
    }

    /// Deletes up to `limit` messages in a final state that arrived before `cutoff` (Unix
    /// ms), with their body, history and attempts. Messages still queued, sending or
    /// retrying are never touched. Returns how many were deleted.
    func prune(before cutoff: Int64, limit: Int) throws -> Int {
        try connection.run("""
            DELETE FROM messages WHERE id IN (
                SELECT id FROM messages WHERE created_at < ? AND status IN (\(Self.finalStatusList))
                ORDER BY created_at LIMIT ?)
            """, [.integer(cutoff), .integer(Int64(limit))])
        return connection.changes
    }

    /// How many messages ``prune(before:limit:)`` would delete in all.
    func prunableCount(before cutoff: Int64) throws -> Int {
        try connection.query(
            "SELECT COUNT(*) FROM messages WHERE created_at < ? AND status IN (\(Self.finalStatusList))", [.integer(cutoff)]
        ) { row in try row.step() ? Int(row.int(0)) : 0 }
    }
}
