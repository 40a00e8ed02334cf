import Foundation
import HeraldApp
import HeraldCore
import HeraldSQLite
import HeraldTestSupport
import Synchronization
import Testing

/// Named providers whose answers a test scripts; each counts what it was asked.
final class ScriptedProviders: SenderDirectory, @unchecked Sendable {
    final class Provider: Sendable {
        let name: String
        let outcome: Mutex<DeliveryOutcome>
        let calls = Mutex(0)
        let delay: Double
        init(_ name: String, _ outcome: DeliveryOutcome, delay: Double = 0) {
            self.name = name
            self.outcome = Mutex(outcome)
            self.delay = delay
        }
        func answer(_ outcome: DeliveryOutcome) { self.outcome.withLock { $0 = outcome } }
        var count: Int { calls.withLock { $0 } }
    }

    final class Sender: MessageSender {
        let provider: Provider
        init(_ provider: Provider) { self.provider = provider }
        var name: String { provider.name }
        func send(_ message: OutgoingMessage, context: SendContext) -> DeliveryOutcome {
            if provider.delay > 0 { Thread.sleep(forTimeInterval: provider.delay) }
            provider.calls.withLock { $0 += 1 }
            return provider.outcome.withLock { $0 }
        }
    }

    let providers: [Provider]
    let routes: @Sendable (ClaimedMessage) -> [String]
    let rates: [String: RateLimit]

    init(_ providers: [Provider], rates: [String: RateLimit] = [:], routes: (@Sendable (ClaimedMessage) -> [String])? = nil) {
        self.providers = providers
        self.rates = rates
        let names = providers.map(\.name)
        self.routes = routes ?? { _ in names }
    }

    func route(for message: ClaimedMessage) -> [String] { routes(message) }
    func makeSender(named name: String, channel: Channel) throws -> any MessageSender {
        guard let provider = providers.first(where: { $0.name == name }) else { throw CommandError("no \(name)") }
        return Sender(provider)
    }
    func rate(named name: String) -> RateLimit? { rates[name] }
}

@Suite(.serialized) struct FailoverEngineTests {
    static let unavailable = DeliveryOutcome.failed(Failure(.providerUnavailable, scope: .transient, status: 503, ambiguous: true))
    static let delivered = DeliveryOutcome.delivered(providerID: "ok", code: 201)

    final class Rig {
        let folder: URL
        let store: SQLiteStore
        let engine: DeliveryEngine
        let metrics = Metrics()
        let logs = MemoryLogHandler()

        init(_ directory: ScriptedProviders, breakers: CircuitBreaker.Settings = CircuitBreaker.Settings(), workers: Int = 2) throws {
            folder = try temporaryFolder()
            store = try SQLiteStore(path: folder.appendingPathComponent("herald.db").path)
            var settings = DeliveryEngine.Settings()
            settings.workers = workers
            settings.policy = RetryPolicy(baseDelay: 200, maxDelay: 400, jitter: 0, maxAttempts: 8)
            engine = DeliveryEngine(
                queue: store, templates: TemplateStore(root: folder.appendingPathComponent("templates").path), settings: settings,
                logger: Logger(label: "test", level: .debug, handler: logs), metrics: metrics, breakers: breakers, rates: directory.rates,
                directory: directory)
            try engine.start()
        }

        deinit {
            engine.stop(drainSeconds: 5)
            store.close()
        }

        @discardableResult
        func enqueue(_ file: String = "sms.created", id: String = UUID().uuidString) throws -> Int64 {
            let body = try freshFixture(file)
            guard case .record(let draft) = ClerkEvent.decide(body: body) else { throw CommandError("not a message") }
            let outcome = try store.insertAndWait(draft, webhookID: id, payload: body, at: Clock.nowMilliseconds())
            engine.notify()
            return outcome.id
        }

        func waitFor(_ id: Int64, _ status: MessageStatus, timeout: Double = 10) throws -> MessageRecord? {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if let record = try store.message(id: id), record.status == status { return record }
                Thread.sleep(forTimeInterval: 0.01)
            }
            return try store.message(id: id)
        }
    }

    @Test func aFailingPrimaryFailsOverToTheSecondaryInTheSameRound() throws {
        let primary = ScriptedProviders.Provider("primary", Self.unavailable)
        let secondary = ScriptedProviders.Provider("secondary", Self.delivered)
        let rig = try Rig(ScriptedProviders([primary, secondary]))
        let id = try rig.enqueue()
        let record = try #require(try rig.waitFor(id, .sent))
        #expect(record.status == .sent)
        let attempts = try rig.store.attempts(messageID: id)
        #expect(attempts.map(\.transport) == ["primary", "secondary"])
        #expect(attempts.map(\.outcome) == ["failed_over", "delivered"])
        #expect(attempts.map(\.number) == [1, 2])
        #expect(record.attempts == 2)
        // One round: the secondary was tried at once, not after a backoff.
        #expect(attempts[1].startedAt - (attempts[0].startedAt + attempts[0].durationMs) < 150)
        #expect(rig.metrics.prometheusText().contains("provider=\"primary\",transport=\"primary\",outcome=\"failed_over\"} 1"))
    }

    @Test func aRecipientsErrorDoesNotFailOver() throws {
        let primary = ScriptedProviders.Provider("primary", .failed(Failure(.badRecipient, scope: .recipient, status: 400, providerCode: "21211")))
        let secondary = ScriptedProviders.Provider("secondary", Self.delivered)
        let rig = try Rig(ScriptedProviders([primary, secondary]))
        let id = try rig.enqueue()
        #expect(try rig.waitFor(id, .failed)?.lastError == "bad_recipient (400, 21211)")
        Thread.sleep(forTimeInterval: 0.3)
        #expect(secondary.count == 0)  // a second provider could bill twice and would not help
        #expect(try rig.store.attempts(messageID: id).map(\.outcome) == ["permanent"])
    }

    @Test func whenEveryProviderFailsTheMessageIsRetriedFromTheFirst() throws {
        let primary = ScriptedProviders.Provider("primary", Self.unavailable)
        let secondary = ScriptedProviders.Provider("secondary", .failed(Failure(.providerAuthFailed, scope: .provider, status: 401)))
        let rig = try Rig(ScriptedProviders([primary, secondary]))
        let id = try rig.enqueue()
        #expect(try rig.waitFor(id, .retrying) != nil)
        primary.answer(Self.delivered)
        let record = try #require(try rig.waitFor(id, .sent, timeout: 5))
        #expect(record.status == .sent)
        #expect(try rig.store.attempts(messageID: id).map(\.transport) == ["primary", "secondary", "primary"])
    }

    @Test func aShortRateLimitWaitsForTheSameProviderInsteadOfFailingOver() throws {
        let primary = ScriptedProviders.Provider("primary", .failed(Failure(.rateLimited, scope: .transient, status: 429, retryAfter: 1_000)))
        let secondary = ScriptedProviders.Provider("secondary", Self.delivered)
        let rig = try Rig(ScriptedProviders([primary, secondary]))
        let id = try rig.enqueue()
        #expect(try rig.waitFor(id, .retrying) != nil)
        #expect(secondary.count == 0)
        primary.answer(Self.delivered)
        #expect(try rig.waitFor(id, .sent, timeout: 5) != nil)
        #expect(secondary.count == 0)
    }

    @Test func aDownPrimaryOpensItsCircuitAndIsProbedBackAfterTheCooldown() throws {
        let primary = ScriptedProviders.Provider("primary", Self.unavailable)
        let secondary = ScriptedProviders.Provider("secondary", Self.delivered)
        var breakers = CircuitBreaker.Settings()
        breakers.consecutiveFailures = 5
        breakers.cooldown = 800
        let rig = try Rig(ScriptedProviders([primary, secondary]), breakers: breakers, workers: 4)
        let ids = try (0..<200).map { _ in try rig.enqueue() }
        for id in ids { #expect(try rig.waitFor(id, .sent) != nil) }
        // The circuit opened after five failures (a few more were in flight): the primary saw
        // a handful of the 200, the secondary delivered them all.
        #expect(primary.count >= 5 && primary.count <= 12, "primary saw \(primary.count)")
        #expect(secondary.count == 200)
        // Opened once, and again after each probe that found it still down (one per cooldown).
        let openings = rig.logs.all.filter { $0.message.hasPrefix("provider circuit opened") }.count
        let probes = rig.logs.all.filter { $0.message.hasPrefix("provider circuit half-open") }.count
        #expect(openings >= 1 && (openings == probes + 1 || openings == probes))  // a probe may be in flight
        #expect(rig.metrics.prometheusText().contains("herald_provider_up{provider=\"primary\"} 0"))
        // It recovers; within a cooldown a message probes it, succeeds, and it takes over.
        primary.answer(Self.delivered)
        let closing = Date().addingTimeInterval(5)
        while !rig.logs.all.contains(where: { $0.message.hasPrefix("provider circuit closed") }) && Date() < closing {
            let id = try rig.enqueue()
            _ = try rig.waitFor(id, .sent)
            Thread.sleep(forTimeInterval: 0.1)
        }
        let before = secondary.count
        let later = try (0..<20).map { _ in try rig.enqueue() }
        for id in later { #expect(try rig.waitFor(id, .sent) != nil) }
        #expect(secondary.count == before)
        #expect(rig.logs.all.contains { $0.message.hasPrefix("provider circuit closed") })
        #expect(rig.metrics.prometheusText().contains("herald_provider_circuit_transitions_total{provider=\"primary\",to=\"closed\"} 1"))
        #expect(rig.metrics.prometheusText().contains("herald_provider_up{provider=\"primary\"} 1"))
    }

    @Test func anOpenCircuitOnEveryProviderRetriesWithoutSending() throws {
        let only = ScriptedProviders.Provider("only", Self.unavailable)
        var breakers = CircuitBreaker.Settings()
        breakers.consecutiveFailures = 1
        breakers.cooldown = 60_000
        let rig = try Rig(ScriptedProviders([only]), breakers: breakers, workers: 1)
        let first = try rig.enqueue()
        #expect(try rig.waitFor(first, .retrying) != nil)
        let second = try rig.enqueue()
        #expect(try rig.waitFor(second, .retrying) != nil)
        #expect(only.count == 1)  // the second never reached the provider: its circuit is open
        #expect(try rig.store.attempts(messageID: second).first?.error?.contains("circuit open") == true)
    }

    @Test func aRateLimitHoldsWithinTenPercent() throws {
        let limited = ScriptedProviders.Provider("limited", Self.delivered)
        let rig = try Rig(ScriptedProviders([limited], rates: ["limited": RateLimit(count: 20, per: 1_000)]), workers: 4)
        for _ in 0..<260 { try rig.enqueue() }
        Thread.sleep(forTimeInterval: 0.5)
        let start = limited.count
        Thread.sleep(forTimeInterval: 10)
        let sent = limited.count - start
        #expect(sent >= 180 && sent <= 220, "sent \(sent) in 10 s at 20/s")
    }

    @Test func routesPickProvidersBySlug() throws {
        let codes = ScriptedProviders.Provider("codes", Self.delivered)
        let rest = ScriptedProviders.Provider("rest", Self.delivered)
        let table = RoutingTable(rules: [RoutingRule(slugs: ["verification_code"], providers: ["codes", "rest"])])
        let rig = try Rig(ScriptedProviders([codes, rest], routes: { message in
            table.providers(channel: message.channel, slug: message.slug, recipient: message.recipient) ?? ["rest"]
        }))
        let id = try rig.enqueue()
        #expect(try rig.waitFor(id, .sent) != nil)
        #expect(codes.count == 1 && rest.count == 0)
    }
}
