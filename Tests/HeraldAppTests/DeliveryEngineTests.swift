import Foundation
import HeraldApp
import HeraldCore
@testable import HeraldSQLite
import HeraldTestSupport
import Synchronization
import Testing

/// A store, a template folder and an engine with a scripted transport.
final class EngineHarness {
    let folder: URL
    let store: SQLiteStore
    let engine: DeliveryEngine
    let script: ScriptedTransport.Script
    let logs = MemoryLogHandler()

    init(
        _ outcomes: [DeliveryOutcome], policy: RetryPolicy = RetryPolicy(baseDelay: 50, maxDelay: 200, jitter: 0, maxAttempts: 3),
        lease: Int64 = 5_000, sendDelay: Double = 0
    ) throws {
        folder = try temporaryFolder()
        store = try SQLiteStore(path: folder.appendingPathComponent("herald.db").path)
        let script = ScriptedTransport.Script(outcomes, delay: sendDelay)
        self.script = script
        var settings = DeliveryEngine.Settings()
        settings.workers = 2
        settings.policy = policy
        settings.leaseMilliseconds = lease
        engine = DeliveryEngine(
            queue: store, templates: TemplateStore(root: folder.appendingPathComponent("templates").path),
            settings: settings, logger: Logger(label: "test", level: .debug, handler: logs),
            makeSender: { _ in ScriptedTransport(script) })
        try engine.start()
    }

    deinit {
        engine.stop()
        store.close()
    }

    @discardableResult
    func enqueue(_ file: String = "email.created", id: String = UUID().uuidString, createdAt: Int64 = Clock.nowMilliseconds()) throws -> Int64 {
        let body = try freshFixture(file, at: createdAt)
        guard case .record(let draft) = ClerkEvent.decide(body: body) else { throw CommandError("not a message") }
        let outcome = try store.insertAndWait(draft, webhookID: id, payload: body, at: createdAt)
        engine.notify()
        return outcome.id
    }

    func record(_ id: Int64) throws -> MessageRecord? {
        try store.message(id: id)
    }

    func waitFor(_ id: Int64, _ status: MessageStatus, timeout: Double = 10) throws -> MessageRecord? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let record = try record(id), record.status == status { return record }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return try record(id)
    }

    func attempts(_ id: Int64) throws -> [AttemptRecord] {
        try store.attempts(messageID: id)
    }
}

@Suite struct DeliveryEngineTests {
    @Test func deliversAndRecordsTheAttempt() throws {
        let harness = try EngineHarness([.delivered(providerID: "Q123", code: 250)])
        let id = try harness.enqueue()
        let record = try #require(try harness.waitFor(id, .sent))
        #expect(record.status == .sent)
        #expect(record.attempts == 1)
        let attempts = try harness.attempts(id)
        #expect(attempts.count == 1)
        #expect(attempts.first?.providerID == "Q123")
        #expect(attempts.first?.code == 250)
        #expect(attempts.first?.transport == "scripted")
        #expect(attempts.first?.template == "clerk rendering (no_template)")
        guard case .email(let envelope)? = harness.script.sent.first else { Issue.record("no email"); return }
        #expect(envelope.to.address == "user@example.com")
        #expect(envelope.from.headerValue == "Example App <notifications@example.com>")
        let history = try harness.store.history(messageID: id).map(\.status)
        #expect(history == [.queued, .sending, .sent])
    }

    @Test func aSendSlowerThanTheLeaseIsNotSentTwice() throws {
        // Each send takes four leases: the engine must keep renewing the lease of what it
        // holds, or the dispatcher would claim the message again and a second worker send it.
        let harness = try EngineHarness([.delivered(providerID: "Q1", code: 250)], lease: 300, sendDelay: 1.2)
        let ids = try (0..<3).map { _ in try harness.enqueue() }
        // Mid-send, three leases in: the lease in the store still runs (another process
        // would not take the message over).
        Thread.sleep(forTimeInterval: 0.9)
        let leases = try harness.store.writer.readBlocking { store in
            try store.connection.query("SELECT lease_until FROM messages WHERE status = 'sending'") { row in
                var values: [Int64] = []
                while try row.step() { values.append(row.int(0)) }
                return values
            }
        }
        let now = Clock.nowMilliseconds()
        #expect(!leases.isEmpty && leases.allSatisfy { $0 > now })
        for id in ids { #expect(try harness.waitFor(id, .sent)?.status == .sent) }
        Thread.sleep(forTimeInterval: 0.5)
        #expect(harness.script.sent.count == 3)
        for id in ids { #expect(try harness.attempts(id).count == 1) }
    }

    @Test func transientFailuresAreRetriedThenSent() throws {
        let harness = try EngineHarness([
            .retryable(.rejectedTemporarily, code: 451, retryAfter: nil), .retryable(.connectionFailed, code: nil, retryAfter: nil),
            .delivered(providerID: "OK", code: 250),
        ])
        let id = try harness.enqueue()
        let record = try #require(try harness.waitFor(id, .sent))
        #expect(record.status == .sent)
        #expect(try harness.attempts(id).map(\.outcome) == ["retryable", "retryable", "delivered"])
        #expect(try harness.attempts(id).first?.error == "rejected_temporarily (451)")
        #expect(harness.logs.all.contains { $0.message == "delivery failed, will retry" })
    }

    @Test func permanentFailuresFailAtOnce() throws {
        let harness = try EngineHarness([.permanent(.badRecipient, code: 550)])
        let id = try harness.enqueue()
        let record = try #require(try harness.waitFor(id, .failed))
        #expect(record.status == .failed)
        #expect(record.lastError == "bad_recipient (550)")
        #expect(try harness.attempts(id).count == 1)
    }

    @Test func attemptsRunOut() throws {
        let harness = try EngineHarness([.retryable(.timeout, code: nil, retryAfter: nil)])
        let id = try harness.enqueue()
        let record = try #require(try harness.waitFor(id, .failed))
        #expect(record.lastError == "timeout; gave up after 3 attempts")
        #expect(try harness.attempts(id).count == 3)
    }

    @Test func anOldCodeExpiresUnsent() throws {
        let harness = try EngineHarness([.delivered(providerID: nil, code: nil)])
        let id = try harness.enqueue(createdAt: Clock.nowMilliseconds() - 11 * 60_000)
        let record = try #require(try harness.waitFor(id, .expired))
        #expect(record.status == .expired)
        #expect(try harness.attempts(id).isEmpty)
        #expect(harness.script.sent.isEmpty)
    }

    @Test func operatorRetryAndCancel() throws {
        let harness = try EngineHarness([.permanent(.rejected, code: 554), .delivered(providerID: nil, code: 250)])
        let id = try harness.enqueue()
        _ = try harness.waitFor(id, .failed)
        let requeued = try harness.store.requeue([id], at: Clock.nowMilliseconds(), maxAge: { _ in 600_000 })
        #expect(requeued == [id])
        harness.engine.notify()
        #expect(try harness.waitFor(id, .sent)?.status == .sent)
        // Cancel: only queued or retrying messages.
        let cancelled = try harness.store.cancel([id], at: Clock.nowMilliseconds())
        #expect(cancelled.isEmpty)
    }

    @Test func smsGoesOutAsText() throws {
        let harness = try EngineHarness([.delivered(providerID: "SM1", code: 201)])
        let id = try harness.enqueue("sms.created")
        _ = try harness.waitFor(id, .sent)
        #expect(harness.script.sent.first == .sms(SMS(to: "+15555550123", text: "731055 is your verification code for Example App.")))
    }

    @Test func manyMessagesAllSentOnce() throws {
        let harness = try EngineHarness([.delivered(providerID: nil, code: 250)])
        let ids = try (0..<60).map { _ in try harness.enqueue() }
        for id in ids { #expect(try harness.waitFor(id, .sent)?.status == .sent) }
        #expect(harness.script.sent.count == 60)
    }
}
