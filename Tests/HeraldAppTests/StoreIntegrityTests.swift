import Foundation
import HeraldApp
import HeraldCore
@testable import HeraldSQLite
import Testing

/// A damaged store is refused at start, with a clear error, and `herald check` says so.
@Suite(.serialized) struct StoreIntegrityTests {
    typealias Gateway = ServeDeliveryTests.Gateway

    /// Runs `herald serve` until it exits or listens (then stops it): its exit code (nil
    /// when it started serving) and what it logged.
    static func serve(_ gateway: Gateway) throws -> (Int32?, String) {
        let child = try Child(["serve"], environment: gateway.cliEnvironment, directory: gateway.folder)
        _ = child.waitFor { $0.stderr.contains("herald listening") || !$0.process.isRunning }
        if child.process.isRunning {
            child.process.terminate()
            _ = child.wait()
            return (nil, child.stderr)
        }
        return (child.wait(), child.stderr)
    }

    /// A gateway that stored `count` messages and stopped cleanly (its WAL merged).
    static func storedAndStopped(_ count: Int) throws -> Gateway {
        let gateway = try Gateway(extraEnvironment: ["HERALD_DELIVERY": "off"])
        for index in 0..<count {
            #expect(try gateway.post("msg_\(index)", body: try freshFixture("sms.created")).0 == 200)
        }
        #expect(gateway.stop() == 0)
        return gateway
    }

    static func expectRefused(_ gateway: Gateway, saying reason: String) throws {
        let (status, stderr) = try serve(gateway)
        #expect(status == 1, "serve started on a damaged store: \(stderr)")
        #expect(stderr.contains("Error: cannot open the store at \(gateway.databasePath): store_damaged: \(reason)"), "\(stderr)")
        #expect(stderr.contains("Restore a backup"))
        let (checked, out, _) = try gateway.herald("check")
        #expect(checked == 1)
        #expect(out.contains("problem: store \(gateway.databasePath): "), "\(out)")
    }

    @Test func aGarbagePageIsRefusedAtStart() throws {
        let gateway = try Self.storedAndStopped(30)
        let (checked, out, _) = try gateway.herald("check")
        #expect(checked == 0)
        #expect(out.contains("store: ok (\(gateway.databasePath), 0 MiB, quick_check in "))

        // One page of the messages table (the root of its b-tree) overwritten with garbage.
        let (root, pageSize): (Int64, Int64) = try {
            let connection = try Connection(path: gateway.databasePath)
            let root = try connection.query("SELECT rootpage FROM sqlite_schema WHERE name = 'messages'") { try $0.step() ? $0.int(0) : 0 }
            return (root, try connection.query("PRAGMA page_size") { try $0.step() ? $0.int(0) : 0 })
        }()
        let file = try #require(FileHandle(forUpdatingAtPath: gateway.databasePath))
        try file.seek(toOffset: UInt64((root - 1) * pageSize))
        try file.write(contentsOf: Data((0..<pageSize).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }))
        try file.close()
        try Self.expectRefused(gateway, saying: "the database fails SQLite's quick_check: ")
    }

    @Test func aHalfTruncatedFileWithItsWALIsRefusedAtStart() throws {
        let gateway = try Self.storedAndStopped(200)
        try gateway.restart()
        for index in 0..<20 {
            #expect(try gateway.post("msg_more_\(index)", body: try freshFixture("sms.created")).0 == 200)
        }
        kill(gateway.child.process.processIdentifier, SIGKILL)
        _ = gateway.child.wait()
        #expect(FileManager.default.fileExists(atPath: gateway.databasePath + "-wal"))
        let size = try #require((try FileManager.default.attributesOfItem(atPath: gateway.databasePath))[.size] as? Int)
        #expect(truncate(gateway.databasePath, off_t(size / 2)) == 0)
        try Self.expectRefused(gateway, saying: "the database fails SQLite's quick_check: ")
    }

    @Test func anEmptyFileIsNotTakenForANewStore() throws {
        let gateway = try Self.storedAndStopped(1)
        #expect(truncate(gateway.databasePath, 0) == 0)
        try Self.expectRefused(gateway, saying: "herald.db is empty (0 bytes) and has no WAL")
        // Without a file, serve creates a new store, as always.
        try FileManager.default.removeItem(atPath: gateway.databasePath)
        let (status, stderr) = try Self.serve(gateway)
        #expect(status == nil, "\(stderr)")
    }
}
