import Foundation
import HeraldCore

/// The durable message log in one SQLite file (WAL, `synchronous=FULL`). Owns one
/// connection, so it is confined to one thread: the server reaches it through
/// ``StoreWriter``; the CLI opens its own.
final class MessageStore {
    let connection: Connection
    /// The WAL and shared-memory files as they were once the store was open (a read-only
    /// store records none).
    private var companions: [(suffix: String, identity: FileIdentity)] = []
    /// What the check at open found (nil: a new store, or opened read-only).
    private(set) var openCheck: StoreCheck.Report?
    /// New queued messages stored since the writer last reset it (at each transaction's
    /// start): a batch that stored some claims along with them (``ClaimAlong``).
    var newQueued = 0

    /// Opens the store at `path`, creating the folder (0700), the file (0600, whole: see
    /// ``create(at:)``) and the schema as needed. An existing file is checked first
    /// (``StoreCheck``): a damaged or empty one is refused with ``SQLiteError/damagedCode``,
    /// never served or taken for a new store.
    init(path: String, readOnly: Bool = false) throws {
        let existed = FileManager.default.fileExists(atPath: path)
        if !readOnly {
            let folder = (path as NSString).deletingLastPathComponent
            if !folder.isEmpty {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            if existed, let reason = StoreCheck.emptiness(of: path) {
                throw SQLiteError(code: SQLiteError.damagedCode, message: reason)
            }
            if !existed { try Self.create(at: path) }
        }
        connection = try Connection(path: path, readOnly: readOnly, create: false)
        if !readOnly {
            try connection.execute("PRAGMA journal_mode=WAL")
        }
        try connection.execute("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON")
        if !readOnly {
            if existed {
                let report = StoreCheck.run(connection)
                openCheck = report
                if let first = report.problems.first {
                    let more = report.problems.count > 1 ? " (and \(report.problems.count - 1) more)" : ""
                    throw SQLiteError(code: SQLiteError.damagedCode, message: "the database fails SQLite's quick_check: \(first)\(more)")
                }
            }
            try Schema.migrate(connection)
            companions = ["-wal", "-shm"].compactMap { suffix in FileIdentity.of(path + suffix).map { (suffix, $0) } }
        }
    }

    /// Which file is no longer the one open: the database (deleted, renamed or replaced),
    /// or its `-wal` or `-shm`. Nil while every one is. Two `stat`s and a file control: cheap
    /// next to the fsyncs of a commit.
    func replacedFile() -> String? {
        let name = (connection.path as NSString).lastPathComponent
        if connection.fileHasMoved { return name }
        for (suffix, identity) in companions where FileIdentity.of(connection.path + suffix) != identity { return name + suffix }
        return nil
    }

    /// A write of no meaning that must commit like any other: one row rewritten with 64 KiB
    /// (17 pages), more than a message with a large event takes.
    func probe(now: Int64) throws {
        try connection.run("""
            INSERT INTO store_probe (id, at, filler) VALUES (1, ?, zeroblob(65536))
            ON CONFLICT(id) DO UPDATE SET at = excluded.at, filler = excluded.filler
            """, [.integer(now)])
    }

    /// Merges the WAL into the database file as far as other connections allow, then closes
    /// the connection (the last one to the file merges the rest and deletes the WAL), so
    /// that the database file alone holds everything after a clean stop.
    func close(logger: Logger, checkpoint: Bool = true) {
        if checkpoint {
            do {
                let result = try connection.checkpoint()
                logger.debug("store checkpointed", ["wal.frames": String(result.frames), "wal.merged": String(result.merged)])
            } catch {
                logger.warning("store checkpoint failed at close", ["error": "\(error)"])
            }
        }
        do {
            try connection.close()
        } catch {
            logger.error("store close failed", ["error": "\(error)"])
        }
    }

    // MARK: Writes

    /// Stores a new message for `webhookID`, or returns the existing one: a webhook id, and
    /// Clerk's message id, is stored at most once (either conflict makes it a duplicate;
    /// the webhook id is looked up first). Must run inside a transaction (see ``StoreWriter``).
    func insert(webhookID: String, draft: MessageDraft, payload: [UInt8], now: Int64) throws -> InsertOutcome {
        try connection.run("""
            INSERT INTO messages (webhook_id, clerk_id, event_type, channel, slug, recipient, subject, status,
                                  attempts, last_error, created_at, updated_at, next_attempt_at, occurred_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)
            ON CONFLICT DO NOTHING
            """, [
                .text(webhookID), .optional(draft.clerkID), .text(draft.eventType), .optional(draft.channel?.rawValue),
                .optional(draft.slug), .optional(draft.recipient), .optional(draft.subject), .text(draft.status.rawValue),
                .optional(draft.status == .failed ? draft.reason : nil), .integer(now), .integer(now),
                draft.status == .queued ? .integer(now) : .null, draft.occurredAt.map(SQLValue.integer) ?? .null,
            ])
        if connection.changes == 0 {
            let existing: (Statement) throws -> InsertOutcome? = { row in
                guard try row.step() else { return nil }
                return InsertOutcome(id: row.int(0), status: MessageStatus(rawValue: row.text(1) ?? "") ?? .queued, duplicate: true)
            }
            if let outcome = try connection.query("SELECT id, status FROM messages WHERE webhook_id = ?", [.text(webhookID)], existing) {
                return outcome
            }
            if let clerkID = draft.clerkID,
                let outcome = try connection.query(
                    "SELECT id, status FROM messages WHERE clerk_id = ? AND clerk_id_repeat = 0", [.text(clerkID)], existing)
            {
                return outcome
            }
            throw SQLiteError(code: 0, message: "conflicting webhook id or Clerk id not found")
        }
        let id = connection.lastInsertRowID
        try connection.run("INSERT INTO payloads (message_id, body) VALUES (?, ?)", [.integer(id), .blob(payload)])
        try recordEvent(messageID: id, status: draft.status, detail: draft.reason, at: now)
        if draft.status == .queued { newQueued += 1 }
        return InsertOutcome(id: id, status: draft.status, duplicate: false)
    }

    /// Appends to a message's history.
    func recordEvent(messageID: Int64, status: MessageStatus, detail: String?, at: Int64) throws {
        try connection.run(
            "INSERT INTO message_events (message_id, at, status, detail) VALUES (?, ?, ?, ?)",
            [.integer(messageID), .integer(at), .text(status.rawValue), .optional(detail)])
    }

    /// Counts an event type that Herald does not handle.
    func countIgnoredEvent(type: String, now: Int64) throws {
        try connection.run("""
            INSERT INTO event_counters (event_type, count, last_seen_at) VALUES (?, 1, ?)
            ON CONFLICT(event_type) DO UPDATE SET count = count + 1, last_seen_at = excluded.last_seen_at
            """, [.text(type), .integer(now)])
    }

    // MARK: Reads

    static let recordColumns = """
        id, webhook_id, clerk_id, event_type, channel, slug, recipient, subject, status, attempts, last_error,
        created_at, updated_at, occurred_at, provider_id,
        (SELECT transport FROM attempts WHERE attempts.message_id = messages.id ORDER BY attempts.id DESC LIMIT 1)
        """

    /// Messages matching `filter`, newest first.
    func messages(matching filter: MessageFilter) throws -> [MessageRecord] {
        var clauses: [String] = []
        var values: [SQLValue] = []
        if let status = filter.status { clauses.append("status = ?"); values.append(.text(status.rawValue)) }
        if let channel = filter.channel { clauses.append("channel = ?"); values.append(.text(channel.rawValue)) }
        if let slug = filter.slug { clauses.append("slug = ?"); values.append(.text(slug)) }
        if let recipient = filter.recipient { clauses.append("recipient = ? COLLATE NOCASE"); values.append(.text(recipient)) }
        if let since = filter.since { clauses.append("created_at >= ?"); values.append(.integer(since)) }
        let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        values.append(.integer(Int64(max(filter.limit, 0))))
        return try connection.query(
            "SELECT \(Self.recordColumns) FROM messages \(whereClause) ORDER BY id DESC LIMIT ?", values
        ) { row in
            var records: [MessageRecord] = []
            while try row.step() { records.append(Self.record(row)) }
            return records
        }
    }

    /// One message by its number, webhook id (`msg_...`) or Clerk id (`ema_...`, `sms_...`).
    func message(_ reference: String) throws -> MessageRecord? {
        let single: (Statement) throws -> MessageRecord? = { row in try row.step() ? Self.record(row) : nil }
        if let id = Int64(reference) {
            return try connection.query("SELECT \(Self.recordColumns) FROM messages WHERE id = ?", [.integer(id)], single)
        }
        return try connection.query(
            "SELECT \(Self.recordColumns) FROM messages WHERE webhook_id = ? OR clerk_id = ? ORDER BY id DESC LIMIT 1",
            [.text(reference), .text(reference)], single)
    }

    func message(id: Int64) throws -> MessageRecord? {
        try message(String(id))
    }

    /// The raw webhook body stored with a message.
    func payload(messageID: Int64) throws -> [UInt8]? {
        try connection.query("SELECT body FROM payloads WHERE message_id = ?", [.integer(messageID)]) { row in
            try row.step() ? row.blob(0) : nil
        }
    }

    /// A message's history, oldest first.
    func history(messageID: Int64) throws -> [MessageEvent] {
        try connection.query(
            "SELECT id, message_id, at, status, detail FROM message_events WHERE message_id = ? ORDER BY id",
            [.integer(messageID)], Self.events)
    }

    /// Changes after `sequence`, oldest first (for `herald log --follow`).
    func events(after sequence: Int64, limit: Int = 500) throws -> [MessageEvent] {
        try connection.query(
            "SELECT id, message_id, at, status, detail FROM message_events WHERE id > ? ORDER BY id LIMIT ?",
            [.integer(sequence), .integer(Int64(limit))], Self.events)
    }

    /// The newest change's sequence number (0 when empty).
    func latestSequence() throws -> Int64 {
        try connection.query("SELECT COALESCE(MAX(id), 0) FROM message_events") { try $0.step() ? $0.int(0) : 0 }
    }

    /// Ignored event types and how often each came.
    func ignoredEventCounts() throws -> [String: Int64] {
        try connection.query("SELECT event_type, count FROM event_counters") { row in
            var counts: [String: Int64] = [:]
            while try row.step() { counts[row.text(0) ?? ""] = row.int(1) }
            return counts
        }
    }

    /// Number of messages per status.
    func statusCounts() throws -> [MessageStatus: Int64] {
        try connection.query("SELECT status, COUNT(*) FROM messages GROUP BY status") { row in
            var counts: [MessageStatus: Int64] = [:]
            while try row.step() {
                if let status = MessageStatus(rawValue: row.text(0) ?? "") { counts[status] = row.int(1) }
            }
            return counts
        }
    }

    private static func record(_ row: Statement) -> MessageRecord {
        MessageRecord(
            id: row.int(0), webhookID: row.text(1) ?? "", clerkID: row.text(2), eventType: row.text(3) ?? "",
            channel: row.text(4).flatMap(Channel.init(rawValue:)), slug: row.text(5), recipient: row.text(6),
            subject: row.text(7), status: MessageStatus(rawValue: row.text(8) ?? "") ?? .failed,
            attempts: Int(row.int(9)), lastError: row.text(10), createdAt: row.int(11), updatedAt: row.int(12),
            occurredAt: row.isNull(13) ? nil : row.int(13), provider: row.text(15), providerID: row.text(14))
    }

    private static func events(_ row: Statement) throws -> [MessageEvent] {
        var events: [MessageEvent] = []
        while try row.step() { events.append(event(row)) }
        return events
    }

    private static func event(_ row: Statement) -> MessageEvent {
        MessageEvent(
            sequence: row.int(0), messageID: row.int(1), at: row.int(2),
            status: MessageStatus(rawValue: row.text(3) ?? "") ?? .failed, detail: row.text(4))
    }
}

@available(*, unavailable)
extension MessageStore: Sendable {}
