import Foundation
public import HeraldCore

/// `herald status` and `GET /status`: each provider with its circuit (live, from a running
/// serve), attempts, success ratio and latency over the last 5 and 60 minutes and its last
/// error (from the store: every process); the queue by status and the oldest queued
/// message's wait. One JSON shape for both.
public struct StatusReport: Sendable, Equatable {
    public struct Provider: Sendable, Equatable {
        public var name: String
        public var channels: [Channel]
        /// `closed`, `open`, `half_open`; nil when no serve answered (the store cannot know).
        public var circuit: String?
        public var openUntil: Int64?
        public var recent: ProviderStats
        public var hour: ProviderStats
    }

    public var generatedAt: Int64
    /// Whether the circuits come from a running serve.
    public var live: Bool
    public var providers: [Provider]
    public var pending: PendingSummary

    /// From the store; `configured` names the providers of each channel (so that an idle one
    /// is listed too); `circuits` is a serve's live breaker state, when there is one.
    public static func build(
        log: any MessageLog, configured: [(name: String, channel: Channel)], circuits: [ProviderHealth.Snapshot]?, now: Int64
    ) throws(StoreError) -> StatusReport {
        let recent = Dictionary(uniqueKeysWithValues: try log.providerStats(since: now - 5 * 60_000).map { ($0.provider, $0) })
        let hour = Dictionary(uniqueKeysWithValues: try log.providerStats(since: now - 60 * 60_000).map { ($0.provider, $0) })
        var names: [String] = []
        var channels: [String: [Channel]] = [:]
        for (name, channel) in configured {
            if !names.contains(name) { names.append(name) }
            if !(channels[name]?.contains(channel) ?? false) { channels[name, default: []].append(channel) }
        }
        for name in hour.keys.sorted() where !names.contains(name) { names.append(name) }
        let live = circuits.map { Dictionary(uniqueKeysWithValues: $0.map { ($0.provider, $0) }) }
        let providers = names.map { name in
            Provider(
                name: name, channels: channels[name] ?? [],
                circuit: live.map { $0[name]?.circuit ?? "closed" }, openUntil: live?[name]?.openUntil,
                recent: recent[name] ?? ProviderStats(provider: name), hour: hour[name] ?? ProviderStats(provider: name))
        }
        return StatusReport(generatedAt: now, live: circuits != nil, providers: providers, pending: try log.pendingSummary())
    }

    public var json: String {
        func window(_ stats: ProviderStats) -> String {
            "{\"attempts\":\(stats.attempts),\"delivered\":\(stats.delivered),\"success_ratio\":\(stats.successRatio.map { String(format: "%.4f", $0) } ?? "null"),"
                + "\"p50_ms\":\(stats.latency.percentile(0.5).map(String.init) ?? "null"),\"p99_ms\":\(stats.latency.percentile(0.99).map(String.init) ?? "null")}"
        }
        let providers = providers.map { provider in
            "{\"name\":\(JSONValue.quote(provider.name)),\"channels\":[\(provider.channels.map { JSONValue.quote($0.rawValue) }.joined(separator: ","))],"
                + "\"circuit\":\(provider.circuit.map(JSONValue.quote) ?? "null"),"
                + "\"open_until\":\(provider.openUntil.map { JSONValue.quote(Timestamps.iso8601(milliseconds: $0)) } ?? "null"),"
                + "\"last_5m\":\(window(provider.recent)),\"last_60m\":\(window(provider.hour)),"
                + "\"last_error\":\(provider.hour.lastError.map(JSONValue.quote) ?? "null"),"
                + "\"last_error_at\":\(provider.hour.lastErrorAt.map { JSONValue.quote(Timestamps.iso8601(milliseconds: $0)) } ?? "null")}"
        }
        let counts = [MessageStatus.queued, .sending, .retrying].map { "\(JSONValue.quote($0.rawValue)):\(pending.counts[$0] ?? 0)" }
        let wait = pending.oldestQueuedDueAt.map { String(Double(max(0, generatedAt - $0)) / 1000) } ?? "0"
        return "{\"generated_at\":\(JSONValue.quote(Timestamps.iso8601(milliseconds: generatedAt))),\"live\":\(live),"
            + "\"providers\":[\(providers.joined(separator: ","))],"
            + "\"queue\":{\(counts.joined(separator: ",")),\"oldest_wait_seconds\":\(wait)}}"
    }

    /// One screen for an operator.
    public var text: String {
        func window(_ stats: ProviderStats) -> [String] {
            [
                String(stats.attempts), stats.successRatio.map { String(format: "%.1f%%", $0 * 100) } ?? "-",
                stats.latency.percentile(0.5).map { "\($0) ms" } ?? "-", stats.latency.percentile(0.99).map { "\($0) ms" } ?? "-",
            ]
        }
        var rows = [["PROVIDER", "CHANNELS", "CIRCUIT", "5M", "OK", "P50", "P99", "60M", "OK", "P50", "P99", "LAST ERROR"]]
        for provider in providers {
            let circuit = provider.circuit.map { circuit in
                circuit == "open" ? "open" + (provider.openUntil.map { " until " + Timestamps.short(milliseconds: $0) } ?? "") : circuit
            } ?? "?"
            let error = provider.hour.lastError.map { error in
                error + (provider.hour.lastErrorAt.map { " (" + Timestamps.short(milliseconds: $0) + ")" } ?? "")
            } ?? "-"
            rows.append([provider.name, provider.channels.map(\.rawValue).joined(separator: ","), circuit] + window(provider.recent) + window(provider.hour) + [error])
        }
        var text = Table.render(rows)
        let wait = pending.oldestQueuedDueAt.map { max(0, generatedAt - $0) / 1000 } ?? 0
        text += "\nqueue: \(pending.counts[.queued] ?? 0) queued, \(pending.counts[.sending] ?? 0) sending, \(pending.counts[.retrying] ?? 0) retrying"
        text += "; the oldest queued message has waited \(wait) s\n"
        if !live { text += "circuits: no running serve answered at /status; '?' means unknown (each serve has its own)\n" }
        return text
    }
}
