import Foundation
import HeraldCore

/// `herald prune [--older-than 30d] [--dry-run]`: retention by hand (`serve` also prunes
/// hourly). Only messages in a final state are deleted.
enum PruneCommand {
    static let usage = "herald prune [--older-than 30d] [--dry-run]"

    static func run(_ arguments: [String], environment: [String: String], output: Output) throws {
        let parsed = try Arguments(arguments, options: ["older-than"], flags: ["dry-run"])
        try parsed.expectPositionals(max: 0, usage: usage)
        let configuration = try Configuration.load(environment: environment)
        let age: Int64
        if let text = parsed.value("older-than") {
            age = try parseDuration(text)
            guard age > 0 else { throw UsageError("--older-than must be longer than 0") }
        } else if let retention = configuration.retention {
            age = retention
        } else {
            throw UsageError("retention is off (HERALD_RETENTION=off); give --older-than, e.g. --older-than 30d")
        }
        let store = try StoreAccess.open(configuration)
        defer { store.close() }  // merges what this command wrote into the database file
        let cutoff = Clock.nowMilliseconds() - age
        let scope = "message(s) in a final state that arrived before \(Timestamps.iso8601(milliseconds: cutoff)) (older than \(formatDuration(age)))"
        if parsed.flag("dry-run") {
            output.write("would delete \(try store.prunableCount(before: cutoff)) \(scope)\n")
            return
        }
        let deleted = try Pruner.deleteInBatches {
            try store.prune(before: cutoff, limit: Pruner.batchSize)
        }
        output.write("deleted \(deleted) \(scope)\n")
    }
}
