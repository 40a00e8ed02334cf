import Foundation
import HeraldApp
import HeraldCore
@testable import HeraldSQLite
import Testing

/// Retention: `herald prune` and the hourly pass of `herald serve`, on a real database.
@Suite(.serialized) struct RetentionTests {
    /// A database holding, 40 days old, 1 sent, 2 failed and 3 queued; and 4 sent today.
    static func database() throws -> (folder: URL, environment: [String: String]) {
        let folder = try temporaryFolder()
        let path = folder.appendingPathComponent("var/herald.db").path
        let store = try MessageStore(path: path)
        let now = Clock.nowMilliseconds()
        let old = now - 40 * 86_400_000
        let draft = MessageDraft(
            eventType: "email.created", channel: .email, clerkID: nil, slug: "verification_code",
            recipient: "user@example.com", status: .queued, subject: "Your code")
        try store.connection.transaction {
            for (index, created) in [old, old, old, now].enumerated() {
                _ = try store.insert(webhookID: "msg_\(index + 1)", draft: draft, payload: Array("{}".utf8), now: created)
            }
            try store.connection.run("UPDATE messages SET status = 'sent' WHERE id IN (1, 4)")
            try store.connection.run("UPDATE messages SET status = 'failed', last_error = 'rejected' WHERE id = 2")
        }
        return (folder, ["HERALD_DATABASE": path, "HERALD_CONFIG": ""])
    }

    static func remainingIDs(_ environment: [String: String]) throws -> [Int64] {
        try MessageStore(path: environment["HERALD_DATABASE"]!).messages(matching: MessageFilter()).map(\.id).sorted()
    }

    @Test func pruneDeletesOldFinishedMessagesOnly() throws {
        let (folder, environment) = try Self.database()
        let (dry, dryOut, _) = try Child.run(["prune", "--dry-run"], environment: environment, directory: folder)
        #expect(dry == 0)
        #expect(dryOut.hasPrefix("would delete 2 message(s) in a final state that arrived before "))
        #expect(dryOut.contains("(older than 30d)"))
        #expect(try Self.remainingIDs(environment) == [1, 2, 3, 4])

        let (longer, longerOut, _) = try Child.run(["prune", "--older-than", "60d"], environment: environment, directory: folder)
        #expect(longer == 0)
        #expect(longerOut.hasPrefix("deleted 0 message(s)"))

        let (status, out, _) = try Child.run(["prune"], environment: environment, directory: folder)
        #expect(status == 0)
        #expect(out.hasPrefix("deleted 2 message(s)"))
        #expect(try Self.remainingIDs(environment) == [3, 4])
        let (shown, _, notFound) = try Child.run(["show", "1"], environment: environment, directory: folder)
        #expect(shown == 1 && notFound.contains("no message"))

        var off = environment
        off["HERALD_RETENTION"] = "off"
        let (refused, _, why) = try Child.run(["prune"], environment: off, directory: folder)
        #expect(refused == 64)
        #expect(why.contains("retention is off"))
        #expect(try Child.run(["prune", "--older-than", "soon"], environment: environment, directory: folder).0 == 64)
    }

    @Test func serveDeletesOldMessagesWhenItStarts() throws {
        let (folder, base) = try Self.database()
        var environment = base
        environment["HERALD_LISTEN"] = "127.0.0.1:0"
        environment["HERALD_WEBHOOK_SECRET"] = testSecretText
        let serve = try Child(["serve", "--no-delivery"], environment: environment, directory: folder)
        #expect(serve.waitFor { $0.stderr.contains("retention: deleted old messages") || !$0.process.isRunning })
        #expect(serve.stderr.contains("retention=30d"))
        #expect(serve.stderr.contains("messages=2"))
        #expect(try Self.remainingIDs(environment) == [3, 4])
        serve.process.terminate()
        #expect(serve.wait() == 0)
    }
}
