import Foundation
import HeraldCore
@testable import HeraldSQLite
import Synchronization
import Testing

/// A fresh database file in its own temporary folder.
func temporaryDatabase() throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("herald-sqlite-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent("nested/herald.db").path
}

/// Without a Clerk id: the tests store it under many webhook ids.
let draft = MessageDraft(
    eventType: "email.created", channel: .email, clerkID: nil, slug: "verification_code",
    recipient: "user@example.com", status: .queued, subject: "123456 is your code")

@Suite struct StoreTests {
    @Test func insertIsDurableAndDeduplicatedAcrossReopen() throws {
        let path = try temporaryDatabase()
        do {
            let store = try MessageStore(path: path)
            let first = try store.connection.transaction { try store.insert(webhookID: "msg_a", draft: draft, payload: [1, 2], now: 1000) }
            #expect(first == InsertOutcome(id: 1, status: .queued, duplicate: false))
        }
        let reopened = try MessageStore(path: path)
        var skipped = draft
        skipped.status = .skipped
        let again = try reopened.connection.transaction {
            try reopened.insert(webhookID: "msg_a", draft: skipped, payload: [9], now: 2000)
        }
        #expect(again == InsertOutcome(id: 1, status: .queued, duplicate: true))
        #expect(try reopened.messages(matching: MessageFilter()).count == 1)
        #expect(try reopened.payload(messageID: 1) == [1, 2])
        #expect(try reopened.history(messageID: 1).map(\.status) == [.queued])
    }

    @Test func filtersAndLookups() throws {
        let store = try MessageStore(path: try temporaryDatabase())
        var sms = draft
        sms.channel = .sms
        sms.eventType = "sms.created"
        sms.recipient = "+15555550123"
        sms.clerkID = "sms_9"
        var failed = draft
        failed.status = .failed
        failed.reason = "invalid_email_address"
        try store.connection.transaction {
            _ = try store.insert(webhookID: "msg_1", draft: draft, payload: [], now: 1_000)
            _ = try store.insert(webhookID: "msg_2", draft: sms, payload: [], now: 2_000)
            _ = try store.insert(webhookID: "msg_3", draft: failed, payload: [], now: 3_000)
        }
        #expect(try store.messages(matching: MessageFilter()).map(\.id) == [3, 2, 1])
        #expect(try store.messages(matching: MessageFilter(channel: .sms)).map(\.id) == [2])
        #expect(try store.messages(matching: MessageFilter(status: .failed)).first?.lastError == "invalid_email_address")
        #expect(try store.messages(matching: MessageFilter(recipient: "USER@example.com")).map(\.id) == [3, 1])
        #expect(try store.messages(matching: MessageFilter(since: 2_000)).map(\.id) == [3, 2])
        #expect(try store.messages(matching: MessageFilter(limit: 1)).map(\.id) == [3])
        #expect(try store.message("msg_2")?.id == 2)
        #expect(try store.message("sms_9")?.id == 2)
        #expect(try store.message("99") == nil)
        #expect(try store.events(after: 1).map(\.messageID) == [2, 3])
        #expect(try store.latestSequence() == 3)
        #expect(try store.statusCounts() == [.queued: 2, .failed: 1])
    }

    @Test func groupCommitAnswersEveryConcurrentWriterOnce() throws {
        let path = try temporaryDatabase()
        let writer = try StoreWriter(path: path)
        // Hold the writer thread so that the 200 writes queue up behind it and share commits.
        let gate = DispatchSemaphore(value: 0)
        let holding = DispatchSemaphore(value: 0)
        writer.submit({ _ in
            holding.signal()
            gate.wait()
        }) { _ in }
        holding.wait()
        let collected = Mutex<[InsertOutcome]>([])
        let done = DispatchGroup()
        for index in 0..<200 {
            done.enter()
            writer.submit({ store in
                try store.insert(webhookID: "msg_\(index % 150)", draft: draft, payload: [], now: Int64(index))
            }) { result in
                if case .success(let outcome) = result { collected.withLock { $0.append(outcome) } }
                done.leave()
            }
        }
        gate.signal()
        done.wait()
        let outcomes = collected.withLock { $0 }
        #expect(writer.largestBatch >= 100)  // group commit: many writes per transaction
        writer.close()
        #expect(outcomes.count == 200)
        #expect(outcomes.filter { !$0.duplicate }.count == 150)
        #expect(Set(outcomes.map(\.id)).count == 150)
        let store = try MessageStore(path: path)
        #expect(try store.messages(matching: MessageFilter(limit: 1000)).count == 150)
    }

    @Test func aFailingJobDoesNotUndoItsBatch() throws {
        let path = try temporaryDatabase()
        let writer = try StoreWriter(path: path)
        // Hold the writer (inside a batch of its own) so that all eight jobs, the failing one
        // among them, queue up behind it and share the next batch.
        let gate = DispatchSemaphore(value: 0)
        let holding = DispatchSemaphore(value: 0)
        writer.submit({ _ in
            holding.signal()
            gate.wait()
        }) { _ in }
        holding.wait()
        let done = DispatchGroup()
        let failures = Mutex(0)
        for index in 0..<8 {
            done.enter()
            let finish: @Sendable (Result<InsertOutcome, any Error>) -> Void = { result in
                if case .failure = result { failures.withLock { $0 += 1 } }
                done.leave()
            }
            if index == 3 {
                writer.submit({ store -> InsertOutcome in
                    _ = try store.insert(webhookID: "msg_bad", draft: draft, payload: [], now: 1)
                    throw SQLiteError(code: 1, message: "boom")
                }, completion: finish)
            } else {
                writer.submit({ try $0.insert(webhookID: "msg_\(index)", draft: draft, payload: [], now: 1) }, completion: finish)
            }
        }
        gate.signal()
        done.wait()
        #expect(writer.largestBatch == 8)
        #expect(failures.withLock { $0 } == 1)
        writer.close()
        let store = try MessageStore(path: path)
        #expect(try store.messages(matching: MessageFilter()).count == 7)
        #expect(try store.message("msg_bad") == nil)
        #expect(throws: (any Error).self) { try writer.writeBlocking { _ in 1 } }
    }

    @Test func claimsTheEarliestDueAcrossStatusesUpToTheLimit() throws {
        let store = try MessageStore(path: try temporaryDatabase())
        let noLimit: @Sendable (String?) -> Int64 = { _ in 3_600_000 }
        // 1: claimed by a process whose lease ran out at 1500; 2: retrying, due at 1200;
        // 3...: a backlog of queued messages, due from 1100 on; the last one not due yet.
        try store.connection.transaction {
            for index in 1...200 {
                _ = try store.insert(webhookID: "msg_\(index)", draft: draft, payload: [], now: 1000 + Int64(index) * 10)
            }
        }
        try store.connection.transaction {
            let first = try store.claimDue(now: 1030, owner: "dead", leaseUntil: 1500, limit: 2, maxAge: noLimit)
            #expect(first.map(\.id) == [1, 2])
            let attempt = AttemptRecord(number: 1, transport: "smtp", startedAt: 1030, durationMs: 1, outcome: "retryable")
            #expect(try store.finishAttempt(
                messageID: 2, owner: "dead", attempt: attempt, result: AttemptResult(status: .retrying, nextAttemptAt: 1200), now: 1031))
        }
        let due = try store.connection.transaction {
            try store.claimDue(now: 2000, owner: "me", leaseUntil: 9000, limit: 5, maxAge: noLimit)
        }
        // Message 1 was due at 1010 (its lease ran out), then the queued ones from 1030 on;
        // retrying message 2 (1200) comes after the queued ones due before it.
        #expect(due.map(\.id) == [1, 3, 4, 5, 6])
        #expect(due.allSatisfy { $0.payload.isEmpty && $0.recipient == "user@example.com" })
        let rest = try store.connection.transaction {
            try store.claimDue(now: 2000, owner: "me", leaseUntil: 9000, limit: 1000, maxAge: noLimit)
        }
        // Due by 2000: messages 7...100 queued (due 1070...2000) and message 2 (retrying, 1200).
        #expect(rest.count == 95)
        #expect(rest.contains { $0.id == 2 } && !rest.contains { $0.id == 101 })
        #expect(try store.nextDueAt() == 2010)
        // 1...100 sending (under "me"), 101...200 queued since 2010; nothing retrying.
        #expect(try store.pendingSummary() == PendingSummary(counts: [.queued: 100, .sending: 100, .retrying: 0], oldestQueuedDueAt: 2010))
        #expect(try store.claimDue(now: 2000, owner: "me", leaseUntil: 9000, limit: 10, maxAge: noLimit).isEmpty)
    }

    @Test func aVersion2DatabaseKeepsItsMessagesAndPayloads() throws {
        // What Herald's schema version 2 created: the body inside the message row.
        let path = try temporaryDatabase()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do {
            let old = try Connection(path: path)
            try old.execute("""
                CREATE TABLE messages (
                    id INTEGER PRIMARY KEY, webhook_id TEXT NOT NULL UNIQUE, clerk_id TEXT, event_type TEXT NOT NULL,
                    channel TEXT, slug TEXT, recipient TEXT, subject TEXT, status TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL, next_attempt_at INTEGER, payload BLOB NOT NULL,
                    expires_at INTEGER, lease_owner TEXT, lease_until INTEGER, provider_id TEXT, template TEXT
                ) STRICT;
                CREATE INDEX messages_status_due ON messages (status, next_attempt_at);
                CREATE INDEX messages_created ON messages (created_at);
                CREATE INDEX messages_lease ON messages (status, lease_until);
                CREATE TABLE message_events (
                    id INTEGER PRIMARY KEY, message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
                    at INTEGER NOT NULL, status TEXT NOT NULL, detail TEXT
                ) STRICT;
                CREATE INDEX message_events_message ON message_events (message_id);
                CREATE TABLE event_counters (event_type TEXT PRIMARY KEY, count INTEGER NOT NULL, last_seen_at INTEGER NOT NULL) STRICT;
                CREATE TABLE attempts (
                    id INTEGER PRIMARY KEY, message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
                    number INTEGER NOT NULL, transport TEXT NOT NULL, started_at INTEGER NOT NULL, duration_ms INTEGER NOT NULL,
                    outcome TEXT NOT NULL, code INTEGER, provider_id TEXT, error TEXT, template TEXT
                ) STRICT;
                INSERT INTO messages (webhook_id, event_type, channel, slug, recipient, status, created_at, updated_at,
                                      next_attempt_at, payload)
                VALUES ('msg_old', 'email.created', 'email', 'verification_code', 'old@example.com', 'queued', 1000, 1000, 1000,
                        X'7B7D');
                INSERT INTO message_events (message_id, at, status) VALUES (1, 1000, 'queued');
                PRAGMA user_version = 2;
                """)
        }
        let store = try MessageStore(path: path)
        #expect(try store.payload(messageID: 1) == Array("{}".utf8))
        let claimed = try store.connection.transaction {
            try store.claimDue(now: 2000, owner: "me", leaseUntil: 9000, limit: 10) { _ in 600_000 }
        }
        #expect(claimed.map(\.recipient) == ["old@example.com"])
        #expect(claimed.first?.payload == Array("{}".utf8))
        let next = try store.connection.transaction { try store.insert(webhookID: "msg_new", draft: draft, payload: [7], now: 3000) }
        #expect(next.id == 2 && !next.duplicate)
        #expect(try store.payload(messageID: 2) == [7])
        #expect(try store.history(messageID: 1).map(\.status) == [.queued, .sending])
    }

    @Test func aVersion6DatabaseWithRepeatedClerkIDsMigratesAndKeepsTheFirst() throws {
        // Version 6 had no unique Clerk id: one Clerk message could be stored twice.
        let path = try temporaryDatabase()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do {
            let old = try Connection(path: path)
            for migration in Schema.migrations.prefix(6) { try old.execute(migration) }
            try old.execute("PRAGMA user_version = 6")
            for (index, clerkID) in ["'ema_twice'", "'ema_once'", "'ema_twice'", "NULL", "'ema_twice'"].enumerated() {
                try old.execute("""
                    INSERT INTO messages (webhook_id, clerk_id, event_type, status, created_at, updated_at, next_attempt_at)
                    VALUES ('msg_\(index + 1)', \(clerkID), 'email.created', 'queued', 1000, 1000, 1000);
                    INSERT INTO payloads (message_id, body) VALUES (\(index + 1), X'0\(index + 1)');
                    """)
            }
        }
        let store = try MessageStore(path: path)  // migrates to 7
        #expect(try store.connection.query("PRAGMA user_version") { try $0.step() ? $0.int(0) : 0 } == Int64(Schema.migrations.count))
        #expect(try store.messages(matching: MessageFilter()).map(\.clerkID) == ["ema_twice", nil, "ema_twice", "ema_once", "ema_twice"])
        let repeats = try store.connection.query("SELECT id FROM messages WHERE clerk_id_repeat = 1 ORDER BY id") { row in
            var ids: [Int64] = []
            while try row.step() { ids.append(row.int(0)) }
            return ids
        }
        #expect(repeats == [3, 5])
        var again = draft
        again.clerkID = "ema_twice"
        let outcome = try store.connection.transaction { try store.insert(webhookID: "msg_6", draft: again, payload: [], now: 2000) }
        #expect(outcome == InsertOutcome(id: 1, status: .queued, duplicate: true))
        again.clerkID = "ema_once"
        #expect(try store.connection.transaction { try store.insert(webhookID: "msg_7", draft: again, payload: [], now: 2000) }.id == 2)
        again.clerkID = "ema_new"
        #expect(try !store.connection.transaction { try store.insert(webhookID: "msg_8", draft: again, payload: [], now: 2000) }.duplicate)
        #expect(try store.connection.query("PRAGMA integrity_check") { try $0.step() ? $0.text(0) : nil } == "ok")
    }

    @Test func retentionDeletesOnlyOldFinishedMessagesWithEverythingTheyHold() throws {
        let store = try MessageStore(path: try temporaryDatabase())
        // Old: 1 sent (with an attempt), 2 queued, 3 skipped, 4 retrying; new: 5 sent.
        try store.connection.transaction {
            var skipped = draft
            skipped.status = .skipped
            for index in 1...4 {
                _ = try store.insert(webhookID: "old_\(index)", draft: index == 3 ? skipped : draft, payload: [UInt8(index)], now: 1000)
            }
            let claimed = try store.claimDue(now: 1000, owner: "me", leaseUntil: 5000, limit: 10) { _ in 600_000 }
            #expect(claimed.map(\.id) == [1, 2, 4])
            let sent = AttemptRecord(number: 1, transport: "smtp", startedAt: 1000, durationMs: 2, outcome: "delivered", code: 250)
            try store.finishAttempt(messageID: 1, owner: "me", attempt: sent, result: AttemptResult(status: .sent), now: 1002)
            let later = AttemptRecord(number: 1, transport: "smtp", startedAt: 1000, durationMs: 2, outcome: "retryable", code: 451)
            try store.finishAttempt(messageID: 4, owner: "me", attempt: later, result: AttemptResult(status: .retrying, nextAttemptAt: 9000), now: 1002)
            try store.releaseLeases(ids: [2], owner: "me", at: 1002)
            _ = try store.insert(webhookID: "new_5", draft: draft, payload: [5], now: 50_000)
            try store.connection.run("UPDATE messages SET status = 'sent' WHERE id = 5")
        }
        #expect(try store.prunableCount(before: 10_000) == 2)
        let deleted = try store.connection.transaction { try store.prune(before: 10_000, limit: 1) }
        #expect(deleted == 1)
        #expect(try store.connection.transaction { try store.prune(before: 10_000, limit: 100) } == 1)
        #expect(try store.connection.transaction { try store.prune(before: 10_000, limit: 100) } == 0)
        #expect(try store.messages(matching: MessageFilter()).map(\.id).sorted() == [2, 4, 5])
        for id: Int64 in [1, 3] {
            #expect(try store.payload(messageID: id) == nil)
            #expect(try store.history(messageID: id).isEmpty)
            #expect(try store.attempts(messageID: id).isEmpty)
        }
        #expect(try store.attempts(messageID: 4).count == 1)
        #expect(try store.payload(messageID: 2) == [2])
    }

    @Test func ageCountsFromWhenClerkCreatedTheEventNeverLater() throws {
        let store = try MessageStore(path: try temporaryDatabase())
        let tenMinutes: @Sendable (String?) -> Int64 = { _ in 600_000 }
        let now: Int64 = 10_000_000
        var late = draft
        late.occurredAt = now - 20 * 60_000  // retried by Svix for 20 minutes
        var skewed = draft
        skewed.occurredAt = now + 3_600_000  // a clock ahead: no longer window than arrival gives
        try store.connection.transaction {
            _ = try store.insert(webhookID: "late", draft: late, payload: [], now: now)
            _ = try store.insert(webhookID: "skewed", draft: skewed, payload: [], now: now)
            _ = try store.insert(webhookID: "unknown", draft: draft, payload: [], now: now)
        }
        let claimed = try store.connection.transaction {
            try store.claimDue(now: now, owner: "me", leaseUntil: now + 30_000, limit: 10, maxAge: tenMinutes)
        }
        #expect(claimed.map(\.expiresAt) == [now - 10 * 60_000, now + 600_000, now + 600_000])
        #expect(try store.message("late")?.occurredAt == now - 20 * 60_000)
    }

    @Test func ignoredEventTypesAreCounted() throws {
        let store = try MessageStore(path: try temporaryDatabase())
        try store.countIgnoredEvent(type: "user.created", now: 1)
        try store.countIgnoredEvent(type: "user.created", now: 2)
        #expect(try store.ignoredEventCounts() == ["user.created": 2])
    }

    @Test func theCheckOfALargeStoreAtOpenLeavesOutOnlyTheEventBodies() throws {
        let path = try temporaryDatabase()
        do {
            let store = try MessageStore(path: path)
            try store.connection.transaction {
                for index in 1...20 { _ = try store.insert(webhookID: "msg_\(index)", draft: draft, payload: [UInt8](repeating: 7, count: 3000), now: 1000) }
            }
            try store.connection.close()
        }
        func damage(_ table: String) throws {
            let connection = try Connection(path: path)
            let root = try connection.query("SELECT rootpage FROM sqlite_schema WHERE name = ?", [.text(table)]) { try $0.step() ? $0.int(0) : 0 }
            let pageSize = try connection.query("PRAGMA page_size") { try $0.step() ? $0.int(0) : 0 }
            try connection.close()
            let file = try #require(FileHandle(forUpdatingAtPath: path))
            try file.seek(toOffset: UInt64((root - 1) * pageSize))
            try file.write(contentsOf: Data(repeating: 0xA5, count: Int(pageSize)))
            try file.close()
        }
        try damage("payloads")
        let connection = try Connection(path: path)
        #expect(!StoreCheck.run(connection, full: true).problems.isEmpty)
        // What a store over StoreCheck.fullCheckBytes gets at open: the bodies are read at delivery.
        #expect(StoreCheck.run(connection, full: false).problems.isEmpty)
        try connection.close()
        try damage("messages")
        let again = try Connection(path: path)
        #expect(!StoreCheck.run(again, full: false).problems.isEmpty)
        #expect(throws: SQLiteError.self) { try MessageStore(path: path) }
    }

    @Test func openersRacingToCreateANewStoreAgreeOnOne() throws {
        // Two serves started at once on a new path (an intake and a deliverer): neither may
        // find an empty file there, which would be refused as damaged.
        let path = try temporaryDatabase()
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            do {
                let store = try MessageStore(path: path)
                _ = try store.connection.transaction { try store.insert(webhookID: "msg_\(index)", draft: draft, payload: [], now: 1) }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        #expect(try MessageStore(path: path).messages(matching: MessageFilter()).count == 8)
        let folder = (path as NSString).deletingLastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains(".new-") }.isEmpty)
    }

    @Test func aFileThatIsNotADatabaseIsAClearError() throws {
        let path = try temporaryDatabase()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data("this is not sqlite".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: SQLiteError.self) { try MessageStore(path: path) }
    }
}
