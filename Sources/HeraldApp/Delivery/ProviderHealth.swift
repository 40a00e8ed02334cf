import Foundation
public import HeraldCore
import Synchronization

/// The circuit breakers of this process's providers, shared by its workers: whether a
/// provider may be tried now, and what each attempt came to. Each transition is logged
/// once and counted; `herald status` and `GET /status` read the live state.
public final class ProviderHealth: Sendable {
    public struct Snapshot: Sendable, Equatable {
        public var provider: String
        /// `closed`, `open` or `half_open`.
        public var circuit: String
        /// Unix ms when an open circuit lets its probe through.
        public var openUntil: Int64?
        public var failuresInARow: Int
        public var lastError: String?
        public var lastErrorAt: Int64?
    }

    private struct Entry {
        var breaker: CircuitBreaker
        var lastError: String?
        var lastErrorAt: Int64?
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let settings: CircuitBreaker.Settings
    private let logger: Logger
    private let metrics: Metrics

    public init(settings: CircuitBreaker.Settings = CircuitBreaker.Settings(), logger: Logger, metrics: Metrics) {
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
    }

    /// Whether a message may go to `provider` now (a half-open circuit lets one through).
    public func permit(_ provider: String, now: Int64) -> CircuitBreaker.Permission {
        let (permission, transition) = entries.withLock { entries in
            entries[provider, default: Entry(breaker: CircuitBreaker(settings: settings))].breaker.permit(now: now)
        }
        if let transition { announce(provider, transition) }
        return permission
    }

    /// Milliseconds until the first open circuit among `providers` lets a probe through.
    public func nextProbe(among providers: [String], now: Int64) -> Int64? {
        entries.withLock { entries in
            providers.compactMap { name -> Int64? in
                guard case .open(let until)? = entries[name]?.breaker.state else { return nil }
                return max(until - now, 0)
            }.min()
        }
    }

    /// What an attempt through `provider` came to. Only the provider's failures count
    /// against it: a recipient's error means it answered.
    public func record(_ provider: String, _ outcome: DeliveryOutcome, now: Int64) {
        let failed: Bool
        if case .failed(let failure) = outcome, failure.scope != .recipient { failed = true } else { failed = false }
        let transition = entries.withLock { entries -> CircuitBreaker.State? in
            var entry = entries[provider, default: Entry(breaker: CircuitBreaker(settings: settings))]
            let transition = entry.breaker.record(failed: failed, now: now)
            if failed, let failure = outcome.failure {
                entry.lastError = failure.reason
                entry.lastErrorAt = now
            }
            entries[provider] = entry
            return transition
        }
        if let transition { announce(provider, transition) }
    }

    /// The live state of every provider seen so far.
    public var snapshot: [Snapshot] {
        entries.withLock { entries in
            entries.keys.sorted().map { name in
                let entry = entries[name]!
                var until: Int64?
                if case .open(let time) = entry.breaker.state { until = time }
                return Snapshot(
                    provider: name, circuit: entry.breaker.state.name, openUntil: until, failuresInARow: entry.breaker.failuresInARow,
                    lastError: entry.lastError, lastErrorAt: entry.lastErrorAt)
            }
        }
    }

    private func announce(_ provider: String, _ state: CircuitBreaker.State) {
        metrics.countCircuitTransition(provider: provider, to: state.name, up: state == .closed)
        switch state {
        case .open: logger.error("provider circuit opened: messages go to the next provider", ["provider.name": provider])
        case .halfOpen: logger.notice("provider circuit half-open: one message probes it", ["provider.name": provider])
        case .closed: logger.notice("provider circuit closed: the provider is back", ["provider.name": provider])
        }
    }
}

/// Per-provider rate limits (`?rate=`), per process, shared by the workers: a message
/// waits for a token instead of drawing a 429.
public final class RateLimiter: Sendable {
    private let buckets = Mutex<[String: TokenBucket]>([:])
    private let limits: [String: RateLimit]

    public init(limits: [String: RateLimit]) {
        self.limits = limits
    }

    /// A tenth of a second's worth of tokens, at least one: smooth, not bursty.
    static func burst(_ limit: RateLimit) -> Int {
        max(1, Int(Double(limit.count) * 100 / Double(limit.per)))
    }

    /// Waits for a token of `provider` (no wait without a limit), at most until `deadline`
    /// (Unix ms). False when the deadline came first.
    public func acquire(_ provider: String, time: any TimeSource, deadline: Int64) -> Bool {
        guard let limit = limits[provider] else { return true }
        while true {
            let now = time.milliseconds()
            let wait = buckets.withLock { buckets in
                buckets[provider, default: TokenBucket(rate: limit.count, per: limit.per, burst: Self.burst(limit))].take(now: now)
            }
            guard let wait else { return true }
            if now + wait > deadline { return false }
            Thread.sleep(forTimeInterval: Double(wait) / 1000)
        }
    }
}
