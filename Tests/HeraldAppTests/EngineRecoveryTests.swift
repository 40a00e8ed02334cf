import Foundation
import HeraldApp
import HeraldCore
@testable import HeraldSQLite
import HeraldTestSupport
import Synchronization
import Testing

/// Sends instantly, except to recipients whose webhook id starts with `slow`: those wait
/// until `release` is signalled. Counts sends per message.
final class GatedSender: MessageSender, @unchecked Sendable {
    final class Gate: Sendable {
        let release = DispatchSemaphore(value: 0)
        let sends = Mutex<[Int64: Int]>([:])
        func count(_ id: Int64) -> Int { sends.withLock { $0[id] ?? 0 } }
    }
    let name = "gated"
    let gate: Gate
    init(_ gate: Gate) { self.gate = gate }

    func send(_ message: OutgoingMessage, context: SendContext) -> DeliveryOutcome {
        if context.webhookID.hasPrefix("slow") { gate.release.wait() }
        gate.sends.withLock { $0[context.messageID, default: 0] += 1 }
        return .delivered(providerID: "ok-\(context.messageID)", code: 250)
    }
}

/// The delivery engine against a real SQLite file, through a queue that can fail records
/// and hold claims: the lease and shutdown bugs, each reproduced.
@Suite(.serialized) struct EngineRecoveryTests {
    final class Rig {
        let folder: URL
        let store: SQLiteStore
        let queue: FaultyQueue
        let gate = GatedSender.Gate()
        let logs = MemoryLogHandler()

        init() throws {
            folder = try temporaryFolder()
            store = try SQLiteStore(path: folder.appendingPathComponent("herald.db").path)
            queue = FaultyQueue(store)
        }

        /// `time`: the engine's clock; given, the leases are renewed only by `renewLeases()`.
        func engine(lease: Int64 = 600, workers: Int = 2, identity: InstanceIdentity = .current, time: (any TimeSource)? = nil) -> DeliveryEngine {
            var settings = DeliveryEngine.Settings()
            settings.workers = workers
            settings.leaseMilliseconds = lease
            settings.renewsLeasesOnItsOwn = time == nil
            settings.policy = RetryPolicy(baseDelay: 50, maxDelay: 200, jitter: 0, maxAttempts: 3)
            let gate = self.gate
            return DeliveryEngine(
                queue: queue, templates: TemplateStore(root: folder.appendingPathComponent("templates").path), settings: settings,
                logger: Logger(label: "test", level: .debug, handler: logs), time: time ?? SystemTime(), identity: identity,
                makeSender: { _ in GatedSender(gate) })
        }

        @discardableResult
        func enqueue(_ webhookID: String, notify engine: DeliveryEngine? = nil) throws -> Int64 {
            let body = try freshFixture("sms.created")
            guard case .record(let draft) = ClerkEvent.decide(body: body) else { throw CommandError("not a message") }
            let id = try store.insertAndWait(draft, webhookID: webhookID, payload: body, at: Clock.nowMilliseconds()).id
            engine?.notify()
            return id
        }

        func status(_ id: Int64) throws -> MessageStatus? { try store.message(id: id)?.status }

        func waitFor(_ id: Int64, _ status: MessageStatus, timeout: Double = 10) throws -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if try self.status(id) == status { return true }
                Thread.sleep(forTimeInterval: 0.01)
            }
            return false
        }

        /// (status, lease_until) of a message, read raw.
        func lease(_ id: Int64) throws -> Int64? {
            try store.writer.readBlocking { store in
                try store.connection.query("SELECT lease_until FROM messages WHERE id = ?", [.integer(id)]) { row in
                    try row.step() && !row.isNull(0) ? row.int(0) : nil
                }
            }
        }
    }

    /// Bug 1: a message whose attempt record failed to commit stayed `sending` for as long as
    /// anything else was being sent (every `sending` row of the process was renewed). Now its
    /// lease is given back at once and it is tried again.
    @Test func aMessageWhoseRecordFailedIsTriedAgainWhileOthersAreStillBeingSent() throws {
        let rig = try Rig()
        let engine = rig.engine()
        try engine.start()
        defer {
            rig.gate.release.signal()
            engine.stop(drainSeconds: 5)
            rig.store.close()
        }
        let slow = try rig.enqueue("slow_1", notify: engine)  // keeps the process holding a lease
        Thread.sleep(forTimeInterval: 0.1)
        rig.queue.failNextFinishes(1)
        let unlucky = try rig.enqueue("msg_unlucky", notify: engine)
        #expect(try rig.waitFor(unlucky, .sent, timeout: 5))
        #expect(rig.gate.count(unlucky) == 2)  // sent, not recorded, so sent again: never lost
        #expect(try rig.status(slow) == .sending)  // the other send was still in flight all along
        #expect(rig.logs.all.contains { $0.message.hasPrefix("recording the attempt failed") })
    }

    /// Bug 2: a claim in flight at `stop()` returned its messages where nobody read them, and
    /// they stayed `sending` until their lease ran out. Now they are given back.
    @Test func aClaimInFlightAtStopGivesItsMessagesBack() throws {
        let rig = try Rig()
        let ids = try (1...3).map { try rig.enqueue("msg_\($0)") }
        let engine = rig.engine(lease: 30_000)
        let gate = rig.queue.holdNextClaim()
        try engine.start()
        let deadline = Date().addingTimeInterval(5)
        while rig.queue.heldClaims == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        #expect(rig.queue.heldClaims == 1)
        let stopped = DispatchSemaphore(value: 0)
        Thread {
            engine.stop(drainSeconds: 5)
            stopped.signal()
        }.start()
        Thread.sleep(forTimeInterval: 0.1)  // stop() is waiting for the claim
        gate.signal()
        #expect(stopped.wait(timeout: .now() + 10) == .success)
        // The claim took them (sending) and gave them back: queued, due at once for anyone.
        for id in ids {
            #expect(try rig.status(id) == .queued)
            #expect(try rig.lease(id) == nil)
            #expect(try rig.store.history(messageID: id).map(\.status) == [.queued, .sending, .queued])
        }
        let next = try rig.store.claim(upTo: 10, owner: "next", now: Clock.nowMilliseconds(), leaseUntil: Clock.nowMilliseconds() + 1000, maxAge: { _ in 600_000 })
        #expect(next.map(\.id).sorted() == ids)
        #expect(ids.allSatisfy { rig.gate.count($0) == 0 })
        rig.store.close()
    }

    /// The lease on the injected clock, with no sleep: claimed until the clock's time plus a
    /// lease, renewed from the clock's time, protected from another instance's claim until
    /// the renewed lease runs out, and then another's to take (the late record is refused).
    @Test func leasesFollowTheInjectedClock() throws {
        let rig = try Rig()
        // A second ahead of the wall clock: the message (stored at the wall clock's time) is due.
        let time = ManualTime(Clock.nowMilliseconds() + 1_000)
        let start = time.milliseconds()
        let engine = rig.engine(lease: 30_000, time: time)
        try engine.start()
        let slow = try rig.enqueue("slow_clock", notify: engine)
        #expect(try rig.waitFor(slow, .sending))
        #expect(try rig.lease(slow) == start + 30_000)

        time.advance(by: 20_000)
        // The claim's commit shows the message `sending` a moment before the dispatcher has
        // counted it held (under load, long enough for a renewal to find nothing to renew):
        // renew until the engine holds it.
        try waitUntil {
            engine.renewLeases()
            return try rig.lease(slow) == start + 50_000
        }
        #expect(try rig.lease(slow) == start + 50_000)
        let tenMinutes: @Sendable (String?) -> Int64 = { _ in 600_000 }
        // Past the first lease, within the renewed one: nobody else may take it.
        #expect(try rig.store.claim(upTo: 10, owner: "other", now: start + 40_000, leaseUntil: start + 90_000, maxAge: tenMinutes).isEmpty)
        // Past the renewed lease, never renewed again: another instance takes it over.
        let taken = try rig.store.claim(upTo: 10, owner: "other", now: start + 50_001, leaseUntil: start + 90_000, maxAge: tenMinutes)
        #expect(taken.map(\.id) == [slow])

        rig.gate.release.signal()
        engine.stop(drainSeconds: 5)
        #expect(rig.gate.count(slow) == 1)
        #expect(rig.logs.all.contains { $0.message == "lease lost; another process owns the message now" })
        #expect(try rig.status(slow) == .sending)  // the other instance's now, its record to make
        #expect(try rig.lease(slow) == start + 90_000)
        rig.store.close()
    }

    /// Bug 4: in containers every instance is PID 1 on a host name that may repeat; taking
    /// over by host and PID took a live instance's leases and sent its messages twice.
    @Test func aSecondContainerWithTheSameHostAndPIDTakesNothingOver() throws {
        let rig = try Rig()
        let first = rig.engine(lease: 600, identity: Self.container("pid:[4026532001]"))
        try first.start()
        let slow = try rig.enqueue("slow_1", notify: first)
        #expect(try rig.waitFor(slow, .sending))
        let second = rig.engine(lease: 600, identity: Self.container("pid:[4026532002]"))
        try second.start()
        Thread.sleep(forTimeInterval: 1.0)  // longer than the lease: the first keeps renewing it
        #expect(try rig.store.instances().count == 2)
        rig.gate.release.signal()
        #expect(try rig.waitFor(slow, .sent))
        second.stop(drainSeconds: 5)
        first.stop(drainSeconds: 5)
        #expect(rig.gate.count(slow) == 1)
        #expect(try rig.store.instances().isEmpty)  // both deregistered on their clean stop
        rig.store.close()
    }

    /// A dead instance's leases are taken over at once, not after they run out.
    @Test func anInstanceWithAStaleHeartbeatIsTakenOverAtStart() throws {
        let rig = try Rig()
        let id = try rig.enqueue("msg_orphan")
        let now = Clock.nowMilliseconds()
        let dead = InstanceRecord(
            id: "gone:1:abc", host: "elsewhere", pid: 1, pidNamespace: "pid:[9]", processStart: 1, startedAt: now - 600_000,
            heartbeatAt: now - 120_000)
        try rig.store.register(dead)
        #expect(try rig.store.claim(upTo: 1, owner: dead.id, now: now, leaseUntil: now + 3_600_000, maxAge: { _ in 600_000 }).count == 1)
        let engine = rig.engine(lease: 30_000)
        try engine.start()
        #expect(try rig.waitFor(id, .sent, timeout: 5))
        #expect(try !rig.store.instances().contains { $0.id == dead.id })
        engine.stop(drainSeconds: 5)
        rig.store.close()
    }

    static func container(_ namespace: String) -> InstanceIdentity {
        InstanceIdentity(host: "herald-7d9f", pid: 1, pidNamespace: namespace, processStart: 100) { pid in pid == 1 ? 100 : nil }
    }
}
