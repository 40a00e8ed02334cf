import Foundation
import HeraldCore
import Testing

/// Where email goes and who it is from: the sender settings seen in the outbox's message
/// and in a real SMTP session (aiosmtpd), the relay, its EHLO name and CA, and the email
/// providers' URLs and order.
@Suite(.serialized) struct EmailSettingsTests {
    /// A header of a message, unfolded lines being all Herald writes.
    func header(_ name: String, in eml: String) -> String? {
        eml.components(separatedBy: "\r\n\r\n").first?.components(separatedBy: "\r\n")
            .first { $0.hasPrefix(name + ": ") }.map { String($0.dropFirst(name.count + 2)) }
    }

    /// A sender setting and the From and Reply-To it gives the sample email.
    struct Sender: Sendable, CustomTestStringConvertible {
        var variable: String
        var key: String
        var value: String
        var from: String
        var replyTo: String
        var testDescription: String { variable }
    }

    static let senders = [
        // The regression test of a setting that was parsed and never reached delivery. Reply-To
        // still follows Clerk's name at the app's domain.
        Sender(
            variable: "HERALD_EMAIL_FROM", key: "email_from", value: "Acme Support <no-reply@acme.test>", from: "Acme Support <no-reply@acme.test>",
            replyTo: "Example App <support@example.com>"),
        Sender(
            variable: "HERALD_EMAIL_DOMAIN", key: "email_domain", value: "mail.acme.test", from: "Example App <notifications@mail.acme.test>",
            replyTo: "Example App <support@mail.acme.test>"),
    ]

    @Test(arguments: senders, Via.allCases)
    func senderSettingsMakeFromAndReplyTo(_ sender: Sender, _ via: Via) throws {
        let gateway = try ServeGateway.with(sender.variable, key: sender.key, .string(sender.value), via: via)
        #expect(try gateway.herald("simulate", "email").0 == 0)
        let eml = try #require(gateway.waitForOutbox("email/1.eml"))
        #expect(header("From", in: eml) == sender.from)
        #expect(header("Reply-To", in: eml) == sender.replyTo)
        #expect(gateway.stop() == 0)
    }

    /// The relay gets the message, the envelope sender is HERALD_EMAIL_FROM's address, and
    /// the EHLO name is HERALD_SMTP_HELO's (the host name without it).
    @Test(arguments: ["helo.herald.test", nil])
    func theRelayGetsTheMessageWithTheEHLOName(_ helo: String?) throws {
        let sink = try SMTPSink()
        var environment = [
            "HERALD_SMTP_URL": "smtp://127.0.0.1:\(sink.port)?disable_starttls=true", "HERALD_EMAIL_FROM": "Acme <no-reply@acme.test>",
        ]
        environment["HERALD_SMTP_HELO"] = helo
        let gateway = try ServeGateway.configured(nil, environment)
        #expect(try gateway.herald("simulate", "email").0 == 0)
        let received = try #require(sink.received(1))
        #expect(received["ehlo"] == .string(helo ?? ProcessInfo.processInfo.hostName))
        #expect(received["mail_from"] == .string("no-reply@acme.test"))
        #expect(received["from"] == .string("Acme <no-reply@acme.test>"))
        #expect(try gateway.waitForStatus(1, "sent")?.attempts.first?["provider"] == .string("smtp"))
        #expect(gateway.stop() == 0)
        #expect(!gateway.exists("var/outbox/email"))
        #expect(gateway.child.waitFor { $0.stderr.contains("email via smtp smtp://127.0.0.1:\(sink.port)") })
    }

    @Test func theRelaysCertificateIsCheckedAgainstTheSMTPCAFile() throws {
        let sink = try SMTPSink(["--tls"])
        let ca = try #require(sink.child.stdout.split(separator: "\n").first { $0.hasPrefix("CA ") }.map { String($0.dropFirst(3)) })
        let url = "smtp://127.0.0.1:\(sink.port)"
        let trusted = try ServeGateway.configured(nil, ["HERALD_SMTP_URL": url, "HERALD_SMTP_CA_FILE": ca])
        #expect(try trusted.herald("simulate", "email").0 == 0)
        #expect(sink.received(1) != nil)
        #expect(try trusted.waitForStatus(1, "sent")?["status"] == .string("sent"))
        #expect(trusted.stop() == 0)

        let untrusted = try ServeGateway.configured(nil, ["HERALD_SMTP_URL": url])
        #expect(try untrusted.herald("simulate", "email").0 == 0)
        #expect(try untrusted.waitForStatus(1, "failed")?["last_error"]?.stringValue?.hasPrefix("tls_failed") == true)
        #expect(untrusted.stop() == 0)

        let folder = try temporaryFolder()
        let missing = folder.appendingPathComponent("missing.pem").path
        let (status, _, error) = try Child.run(
            ["serve"], environment: ["HERALD_SMTP_URL": url, "HERALD_SMTP_CA_FILE": missing, "HERALD_WEBHOOK_SECRET": testSecretText], directory: folder)
        #expect(status == 1)
        #expect(error.contains("HERALD_SMTP_CA_FILE: cannot read \"\(missing)\""))
    }

    @Test func emailURLsAreTheProvidersAndTheFirstIsUsed() throws {
        let sink = try SMTPSink()
        let relay = try ServeGateway.configured(nil, ["HERALD_EMAIL_URL": "smtp://127.0.0.1:\(sink.port)?disable_starttls=true&name=relay"])
        #expect(try relay.herald("simulate", "email").0 == 0)
        #expect(sink.received(1) != nil)
        #expect(try relay.waitForStatus(1, "sent")?.attempts.first?["provider"] == .string("relay"))
        #expect(relay.stop() == 0)
        #expect(relay.child.waitFor { $0.stderr.contains("email via relay smtp://127.0.0.1:\(sink.port)") })

        // HERALD_SMTP_URL comes after HERALD_EMAIL_URL's providers.
        let archive = try ServeGateway.configured(nil, [
            "HERALD_EMAIL_URL": "outbox://default?name=archive", "HERALD_SMTP_URL": "smtp://127.0.0.1:\(sink.port)?disable_starttls=true",
        ])
        #expect(try archive.herald("simulate", "email").0 == 0)
        #expect(archive.waitForOutbox("email/1.eml") != nil)
        #expect(try archive.waitForStatus(1, "sent")?.attempts.first?["provider"] == .string("archive"))
        #expect(archive.stop() == 0)
        #expect(archive.child.waitFor { $0.stderr.contains("email via archive") })
        #expect(sink.received(2, timeout: 0.3) == nil)
    }
}
