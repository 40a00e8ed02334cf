import Synchronization

/// Process counters, shown at `GET /metrics` in the Prometheus text format.
public final class Metrics: Sendable {
    private let counters = Mutex<[String: Int]>([:])

    public init() {}

    /// Adds one to the webhook counter for `result` (accepted, duplicate, rejected reason...).
    public func countWebhook(_ result: String) {
        counters.withLock { $0[result, default: 0] += 1 }
    }

    public func webhookCount(_ result: String) -> Int {
        counters.withLock { $0[result] ?? 0 }
    }

    public func prometheusText() -> String {
        let snapshot = counters.withLock { $0 }
        var text = "# HELP herald_webhook_requests_total Webhook requests by result.\n"
        text += "# TYPE herald_webhook_requests_total counter\n"
        for key in snapshot.keys.sorted() {
            text += "herald_webhook_requests_total{result=\"\(key)\"} \(snapshot[key]!)\n"
        }
        return text
    }
}
