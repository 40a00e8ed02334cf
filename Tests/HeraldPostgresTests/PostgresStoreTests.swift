import Foundation
import HeraldCore
import HeraldTestSupport
import Synchronization
import Testing

@testable import HeraldPostgres

private let draft = MessageDraft(
    eventType: "sms.created", channel: .sms, clerkID: nil, slug: "verification_code", recipient: "+15555550123", status: .queued)

/// What only PostgreSQL has to show: several stores (instances) on one database, the
/// writer's batches, connections that go away, notifications, migrations that race.
@Suite struct PostgresStoreTests {
    let server: PostgresServer
    let url: String

    init() throws {
        server = try PostgresServer.shared()
        url = server.url(database: try server.createDatabase())
    }

    /// `byClerkID`: each message under eight webhook ids of its own (two Svix endpoints), one
    /// Clerk id; otherwise one webhook id, sent eight times.
    @Test(arguments: [false, true])
    func oneMessageSentToTwoInstancesAtOnceIsStoredOnce(byClerkID: Bool) throws {
        let stores = [try PostgresStore(url: url), try PostgresStore(url: url)]
        let outcomes = Mutex<[String: [InsertOutcome]]>([:])
        let group = DispatchGroup()
        for index in 0..<200 {
            for (number, store) in stores.enumerated() {
                let key = "msg_\(index % 50)"
                var message = draft
                message.clerkID = byClerkID ? "sms_\(index % 50)" : nil
                let webhookID = byClerkID ? "\(key)_\(index)_\(number)" : key
                group.enter()
                store.insert(message, webhookID: webhookID, payload: [UInt8(index % 50)], at: 1000) { result in
                    if case .success(let outcome) = result { outcomes.withLock { $0[key, default: []].append(outcome) } }
                    group.leave()
                }
            }
        }
        group.wait()
        let all = outcomes.withLock { $0 }
        #expect(all.count == 50)
        #expect(all.values.allSatisfy { $0.count == 8 && Set($0.map(\.id)).count == 1 && $0.filter { !$0.duplicate }.count == 1 })
        #expect(try stores[0].messages(matching: MessageFilter(limit: 1000)).count == 50)
        #expect(try stores[1].changes(after: 0, limit: 1000).count == 50)
    }

    @Test func aFailingJobDoesNotUndoItsBatch() throws {
        let writer = try Writer(target: ConnectionTarget(url: url), logger: .disabled) { connection throws(PostgresError) in
            try Schema.migrate(connection)
        }
        // Hold the writer (inside a batch of its own) so that all eight jobs, the failing one
        // among them, queue up behind it and share the next batch.
        let gate = DispatchSemaphore(value: 0)
        let holding = DispatchSemaphore(value: 0)
        writer.submit(.closure({ _ in
            holding.signal()
            gate.wait()
        }) { _ in })
        holding.wait()
        let done = DispatchGroup()
        let failures = Mutex(0)
        for index in 0..<8 {
            done.enter()
            let finish: @Sendable (Result<InsertOutcome, any Error>) -> Void = { result in
                if case .failure = result { failures.withLock { $0 += 1 } }
                done.leave()
            }
            let request = InsertRequest(webhookID: "msg_\(index)", draft: draft, payload: [UInt8(index)], at: 1)
            if index == 3 {
                // A statement that fails inside the job, after its insert: the job is undone.
                writer.submit(.closure({ context -> InsertOutcome in
                    let outcome = try context.insert([request])[0]
                    try context.connection.query("SELECT 1 / 0")
                    return outcome
                }, completion: finish))
            } else {
                writer.submit(.insert(request, completion: finish))  // the others together, in one statement
            }
        }
        gate.signal()
        done.wait()
        #expect(writer.largestBatch == 8)
        #expect(failures.withLock { $0 } == 1)
        writer.close()
        let store = try PostgresStore(url: url)
        #expect(try store.messages(matching: MessageFilter()).count == 7)
        #expect(try store.message("msg_3") == nil)
        #expect(try store.payload(messageID: try #require(try store.message("msg_7")).id) == [7])
        // The undone job's history went with it; the others' are there, in order.
        #expect(try store.changes(after: 0, limit: 100).count == 7)
    }

    /// Writes nobody waits for (a delivery round's record) linger for company: two of them
    /// 50 ms apart share one commit; a write somebody waits for commits at once, taking the
    /// lingering one along. Without the lingering each would be a batch of its own.
    @Test func writesNobodyWaitsForShareACommit() throws {
        func writer(linger: TimeInterval) throws -> Writer {
            try Writer(target: ConnectionTarget(url: url), logger: .disabled, linger: linger) { connection throws(PostgresError) in
                try Schema.migrate(connection)
            }
        }
        let done = DispatchGroup()
        let lingering = try writer(linger: 1.5)
        for _ in 0..<2 {
            done.enter()
            lingering.submit(.closure({ context in _ = try context.connection.query("SELECT 1") }) { _ in done.leave() }, patient: true)
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(done.wait(timeout: .now() + 20) == .success)
        #expect(lingering.largestBatch == 2)
        lingering.close()

        let carried = try writer(linger: 30)
        done.enter()
        carried.submit(.closure({ context in _ = try context.connection.query("SELECT 1") }) { _ in done.leave() }, patient: true)
        Thread.sleep(forTimeInterval: 0.05)
        let started = Date()
        try carried.writeBlocking { context in _ = try context.connection.query("SELECT 2") }
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(done.wait(timeout: .now() + 1) == .success)
        #expect(carried.largestBatch == 2)
        carried.close()
    }

    /// A follower never skips history: a row another instance has taken an id for but not
    /// yet committed holds back every row after it, until it is there.
    @Test func theHistoryIsReadInOrderThoughInstancesCommitOutOfIt() throws {
        let store = try PostgresStore(url: url)
        let first = try store.insertAndWait(draft, webhookID: "msg_x", payload: [], at: 1)
        let database = try #require(databaseName)
        let seen = try #require(try store.changes(after: 0, limit: 10).last).sequence
        // A slow instance: its history row has an id, published as held, and its commit
        // comes two seconds later.
        let committed = DispatchSemaphore(value: 0)
        let slow = """
            BEGIN;
            SELECT pg_advisory_lock(\(History.assigning));
            WITH e AS (INSERT INTO message_events (message_id, at, status, detail) VALUES (\(first.id), 2, 'sending', 'slow') RETURNING id)
            SELECT pg_advisory_xact_lock(\(History.holding) + id) FROM e;
            SELECT pg_advisory_unlock(\(History.assigning));
            SELECT pg_sleep(2);
            COMMIT;
            """
        Thread {
            _ = try? PostgresServer.shared().psql(slow, database: database)
            committed.signal()
        }.start()
        #expect(waitUntil { (try? server.psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = \(History.holding >> 32)", database: database)) == "1\n" })
        // A faster instance commits a later row meanwhile: it is not handed out before the held one.
        let second = try store.insertAndWait(draft, webhookID: "msg_y", payload: [], at: 3)
        #expect(try store.changes(after: seen, limit: 10).isEmpty)
        #expect(try store.latestSequence() == seen)
        committed.wait()
        let changes = try store.changes(after: seen, limit: 10)
        #expect(changes.map(\.messageID) == [first.id, second.id])
        #expect(changes.map(\.detail) == ["slow", nil])
        #expect(try store.latestSequence() == changes.last?.sequence)
    }

    @Test func aConnectionTheServerClosedWhileIdleIsOpenedAgainUnnoticed() throws {
        let store = try PostgresStore(url: url)
        _ = try store.insertAndWait(draft, webhookID: "msg_before", payload: [], at: 1)
        #expect(try store.messages(matching: MessageFilter()).count == 1)
        // What a failover or an idle timeout does to every connection.
        try server.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
                        database: try #require(databaseName))
        #expect(try store.insertAndWait(draft, webhookID: "msg_after", payload: [], at: 2).duplicate == false)
        #expect(try store.messages(matching: MessageFilter()).count == 2)
    }

    @Test func newWorkOnAnyInstanceWakesTheOthers() throws {
        let listening = try PostgresStore(url: url)
        let wakes = Mutex(0)
        listening.onWorkQueued(spareWorkers: { 0 }) { wakes.withLock { $0 += 1 } }
        // The listener wakes once when it connects (it may have missed something).
        #expect(waitUntil { wakes.withLock { $0 } >= 1 })
        let before = wakes.withLock { $0 }
        let other = try PostgresStore(url: url)
        var skipped = draft
        skipped.status = .skipped
        _ = try other.insertAndWait(skipped, webhookID: "msg_skipped", payload: [], at: 1)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(wakes.withLock { $0 } == before)  // nothing to deliver: nobody woken
        _ = try other.insertAndWait(draft, webhookID: "msg_queued", payload: [], at: 1)
        #expect(waitUntil { wakes.withLock { $0 } > before })
    }

    /// An instance with idle workers starts what it stored itself: the others are not woken
    /// to race it for each message. Beyond its idle workers, and for work made due otherwise
    /// (leases given back), every instance is. The control (no idle workers) is woken, so
    /// this test can fail.
    @Test func newMessagesTheStoringInstanceCanStartAreNotAnnounced() throws {
        let listening = try PostgresStore(url: url)
        let wakes = Mutex(0)
        listening.onWorkQueued(spareWorkers: { 0 }) { wakes.withLock { $0 += 1 } }
        #expect(waitUntil { wakes.withLock { $0 } >= 1 })
        let storing = try PostgresStore(url: url)
        let spare = Mutex(2)
        storing.onWorkQueued(spareWorkers: { spare.withLock { $0 } }) {}
        var before = wakes.withLock { $0 }
        let first = try storing.insertAndWait(draft, webhookID: "msg_idle", payload: [], at: 1)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(wakes.withLock { $0 } == before)  // two idle workers for one message: not announced
        spare.withLock { $0 = 0 }
        _ = try storing.insertAndWait(draft, webhookID: "msg_busy", payload: [], at: 2)
        #expect(waitUntil { wakes.withLock { $0 } > before })  // the control: nobody idle here, so announced
        spare.withLock { $0 = 8 }
        before = wakes.withLock { $0 }
        let claimed = try storing.claim(upTo: 10, owner: "a", now: 3, leaseUntil: 10, maxAge: { _ in 600_000 })
        #expect(claimed.map(\.id).contains(first.id))
        try storing.release(claimed.map(\.id), owner: "a", at: 4)
        #expect(waitUntil { wakes.withLock { $0 } > before })  // given back: always announced
    }

    @Test func instancesStartingTogetherMigrateOnce() throws {
        let fresh = server.url(database: try server.createDatabase())
        let opened = Mutex(0)
        let failures = Mutex<[String]>([])
        let group = DispatchGroup()
        for _ in 0..<10 {
            group.enter()
            Thread {
                do {
                    let store = try PostgresStore(url: fresh)
                    store.close()
                    opened.withLock { $0 += 1 }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
                group.leave()
            }.start()
        }
        group.wait()
        #expect(failures.withLock { $0 } == [])
        #expect(opened.withLock { $0 } == 10)
        let database = try #require(fresh.range(of: "@/").map { fresh[$0.upperBound...].prefix { $0 != "?" } })
        #expect(try server.psql("SELECT version FROM herald_schema", database: String(database)) == "\(Schema.migrations.count)\n")
    }

    /// The writer's prepared statements keep a generic plan; made on a fresh, small table it
    /// was a sequential scan of `messages`, run on every claim and record however large the
    /// table grew. With the writer's settings (in each of its transactions) the plan goes by an index.
    /// Without them (the control) the same plan scans the table, so this test can fail.
    @Test func theWritersGenericPlansFindMessagesByIndex() throws {
        let connection = try Connection(ConnectionTarget(url: url))
        try Schema.migrate(connection)
        _ = try connection.execute("SET plan_cache_mode TO force_generic_plan")
        func plan(_ sql: String, parameters: Int) throws -> String {
            _ = try connection.execute("DEALLOCATE ALL")
            _ = try connection.execute("PREPARE probe AS \(sql)")
            let result = try connection.execute("EXPLAIN EXECUTE probe(\(Array(repeating: "NULL", count: parameters).joined(separator: ", ")))")
            return (0..<result.count).compactMap { result.text($0, 0) }.joined(separator: "\n")
        }
        let control = try plan(WriteContext.lease, parameters: 5)
        #expect(control.contains("Seq Scan on messages"))
        connection.begin(Writer.opening)
        for (sql, parameters) in [(WriteContext.lease, 5), (WriteContext.record, 20)] {
            let text = try plan(sql, parameters: parameters)
            #expect(!text.contains("Seq Scan on messages"), "\(text)")
            // By the primary key, or the partial index of what is `sending` (bounded by what is in flight).
            #expect(text.contains("Index Scan on messages_pkey") || text.contains("Index Scan using messages_pkey on messages")
                    || text.contains("Index Scan using messages_sending on messages"), "\(text)")
        }
        _ = try connection.execute("ROLLBACK")
    }

    @Test func aNewerSchemaIsRefused() throws {
        _ = try PostgresStore(url: url)
        try server.psql("UPDATE herald_schema SET version = version + 1", database: try #require(databaseName))
        #expect(throws: StoreError.self) { try PostgresStore(url: url) }
        do {
            _ = try PostgresStore(url: url)
        } catch {
            #expect(error.kind == .schemaTooNew)
        }
    }

    @Test func aWrongPasswordFailsWithoutShowingIt() throws {
        try server.psql("DO $$ BEGIN CREATE ROLE herald_pw LOGIN PASSWORD 'Right-Passw0rd'; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        let wrong = server.tcpURL(database: try #require(databaseName), user: "herald_pw", password: "Wr0ng-Passw0rd")
        do {
            _ = try PostgresStore(url: wrong)
            Issue.record("a wrong password was accepted")
        } catch {
            #expect(error.kind == .unavailable)
            #expect(error.message.contains("password authentication failed"))
            #expect(!error.description.contains("Wr0ng-Passw0rd"))
        }
        do {
            _ = try PostgresStore(url: "postgres://herald_pw:Bad%zzPassw0rd@127.0.0.1:\(server.port)/x")
        } catch {
            #expect(error.message.contains("invalid percent-encoded token"))
            #expect(!error.description.contains("Bad%zzPassw0rd"))
        }
    }

    private var databaseName: String? {
        url.range(of: "@/").map { String(url[$0.upperBound...].prefix { $0 != "?" }) }
    }

    private func waitUntil(seconds: Double = 5, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return condition()
    }
}
