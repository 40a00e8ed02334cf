import HeraldCore

extension MessageStore {
    /// Attempts per provider since `since`, with their durations in the histogram's buckets
    /// (added up in SQL, so the cost follows the providers and buckets, not the rows sent).
    func providerStats(since: Int64) throws -> [ProviderStats] {
        let bounds = LatencyHistogram.bounds.dropLast()
        let bucket = "CASE " + bounds.enumerated().map { "WHEN duration_ms <= \($0.element) THEN \($0.offset)" }.joined(separator: " ")
            + " ELSE \(bounds.count) END"
        var stats: [String: ProviderStats] = [:]
        try connection.query("""
            SELECT transport, \(bucket) AS bucket, COUNT(*), SUM(CASE WHEN outcome = 'delivered' THEN 1 ELSE 0 END)
            FROM attempts WHERE started_at >= ? AND transport <> '-' GROUP BY transport, bucket
            """, [.integer(since)]
        ) { row in
            while try row.step() {
                let name = row.text(0) ?? "-"
                var entry = stats[name] ?? ProviderStats(provider: name)
                entry.attempts += Int(row.int(2))
                entry.delivered += Int(row.int(3))
                entry.latency.add(bucket: Int(row.int(1)), count: Int(row.int(2)))
                stats[name] = entry
            }
        }
        try connection.query("""
            SELECT a.transport, a.error, a.started_at FROM attempts a
            JOIN (SELECT transport, MAX(id) AS id FROM attempts WHERE started_at >= ? AND outcome <> 'delivered' AND transport <> '-'
                  GROUP BY transport) newest ON newest.id = a.id
            """, [.integer(since)]
        ) { row in
            while try row.step() {
                let name = row.text(0) ?? "-"
                stats[name]?.lastError = row.text(1)
                stats[name]?.lastErrorAt = row.int(2)
            }
        }
        return stats.keys.sorted().map { stats[$0]! }
    }
}
