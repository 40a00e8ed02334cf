import HeraldCore

extension MessageStore {
    func register(_ instance: InstanceRecord) throws {
        try connection.run("""
            INSERT INTO instances (id, host, pid, pid_namespace, process_start, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at
            """, [
                .text(instance.id), .text(instance.host), .integer(Int64(instance.pid)), .text(instance.pidNamespace),
                .integer(instance.processStart), .integer(instance.startedAt), .integer(instance.heartbeatAt),
            ])
    }

    func heartbeat(_ instanceID: String, at: Int64) throws {
        try connection.run("UPDATE instances SET heartbeat_at = ? WHERE id = ?", [.integer(at), .text(instanceID)])
    }

    func deregister(_ instanceID: String) throws {
        try connection.run("DELETE FROM instances WHERE id = ?", [.text(instanceID)])
    }

    func instances() throws -> [InstanceRecord] {
        try connection.query("SELECT id, host, pid, pid_namespace, process_start, started_at, heartbeat_at FROM instances ORDER BY started_at") { row in
            var instances: [InstanceRecord] = []
            while try row.step() {
                instances.append(InstanceRecord(
                    id: row.text(0) ?? "", host: row.text(1) ?? "", pid: Int32(truncatingIfNeeded: row.int(2)), pidNamespace: row.text(3) ?? "",
                    processStart: row.int(4), startedAt: row.int(5), heartbeatAt: row.int(6)))
            }
            return instances
        }
    }

    /// Makes what `owners` left in `sending` due at once, and forgets those instances.
    func takeOver(from owners: [String]) throws -> Int {
        var released = 0
        for owner in owners {
            try connection.run("UPDATE messages SET lease_until = 0 WHERE status = 'sending' AND lease_owner = ?", [.text(owner)])
            released += connection.changes
            try connection.run("DELETE FROM instances WHERE id = ?", [.text(owner)])
        }
        return released
    }
}
