import Foundation
import HeraldApp
import HeraldCore
import Testing

/// The `herald` binary, run as a user would.
@Suite(.serialized) struct CLITests {
    /// A running `herald serve` on a free port with its own database.
    final class Served {
        let folder: URL
        let child: Child
        var environment: [String: String]

        init(secret: String = testSecretText, extraArguments: [String] = []) throws {
            folder = try temporaryFolder()
            environment = [
                "HERALD_LISTEN": "127.0.0.1:0",
                "HERALD_DATABASE": folder.appendingPathComponent("var/herald.db").path,
                "HERALD_WEBHOOK_SECRET": secret,
                "HERALD_TEMPLATES": repositoryRoot.appendingPathComponent("templates").path,
            ]
            child = try Child(["serve"] + extraArguments, environment: environment, directory: folder)
            let ready = child.waitFor { $0.stderr.contains("herald listening") || !$0.process.isRunning }
            guard ready, let range = child.stderr.range(of: #"listen=127\.0\.0\.1:(\d+)"#, options: .regularExpression) else {
                throw CommandError("serve did not start: \(child.stderr)")
            }
            let port = child.stderr[range].split(separator: ":").last!
            environment["HERALD_LISTEN"] = "127.0.0.1:\(port)"
        }

        func herald(_ arguments: String...) throws -> (Int32, String, String) {
            try Child.run(arguments, environment: environment, directory: folder)
        }

        func stop() -> Int32? {
            child.process.terminate()
            return child.wait()
        }
    }

    @Test func simulateLogShowEndToEnd() throws {
        let served = try Served()
        let (simulated, out, _) = try served.herald("simulate", "email", "--to", "ana@example.org", "--slug", "magic_link_sign_in")
        #expect(simulated == 0)
        #expect(out.contains("HTTP 200"))
        #expect(try served.herald("simulate", "sms").0 == 0)
        #expect(try served.herald("simulate", "email", "--id", "msg_same").0 == 0)
        let (_, again, _) = try served.herald("simulate", "email", "--id", "msg_same")
        #expect(again.contains("\"duplicate\":true"))

        let (listed, json, _) = try served.herald("log", "--json")
        #expect(listed == 0)
        let lines = json.split(separator: "\n").map { try? JSONValue.parse(Array($0.utf8)) }
        #expect(lines.count == 3)
        #expect(lines.first??["webhook_id"] == .string("msg_same"))
        let keys = ["id", "webhook_id", "clerk_id", "channel", "slug", "to", "status", "attempts", "created_at", "updated_at", "last_error"]
        for line in lines { #expect(keys.allSatisfy { line?[$0] != nil }) }

        let (_, filtered, _) = try served.herald("log", "--json", "--channel", "email", "--slug", "magic_link_sign_in", "--since", "1h")
        #expect(filtered.split(separator: "\n").count == 1)
        #expect(filtered.contains("ana@example.org"))
        let (_, table, _) = try served.herald("log", "--to", "ANA@example.org")
        #expect(table.hasPrefix("ID\tCREATED"))
        #expect(table.split(separator: "\n").count == 2)

        var (shown, shownText, _) = try served.herald("show", "msg_same")
        let deadline = Date().addingTimeInterval(10)
        while !shownText.contains("attempts:") && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            (shown, shownText, _) = try served.herald("show", "msg_same")
        }
        let detail = shownText.replacing(/\ {2,}/, with: " ")
        #expect(shown == 0)
        #expect(detail.contains("status sent"))
        #expect(detail.contains("outbox"))
        #expect(detail.contains("history:"))
        #expect(detail.contains("rendered subject 482913 is your Example App verification code"))
        #expect(detail.contains("rendered from template email/verification_code"))
        let (_, shownJSON, _) = try served.herald("show", "1", "--json")
        #expect((try? JSONValue.parse(Array(shownJSON.utf8)))?["history"] != nil)
        #expect((try? JSONValue.parse(Array(shownJSON.utf8)))?["template"] == .string("clerk rendering (template_error: variable 'magic_link' is missing or empty)"))

        #expect(served.stop() == 0)
        #expect(served.child.waitFor { $0.stderr.contains("msg=stopped") })
        #expect(!served.child.stderr.contains(testSecretText))
        #expect(!served.child.stderr.contains("ana@example.org"))
    }

    @Test func followPrintsChangesAsTheyHappen() throws {
        let served = try Served()
        #expect(try served.herald("simulate", "email").0 == 0)
        let follower = try Child(["log", "--follow", "--json"], environment: served.environment, directory: served.folder)
        #expect(follower.waitFor { $0.stdout.split(separator: "\n").count == 1 })
        #expect(try served.herald("simulate", "sms", "--to", "+15555550142").0 == 0)
        #expect(follower.waitFor { $0.stdout.contains("+15555550142") })
        follower.process.terminate()
        _ = follower.wait()
        _ = served.stop()
    }

    @Test func usageErrorsExit64() throws {
        let env = ["HERALD_DATABASE": "/nonexistent/herald.db"]
        for arguments in [["bogus"], ["log", "--status", "nope"], ["log", "--since", "yesterday"], ["log", "--limit", "0"],
                          ["show"], ["simulate", "fax"], ["log", "--unknown"], ["serve", "extra"]] {
            let (status, out, err) = try Child.run(arguments, environment: env)
            #expect(status == 64, "\(arguments)")
            #expect(err.hasPrefix("Error: "), "\(arguments)")
            #expect(out.isEmpty, "\(arguments)")
        }
    }

    @Test func failuresExit1WithAClearMessage() throws {
        let folder = try temporaryFolder()
        let (noStore, _, noStoreError) = try Child.run(["log"], environment: ["HERALD_DATABASE": folder.appendingPathComponent("none.db").path])
        #expect(noStore == 1)
        #expect(noStoreError.contains("no database at"))

        let (noSecret, _, noSecretError) = try Child.run(["serve"], environment: ["HERALD_LISTEN": "127.0.0.1:0"], directory: folder)
        #expect(noSecret == 1)
        #expect(noSecretError.contains("HERALD_WEBHOOK_SECRET"))

        let (devSecret, _, devError) = try Child.run(
            ["serve"], environment: ["HERALD_LISTEN": "127.0.0.1:0", "CLERK_WEBHOOK_SIGNING_SECRET": Configuration.developmentSecret],
            directory: folder)
        #expect(devSecret == 1)
        #expect(devError.contains("development secret"))

        let (badSecret, _, badError) = try Child.run(["serve"], environment: ["HERALD_WEBHOOK_SECRET": "whsec_***"], directory: folder)
        #expect(badSecret == 1)
        #expect(badError.contains("not a valid signing secret"))
        #expect(!badError.contains("***"))

        let config = folder.appendingPathComponent("bad.json")
        try Data(#"{"listen": "127.0.0.1:8787", "colour": "blue"}"#.utf8).write(to: config)
        let (badConfig, _, configError) = try Child.run(["log"], environment: ["HERALD_CONFIG": config.path])
        #expect(badConfig == 1)
        #expect(configError.contains("unknown setting \"colour\""))

        let (unreachable, _, unreachableError) = try Child.run(
            ["simulate", "email", "--url", "http://127.0.0.1:9/webhooks/clerk"], environment: [:], directory: folder)
        #expect(unreachable == 1)
        #expect(unreachableError.contains("is 'herald serve' running?"))
    }

    @Test func devModeAcceptsTheDevelopmentSecret() throws {
        let served = try Served(secret: Configuration.developmentSecret, extraArguments: ["--dev"])
        var environment = served.environment
        environment["HERALD_WEBHOOK_SECRET"] = nil
        let (status, out, err) = try Child.run(["simulate", "sms"], environment: environment, directory: served.folder)
        #expect(status == 0)
        #expect(out.contains("HTTP 200"))
        #expect(err.contains("development secret"))
        #expect(served.stop() == 0)
    }

    @Test func versionAndHelp() throws {
        #expect(try Child.run(["version"], environment: [:]).1 == "herald \(CLI.version)\n")
        let (status, help, _) = try Child.run(["help", "log"], environment: [:])
        #expect(status == 0)
        #expect(help.contains("--follow"))
    }
}
