import Foundation
import HeraldApp
import HeraldCore
@testable import HeraldSQLite
import Testing

/// HERALD_RETENTION / retention: how long `herald serve` (at start, then hourly) and
/// `herald prune` keep messages in a final state.
@Suite(.serialized) struct RetentionSettingsTests {
    static let day: Int64 = 86_400_000

    /// A working directory whose store holds messages sent 40 days, 10 days and an hour ago
    /// (1, 2, 3) and one queued 40 days ago (4, never deleted: it is not final).
    func folderWithOldMessages() throws -> URL {
        let folder = try temporaryFolder()
        let store = try MessageStore(path: folder.appendingPathComponent("var/herald.db").path)
        let now = Clock.nowMilliseconds()
        let draft = MessageDraft(
            eventType: "sms.created", channel: .sms, clerkID: nil, slug: "verification_code", recipient: "+15555550123", status: .queued, subject: nil)
        try store.connection.transaction {
            for (index, age) in [40 * Self.day, 10 * Self.day, 3_600_000, 40 * Self.day].enumerated() {
                _ = try store.insert(webhookID: "msg_old_\(index + 1)", draft: draft, payload: Array("{}".utf8), now: now - age)
            }
            try store.connection.run("UPDATE messages SET status = 'sent' WHERE id IN (1, 2, 3)")
        }
        return folder
    }

    func remaining(_ folder: URL) throws -> [Int64] {
        try MessageStore(path: folder.appendingPathComponent("var/herald.db").path, readOnly: true).messages(matching: MessageFilter()).map(\.id).sorted()
    }

    /// 5 days: the 10-day-old message goes too (the default 30 days would keep it).
    @Test(arguments: Via.allCases)
    func retentionIsHowLongFinishedMessagesAreKept(_ via: Via) throws {
        let folder = try folderWithOldMessages()
        let gateway = try ServeGateway.with("HERALD_RETENTION", key: "retention", .string("5d"), via: via, folder: folder, arguments: ["serve", "--no-delivery"])
        #expect(gateway.child.waitFor { $0.stderr.contains("retention=5d") })
        #expect(gateway.child.waitFor { $0.stderr.contains("retention: deleted old messages") })
        #expect(gateway.child.waitFor { $0.stderr.contains("messages=2") })
        #expect(gateway.stop() == 0)
        #expect(try remaining(folder) == [3, 4])
    }

    @Test(arguments: Via.allCases)
    func pruneDeletesWhatRetentionWould(_ via: Via) throws {
        let folder = try folderWithOldMessages()
        var environment = ["HERALD_DATABASE": folder.appendingPathComponent("var/herald.db").path]
        switch via {
        case .environment: environment["HERALD_RETENTION"] = "5d"
        case .file:
            let file = folder.appendingPathComponent("herald.json")
            try Data(#"{"retention": "5d"}"#.utf8).write(to: file)
            environment["HERALD_CONFIG"] = file.path
        }
        let (status, out, _) = try Child.run(["prune", "--dry-run"], environment: environment, directory: folder)
        #expect(status == 0)
        #expect(out.hasPrefix("would delete 2 message(s)"), "\(out)")
        #expect(out.contains("(older than 5d)"))
    }

    /// Off: no pruning thread and nothing deleted (the default would delete the 40-day-old one).
    @Test func offKeepsEverything() throws {
        let folder = try folderWithOldMessages()
        let gateway = try ServeGateway.configured(nil, ["HERALD_RETENTION": "off"], folder: folder, arguments: ["serve", "--no-delivery"])
        #expect(gateway.child.waitFor { $0.stderr.contains("retention=off") })
        // Give a pruner, if one had started, the time to name itself and make its first pass.
        #expect(!gateway.child.waitFor(timeout: 1) { _ in gateway.threadNames.contains("herald-prune") })
        #expect(gateway.stop() == 0)
        #expect(!gateway.child.stderr.contains("retention: deleted"))
        #expect(try remaining(folder) == [1, 2, 3, 4])
    }
}
