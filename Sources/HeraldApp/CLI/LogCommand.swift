import Foundation
import HeraldCore

/// `herald log`: the delivery log.
enum LogCommand {
    static let usage = "herald log [--status S] [--channel email|sms] [--slug S] [--to ADDR] [--since 30m|2h|7d] [--limit N] [--json] [--follow]"

    static func run(_ arguments: [String], environment: [String: String], output: Output) throws {
        let parsed = try Arguments(arguments, options: ["status", "channel", "slug", "to", "since", "limit"], flags: ["json", "follow"])
        try parsed.expectPositionals(max: 0, usage: usage)
        var filter = MessageFilter(limit: try parsed.positiveInt("limit") ?? (parsed.flag("follow") ? 20 : 50))
        if let status = parsed.value("status") {
            guard let value = MessageStatus(rawValue: status) else {
                throw UsageError("unknown status '\(status)' (one of \(MessageStatus.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            filter.status = value
        }
        if let channel = parsed.value("channel") {
            guard let value = Channel(rawValue: channel) else { throw UsageError("--channel must be email or sms") }
            filter.channel = value
        }
        filter.slug = parsed.value("slug")
        filter.recipient = parsed.value("to")
        if let since = parsed.value("since") { filter.since = Clock.nowMilliseconds() - (try parseDuration(since)) }

        let configuration = try Configuration.load(environment: environment)
        let store = try StoreAccess.open(configuration)
        defer { store.close() }  // merges what this command wrote into the database file
        let json = parsed.flag("json")
        let printer = RecordPrinter(output: output, json: json)
        if parsed.flag("follow") {
            try follow(store: store, filter: filter, printer: printer)
        } else {
            printer.print(try store.messages(matching: filter), header: true)
        }
    }

    /// Prints the newest matching messages oldest first, then every change after them.
    static func follow(store: any MessageLog, filter: MessageFilter, printer: RecordPrinter) throws {
        var cursor = try store.latestSequence()
        printer.print(try store.messages(matching: filter).reversed(), header: true)
        var unfiltered = filter
        unfiltered.limit = 1
        while true {
            let events = try store.changes(after: cursor, limit: 500)
            for event in events {
                cursor = event.sequence
                guard var record = try store.message(id: event.messageID) else { continue }
                // Show the state this change entered, even if the message moved on since.
                record.status = event.status
                record.updatedAt = event.at
                var withoutSince = filter
                withoutSince.since = nil
                guard withoutSince.matches(record) else { continue }
                printer.print([record], header: false)
            }
            if events.isEmpty { Thread.sleep(forTimeInterval: 0.25) }
        }
    }
}

/// Opens the store for the CLI commands (as `serve` does: SQLite or PostgreSQL), with a
/// clear error when there is none yet.
enum StoreAccess {
    static func open(_ configuration: Configuration) throws -> any ClosableStore {
        try StoreFactory.open(configuration.database, mustExist: true)
    }
}

/// Prints message records as a table, TSV or JSON lines.
struct RecordPrinter {
    let output: Output
    let json: Bool

    static let columns = ["ID", "CREATED", "CHANNEL", "SLUG", "TO", "STATUS", "ATTEMPTS", "LAST ERROR"]

    func print(_ records: some Collection<MessageRecord>, header: Bool) {
        if json {
            for record in records { output.write(Self.json(record) + "\n") }
            return
        }
        let rows = records.map { record in
            [
                String(record.id), Timestamps.short(milliseconds: record.createdAt), record.channel?.rawValue ?? "-",
                record.slug ?? "-", record.recipient ?? "-", record.status.rawValue, String(record.attempts),
                record.lastError ?? "-",
            ]
        }
        if output.isTerminal {
            guard !rows.isEmpty || header else { return }
            if rows.isEmpty {
                output.write("no messages\n")
                return
            }
            output.write(Table.render((header ? [Self.columns] : []) + rows))
        } else {
            if header { output.write(Self.columns.joined(separator: "\t") + "\n") }
            for row in rows { output.write(row.map(TerminalText.escape).joined(separator: "\t") + "\n") }
        }
    }

    static func json(_ record: MessageRecord, extra: [(String, String)] = []) -> String {
        func text(_ value: String?) -> String { value.map(JSONValue.quote) ?? "null" }
        var fields: [(String, String)] = [
            ("id", String(record.id)), ("webhook_id", text(record.webhookID)), ("clerk_id", text(record.clerkID)),
            ("event_type", text(record.eventType)), ("channel", text(record.channel?.rawValue)), ("slug", text(record.slug)),
            ("to", text(record.recipient)), ("subject", text(record.subject)), ("status", text(record.status.rawValue)),
            ("attempts", String(record.attempts)), ("created_at", text(Timestamps.iso8601(milliseconds: record.createdAt))),
            ("updated_at", text(Timestamps.iso8601(milliseconds: record.updatedAt))), ("last_error", text(record.lastError)),
            ("occurred_at", text(record.occurredAt.map { Timestamps.iso8601(milliseconds: $0) })),
            ("provider", text(record.provider)), ("provider_id", text(record.providerID)),
        ]
        fields += extra
        return "{" + fields.map { "\(JSONValue.quote($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }
}
