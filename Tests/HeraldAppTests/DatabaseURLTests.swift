import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

/// `HERALD_DATABASE` as the binary reads it: a PostgreSQL URL with a password over TCP,
/// which never shows in a log line, an error or the CLI's output; other schemes refused.
@Suite struct DatabaseURLTests {
    @Test func thePasswordNeverAppearsInLogsErrorsOrOutput() throws {
        let server = try PostgresServer.shared()
        let database = try server.createDatabase()
        let role = "herald_\(database.suffix(6))"
        let password = "Tr0ub4dor-\(UInt32.random(in: 0...UInt32.max))"
        try server.psql("CREATE ROLE \(role) LOGIN PASSWORD '\(password)'; ALTER DATABASE \(database) OWNER TO \(role)")
        let url = server.tcpURL(database: database, user: role, password: password)
        let gateway = try ServeDeliveryTests.Gateway(extraEnvironment: ["HERALD_DATABASE": url])
        #expect(gateway.child.waitFor { $0.stderr.contains("database=postgres://\(role):***@127.0.0.1:\(server.port)/\(database) ") })
        var outputs = [try gateway.herald("simulate", "sms"), try gateway.herald("log"), try gateway.herald("show", "1")]
        #expect(outputs.allSatisfy { $0.0 == 0 }, "simulate, log, show: \(outputs)\nserve: \(gateway.child.stderr)")
        #expect(gateway.waitForOutbox("sms/1.json") != nil)
        // `herald check` reaches the database and says so.
        let check = try Child.run(["check"], environment: gateway.cliEnvironment, directory: gateway.folder)
        #expect(check.1.contains("store: ok (postgres://\(role):***@127.0.0.1:\(server.port)/\(database)"), "\(check)")
        outputs.append(check)

        // A wrong password, for the CLI and for serve: the error says so, without either.
        var wrong = gateway.cliEnvironment
        wrong["HERALD_DATABASE"] = server.tcpURL(database: database, user: role, password: "Wr0ng-\(password)")
        let log = try Child.run(["log"], environment: wrong, directory: gateway.folder)
        #expect(log.0 == 1)
        #expect(log.2.hasPrefix("Error: cannot open the store at postgres://\(role):***@127.0.0.1"))
        #expect(log.2.contains("password authentication failed"))
        let failedCheck = try Child.run(["check"], environment: wrong, directory: gateway.folder)
        #expect(failedCheck.0 == 1)
        #expect(failedCheck.1.contains("problem: cannot open the store at postgres://\(role):***@"), "\(failedCheck)")
        wrong["HERALD_LISTEN"] = "127.0.0.1:0"
        outputs += [log, failedCheck, try Child.run(["serve"], environment: wrong, directory: gateway.folder)]
        #expect(outputs.last?.0 == 1)
        gateway.child.process.terminate()
        #expect(gateway.child.wait() == 0)
        for text in outputs.flatMap({ [$0.1, $0.2] }) + [gateway.child.stderr] {
            #expect(!text.contains(password), "\(text.prefix(300))")
        }
    }

    @Test func anotherSchemeIsRefusedRatherThanMadeAFileOf() throws {
        let folder = try temporaryFolder()
        let environment = ["HERALD_DATABASE": "mysql://root:S3cret-pw@db/herald", "HERALD_LISTEN": "127.0.0.1:0", "HERALD_WEBHOOK_SECRET": testSecretText]
        for command in [["serve"], ["log"], ["check"]] {
            let (status, _, error) = try Child.run(command, environment: environment, directory: folder)
            #expect(status == 1, "\(command)")
            #expect(error.hasPrefix("Error: HERALD_DATABASE: unsupported scheme 'mysql://'"), "\(command): \(error)")
            #expect(!error.contains("S3cret-pw"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }
}
