import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

/// Email through Postmark's Email API, end to end: `herald serve` with
/// `HERALD_EMAIL_URL`, `herald simulate email`, a Postmark double on 127.0.0.1.
@Suite(.serialized) struct PostmarkDeliveryTests {
    typealias Flows = EmailDeliveryFlows

    @Test func anEmailReachesPostmarkAndTheIdIsRecorded() throws {
        let email = try Flows.delivered(PostmarkDouble.self, name: "postmark", code: 200)
        #expect(email["From"] == .string("Example <no-reply@example.com>"))
        #expect(email["To"] == .string("ana@example.org"))
        #expect(email["ReplyTo"] == .string("Example App <support@example.com>"))
        #expect(email["Subject"] == .string("482913 is your verification code"))
        #expect(email["TextBody"]?.stringValue?.contains("482913") == true)
        #expect(email["HtmlBody"]?.stringValue?.contains("<strong>482913</strong>") == true)
        #expect(email["MessageStream"] == .string("outbound"))
        #expect(email["TrackOpens"] == .bool(false))
        #expect(email["TrackLinks"] == .string("None"))
        #expect(email["Tag"] == .string("verification_code"))
        #expect(email["Metadata"]?["herald_message_id"] == .string("1"))
        #expect(email["Metadata"]?["clerk_id"]?.stringValue?.hasPrefix("ema_") == true)
    }

    @Test func anInactiveRecipientFailsAtOnceWithPostmarksCode() throws {
        try Flows.recipientErrorFailsAtOnce(PostmarkDouble.self, lastError: "recipient_unsubscribed (422, 406)", providerCode: "406")
    }

    @Test func rateLimitsAndOutagesAreRetriedUntilAccepted() throws {
        try Flows.retriedUntilAccepted(PostmarkDouble.self, codes: [429, 503, 200])
    }

    @Test func aHangPastTheTimeoutIsRetriedAndFlaggedAmbiguous() throws {
        let stderr = try Flows.hangIsRetried(PostmarkDouble.self, sends: 2)
        #expect(stderr.contains("delivery.ambiguous=true"))
    }

    @Test func aWrongTokenIsRetriedAndLoud() throws {
        try Flows.wrongKeyIsRetriedAndLoud(PostmarkDouble.self, lastError: "provider_auth_failed (401, 10)")
    }

    @Test(arguments: [
        ("postmark://secret-token@default?message_stream=", "message_stream must be"),
        ("postmark://secret-token@default?stream=broadcast", "unknown option \"stream\" (known: endpoint, message_stream, name, rate)"),
        ("postmark://secret-token@default?endpoint=http://192.0.2.1", "plain http"),
        ("postmark://x:secret-token@default", "give the key alone before the @"),
    ])
    func aMalformedURLStopsServeWithTheVariableAndNoSecret(_ url: String, _ expected: String) throws {
        try Flows.malformedURLStopsServe(url, expected, secret: "secret-token")
    }

    @Test func theProbeReadsTheServerAndSendsNothing() throws {
        let postmark = try PostmarkDouble()
        #expect(try Flows.probe(postmark.url) == .ok("server \"Herald tests\" accepts the token (message stream outbound)"))
        let wrong = postmark.url.replacingOccurrences(of: PostmarkDouble.serverToken, with: "not-the-token")
        let verdict = try Flows.probe(wrong)
        #expect(!verdict.isOK)
        #expect(!"\(verdict)".contains(PostmarkDouble.serverToken))
        #expect(postmark.sent.isEmpty)
    }
}
