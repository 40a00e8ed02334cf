import Foundation
import HeraldCore

/// `herald show ID`: one message with its history.
enum ShowCommand {
    static func run(_ arguments: [String], environment: [String: String], output: Output) throws {
        let parsed = try Arguments(arguments, options: [], flags: ["json"])
        guard parsed.positionals.count == 1 else { throw UsageError("Usage: herald show ID [--json]") }
        let reference = parsed.positionals[0]
        let configuration = try Configuration.load(environment: environment)
        let store = try StoreAccess.open(configuration)
        defer { store.close() }  // merges what this command wrote into the database file
        guard let record = try store.message(reference) else { throw CommandError("no message \(reference)") }
        let history = try store.history(messageID: record.id)
        let composed = compose(record, store: store, configuration: configuration)
        let attempts = try store.attempts(messageID: record.id)
        if parsed.flag("json") {
            let events = history.map { event in
                "{\"at\":\(JSONValue.quote(Timestamps.iso8601(milliseconds: event.at))),\"status\":\(JSONValue.quote(event.status.rawValue)),\"detail\":\(event.detail.map(JSONValue.quote) ?? "null")}"
            }
            let attemptObjects = attempts.map { attempt in
                "{\"number\":\(attempt.number),\"provider\":\(JSONValue.quote(attempt.transport)),\"transport\":\(JSONValue.quote(attempt.transport)),\"started_at\":\(JSONValue.quote(Timestamps.iso8601(milliseconds: attempt.startedAt))),\"duration_ms\":\(attempt.durationMs),\"outcome\":\(JSONValue.quote(attempt.outcome)),\"code\":\(attempt.code.map(String.init) ?? "null"),\"provider_id\":\(attempt.providerID.map(JSONValue.quote) ?? "null"),\"provider_code\":\(attempt.providerCode.map(JSONValue.quote) ?? "null"),\"error\":\(attempt.error.map(JSONValue.quote) ?? "null"),\"template\":\(attempt.template.map(JSONValue.quote) ?? "null")}"
            }
            var extra = [("history", "[" + events.joined(separator: ",") + "]"), ("attempts", "[" + attemptObjects.joined(separator: ",") + "]")]
            extra.append(("template", composed.map { JSONValue.quote($0.sourceDescription) } ?? "null"))
            extra.append(("rendered_subject", composed?.subject.map(JSONValue.quote) ?? "null"))
            output.write(RecordPrinter.json(record, extra: extra) + "\n")
            return
        }
        let rows: [[String]] = [
            ["message", String(record.id)],
            ["status", record.status.rawValue],
            ["channel", record.channel?.rawValue ?? "-"],
            ["slug", record.slug ?? "-"],
            ["to", record.recipient ?? "-"],
            ["subject (Clerk)", record.subject ?? "-"],
            ["rendered subject", composed?.subject ?? "-"],
            ["rendered from", composed?.sourceDescription ?? "-"],
            ["attempts", String(record.attempts)],
            ["last error", record.lastError ?? "-"],
            ["event", record.eventType],
            ["webhook id", record.webhookID],
            ["clerk id", record.clerkID ?? "-"],
            ["created by Clerk", record.occurredAt.map { Timestamps.short(milliseconds: $0) + " UTC" } ?? "-"],
            ["received", Timestamps.short(milliseconds: record.createdAt) + " UTC"],
            ["updated", Timestamps.short(milliseconds: record.updatedAt) + " UTC"],
        ]
        output.write(Table.render(rows))
        output.write("\nhistory:\n")
        output.write(Table.render(history.map { ["  " + Timestamps.short(milliseconds: $0.at), $0.status.rawValue, $0.detail ?? ""] }))
        if !attempts.isEmpty {
            output.write("\nattempts:\n")
            output.write(Table.render(
                [["  #", "STARTED", "PROVIDER", "MS", "OUTCOME", "CODE", "PROVIDER ID", "ERROR", "CONTENT"]]
                    + attempts.map { attempt in
                        [
                            "  \(attempt.number)", Timestamps.short(milliseconds: attempt.startedAt), attempt.transport, String(attempt.durationMs),
                            attempt.outcome, Self.codes(attempt),
                            attempt.providerID ?? "-", attempt.error ?? "-",
                            attempt.template ?? "-",
                        ]
                    }))
        }
    }
}

extension ShowCommand {
    /// `400 21211`: the status and the provider's own code, as far as known.
    static func codes(_ attempt: AttemptRecord) -> String {
        let parts: [String] = [attempt.code.map { String($0) }, attempt.providerCode].compactMap { $0 }
        return parts.isEmpty ? "-" : parts.joined(separator: " ")
    }

    /// What the message would say with the templates as they are now.
    static func compose(_ record: MessageRecord, store: any MessageLog, configuration: Configuration) -> ComposedMessage? {
        guard let channel = record.channel, let payload = try? store.payload(messageID: record.id),
            let event = try? JSONValue.parse(payload)
        else { return nil }
        let templates = TemplateStore(root: configuration.templatesPath, localePath: configuration.localePath)
        return try? templates.composer().compose(channel: channel, event: event)
    }
}
