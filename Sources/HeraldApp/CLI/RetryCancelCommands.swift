import Foundation
import HeraldCore

/// `herald retry ID...|--failed` and `herald cancel ID...`.
enum RetryCommand {
    static let usage = "herald retry ID... | herald retry --failed"

    static func run(_ arguments: [String], environment: [String: String], output: Output) throws {
        let parsed = try Arguments(arguments, options: [], flags: ["failed"])
        let ids = try MessageIDs.parse(parsed.positionals)
        guard parsed.flag("failed") != !ids.isEmpty else { throw UsageError("give message numbers or --failed, not both or neither\nUsage: \(usage)") }
        let configuration = try Configuration.load(environment: environment)
        let store = try StoreAccess.open(configuration)
        defer { store.close() }  // merges what this command wrote into the database file
        let policy = configuration.delivery.policy
        let requeued = try store.requeue(parsed.flag("failed") ? nil : ids, at: Clock.nowMilliseconds(), maxAge: policy.maxAge(slug:))
        for id in ids where !requeued.contains(id) {
            output.writeError("note: message \(id) was not retried (it does not exist, or it is not failed, expired or cancelled)\n")
        }
        output.write("requeued \(requeued.count) message(s)\(requeued.isEmpty ? "" : ": " + requeued.map(String.init).joined(separator: ", "))\n")
        if requeued.isEmpty && !ids.isEmpty { throw CommandError("nothing was retried") }
    }
}

enum CancelCommand {
    static func run(_ arguments: [String], environment: [String: String], output: Output) throws {
        let parsed = try Arguments(arguments, options: [], flags: [])
        let ids = try MessageIDs.parse(parsed.positionals)
        guard !ids.isEmpty else { throw UsageError("Usage: herald cancel ID...") }
        let configuration = try Configuration.load(environment: environment)
        let store = try StoreAccess.open(configuration)
        defer { store.close() }  // merges what this command wrote into the database file
        let cancelled = try store.cancel(ids, at: Clock.nowMilliseconds())
        for id in ids where !cancelled.contains(id) {
            output.writeError("note: message \(id) was not cancelled (it does not exist, or it is no longer queued or retrying)\n")
        }
        output.write("cancelled \(cancelled.count) message(s)\(cancelled.isEmpty ? "" : ": " + cancelled.map(String.init).joined(separator: ", "))\n")
        if cancelled.isEmpty { throw CommandError("nothing was cancelled") }
    }
}

enum MessageIDs {
    static func parse(_ values: [String]) throws(UsageError) -> [Int64] {
        var ids: [Int64] = []
        for value in values {
            guard let id = Int64(value), id > 0 else { throw UsageError("'\(value)' is not a message number") }
            ids.append(id)
        }
        return ids
    }
}
