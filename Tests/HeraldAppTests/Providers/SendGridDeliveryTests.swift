import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

/// Email through SendGrid's v3 Mail Send, end to end: `herald serve` with
/// `HERALD_EMAIL_URL`, `herald simulate email`, a SendGrid double on 127.0.0.1.
@Suite(.serialized) struct SendGridDeliveryTests {
    typealias Flows = EmailDeliveryFlows

    @Test func anEmailReachesSendGridAndTheIdIsRecorded() throws {
        let mail = try Flows.delivered(SendGridDouble.self, name: "sendgrid", code: 202)
        #expect(mail["personalizations"] == .array([.object(["to": .array([.object(["email": .string("ana@example.org")])])])]))
        #expect(mail["from"] == .object(["email": .string("no-reply@example.com"), "name": .string("Example")]))
        #expect(mail["reply_to"] == .object(["email": .string("support@example.com"), "name": .string("Example App")]))
        #expect(mail["subject"] == .string("482913 is your verification code"))
        let types = mail["content"]?.array?.compactMap { $0["type"]?.stringValue }
        #expect(types == ["text/plain", "text/html"])
        #expect(mail["content"]?.array?.first?["value"]?.stringValue?.contains("482913") == true)
        #expect(mail["custom_args"]?["herald_message_id"] == .string("1"))
        #expect(mail["custom_args"]?["clerk_id"]?.stringValue?.hasPrefix("ema_") == true)
        #expect(mail["categories"] == .array([.string("verification_code")]))
    }

    @Test func anInvalidAddressFailsAtOnce() throws {
        try Flows.recipientErrorFailsAtOnce(SendGridDouble.self, lastError: "bad_recipient (400)", providerCode: nil)
    }

    @Test func rateLimitsAndOutagesAreRetriedUntilAccepted() throws {
        try Flows.retriedUntilAccepted(SendGridDouble.self, codes: [429, 503, 202])
    }

    @Test func aHangPastTheTimeoutIsRetriedAndFlaggedAmbiguous() throws {
        // SendGrid took the first request: without idempotency the retry sends it again.
        let stderr = try Flows.hangIsRetried(SendGridDouble.self, sends: 2)
        #expect(stderr.contains("delivery.ambiguous=true"))
    }

    @Test func aWrongKeyIsRetriedAndLoud() throws {
        try Flows.wrongKeyIsRetriedAndLoud(SendGridDouble.self, lastError: "provider_auth_failed (401)")
    }

    @Test(arguments: [
        ("sendgrid://apikey:SG.secret-key@default", "give the key alone before the @"),
        ("sendgrid://SG.secret-key@default?sandbox=yes", "sandbox must be true or false"),
        ("sendgrid://SG.secret-key@default?regoin=eu", "unknown option \"regoin\""),
        ("sendgrid+smtp://SG.secret-key@default", "is not supported"),
    ])
    func aMalformedURLStopsServeWithTheVariableAndNoSecret(_ url: String, _ expected: String) throws {
        try Flows.malformedURLStopsServe(url, expected, secret: "secret-key")
    }

    @Test func theProbeChecksTheKeysPermissionAndSendsNothing() throws {
        let sendgrid = try SendGridDouble()
        #expect(try Flows.probe(sendgrid.url) == .ok("the key is accepted and has the mail.send permission"))
        let wrong = sendgrid.url.replacingOccurrences(of: SendGridDouble.apiKey, with: "SG.wrong")
        #expect(try !Flows.probe(wrong).isOK)
        #expect(sendgrid.sent.isEmpty)
    }
}
