import Foundation
import HeraldCore
import Testing

/// What `herald serve` creates holds sign-in codes and phone numbers: readable by its
/// user only, whatever the umask it was started with.
@Suite(.serialized) struct FilePermissionTests {
    static func mode(_ path: String) -> String? {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? NSNumber).map { String($0.intValue, radix: 8) }
    }

    @Test(arguments: ["000", "022", "277"])
    func theStoreAndTheOutboxArePrivate(_ umask: String) throws {
        let gateway = try ServeDeliveryTests.Gateway(templates: repositoryRoot.appendingPathComponent("templates"), shell: "umask \(umask)")
        #expect(try gateway.post("msg_sms", body: try freshFixture("sms.created")).0 == 200)
        #expect(try gateway.post("msg_email", body: try freshFixture("email.created")).0 == 200)
        #expect(gateway.waitForOutbox("sms/1.json") != nil)
        #expect(gateway.waitForOutbox("email/2.eml") != nil)
        let root = gateway.folder.appendingPathComponent("var").path
        var expected = ["": "700", "/herald.db": "600", "/herald.db-wal": "600", "/herald.db-shm": "600"]
        for path in ["/outbox", "/outbox/sms", "/outbox/email"] { expected[path] = "700" }
        for path in ["/outbox/sms/1.json", "/outbox/email/2.eml"] { expected[path] = "600" }
        for (path, mode) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(Self.mode(root + path) == mode, "umask \(umask): var\(path)")
        }
        #expect(gateway.stop() == 0)
        #expect(!gateway.child.stderr.contains("readable by other users"))
    }

    @Test func aStoreReadableByOthersIsNamedAtStart() throws {
        let gateway = try ServeDeliveryTests.Gateway(extraEnvironment: ["HERALD_DELIVERY": "off"])
        #expect(gateway.stop() == 0)
        #expect(chmod(gateway.databasePath, 0o644) == 0)  // a store created before Herald made it private
        try gateway.restart()
        #expect(gateway.child.waitFor { $0.stderr.contains("the store is readable by other users of this host") })
        #expect(gateway.child.waitFor { $0.stderr.contains("database.mode=644") })
        #expect(gateway.stop() == 0)
    }
}
