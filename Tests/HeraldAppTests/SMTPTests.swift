import Foundation
import HeraldApp
import HeraldCore
import Testing

/// A real SMTP server (aiosmtpd), started by the test.
final class SMTPSink {
    let folder: URL
    let child: Child
    let port: Int

    init(_ arguments: [String] = []) throws {
        folder = try temporaryFolder().appendingPathComponent("received")
        let script = try #require(Bundle.module.url(forResource: "Fixtures/smtp_sink", withExtension: "py"))
        child = try Child.python([script.path, folder.path] + arguments)
        guard child.waitFor({ $0.stdout.contains("PORT ") || !$0.process.isRunning }),
            let line = child.stdout.split(separator: "\n").first(where: { $0.hasPrefix("PORT ") }), let port = Int(line.dropFirst(5))
        else {
            throw CommandError("the SMTP sink did not start: \(child.stderr)")
        }
        self.port = port
    }

    deinit { child.process.terminate() }

    func received(_ number: Int, timeout: Double = 15) -> JSONValue? {
        let url = folder.appendingPathComponent("\(number).json")
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let data = try? Data(contentsOf: url), let value = try? JSONValue.parse([UInt8](data)) { return value }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return nil
    }
}

extension Child {
    /// Debian's python3, which has python3-aiosmtpd.
    static func python(_ arguments: [String]) throws -> Child {
        let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
        return try Child(arguments, environment: [:], executable: python)
    }
}

@Suite(.serialized) struct SMTPTests {
    func gateway(smtpPort: Int, templates: [String: String] = [:], extra: [String: String] = [:], config: String? = nil) throws -> ServeDeliveryTests.Gateway {
        let folder = try temporaryFolder()
        // An explicit templates folder must exist; without templates it is empty (Clerk's rendering).
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("templates"), withIntermediateDirectories: true)
        for (path, text) in templates {
            let url = folder.appendingPathComponent("templates/\(path)")
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        var environment = ["HERALD_SMTP_URL": "smtp://127.0.0.1:\(smtpPort)/herald.test?disable_starttls=true"]
        if let config {
            let file = folder.appendingPathComponent("herald.json")
            try Data(config.utf8).write(to: file)
            environment["HERALD_CONFIG"] = file.path
        }
        environment.merge(extra) { _, new in new }
        return try ServeDeliveryTests.Gateway(templates: folder.appendingPathComponent("templates"), extraEnvironment: environment)
    }

    func waitForStatus(_ gateway: ServeDeliveryTests.Gateway, _ id: Int, _ status: String, timeout: Double = 20) throws -> JSONValue? {
        let deadline = Date().addingTimeInterval(timeout)
        var last: JSONValue?
        while Date() < deadline {
            let (_, json, _) = try gateway.herald("show", String(id), "--json")
            last = try? JSONValue.parse(Array(json.utf8))
            if last?["status"] == .string(status) { return last }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return last
    }

    @Test func deliveredMessagesParseBackWithBothPartsAndANonASCIISubject() throws {
        let sink = try SMTPSink()
        let gateway = try gateway(smtpPort: sink.port, templates: [
            "email/verification_code/subject.mustache": "Código {{otp_code}} — Überprüfung für {{app.name}} ✓",
            "email/verification_code/text.mustache": "Ihr Code: {{otp_code}}\n.\nFrom the team\n",
            "email/verification_code/html.mustache": "<p>Ihr Code: <b>{{otp_code}}</b></p>",
        ])
        #expect(try gateway.herald("simulate", "email", "--to", "ana@example.org").0 == 0)
        let received = try #require(sink.received(1))
        #expect(received["subject"] == .string("Código 482913 — Überprüfung für Example App ✓"))
        #expect(received["rcpt_tos"] == .array([.string("ana@example.org")]))
        #expect(received["mail_from"] == .string("notifications@example.com"))
        #expect(received["from"] == .string("Example App <notifications@example.com>"))
        #expect(received["to"] == .string("ana@example.org"))
        #expect(received["reply_to"] == .string("Example App <support@example.com>"))
        func part(_ type: String) -> String? { received["parts"]?[type]?.stringValue?.replacingOccurrences(of: "\r\n", with: "\n") }
        #expect(part("text/plain") == "Ihr Code: 482913\n.\nFrom the team\n")
        #expect(part("text/html") == "<p>Ihr Code: <b>482913</b></p>")
        #expect(received["defects"] == .array([]))
        #expect(received["bare_lf"] == .bool(false))
        let shown = try #require(try waitForStatus(gateway, 1, "sent"))
        guard case .array(let attempts)? = shown["attempts"] else { Issue.record("no attempts"); return }
        #expect(attempts.first?["transport"] == .string("smtp"))
        #expect(attempts.first?["provider_id"] == .string("HERALD0001"))
        #expect(attempts.first?["code"] == .int(250))
        gateway.child.process.terminate()
        _ = gateway.child.wait()
        #expect(!gateway.child.stderr.contains("ana@example.org"))
    }

    @Test func internationalisedDomainsAreSentInASCIIAndUTF8LocalPartsNeedSMTPUTF8() throws {
        let sink = try SMTPSink()
        let gateway = try gateway(smtpPort: sink.port)
        #expect(try gateway.herald("simulate", "email", "--to", "ana@bücher.example").0 == 0)
        let received = try #require(sink.received(1))
        #expect(received["rcpt_tos"] == .array([.string("ana@xn--bcher-kva.example")]))
        #expect(received["to"] == .string("ana@xn--bcher-kva.example"))
        guard case .array(let plainOptions)? = received["mail_options"] else { Issue.record("no MAIL options"); return }
        #expect(!plainOptions.contains(.string("SMTPUTF8")))
        #expect(try waitForStatus(gateway, 1, "sent") != nil)

        // This relay does not offer SMTPUTF8: a UTF-8 address fails at once, saying why.
        #expect(try gateway.herald("simulate", "email", "--to", "josé@example.org").0 == 0)
        let failed = try #require(try waitForStatus(gateway, 2, "failed"))
        #expect(failed["last_error"] == .string("smtputf8_unsupported"))
        guard case .array(let attempts)? = failed["attempts"] else { Issue.record("no attempts"); return }
        #expect(attempts.count == 1 && attempts.first?["outcome"] == .string("permanent"))
        gateway.child.process.terminate()
        _ = gateway.child.wait()

        // One that does: sent with SMTPUTF8, the address as it is.
        let utf8Sink = try SMTPSink(["--smtputf8"])
        let utf8Gateway = try self.gateway(smtpPort: utf8Sink.port)
        #expect(try utf8Gateway.herald("simulate", "email", "--to", "josé@bücher.example").0 == 0)
        let delivered = try #require(utf8Sink.received(1))
        #expect(delivered["rcpt_tos"] == .array([.string("josé@xn--bcher-kva.example")]))
        guard case .array(let options)? = delivered["mail_options"] else { Issue.record("no MAIL options"); return }
        #expect(options.contains(.string("SMTPUTF8")))
        #expect(delivered["to"] == .string("josé@xn--bcher-kva.example"))
        #expect(delivered["defects"] == .array([]))
        #expect(try waitForStatus(utf8Gateway, 1, "sent") != nil)
        utf8Gateway.child.process.terminate()
        _ = utf8Gateway.child.wait()
    }

    @Test func oneConnectionCarriesManyMessages() throws {
        let sink = try SMTPSink()
        let gateway = try gateway(smtpPort: sink.port, extra: ["HERALD_WORKERS": "1"])
        for _ in 0..<5 { #expect(try gateway.herald("simulate", "email").0 == 0) }
        for number in 1...5 { #expect(sink.received(number) != nil) }
        let sessions = try String(contentsOf: sink.folder.appendingPathComponent("sessions"), encoding: .utf8)
        #expect(sessions == "1")
        gateway.child.process.terminate()
        _ = gateway.child.wait()
    }

    @Test func injectionInTheSubjectGoesNowhere() throws {
        let sink = try SMTPSink()
        let gateway = try gateway(smtpPort: sink.port)
        let event = gateway.folder.appendingPathComponent("event.json")
        let sample = String(decoding: try fixture("email.created"), as: UTF8.self)
            .replacingOccurrences(of: "\"subject\": \"482913 is your verification code\"", with: "\"subject\": \"Hi\\r\\nBcc: evil@example.net\\r\\n\\r\\nspoofed body\"")
        try Data(sample.utf8).write(to: event)
        #expect(try gateway.herald("simulate", "email", "--event", event.path, "--now").0 == 0)
        let received = try #require(sink.received(1))
        #expect(received["rcpt_tos"] == .array([.string("user@example.com")]))
        #expect(received["subject"] == .string("Hi Bcc: evil@example.net spoofed body"))
        guard case .array(let headers)? = received["headers"] else { Issue.record("no headers"); return }
        #expect(!headers.contains(.string("Bcc")))
        // An address with CR/LF never gets that far: intake records it as failed.
        let (_, out, _) = try gateway.herald("simulate", "email", "--to", "user@example.com\r\nRCPT TO:<evil@example.net>")
        #expect(out.contains("\"status\":\"failed\""))
        gateway.child.process.terminate()
        _ = gateway.child.wait()
    }

    @Test func aRelayAnswering4xxIsRetriedThenSent() throws {
        let sink = try SMTPSink(["--fail-first", "1", "--code", "451"])
        let gateway = try gateway(smtpPort: sink.port, config: #"{"delivery": {"retry_base_seconds": 1}}"#)
        #expect(try gateway.herald("simulate", "email").0 == 0)
        let shown = try #require(try waitForStatus(gateway, 1, "sent"))
        guard case .array(let attempts)? = shown["attempts"] else { Issue.record("no attempts"); return }
        #expect(attempts.map { $0["outcome"] } == [.string("retryable"), .string("delivered")])
        #expect(attempts.first?["code"] == .int(451))
        #expect(sink.received(1) != nil)
        gateway.child.process.terminate()
        _ = gateway.child.wait()
    }

    @Test func a5xxFailsAtOnce() throws {
        let sink = try SMTPSink(["--always", "554"])
        let gateway = try gateway(smtpPort: sink.port)
        #expect(try gateway.herald("simulate", "email").0 == 0)
        let shown = try #require(try waitForStatus(gateway, 1, "failed"))
        #expect(shown["last_error"] == .string("rejected (554)"))
        guard case .array(let attempts)? = shown["attempts"] else { Issue.record("no attempts"); return }
        #expect(attempts.count == 1)
        gateway.child.process.terminate()
        _ = gateway.child.wait()
    }

    @Test func aRelayThatIsDownLeadsToRetriesThenFailed() throws {
        let gateway = try gateway(smtpPort: 9, config: #"{"delivery": {"retry_base_seconds": 1, "max_attempts": 3}}"#)
        #expect(try gateway.herald("simulate", "email").0 == 0)
        let shown = try #require(try waitForStatus(gateway, 1, "failed", timeout: 30))
        #expect(shown["last_error"] == .string("connection_failed; gave up after 3 attempts"))
        gateway.child.process.terminate()
        _ = gateway.child.wait()
    }

    @Test func starttlsIsRequiredUnlessDisabled() throws {
        let sink = try SMTPSink()
        let gateway = try gateway(smtpPort: sink.port, extra: ["HERALD_SMTP_URL": "smtp://127.0.0.1:\(sink.port)"])
        #expect(try gateway.herald("simulate", "email").0 == 0)
        let shown = try #require(try waitForStatus(gateway, 1, "failed"))
        #expect(shown["last_error"]?.stringValue?.hasPrefix("misconfigured") == true)
        #expect(sink.received(1, timeout: 0.5) == nil)
        gateway.child.process.terminate()
        _ = gateway.child.wait()
    }

    @Test func starttlsWithAVerifiedCertificateAndAuth() throws {
        let sink = try SMTPSink(["--tls", "--auth", "herald:s3cret pass"])
        let ca = try #require(sink.child.stdout.split(separator: "\n").first { $0.hasPrefix("CA ") }.map { String($0.dropFirst(3)) })
        let good = try gateway(smtpPort: sink.port, extra: [
            "HERALD_SMTP_URL": "smtp://herald:s3cret%20pass@127.0.0.1:\(sink.port)", "HERALD_SMTP_CA_FILE": ca,
        ])
        #expect(try good.herald("simulate", "email").0 == 0)
        #expect(sink.received(1) != nil)
        #expect(try waitForStatus(good, 1, "sent")?["status"] == .string("sent"))
        good.child.process.terminate()
        _ = good.child.wait()
        #expect(!good.child.stderr.contains("s3cret"))

        // Wrong password: 535 is the configuration's (say, a rotation half done): retried with
        // backoff, so that an operator who mends the password saves the code, and loud.
        let wrong = try gateway(smtpPort: sink.port, extra: [
            "HERALD_SMTP_URL": "smtp://herald:nope@127.0.0.1:\(sink.port)", "HERALD_SMTP_CA_FILE": ca,
        ])
        #expect(try wrong.herald("simulate", "email").0 == 0)
        let retrying = try waitForStatus(wrong, 1, "retrying")
        #expect(retrying?["status"] == .string("retrying"))
        #expect(retrying?["last_error"] == .string("auth_failed (535)"))
        #expect(wrong.child.waitFor(timeout: 5) { $0.stderr.contains("level=error") && $0.stderr.contains("refused Herald's credentials") })
        wrong.child.process.terminate()
        _ = wrong.child.wait()
        #expect(!wrong.child.stderr.contains("nope"))

        // A certificate nobody vouches for is refused: no message goes out in clear or to an impostor.
        let untrusted = try gateway(smtpPort: sink.port, extra: ["HERALD_SMTP_URL": "smtp://herald:s3cret%20pass@127.0.0.1:\(sink.port)"])
        #expect(try untrusted.herald("simulate", "email").0 == 0)
        #expect(try waitForStatus(untrusted, 1, "failed")?["last_error"]?.stringValue?.hasPrefix("tls_failed") == true)
        untrusted.child.process.terminate()
        _ = untrusted.child.wait()
        #expect(sink.received(2, timeout: 0.5) == nil)
    }

    @Test func checkRelayConnectsAuthenticatesAndSendsNothing() throws {
        let sink = try SMTPSink(["--tls", "--auth", "herald:s3cret pass"])
        let ca = try #require(sink.child.stdout.split(separator: "\n").first { $0.hasPrefix("CA ") }.map { String($0.dropFirst(3)) })
        let templates = repositoryRoot.appendingPathComponent("templates").path
        func check(_ url: String, ca: String? = nil) throws -> (Int32, String, String) {
            var environment = ["HERALD_SMTP_URL": url, "HERALD_TEMPLATES": templates, "HERALD_CONFIG": ""]
            environment["HERALD_SMTP_CA_FILE"] = ca
            return try Child.run(["check", "--relay"], environment: environment)
        }
        let (good, goodOut, _) = try check("smtp://herald:s3cret%20pass@127.0.0.1:\(sink.port)", ca: ca)
        #expect(good == 0)
        #expect(goodOut.contains("relay: ok (smtp://127.0.0.1:\(sink.port), STARTTLS, AUTH as herald)"))
        #expect(!goodOut.contains("s3cret"))

        let (wrong, wrongOut, wrongError) = try check("smtp://herald:nope@127.0.0.1:\(sink.port)", ca: ca)
        #expect(wrong == 1)
        #expect(wrongOut.contains("problem: relay smtp://127.0.0.1:\(sink.port) (STARTTLS, AUTH as herald): auth_failed (535)"))
        #expect(wrongError.contains("the relay check failed"))

        let (untrusted, untrustedOut, _) = try check("smtp://herald:s3cret%20pass@127.0.0.1:\(sink.port)")
        #expect(untrusted == 1)
        #expect(untrustedOut.contains("tls_failed"))

        let (down, downOut, _) = try check("smtp://127.0.0.1:9/herald.test?disable_starttls=true")
        #expect(down == 1)
        #expect(downOut.contains("connection_failed"))
        #expect(sink.received(1, timeout: 0.3) == nil)

        let (none, noneOut, _) = try Child.run(["check", "--relay"], environment: ["HERALD_TEMPLATES": templates, "HERALD_CONFIG": ""])
        #expect(none == 0)
        #expect(noneOut.contains("relay: none configured"))
    }

    @Test func smtpURLsParseAndNeverShowThePassword() throws {
        let settings = try HeraldCurlSettings.parse("smtp://user%40x:p%40ss@mail.example.com:2525?disable_starttls=true")
        #expect(settings.url == "smtp://mail.example.com:2525/herald.test")
        #expect(settings.username == "user@x")
        #expect(settings.password == "p@ss")
        #expect(!settings.requireTLS)
        #expect(!String(describing: settings).contains("p@ss"))
        #expect(String(describing: settings) == "smtp://mail.example.com:2525")
        #expect(try HeraldCurlSettings.parse("smtp://mail.example.com").url == "smtp://mail.example.com:587/herald.test")
        #expect(try HeraldCurlSettings.parse("smtp://mail.example.com").requireTLS)
        #expect(try HeraldCurlSettings.parse("smtps://mail.example.com").url == "smtps://mail.example.com:465/herald.test")
        #expect(throws: (any Error).self) { try HeraldCurlSettings.parse("http://mail.example.com") }
        #expect(throws: (any Error).self) { try HeraldCurlSettings.parse("smtp://mail.example.com?verify=false") }
    }
}

import HeraldCurl

enum HeraldCurlSettings {
    static func parse(_ text: String) throws -> SMTPSettings { try SMTPSettings(parsing: text, ehloName: "herald.test") }
}
