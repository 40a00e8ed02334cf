/// The store's schema, versioned with `PRAGMA user_version`. Each migration runs once,
/// in order, in a transaction.
enum Schema {
    static let migrations: [String] = [
        // 1: messages, their history, counters of ignored event types.
        """
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            webhook_id TEXT NOT NULL UNIQUE,
            clerk_id TEXT,
            event_type TEXT NOT NULL,
            channel TEXT,
            slug TEXT,
            recipient TEXT,
            subject TEXT,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            next_attempt_at INTEGER,
            payload BLOB NOT NULL
        ) STRICT;
        CREATE INDEX messages_status_due ON messages (status, next_attempt_at);
        CREATE INDEX messages_created ON messages (created_at);
        CREATE TABLE message_events (
            id INTEGER PRIMARY KEY,
            message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
            at INTEGER NOT NULL,
            status TEXT NOT NULL,
            detail TEXT
        ) STRICT;
        CREATE INDEX message_events_message ON message_events (message_id);
        CREATE TABLE event_counters (
            event_type TEXT PRIMARY KEY,
            count INTEGER NOT NULL,
            last_seen_at INTEGER NOT NULL
        ) STRICT;
        """,
        // 2: delivery: leases, expiry, attempts.
        """
        ALTER TABLE messages ADD COLUMN expires_at INTEGER;
        ALTER TABLE messages ADD COLUMN lease_owner TEXT;
        ALTER TABLE messages ADD COLUMN lease_until INTEGER;
        ALTER TABLE messages ADD COLUMN provider_id TEXT;
        ALTER TABLE messages ADD COLUMN template TEXT;
        CREATE INDEX messages_lease ON messages (status, lease_until);
        CREATE TABLE attempts (
            id INTEGER PRIMARY KEY,
            message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            transport TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            duration_ms INTEGER NOT NULL,
            outcome TEXT NOT NULL,
            code INTEGER,
            provider_id TEXT,
            error TEXT,
            template TEXT
        ) STRICT;
        CREATE INDEX attempts_message ON attempts (message_id);
        """,
        // 3: the event body in a table of its own: a message row is rewritten on every state
        // change, and without the body (kilobytes) it is a small fraction of a page.
        """
        CREATE TABLE payloads (
            message_id INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
            body BLOB NOT NULL
        ) STRICT;
        INSERT INTO payloads (message_id, body) SELECT id, payload FROM messages;
        ALTER TABLE messages DROP COLUMN payload;
        """,
        // 4: when Clerk created the event, which a message's age counts from.
        """
        ALTER TABLE messages ADD COLUMN occurred_at INTEGER;
        """,
        // 5: the provider's own error code with each attempt (Twilio 21211, SES MessageRejected).
        """
        ALTER TABLE attempts ADD COLUMN provider_code TEXT;
        """,
        // 6: delivering processes with a heartbeat, so that leases are taken over from dead
        // ones only (host and PID alone are wrong in containers).
        """
        CREATE TABLE instances (
            id TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            pid_namespace TEXT NOT NULL,
            process_start INTEGER NOT NULL,
            started_at INTEGER NOT NULL,
            heartbeat_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX messages_lease_owner ON messages (lease_owner) WHERE status = 'sending';
        """,
        // 7: Clerk's message id is unique too, so that one Clerk message under two webhook ids
        // (two endpoints pointing at Herald) is stored once. A database may already hold such
        // repeats: the first message with each id keeps it in the index, the later ones are
        // marked and left out of it (their rows and their clerk_id stay as they are). One pass
        // over the table and a sort, not a lookup per row: there is no index on clerk_id yet.
        """
        ALTER TABLE messages ADD COLUMN clerk_id_repeat INTEGER NOT NULL DEFAULT 0;
        UPDATE messages SET clerk_id_repeat = 1
        WHERE clerk_id IS NOT NULL
          AND id NOT IN (SELECT MIN(id) FROM messages WHERE clerk_id IS NOT NULL GROUP BY clerk_id);
        CREATE UNIQUE INDEX messages_clerk_id ON messages (clerk_id) WHERE clerk_id IS NOT NULL AND clerk_id_repeat = 0;
        """,
        // 8: one row that a health probe rewrites, so that a store whose commits failed is
        // seen to take writes again while no webhook arrives. Its filler makes the probe's
        // commit as large as a big message's, so that a disk with room for a few pages only
        // does not pass for one that takes webhooks again.
        """
        CREATE TABLE store_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL, filler BLOB NOT NULL) STRICT;
        """,
        // 9: attempts by time, for `herald status` (per provider over the last minutes).
        """
        CREATE INDEX attempts_started ON attempts (started_at);
        """,
    ]

    static func migrate(_ connection: Connection) throws {
        // Up to date (the usual case): no write lock, so that opening the store to read
        // (`herald log`, `show`) never waits for a busy writer.
        if try version(connection) == migrations.count { return }
        try connection.transaction {
            let version = try version(connection)  // again, under the lock: another process may have migrated
            guard version <= migrations.count else {
                throw SQLiteError(
                    code: SQLiteError.schemaTooNewCode, message: "database schema version \(version) is newer than this Herald (\(migrations.count))")
            }
            for index in version..<migrations.count {
                try connection.execute(migrations[index])
                try connection.execute("PRAGMA user_version = \(index + 1)")
            }
        }
    }

    private static func version(_ connection: Connection) throws -> Int {
        try connection.query("PRAGMA user_version") { try $0.step() ? Int($0.int(0)) : 0 }
    }
}
