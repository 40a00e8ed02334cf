import Foundation
import HeraldApp
import HeraldCore
import HeraldSQLite
import Testing

/// `herald serve` as a binary over a real SQLite file that is deleted, fills up, or is
/// stopped and copied: the store never acknowledges what it cannot keep.
@Suite(.serialized) struct StoreSafetyTests {
    typealias Gateway = ServeDeliveryTests.Gateway

    @Test(arguments: ["", "-wal"])
    func aDeletedDatabaseIsNeverAcknowledged(_ removed: String) throws {
        let gateway = try Gateway()
        for index in 0..<3 {
            #expect(try gateway.post("msg_before_\(index)", body: try freshFixture("sms.created")).0 == 200)
        }
        #expect(try gateway.get("/healthz").0 == 200)
        // `rm var/herald.db*` (or only its WAL) while serving.
        let files = removed.isEmpty ? ["", "-wal", "-shm"] : [removed]
        for suffix in files { try FileManager.default.removeItem(atPath: gateway.databasePath + suffix) }

        for index in 0..<5 {
            let (status, answer) = try gateway.post("msg_after_\(index)", body: try freshFixture("sms.created"))
            #expect(status == 503, "\(index): \(String(describing: answer))")
            #expect(answer?["error"] == .string("store_unavailable"))
        }
        #expect(gateway.child.waitFor { $0.stderr.contains("the database file was deleted or replaced while open") })
        #expect(gateway.child.waitFor { $0.stderr.contains("database.file=herald.db\(removed)") })
        for path in ["/healthz", "/readyz", "/livez"] {
            let (status, answer) = try gateway.get(path)
            #expect(status == 503, "\(path)")
            #expect(answer?["store"] == .string("lost"), "\(path)")
            #expect(answer?["error"] == .string("store_file_replaced"), "\(path)")
        }
        #expect(gateway.stop() == 0)
        // A restart opens the file at the path again (a new store: what was deleted is gone).
        try gateway.restart()
        #expect(try gateway.get("/healthz").0 == 200)
        #expect(try gateway.post("msg_restarted", body: try freshFixture("sms.created")).0 == 200)
        #expect(gateway.stop() == 0)
    }

    @Test func aFullDiskShowsInHealthAndReadinessUntilCommitsSucceedAgain() throws {
        // A file size limit the WAL soon reaches (SIGXFSZ ignored, so that writes fail with
        // EFBIG as on a full disk); the store exists already, its WAL merged.
        let created = try Gateway(extraEnvironment: ["HERALD_DELIVERY": "off"])
        #expect(created.stop() == 0)
        var environment = created.environment
        environment["HERALD_LISTEN"] = "127.0.0.1:0"
        let gateway = try Gateway(extraEnvironment: environment, shell: "trap '' XFSZ; ulimit -S -f 96")
        #expect(try gateway.get("/readyz").0 == 200)
        var refused = 0
        for index in 0..<30 where refused == 0 {
            let (status, _) = try gateway.post("msg_fill_\(index)", body: try freshFixture("sms.created"))
            if status == 503 { refused = index + 1 } else { #expect(status == 200) }
        }
        #expect(refused > 0)
        let (health, answer) = try gateway.get("/healthz")
        #expect(health == 503)
        #expect(answer?["store"] == .string("failing"))
        #expect(answer?["error"]?.stringValue?.hasPrefix("sqlite_") == true)
        #expect(try gateway.get("/readyz").0 == 503)
        #expect(try gateway.get("/livez").0 == 200)  // a restart would not free the disk
        #expect(gateway.child.waitFor { $0.stderr.contains("store failing") })

        // Space again: readiness probes the store with a write of its own and comes back.
        let pid = String(gateway.child.process.processIdentifier)
        let raised = Process()
        raised.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
        raised.arguments = ["--pid", pid, "--fsize=unlimited:"]
        try raised.run()
        raised.waitUntilExit()
        #expect(raised.terminationStatus == 0)
        #expect(try gateway.get("/readyz").0 == 200)
        #expect(try gateway.get("/healthz").1?["store"] == .string("ok"))
        #expect(gateway.child.waitFor { $0.stderr.contains("store recovered") })
        #expect(try gateway.post("msg_after_space", body: try freshFixture("sms.created")).0 == 200)
        #expect(gateway.stop() == 0)
    }

    @Test func aCleanStopLeavesTheDatabaseFileWhole() throws {
        // The obvious backup of a stopped service is a copy of herald.db alone.
        for round in 0..<3 {
            let gateway = try Gateway()
            let count = 100
            for index in 0..<count {
                #expect(try gateway.post("msg_\(round)_\(index)", body: try freshFixture("sms.created")).0 == 200)
            }
            #expect(gateway.stop() == 0)
            let wal = (try? FileManager.default.attributesOfItem(atPath: gateway.databasePath + "-wal"))?[.size] as? Int
            #expect(wal == nil || wal == 0, "round \(round): a WAL of \(wal ?? 0) bytes was left")
            let copy = try temporaryFolder().appendingPathComponent("herald.db")
            try FileManager.default.copyItem(atPath: gateway.databasePath, toPath: copy.path)
            let store = try SQLiteStore(path: copy.path)
            #expect(try store.messages(matching: MessageFilter(limit: 1000)).count == count, "round \(round)")
            store.close()
        }
    }

    @Test func aSecondServeOnAPortInUseClaimsNothing() throws {
        // An intake-only instance holds the port; the messages it took wait in the database.
        let first = try Gateway(extraEnvironment: ["HERALD_DELIVERY": "off"])
        for index in 0..<5 {
            #expect(try first.post("msg_waiting_\(index)", body: try freshFixture("sms.created")).0 == 200)
        }
        var environment = first.environment
        environment["HERALD_DELIVERY"] = nil
        environment["HERALD_LISTEN"] = "127.0.0.1:\(first.port)"
        let (status, _, error) = try Child.run(["serve"], environment: environment, directory: first.folder)
        #expect(status == 1)
        #expect(error.contains("Error: cannot listen on 127.0.0.1:\(first.port) (address in use"))
        #expect(!error.contains("herald listening"))

        let store = try SQLiteStore(path: first.databasePath)
        let messages = try store.messages(matching: MessageFilter(limit: 100))
        #expect(messages.count == 5)
        #expect(messages.allSatisfy { $0.status == .queued && $0.attempts == 0 })
        #expect(try store.instances().isEmpty)
        store.close()
        #expect(first.outbox("sms") == nil && !FileManager.default.fileExists(atPath: first.folder.appendingPathComponent("var/outbox/sms").path))
        #expect(first.stop() == 0)
    }
}
