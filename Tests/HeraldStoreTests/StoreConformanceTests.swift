import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

/// Without a Clerk id: the tests store it under many webhook ids (a Clerk id would make
/// every one after the first a duplicate, see ``StoreConformanceTests/aClerkMessageUnderTwoWebhookIDsIsStoredOnce(_:)``).
let draft = MessageDraft(
    eventType: "email.created", channel: .email, clerkID: nil, slug: "verification_code",
    recipient: "user@example.com", status: .queued, subject: "123456 is your code")
let tenMinutes: @Sendable (String?) -> Int64 = { _ in 600_000 }

/// What every store backend must do, through the role protocols only: the same suite runs
/// against SQLite and PostgreSQL.
@Suite struct StoreConformanceTests {
    @Test(arguments: StoreBackend.all)
    func aWebhookIDIsStoredOnceAndSurvivesAReopen(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let first = try opened.store.insertAndWait(draft, webhookID: "msg_a", payload: [1, 2], at: 1000)
        #expect(first.status == .queued && !first.duplicate)
        opened.close()
        let store = try opened.reopen()
        var skipped = draft
        skipped.status = .skipped
        let again = try store.insertAndWait(skipped, webhookID: "msg_a", payload: [9], at: 2000)
        #expect(again == InsertOutcome(id: first.id, status: .queued, duplicate: true))
        #expect(try store.messages(matching: MessageFilter()).count == 1)
        #expect(try store.payload(messageID: first.id) == [1, 2])
        #expect(try store.history(messageID: first.id).map(\.status) == [.queued])
    }

    @Test(arguments: StoreBackend.all)
    func aClerkMessageUnderTwoWebhookIDsIsStoredOnce(_ backend: StoreBackend) throws {
        // Two webhook endpoints pointing at Herald (a migration): the same body and Clerk id,
        // another svix-id.
        let opened = try backend.open()
        var email = draft
        email.clerkID = "ema_same"
        let first = try opened.store.insertAndWait(email, webhookID: "msg_endpoint_a", payload: [1], at: 1000)
        #expect(!first.duplicate)
        let second = try opened.store.insertAndWait(email, webhookID: "msg_endpoint_b", payload: [2], at: 1001)
        #expect(second == InsertOutcome(id: first.id, status: .queued, duplicate: true))
        // The webhook id is looked up first: a Svix retry of the first is its duplicate whatever it holds.
        var other = draft
        other.clerkID = "ema_other"
        #expect(try opened.store.insertAndWait(other, webhookID: "msg_endpoint_a", payload: [3], at: 1002).id == first.id)
        // Messages without a Clerk id are never duplicates of each other on it.
        #expect(try !opened.store.insertAndWait(draft, webhookID: "msg_none_1", payload: [], at: 1003).duplicate)
        #expect(try !opened.store.insertAndWait(draft, webhookID: "msg_none_2", payload: [], at: 1004).duplicate)
        opened.close()
        let store = try opened.reopen()
        var skipped = email
        skipped.status = .skipped
        #expect(try store.insertAndWait(skipped, webhookID: "msg_endpoint_c", payload: [4], at: 2000)
            == InsertOutcome(id: first.id, status: .queued, duplicate: true))
        #expect(try store.messages(matching: MessageFilter()).map(\.webhookID).sorted() == ["msg_endpoint_a", "msg_none_1", "msg_none_2"])
        #expect(try store.payload(messageID: first.id) == [1])
        #expect(try store.history(messageID: first.id).map(\.status) == [.queued])
    }

    @Test(arguments: StoreBackend.all)
    func filtersLookupsAndChanges(_ backend: StoreBackend) throws {
        let store = try backend.open().store
        var sms = draft
        sms.channel = .sms
        sms.eventType = "sms.created"
        sms.recipient = "+15555550123"
        sms.clerkID = "sms_9"
        var failed = draft
        failed.status = .failed
        failed.reason = "invalid_email_address"
        let ids = try [(draft, "msg_1", 1_000), (sms, "msg_2", 2_000), (failed, "msg_3", 3_000)].map {
            try store.insertAndWait($0.0, webhookID: $0.1, payload: [], at: Int64($0.2)).id
        }
        #expect(try store.messages(matching: MessageFilter()).map(\.id) == ids.reversed())
        #expect(try store.messages(matching: MessageFilter(channel: .sms)).map(\.id) == [ids[1]])
        #expect(try store.messages(matching: MessageFilter(status: .failed)).first?.lastError == "invalid_email_address")
        #expect(try store.messages(matching: MessageFilter(recipient: "USER@example.com")).map(\.id) == [ids[2], ids[0]])
        #expect(try store.messages(matching: MessageFilter(since: 2_000)).map(\.id) == [ids[2], ids[1]])
        #expect(try store.messages(matching: MessageFilter(limit: 1)).map(\.id) == [ids[2]])
        #expect(try store.message("msg_2")?.id == ids[1])
        #expect(try store.message("sms_9")?.id == ids[1])
        #expect(try store.message(String(ids[2]))?.status == .failed)
        #expect(try store.message("99999") == nil)
        let all = try store.changes(after: 0, limit: 100)
        #expect(all.map(\.messageID) == ids)
        #expect(try store.changes(after: all[0].sequence, limit: 100).map(\.messageID) == [ids[1], ids[2]])
        #expect(try store.latestSequence() == all[2].sequence)
        #expect(try store.statusCounts() == [.queued: 2, .failed: 1])
        try store.countIgnoredAndWait(type: "user.created", at: 1)
        try store.countIgnoredAndWait(type: "user.created", at: 2)
        #expect(try store.ignoredEventCounts() == ["user.created": 2])
    }

    @Test(arguments: StoreBackend.all)
    func claimsLeasesAndRecords(_ backend: StoreBackend) throws {
        let store = try backend.open().store
        let ids = try (1...5).map { try store.insertAndWait(draft, webhookID: "msg_\($0)", payload: [UInt8($0)], at: 1000 + Int64($0)) }.map(\.id)
        let claimed = try store.claim(upTo: 3, owner: "a", now: 2000, leaseUntil: 3000, maxAge: tenMinutes)
        #expect(claimed.map(\.id) == Array(ids.prefix(3)))
        #expect(claimed.first?.payload == [1])
        #expect(claimed.first?.webhookID == "msg_1")
        #expect(claimed.allSatisfy { $0.expiresAt == 1000 + Int64(ids.firstIndex(of: $0.id)! + 1) + 600_000 })
        // Another owner gets the rest, not what "a" holds.
        #expect(try store.claim(upTo: 10, owner: "b", now: 2000, leaseUntil: 3000, maxAge: tenMinutes).map(\.id) == Array(ids.suffix(2)))
        // "a" renews two of its three: the third runs out and is claimable again.
        try store.renew([ids[0], ids[1]], owner: "a", until: 9000)
        #expect(try store.claim(upTo: 10, owner: "c", now: 3500, leaseUntil: 9000, maxAge: tenMinutes).map(\.id).sorted() == [ids[2], ids[3], ids[4]])
        // A record by the owner counts; by someone who lost the lease, it does not.
        let attempt = AttemptRecord(number: 1, transport: "smtp", startedAt: 2000, durationMs: 5, outcome: "delivered", code: 250, providerID: "Q1")
        #expect(try store.finishAndWait(messageID: ids[0], owner: "a", attempt: attempt, result: AttemptResult(status: .sent, providerID: "Q1"), at: 2005))
        #expect(try !store.finishAndWait(messageID: ids[2], owner: "a", attempt: attempt, result: AttemptResult(status: .sent), at: 2005))
        #expect(try store.message(id: ids[0])?.status == .sent)
        #expect(try store.message(id: ids[0])?.provider == "smtp")
        #expect(try store.message(id: ids[0])?.providerID == "Q1")
        #expect(try store.message(id: ids[3])?.provider == nil)
        #expect(try store.attempts(messageID: ids[0]) == [attempt])
        #expect(try store.message(id: ids[2])?.status == .sending)
        // A retry is due when it says; a release makes a held message due at once.
        let retry = AttemptRecord(number: 1, transport: "smtp", startedAt: 2000, durationMs: 5, outcome: "retryable", code: 451, providerCode: "4.7.1")
        #expect(try store.finishAndWait(messageID: ids[1], owner: "a", attempt: retry, result: AttemptResult(status: .retrying, nextAttemptAt: 7000, lastError: "x"), at: 2005))
        #expect(try store.attempts(messageID: ids[1]).first?.providerCode == "4.7.1")
        #expect(try store.nextDueAt() == 7000)
        try store.release([ids[2], ids[3], ids[4]], owner: "c", at: 3550)
        // Given back: queued again (none had an attempt recorded), due now, never left `sending`.
        #expect(try [ids[2], ids[3], ids[4]].map { try store.message(id: $0)?.status } == [.queued, .queued, .queued])
        #expect(try store.history(messageID: ids[3]).map(\.status) == [.queued, .sending, .sending, .queued])
        #expect(try store.claim(upTo: 10, owner: "d", now: 3600, leaseUntil: 9000, maxAge: tenMinutes).map(\.id).sorted() == [ids[2], ids[3], ids[4]])
        #expect(try store.claim(upTo: 10, owner: "d", now: 7000, leaseUntil: 9000, maxAge: tenMinutes).map(\.id) == [ids[1]])
        #expect(try store.pendingSummary().counts[.sending] == 4)
    }

    @Test(arguments: StoreBackend.all)
    func anOperatorRequeuesAndCancels(_ backend: StoreBackend) throws {
        let store = try backend.open().store
        let sent = try store.insertAndWait(draft, webhookID: "sent", payload: [], at: 1000).id
        let waiting = try store.insertAndWait(draft, webhookID: "waiting", payload: [], at: 1000).id
        _ = try store.claim(upTo: 1, owner: "a", now: 1000, leaseUntil: 5000, maxAge: tenMinutes)
        let failed = AttemptRecord(number: 1, transport: "smtp", startedAt: 1000, durationMs: 1, outcome: "permanent", code: 550)
        #expect(try store.finishAndWait(messageID: sent, owner: "a", attempt: failed, result: AttemptResult(status: .failed, lastError: "bad_recipient"), at: 1001))
        #expect(try store.cancel([waiting, sent], at: 2000) == [waiting])
        #expect(try store.requeue(nil, at: 3000, maxAge: tenMinutes) == [sent])
        #expect(try store.requeue([waiting], at: 3000, maxAge: tenMinutes) == [waiting])
        #expect(try store.message(id: sent)?.status == .queued)
        #expect(try store.message(id: sent)?.lastError == nil)
        #expect(try store.claim(upTo: 10, owner: "b", now: 3000, leaseUntil: 9000, maxAge: tenMinutes).count == 2)
    }

    @Test(arguments: StoreBackend.all)
    func instancesHeartbeatsAndTakeOver(_ backend: StoreBackend) throws {
        let store = try backend.open().store
        let id = try store.insertAndWait(draft, webhookID: "msg", payload: [], at: 1000).id
        let dead = InstanceRecord(id: "dead", host: "h", pid: 1, pidNamespace: "pid:[1]", processStart: 5, startedAt: 10, heartbeatAt: 20)
        let live = InstanceRecord(id: "live", host: "h", pid: 1, pidNamespace: "pid:[2]", processStart: 5, startedAt: 30, heartbeatAt: 40)
        try store.register(dead)
        try store.register(live)
        try store.heartbeat("live", at: 50)
        #expect(try store.instances().map(\.id) == ["dead", "live"])
        #expect(try store.instances().last?.heartbeatAt == 50)
        _ = try store.claim(upTo: 1, owner: "dead", now: 1000, leaseUntil: 999_999, maxAge: tenMinutes)
        #expect(try store.claim(upTo: 1, owner: "live", now: 1000, leaseUntil: 999_999, maxAge: tenMinutes).isEmpty)
        #expect(try store.takeOver(from: ["dead"]) == 1)
        #expect(try store.instances().map(\.id) == ["live"])
        #expect(try store.claim(upTo: 1, owner: "live", now: 1001, leaseUntil: 999_999, maxAge: tenMinutes).map(\.id) == [id])
        try store.deregister("live")
        #expect(try store.instances().isEmpty)
    }

    @Test(arguments: StoreBackend.all)
    func retentionDeletesOnlyOldFinishedMessages(_ backend: StoreBackend) throws {
        let store = try backend.open().store
        var skipped = draft
        skipped.status = .skipped
        let old = try (1...3).map { try store.insertAndWait($0 == 2 ? skipped : draft, webhookID: "old_\($0)", payload: [], at: 1000).id }
        _ = try store.insertAndWait(skipped, webhookID: "new", payload: [], at: 50_000)
        _ = try store.claim(upTo: 1, owner: "a", now: 1000, leaseUntil: 5000, maxAge: tenMinutes)
        let sent = AttemptRecord(number: 1, transport: "smtp", startedAt: 1000, durationMs: 1, outcome: "delivered", code: 250)
        #expect(try store.finishAndWait(messageID: old[0], owner: "a", attempt: sent, result: AttemptResult(status: .sent), at: 1001))
        #expect(try store.prunableCount(before: 10_000) == 2)
        #expect(try store.prune(before: 10_000, limit: 1) == 1)
        #expect(try store.prune(before: 10_000, limit: 10) == 1)
        #expect(try store.messages(matching: MessageFilter()).map(\.webhookID).sorted() == ["new", "old_3"])
        #expect(try store.attempts(messageID: old[0]).isEmpty)
        #expect(try store.payload(messageID: old[0]) == nil)
    }

    @Test(arguments: StoreBackend.all)
    func providerStatsAddUpAttemptsByProviderAndLatencyBucket(_ backend: StoreBackend) throws {
        let store = try backend.open().store
        let ids = try (1...3).map { try store.insertAndWait(draft, webhookID: "msg_\($0)", payload: [], at: 100).id }
        _ = try store.claim(upTo: 3, owner: "a", now: 100, leaseUntil: 99_000, maxAge: tenMinutes)
        let old = AttemptRecord(number: 1, transport: "smtp", startedAt: 500, durationMs: 3, outcome: "delivered")
        #expect(try store.finishAndWait(messageID: ids[0], owner: "a", attempt: old, result: AttemptResult(status: .sent), at: 503))
        let round = [
            AttemptRecord(number: 1, transport: "twilio", startedAt: 2000, durationMs: 10, outcome: "retryable", code: 503, error: "http_503"),
            AttemptRecord(number: 1, transport: "vonage", startedAt: 2010, durationMs: 60_000, outcome: "delivered"),
        ]
        let done = DispatchSemaphore(value: 0)
        store.finish(messageID: ids[1], owner: "a", attempts: round, result: AttemptResult(status: .sent), at: 62_010) { _ in done.signal() }
        done.wait()
        let quick = AttemptRecord(number: 1, transport: "twilio", startedAt: 3000, durationMs: 5, outcome: "delivered")
        #expect(try store.finishAndWait(messageID: ids[2], owner: "a", attempt: quick, result: AttemptResult(status: .sent), at: 3005))
        let stats = try store.providerStats(since: 1000)
        #expect(stats.map(\.provider) == ["twilio", "vonage"])
        var twilio = LatencyHistogram()
        twilio.add(bucket: 0, count: 1)
        twilio.add(bucket: 1, count: 1)
        #expect(stats.first == ProviderStats(provider: "twilio", attempts: 2, delivered: 1, latency: twilio, lastError: "http_503", lastErrorAt: 2000))
        #expect(stats.last?.latency.counts[LatencyHistogram.bucket(60_000)] == 1)
        #expect(stats.last?.lastError == nil)
        #expect(try store.providerStats(since: 4000).isEmpty)
    }

    @Test(arguments: StoreBackend.all)
    func concurrentInsertsOfOneMessageAreStoredOnce(_ backend: StoreBackend) throws {
        // 60 inserts of 20 messages: each webhook id three times, then each Clerk id under
        // three webhook ids.
        let keyings: [(Int) -> (webhookID: String, clerkID: String?)] = [
            { ("msg_\($0 % 20)", nil) },
            { ("msg_\($0)", "ema_\($0 % 20)") },
        ]
        for keying in keyings {
            let store = try backend.open().store
            let group = DispatchGroup()
            let outcomes = OutcomeBox()
            for index in 0..<60 {
                var message = draft
                message.clerkID = keying(index).clerkID
                group.enter()
                store.insert(message, webhookID: keying(index).webhookID, payload: [], at: Int64(index)) { result in
                    outcomes.add(result)
                    group.leave()
                }
            }
            group.wait()
            let all = outcomes.all
            #expect(all.count == 60)
            #expect(all.filter { !$0.duplicate }.count == 20)
            #expect(Set(all.map(\.id)).count == 20)
            #expect(try store.messages(matching: MessageFilter(limit: 1000)).count == 20)
        }
    }
}

/// Collects insert outcomes from the store's thread.
final class OutcomeBox: @unchecked Sendable {
    private let lock = NSLock()
    private var outcomes: [InsertOutcome] = []
    func add(_ result: Result<InsertOutcome, StoreError>) {
        lock.lock()
        if case .success(let outcome) = result { outcomes.append(outcome) }
        lock.unlock()
    }
    var all: [InsertOutcome] {
        lock.lock()
        defer { lock.unlock() }
        return outcomes
    }
}
