import HeraldCore
import Testing

@Suite struct CircuitBreakerTests {
    static var settings: CircuitBreaker.Settings {
        var settings = CircuitBreaker.Settings()
        settings.consecutiveFailures = 3
        settings.minimumAttempts = 10
        settings.failureRatio = 0.5
        settings.window = 10_000
        settings.cooldown = 1_000
        return settings
    }

    @Test func opensAfterConsecutiveFailuresThenProbesOnceAfterTheCooldown() {
        var breaker = CircuitBreaker(settings: Self.settings)
        #expect(breaker.permit(now: 0).0 == .allowed)
        #expect(breaker.record(failed: true, now: 1) == nil)
        #expect(breaker.record(failed: true, now: 2) == nil)
        #expect(breaker.record(failed: true, now: 3) == .open(until: 1_003))
        #expect(breaker.permit(now: 500).0 == .refused)
        let (probe, transition) = breaker.permit(now: 1_003)
        #expect(probe == .probe)
        #expect(transition == .halfOpen(probing: true))
        #expect(breaker.permit(now: 1_004).0 == .refused)  // one probe at a time
        #expect(breaker.record(failed: true, now: 1_010) == .open(until: 2_010))  // the probe failed
        #expect(breaker.permit(now: 2_010).0 == .probe)
        #expect(breaker.record(failed: false, now: 2_020) == .closed)
        #expect(breaker.permit(now: 2_021).0 == .allowed)
        #expect(breaker.isUp)
    }

    @Test func opensOnAFailureRatioOverTheWindow() {
        var breaker = CircuitBreaker(settings: Self.settings)
        // Alternating failures never make three in a row, but half of ten is the ratio.
        var transitions: [CircuitBreaker.State] = []
        for index in 0..<10 {
            if let state = breaker.record(failed: index % 2 == 1, now: Int64(index)) { transitions.append(state) }
        }
        #expect(transitions == [.open(until: 1_009)])
    }

    @Test func oldFailuresLeaveTheWindowAndSuccessesResetTheRun() {
        var breaker = CircuitBreaker(settings: Self.settings)
        for index in 0..<9 { _ = breaker.record(failed: index % 2 == 0, now: Int64(index)) }
        // Ten seconds later the old attempts no longer count: one failure does not open it.
        #expect(breaker.record(failed: true, now: 20_000) == nil)
        #expect(breaker.record(failed: false, now: 20_001) == nil)
        #expect(breaker.failuresInARow == 0)
        #expect(breaker.state == .closed)
    }
}

@Suite struct TokenBucketTests {
    @Test func givesTheRateAndSaysHowLongToWait() {
        var bucket = TokenBucket(rate: 10, per: 1_000, burst: 1)
        #expect(bucket.take(now: 0) == nil)
        #expect(bucket.take(now: 0) == 100)
        #expect(bucket.take(now: 50) == 50)
        #expect(bucket.take(now: 100) == nil)
        var taken = 0
        for now in stride(from: Int64(100), to: 10_100, by: 10) where bucket.take(now: now) == nil { taken += 1 }
        #expect(taken == 99)  // one every 100 ms from 200 to 10,000
    }

    @Test(arguments: [("10/s", 10, Int64(1_000)), ("600/m", 600, 60_000), ("3600/h", 3_600, 3_600_000)] as [(String, Int, Int64)])
    func rates(_ text: String, _ count: Int, _ per: Int64) {
        #expect(RateLimit(parsing: text) == RateLimit(count: count, per: per))
        #expect(RateLimit(parsing: text)?.description == text)
    }

    @Test(arguments: ["10", "0/s", "-1/s", "10/d", "x/s", "10/s/s"])
    func badRates(_ text: String) {
        #expect(RateLimit(parsing: text) == nil)
    }
}

@Suite struct FailoverStateMachineTests {
    let policy = RetryPolicy(baseDelay: 1_000, maxDelay: 10_000, jitter: 0, maxAttempts: 4)
    static let down = Failure(.providerUnavailable, scope: .transient, status: 503, ambiguous: true)

    @Test func aRoundWalksTheRouteAndEndsWithARetryFromTheFirst() {
        var machine = DeliveryStateMachine(status: .queued, attempts: 0, expiresAt: 100_000, policy: policy, route: ["a", "b", "c"])
        #expect(machine.claim(now: 0) == .send(provider: "a"))
        #expect(machine.attemptFinished(.failed(Self.down), now: 10, random: 0.5) == .send(provider: "b"))
        #expect(machine.providerUnavailable(now: 11, random: 0.5, retryAfter: nil) == .send(provider: "c"))
        #expect(machine.attemptFinished(.failed(Self.down), now: 20, random: 0.5) == .scheduleRetry(at: 2_020, reason: "provider_unavailable (503)"))
        #expect(machine.attempts == 2)
        var next = DeliveryStateMachine(status: .retrying, attempts: 2, expiresAt: 100_000, policy: policy, route: ["a", "b", "c"])
        #expect(next.claim(now: 3_000) == .send(provider: "a"))
    }

    @Test(arguments: [
        (Failure(.badRecipient, scope: .recipient, status: 400), false),
        (Failure(.providerAuthFailed, scope: .provider, status: 401), true),
        (Failure(.timeout, scope: .transient, ambiguous: true), true),
        (Failure(.rateLimited, scope: .transient, status: 429, retryAfter: 2_000), false),
        (Failure(.rateLimited, scope: .transient, status: 429, retryAfter: 30_000), true),
        (Failure(.rateLimited, scope: .transient, status: 429), true),
        (Failure(.senderRefused, scope: .provider, status: 400, providerCode: "21408"), true),
    ] as [(Failure, Bool)])
    func whatFailsOver(_ failure: Failure, _ expected: Bool) {
        #expect(failure.failsOver == expected)
        var machine = DeliveryStateMachine(status: .queued, attempts: 0, expiresAt: 100_000, policy: policy, route: ["a", "b"])
        _ = machine.claim(now: 0)
        let action = machine.attemptFinished(.failed(failure), now: 1, random: 0.5)
        #expect((action == .send(provider: "b")) == expected)
    }

    @Test func expiryAndTheAttemptLimitStopARound() {
        var late = DeliveryStateMachine(status: .queued, attempts: 0, expiresAt: 100, policy: policy, route: ["a", "b"])
        _ = late.claim(now: 0)
        #expect(late.attemptFinished(.failed(Self.down), now: 100, random: 0.5) == .markExpired(reason: "provider_unavailable (503); expired before the next attempt"))
        var spent = DeliveryStateMachine(status: .retrying, attempts: 3, expiresAt: 100_000, policy: policy, route: ["a", "b"])
        _ = spent.claim(now: 0)
        #expect(spent.attemptFinished(.failed(Self.down), now: 1, random: 0.5) == .markFailed(reason: "provider_unavailable (503); gave up after 4 attempts"))
    }

    @Test func everyCircuitOpenRetriesWhenOneMayClose() {
        var machine = DeliveryStateMachine(status: .queued, attempts: 0, expiresAt: 100_000, policy: policy, route: ["a", "b"])
        _ = machine.claim(now: 0)
        #expect(machine.providerUnavailable(now: 0, random: 0.5, retryAfter: 5_000) == .send(provider: "b"))
        guard case .scheduleRetry(let at, let reason) = machine.providerUnavailable(now: 0, random: 0.5, retryAfter: 5_000) else {
            Issue.record("no retry")
            return
        }
        #expect(at == 5_000)
        #expect(reason == "provider_unavailable")
    }
}
