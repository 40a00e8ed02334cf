import Foundation
import HeraldApp
import HeraldCore
import HeraldCrypto
import HeraldCurl
import Synchronization
import Testing

/// `herald serve` as a binary, delivering to the outbox, on SQLite or PostgreSQL.
@Suite(.serialized) struct ServeDeliveryTests {
    final class Gateway {
        let folder: URL
        var child: Child
        var environment: [String: String]
        var port = ""
        /// Shell commands run before `exec herald serve` (`ulimit -f 64`), if any.
        let shell: String?

        let arguments: [String]

        /// `folder`: the working directory (a fresh one by default); `arguments`: the command;
        /// `backend`: a new SQLite file in the folder or a new PostgreSQL database;
        /// `shell`: commands run before `exec herald ...` (`ulimit -f 64`), if any.
        init(
            folder: URL? = nil, templates: URL? = nil, extraEnvironment: [String: String] = [:], arguments: [String] = ["serve"],
            backend: TestBackend = .sqlite, shell: String? = nil
        ) throws {
            self.arguments = arguments
            self.shell = shell
            self.folder = try folder ?? temporaryFolder()
            // A folder named explicitly must exist: an empty one, unless the test gives its own.
            if templates == nil {
                try FileManager.default.createDirectory(at: self.folder.appendingPathComponent("templates"), withIntermediateDirectories: true)
            }
            environment = [
                "HERALD_LISTEN": "127.0.0.1:0",
                "HERALD_DATABASE": try backend.database(in: self.folder),
                "HERALD_OUTBOX": self.folder.appendingPathComponent("var/outbox").path,
                "HERALD_WEBHOOK_SECRET": testSecretText,
                "HERALD_TEMPLATES": (templates ?? self.folder.appendingPathComponent("templates")).path,
            ]
            environment.merge(extraEnvironment) { _, new in new }
            child = try Self.serve(arguments, environment: environment, directory: self.folder, shell: shell)
            try waitUntilListening()
        }

        /// A test that stops early (a failed #require) leaves no serve behind.
        deinit {
            if child.process.isRunning {
                child.process.terminate()
                child.process.waitUntilExit()
            }
        }

        static func serve(_ arguments: [String], environment: [String: String], directory: URL, shell: String?) throws -> Child {
            guard let shell else { return try Child(arguments, environment: environment, directory: directory) }
            return try Child(
                ["-c", "\(shell); exec \"$0\" \"$@\"", Child.binary.path] + arguments, environment: environment, directory: directory,
                executable: "/bin/sh")
        }

        var databasePath: String { environment["HERALD_DATABASE"] ?? "" }

        /// Posts a signed webhook; returns the status and the answer.
        func post(_ webhookID: String, body: [UInt8]) throws -> (Int, JSONValue?) {
            let timestamp = Int64(Date().timeIntervalSince1970)
            let headers = ["svix-id": webhookID, "svix-timestamp": String(timestamp), "svix-signature": try testSigner().sign(id: webhookID, timestamp: timestamp, body: body)]
            let response = try HTTPClient().send(method: "POST", url: "http://127.0.0.1:\(port)/webhooks/clerk", headers: headers, body: body)
            return (response.status, try? JSONValue.parse(response.body))
        }

        /// GETs `path` on the listener; returns the status and the answer.
        func get(_ path: String) throws -> (Int, JSONValue?) {
            let response = try HTTPClient().send(method: "GET", url: "http://127.0.0.1:\(port)\(path)")
            return (response.status, try? JSONValue.parse(response.body))
        }

        func waitUntilListening() throws {
            let ready = child.waitFor { $0.stderr.contains("herald listening") || !$0.process.isRunning }
            guard ready, let range = child.stderr.range(of: #"listen=[0-9.]+:(\d+)"#, options: .regularExpression) else {
                throw CommandError("serve did not start: \(child.stderr)")
            }
            port = String(child.stderr[range].split(separator: ":").last!)
        }

        func restart() throws {
            var environment = self.environment
            environment["HERALD_LISTEN"] = "127.0.0.1:\(port)"
            child = try Self.serve(arguments, environment: environment, directory: folder, shell: shell)
            try waitUntilListening()
        }

        var cliEnvironment: [String: String] {
            var environment = self.environment
            environment["HERALD_LISTEN"] = "127.0.0.1:\(port)"
            return environment
        }

        func herald(_ arguments: String...) throws -> (Int32, String, String) {
            try Child.run(arguments, environment: cliEnvironment, directory: folder)
        }

        func outbox(_ path: String) -> String? {
            try? String(contentsOf: folder.appendingPathComponent("var/outbox/\(path)"), encoding: .utf8)
        }

        func waitForOutbox(_ path: String, containing text: String? = nil, timeout: Double = 15) -> String? {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if let content = outbox(path), text.map(content.contains) ?? true { return content }
                Thread.sleep(forTimeInterval: 0.02)
            }
            return outbox(path)
        }
    }

    func writeTemplate(_ text: String, to folder: URL) throws {
        let file = folder.appendingPathComponent("templates/sms/verification_code.mustache")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        // Keep the modification visible even within one second: the size changes too.
        try Data(text.utf8).write(to: file)
    }

    @Test func editsApplyWhileServingAndBrokenEditsKeepTheLastGoodVersion() throws {
        let folder = try temporaryFolder()
        try writeTemplate("v1 {{otp_code}}", to: folder)
        let gateway = try Gateway(templates: folder.appendingPathComponent("templates"))
        #expect(try gateway.herald("simulate", "sms").0 == 0)
        #expect(gateway.waitForOutbox("sms/1.json", containing: "v1 731055") != nil)

        try writeTemplate("version two {{otp_code}}", to: folder)
        Thread.sleep(forTimeInterval: 1.1)  // the folder is looked at once a second
        #expect(try gateway.herald("simulate", "sms").0 == 0)
        #expect(gateway.waitForOutbox("sms/2.json", containing: "version two 731055") != nil)

        try writeTemplate("v3 {{#unclosed}} {{otp_code}}", to: folder)
        Thread.sleep(forTimeInterval: 1.1)
        #expect(try gateway.herald("simulate", "sms").0 == 0)
        #expect(gateway.waitForOutbox("sms/3.json", containing: "version two 731055") != nil)
        #expect(gateway.child.waitFor { $0.stderr.contains("template broken, last good version kept") })
        #expect(gateway.child.waitFor { $0.stderr.contains("line 1, column 4") })
        let (_, shown, _) = try gateway.herald("show", "3")
        #expect(shown.contains("template sms/verification_code.mustache"))
        gateway.child.process.terminate()
        #expect(gateway.child.wait() == 0)
    }

    @Test(arguments: TestBackend.allCases)
    func emailsReachTheOutboxAsMIME(_ backend: TestBackend) throws {
        let repositoryTemplates = repositoryRoot.appendingPathComponent("templates")
        let gateway = try Gateway(templates: repositoryTemplates, backend: backend)
        #expect(try gateway.herald("simulate", "email", "--to", "ana@example.org").0 == 0)
        let eml = try #require(gateway.waitForOutbox("email/1.eml"))
        #expect(eml.contains("To: <ana@example.org>\r\n"))
        #expect(eml.contains("Subject: 482913 is your Example App verification code\r\n"))
        #expect(eml.contains("Content-Type: text/html; charset=utf-8"))
        let (_, json, _) = try gateway.herald("show", "1", "--json")
        let shown = try JSONValue.parse(Array(json.utf8))
        #expect(shown["status"] == .string("sent"))
        guard case .array(let attempts)? = shown["attempts"] else { Issue.record("no attempts"); return }
        #expect(attempts.first?["provider_id"] == .string("email/1.eml"))
        #expect(attempts.first?["template"] == .string("template email/verification_code"))

        // The attempt is counted once its record is committed.
        var metrics = ""
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && !metrics.contains("herald_delivery_latency_seconds_count 1") {
            metrics = String(decoding: try HTTPClient().send(method: "GET", url: "http://127.0.0.1:\(gateway.port)/metrics").body, as: UTF8.self)
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(metrics.contains("herald_webhook_requests_total{result=\"queued\"} 1\n"))
        #expect(metrics.contains("herald_delivery_attempts_total{channel=\"email\",provider=\"outbox\",transport=\"outbox\",outcome=\"delivered\"} 1\n"))
        #expect(metrics.contains("herald_messages_finished_total{channel=\"email\",status=\"sent\"} 1\n"))
        #expect(metrics.contains("herald_delivery_latency_seconds_bucket{le=\"+Inf\"} 1\n"))
        #expect(metrics.contains("# TYPE herald_delivery_latency_seconds histogram\n"))
        gateway.child.process.terminate()
        _ = gateway.child.wait()
    }

    @Test(arguments: TestBackend.allCases)
    func anEventClerkCreatedLongAgoExpiresInsteadOfBeingSent(_ backend: TestBackend) throws {
        let gateway = try Gateway(templates: repositoryRoot.appendingPathComponent("templates"), backend: backend)
        // The sample event was created by Clerk on 2026-08-21: a code that old is useless.
        let event = gateway.folder.appendingPathComponent("old.json")
        try Data(try fixture("email.created")).write(to: event)
        let (status, _, note) = try gateway.herald("simulate", "email", "--event", event.path)
        #expect(status == 0)
        #expect(note.contains("a code or link that old expires instead of being sent"))
        let (_, json, _) = try gateway.herald("show", "1", "--json")
        var shown = try JSONValue.parse(Array(json.utf8))
        let deadline = Date().addingTimeInterval(10)
        while shown["status"] == .string("queued") || shown["status"] == .string("sending"), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            shown = try JSONValue.parse(Array(try gateway.herald("show", "1", "--json").1.utf8))
        }
        #expect(shown["status"] == .string("expired"))
        #expect(shown["occurred_at"] == .string("2026-08-21T09:15:00.123Z"))
        #expect(gateway.outbox("email/1.eml") == nil)

        // The same event given the current time is sent.
        #expect(try gateway.herald("simulate", "email", "--event", event.path, "--now").0 == 0)
        #expect(gateway.waitForOutbox("email/2.eml") != nil)
        gateway.child.process.terminate()
        _ = gateway.child.wait()
    }

    @Test(arguments: TestBackend.allCases)
    func retryAndCancelFromTheCLI(_ backend: TestBackend) throws {
        let gateway = try Gateway(backend: backend)
        // An address that passes intake but that the outbox refuses to write: make the outbox a file.
        try FileManager.default.createDirectory(at: gateway.folder.appendingPathComponent("var"), withIntermediateDirectories: true)
        try Data("not a folder".utf8).write(to: gateway.folder.appendingPathComponent("var/outbox"))
        #expect(try gateway.herald("simulate", "sms").0 == 0)
        let deadline = Date().addingTimeInterval(10)
        var status = ""
        while Date() < deadline {
            status = try gateway.herald("log", "--json").1
            if status.contains("\"status\":\"retrying\"") { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(status.contains("\"last_error\":\"write_failed\""))
        let (cancelled, out, _) = try gateway.herald("cancel", "1")
        #expect(cancelled == 0)
        #expect(out == "cancelled 1 message(s): 1\n")
        try FileManager.default.removeItem(at: gateway.folder.appendingPathComponent("var/outbox"))
        let (retried, retriedOut, _) = try gateway.herald("retry", "1")
        #expect(retried == 0)
        #expect(retriedOut == "requeued 1 message(s): 1\n")
        #expect(gateway.waitForOutbox("sms/1.json") != nil)
        #expect(try gateway.herald("retry", "1").0 == 1)
        #expect(try gateway.herald("retry").0 == 64)
        #expect(try gateway.herald("cancel", "x").0 == 64)
        gateway.child.process.terminate()
        _ = gateway.child.wait()
    }

    @Test(arguments: TestBackend.allCases)
    func anIntakeOnlyProcessLeavesDeliveryToAnother(_ backend: TestBackend) throws {
        let intake = try Gateway(extraEnvironment: ["HERALD_DELIVERY": "off"], backend: backend)
        #expect(intake.child.waitFor { $0.stderr.contains("delivery=\"off (intake only)\"") })
        #expect(try intake.herald("simulate", "sms").0 == 0)
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try intake.herald("log", "--json").1.contains("\"status\":\"queued\""))
        #expect(intake.outbox("sms/1.json") == nil)
        // A delivering process on the same database picks it up.
        var environment = intake.environment
        environment["HERALD_LISTEN"] = "127.0.0.1:0"
        environment["HERALD_DELIVERY"] = nil
        let deliverer = try Child(["serve"], environment: environment, directory: intake.folder)
        #expect(intake.waitForOutbox("sms/1.json") != nil)
        deliverer.process.terminate()
        _ = deliverer.wait()
        intake.child.process.terminate()
        _ = intake.child.wait()
    }

    /// 16 senders post webhooks flat out; `kill -9` lands at a random moment of the burst
    /// (after a random number of acknowledgements). After a restart on the same files, every
    /// webhook answered 2xx is delivered, and the only messages written to the outbox twice
    /// are ones the killed process had claimed (`sending`) and not yet recorded.
    @Test(arguments: TestBackend.allCases)
    func killNineDuringABurstLosesNothing(_ backend: TestBackend) throws {
        let gateway = try Gateway(backend: backend)
        let signer = try testSigner()
        let url = "http://127.0.0.1:\(gateway.port)/webhooks/clerk"
        let acknowledged = Mutex<Set<String>>([])
        let killed = Atomic<Bool>(false)
        let senders = DispatchGroup()
        for sender in 0..<16 {
            senders.enter()
            Thread {
                defer { senders.leave() }
                guard let client = try? HTTPClient() else { return }
                for index in 0... {
                    let id = "msg_k9_\(sender)_\(index)"
                    guard let body = try? freshFixture("sms.created") else { return }  // a Clerk id of its own
                    let timestamp = Int64(Date().timeIntervalSince1970)
                    let headers = ["svix-id": id, "svix-timestamp": String(timestamp), "svix-signature": signer.sign(id: id, timestamp: timestamp, body: body)]
                    let response = try? client.send(method: "POST", url: url, headers: headers, body: body, timeoutSeconds: 5)
                    if let response, (200..<300).contains(response.status) {
                        _ = acknowledged.withLock { $0.insert(id) }
                    } else if killed.load(ordering: .acquiring) {
                        return
                    }
                }
            }.start()
        }
        let target = Int.random(in: 30...300)
        let burst = gateway.child.waitFor(timeout: 30) { _ in acknowledged.withLock { $0.count } >= target }
        kill(gateway.child.process.processIdentifier, SIGKILL)
        killed.store(true, ordering: .releasing)
        #expect(burst, "only \(acknowledged.withLock { $0.count }) of \(target) acknowledged before the kill")
        #expect(gateway.child.wait() == SIGKILL)
        senders.wait()
        let acked = acknowledged.withLock { $0 }

        // What the dead process left: claimed and unrecorded, and what it had written.
        let inFlight = Set(try messages(gateway, status: "sending").map(\.id))
        let outbox = gateway.folder.appendingPathComponent("var/outbox/sms")
        let writtenBefore = Self.inodes(outbox)

        try gateway.restart()
        var stored: [(id: Int, webhookID: String, status: String)] = []
        let settled = gateway.child.waitFor(timeout: 30) { _ in
            stored = (try? messages(gateway)) ?? []
            return stored.count >= acked.count && stored.allSatisfy { $0.status == "sent" }
        }
        #expect(settled, "not all sent: \(Dictionary(grouping: stored, by: \.status).mapValues(\.count))")
        let sent = Set(stored.filter { $0.status == "sent" }.map(\.webhookID))
        #expect(acked.isSubset(of: sent), "acknowledged but not delivered: \(acked.subtracting(sent).sorted().prefix(10))")
        let writtenAfter = Self.inodes(outbox)
        for message in stored where message.status == "sent" {
            #expect(writtenAfter["\(message.id).json"] != nil, "message \(message.id) is sent but not in the outbox")
        }
        // A file the first process wrote that is there under another inode was written again.
        let writtenTwice = Set(writtenBefore.compactMap { name, inode in writtenAfter[name] != inode ? name : nil })
        let inFlightFiles = Set(inFlight.map { "\($0).json" })
        #expect(writtenTwice.isSubset(of: inFlightFiles), "written twice though not in flight: \(writtenTwice.subtracting(inFlightFiles).sorted())")
        gateway.child.process.terminate()
        #expect(gateway.child.wait() == 0)
    }

    /// The gateway's messages (`herald log --json`), optionally of one status.
    func messages(_ gateway: Gateway, status: String? = nil) throws -> [(id: Int, webhookID: String, status: String)] {
        var arguments = ["log", "--json", "--limit", "100000"]
        if let status { arguments += ["--status", status] }
        let (code, out, error) = try Child.run(arguments, environment: gateway.cliEnvironment, directory: gateway.folder)
        guard code == 0 else { throw CommandError("herald log failed: \(error)") }
        return try out.split(separator: "\n").map { line in
            let value = try JSONValue.parse(Array(line.utf8))
            guard case .int(let id)? = value["id"], let webhookID = value["webhook_id"]?.stringValue, let status = value["status"]?.stringValue else {
                throw CommandError("unexpected log line: \(line)")
            }
            return (Int(id), webhookID, status)
        }
    }

    /// File name -> inode of each outbox file (a rewrite renames a new file over it).
    static func inodes(_ folder: URL) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where name.hasSuffix(".json") {
            var info = stat()
            if stat(folder.appendingPathComponent(name).path, &info) == 0 { result[name] = UInt64(info.st_ino) }
        }
        return result
    }
}
