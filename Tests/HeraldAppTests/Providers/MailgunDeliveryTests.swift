import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

/// Email through Mailgun's Messages API, end to end: `herald serve` with
/// `HERALD_EMAIL_URL`, `herald simulate email`, a Mailgun double on 127.0.0.1.
@Suite(.serialized) struct MailgunDeliveryTests {
    typealias Flows = EmailDeliveryFlows

    /// The id is recorded without its angle brackets (the double answers `<id>`).
    @Test func anEmailReachesMailgunAndTheIdIsRecorded() throws {
        let mail = try Flows.delivered(MailgunDouble.self, name: "mailgun", code: 200)
        #expect(mail["from"] == .string("Example <no-reply@example.com>"))
        #expect(mail["to"] == .string("ana@example.org"))
        #expect(mail["h:Reply-To"] == .string("Example App <support@example.com>"))
        #expect(mail["subject"] == .string("482913 is your verification code"))
        #expect(mail["text"]?.stringValue?.contains("482913") == true)
        #expect(mail["html"]?.stringValue?.contains("482913") == true)
        #expect(mail["o:tag"] == .string("verification_code"))
        for option in ["o:tracking", "o:tracking-clicks", "o:tracking-opens"] { #expect(mail[option] == .string("no")) }
        #expect(mail["v:herald_message_id"] == .string("1"))
        #expect(mail["v:clerk_id"]?.stringValue?.hasPrefix("ema_") == true)
    }

    @Test func anInvalidAddressFailsAtOnce() throws {
        try Flows.recipientErrorFailsAtOnce(MailgunDouble.self, lastError: "bad_recipient (400)", providerCode: nil)
    }

    /// The 429 names its reset in `X-RateLimit-Reset` and in the message, not `Retry-After`.
    @Test func rateLimitsAndOutagesAreRetriedUntilAccepted() throws {
        try Flows.retriedUntilAccepted(MailgunDouble.self, codes: [429, 503, 200])
    }

    @Test func aHangPastTheTimeoutIsRetriedAndFlaggedAmbiguous() throws {
        // Mailgun took the first request: without idempotency the retry sends it again.
        let stderr = try Flows.hangIsRetried(MailgunDouble.self, sends: 2)
        #expect(stderr.contains("delivery.ambiguous=true"))
    }

    @Test func aWrongKeyIsRetriedAndLoud() throws {
        try Flows.wrongKeyIsRetriedAndLoud(MailgunDouble.self, lastError: "provider_auth_failed (401)")
    }

    @Test func anUnknownDomainIsTheProvidersAndRetried() throws {
        let mailgun = try MailgunDouble()
        let gateway = try Flows.sending(mailgun.url.replacingOccurrences(of: MailgunDouble.domain, with: "mg.other.example"))
        let shown = try #require(try gateway.waitForStatus(1, "retrying"))
        #expect(shown["last_error"] == .string("misconfigured (404)"))
        #expect(shown.attempts.first?["outcome"] == .string("retryable"))
        gateway.stop()
        #expect(mailgun.sent.isEmpty)
    }

    @Test(arguments: [
        ("mailgun://secret-key@default", "missing the sending domain"),
        ("mailgun://secret-key:localhost@default", "must be a domain name such as mg.example.com"),
        ("mailgun://secret-key:mg.example.com@default?region=asia", "region must be us or eu"),
        ("mailgun://secret-key:mg.example.com@default?regoin=eu", "unknown option \"regoin\""),
        ("mailgun+smtp://secret-key:mg.example.com@default", "is not supported"),
    ])
    func aMalformedURLStopsServeWithTheVariableAndNoSecret(_ url: String, _ expected: String) throws {
        try Flows.malformedURLStopsServe(url, expected, secret: "secret-key")
    }

    @Test func theProbeReadsTheDomainAndSendsNothing() throws {
        let mailgun = try MailgunDouble()
        #expect(try Flows.probe(mailgun.url) == .ok("the key is accepted and the domain mg.example.com is active at \(mailgun.double.endpoint)"))
        #expect(try !Flows.probe(mailgun.url.replacingOccurrences(of: MailgunDouble.apiKey, with: "key-wrong")).isOK)
        let unknown = try Flows.probe(mailgun.url.replacingOccurrences(of: MailgunDouble.domain, with: "mg.other.example"))
        #expect("\(unknown)".contains("does not know the domain mg.other.example"))
        #expect(mailgun.sent.isEmpty)
    }
}
