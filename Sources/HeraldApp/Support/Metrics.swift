public import HeraldCore
import Synchronization

/// Process counters, shown at `GET /metrics` in the Prometheus text format: webhooks by
/// result, delivery attempts by outcome, messages by the final state they reached, and the
/// time from a webhook's arrival to the relay accepting its message.
public final class Metrics: Sendable {
    /// Upper bounds (seconds) of the delivery latency histogram.
    public static let latencyBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600]

    private struct AttemptKey: Hashable {
        var channel: Channel
        var provider: String
        var transport: String
        var outcome: String
    }

    private struct FinishedKey: Hashable {
        var channel: Channel
        var status: MessageStatus
    }

    private struct TransitionKey: Hashable {
        var provider: String
        var to: String
    }

    private struct State {
        var providerUp: [String: Bool] = [:]
        var transitions: [TransitionKey: Int] = [:]
        var webhooks: [String: Int] = [:]
        var attempts: [AttemptKey: Int] = [:]
        var finished: [FinishedKey: Int] = [:]
        var latencyCounts = [Int](repeating: 0, count: Metrics.latencyBuckets.count)
        var latencySum = 0.0
        var latencyCount = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Adds one to the webhook counter for `result` (accepted, duplicate, rejected reason...).
    public func countWebhook(_ result: String) {
        state.withLock { $0.webhooks[result, default: 0] += 1 }
    }

    private func circuitText(_ snapshot: State) -> String {
        var text = "# HELP herald_provider_up Whether the provider's circuit is closed (1) or open / half-open (0), in this process.\n"
        text += "# TYPE herald_provider_up gauge\n"
        for name in snapshot.providerUp.keys.sorted() {
            text += "herald_provider_up{provider=\(Self.quoted(name))} \(snapshot.providerUp[name]! ? 1 : 0)\n"
        }
        text += "# HELP herald_provider_circuit_transitions_total Circuit breaker transitions by provider and the state entered.\n"
        text += "# TYPE herald_provider_circuit_transitions_total counter\n"
        for key in snapshot.transitions.keys.sorted(by: { ($0.provider, $0.to) < ($1.provider, $1.to) }) {
            text += "herald_provider_circuit_transitions_total{provider=\(Self.quoted(key.provider)),to=\(Self.quoted(key.to))} \(snapshot.transitions[key]!)\n"
        }
        return text
    }

    public func webhookCount(_ result: String) -> Int {
        state.withLock { $0.webhooks[result] ?? 0 }
    }

    /// One attempt of a round that is not its last (`failed_over`).
    public func countTry(channel: Channel, provider: String, transport: String, outcome: String) {
        state.withLock { $0.attempts[AttemptKey(channel: channel, provider: provider, transport: transport, outcome: outcome), default: 0] += 1 }
    }

    /// One recorded attempt. `outcome`: delivered, retryable, permanent or expired.
    /// `status`: the state the message entered; final states are counted too. For a
    /// message sent, `secondsSinceArrival` feeds the latency histogram.
    public func countAttempt(
        channel: Channel, provider: String, transport: String, outcome: String, status: MessageStatus, secondsSinceArrival: Double?
    ) {
        let final = status.isFinal
        state.withLock { state in
            state.attempts[AttemptKey(channel: channel, provider: provider, transport: transport, outcome: outcome), default: 0] += 1
            if final { state.finished[FinishedKey(channel: channel, status: status), default: 0] += 1 }
            if let seconds = secondsSinceArrival {
                for (index, bound) in Self.latencyBuckets.enumerated() where seconds <= bound { state.latencyCounts[index] += 1 }
                state.latencySum += seconds
                state.latencyCount += 1
            }
        }
    }

    /// A provider is known (up until its circuit says otherwise).
    public func registerProvider(_ provider: String) {
        state.withLock { state in
            if state.providerUp[provider] == nil { state.providerUp[provider] = true }
        }
    }

    /// A circuit breaker changed state.
    public func countCircuitTransition(provider: String, to: String, up: Bool) {
        state.withLock { state in
            state.transitions[TransitionKey(provider: provider, to: to), default: 0] += 1
            state.providerUp[provider] = up
        }
    }

    public func prometheusText() -> String {
        let snapshot = state.withLock { $0 }
        var text = circuitText(snapshot)
        text += "# HELP herald_webhook_requests_total Webhook requests by result.\n"
        text += "# TYPE herald_webhook_requests_total counter\n"
        for key in snapshot.webhooks.keys.sorted() {
            text += "herald_webhook_requests_total{result=\(Self.quoted(key))} \(snapshot.webhooks[key]!)\n"
        }
        text += "# HELP herald_delivery_attempts_total Delivery attempts by channel, provider, transport (smtp, http, outbox) and outcome.\n"
        text += "# TYPE herald_delivery_attempts_total counter\n"
        let attempts = snapshot.attempts.map { key, count in
            ("channel=\(Self.quoted(key.channel.rawValue)),provider=\(Self.quoted(key.provider)),transport=\(Self.quoted(key.transport)),outcome=\(Self.quoted(key.outcome))", count)
        }
        for (labels, count) in attempts.sorted(by: { $0.0 < $1.0 }) { text += "herald_delivery_attempts_total{\(labels)} \(count)\n" }
        text += "# HELP herald_messages_finished_total Messages that reached sent, failed or expired through delivery.\n"
        text += "# TYPE herald_messages_finished_total counter\n"
        let finished = snapshot.finished.map { key, count in
            ("channel=\(Self.quoted(key.channel.rawValue)),status=\(Self.quoted(key.status.rawValue))", count)
        }
        for (labels, count) in finished.sorted(by: { $0.0 < $1.0 }) { text += "herald_messages_finished_total{\(labels)} \(count)\n" }
        text += "# HELP herald_delivery_latency_seconds From the webhook's arrival to the relay accepting the message.\n"
        text += "# TYPE herald_delivery_latency_seconds histogram\n"
        for (index, bound) in Self.latencyBuckets.enumerated() {
            text += "herald_delivery_latency_seconds_bucket{le=\"\(Self.number(bound))\"} \(snapshot.latencyCounts[index])\n"
        }
        text += "herald_delivery_latency_seconds_bucket{le=\"+Inf\"} \(snapshot.latencyCount)\n"
        text += "herald_delivery_latency_seconds_sum \(Self.number(snapshot.latencySum))\n"
        text += "herald_delivery_latency_seconds_count \(snapshot.latencyCount)\n"
        return text
    }

    /// The gauges of what waits in the store, read when `/metrics` is asked for.
    public static func pendingText(_ summary: PendingSummary, now: Int64) -> String {
        var text = "# HELP herald_messages_pending Messages waiting for delivery, by status (the whole store, every process).\n"
        text += "# TYPE herald_messages_pending gauge\n"
        for status in MessageStatus.pending {
            text += "herald_messages_pending{status=\"\(status.rawValue)\"} \(summary.counts[status] ?? 0)\n"
        }
        let wait = summary.oldestQueuedDueAt.map { max(0, now - $0) } ?? 0
        text += "# HELP herald_queue_oldest_wait_seconds How long the longest-waiting queued message has been due (0: none).\n"
        text += "# TYPE herald_queue_oldest_wait_seconds gauge\n"
        text += "herald_queue_oldest_wait_seconds \(number(Double(wait) / 1000))\n"
        return text
    }

    /// A label value in quotes, escaped as the text format requires.
    static func quoted(_ value: String) -> String {
        var out = "\""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out + "\""
    }

    /// `0.005`, `1`, `2.5`: no trailing `.0` on whole numbers.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
