import Foundation
import HeraldCore
import HeraldCrypto
import HeraldTestSupport
import Testing

/// The signed webhook end to end, for both channels: `herald serve` with
/// `HERALD_EMAIL_URL` / `HERALD_SMS_URL` = `webhook+http://SECRET@127.0.0.1:PORT/hooks/herald`,
/// `herald simulate`, and a Standard Webhooks receiver on 127.0.0.1 that verifies every
/// request with Herald's `WebhookVerifier` (see ``WebhookDouble``).
@Suite(.serialized) struct WebhookDeliveryTests {
    typealias Flows = EmailDeliveryFlows

    @Test func anEmailIsPostedSignedAndTheReceiversIdRecorded() throws {
        let mail = try Flows.delivered(WebhookDouble.self, name: "webhook", code: 200)
        #expect(mail["channel"] == .string("email"))
        #expect(mail["to"] == .string("ana@example.org"))
        #expect(mail["from"] == .string("Example <no-reply@example.com>"))
        #expect(mail["reply_to"] == .string("Example App <support@example.com>"))
        #expect(mail["subject"] == .string("482913 is your verification code"))
        #expect(mail["text"]?.stringValue?.contains("482913") == true)
        #expect(mail["html"]?.stringValue?.contains("<strong>482913</strong>") == true)
        #expect(mail["slug"] == .string("verification_code"))
        #expect(mail["message_id"] == .int(1))
        #expect(mail["webhook_id"]?.stringValue?.hasPrefix("msg_") == true)
        #expect(mail["clerk_id"]?.stringValue?.hasPrefix("ema_") == true)
        #expect(mail["data"]?["otp_code"] == .string("482913"))
        #expect(mail["data"]?["app"]?["name"] == .string("Example App"))
    }

    @Test func anSMSIsPostedWithTheFromOfTheURL() throws {
        let receiver = try WebhookDouble([.accept], query: "?from=%2B15550001111")
        let attempt = try SMSDeliveryScenarios.delivered(receiver, name: "webhook", code: 200)
        let sms = try #require(receiver.sent.first)
        #expect(attempt["provider_id"] == .string(sms.id))
        #expect(sms.body["channel"] == .string("sms"))
        #expect(sms.body["to"] == .string("+15555550123"))
        #expect(sms.body["from"] == .string("+15550001111"))
        #expect(sms.body["body"]?.stringValue?.contains("731055") == true)
        #expect(sms.body["clerk_id"]?.stringValue?.hasPrefix("sms_") == true)
        #expect(sms.body["data"]?["otp_code"] == .string("731055"))
        let post = try #require(receiver.posts.first)
        let svixID = try #require(sms.body["webhook_id"]?.stringValue)
        #expect(post.header("webhook-id") == "herald-\(svixID)-1")
        #expect(post.header("content-type") == "application/json")
    }

    /// What the receiver deduplicates on stays; what proves freshness changes.
    @Test func aRetryCarriesTheSameWebhookIDWithAFreshTimestampAndSignature() throws {
        let receiver = try WebhookDouble([.rateLimited(retryAfter: "1"), .unavailable, .accept])
        let gateway = try Flows.sending(receiver.url)
        let shown = try #require(try gateway.waitForStatus(1, "sent", timeout: 20))
        gateway.stop()
        #expect(shown.attempts.map { $0["code"] } == [.int(429), .int(503), .int(200)])  // each verified, or it would be 401
        let posts = receiver.posts
        #expect(posts.count == 3)
        #expect(Set(posts.compactMap { $0.header("webhook-id") }).count == 1)
        let stamps = posts.compactMap { $0.header("webhook-timestamp").flatMap { Int64($0) } }
        #expect(stamps.count == 3 && stamps == stamps.sorted() && Set(stamps).count == 3, "\(stamps)")
        #expect(Set(posts.compactMap { $0.header("webhook-signature") }).count == 3)
        #expect(Set(posts.map(\.body)).count == 1)
        #expect(receiver.sent.count == 1)
    }

    @Test func aRefusalFailsAtOnceWithTheReceiversCode() throws {
        try Flows.recipientErrorFailsAtOnce(WebhookDouble.self, lastError: "rejected (422, invalid_recipient)", providerCode: "invalid_recipient")
        try SMSDeliveryScenarios.failsAtOnce(
            try WebhookDouble([.recipientError]), lastError: "rejected (422, invalid_recipient)", providerCode: "invalid_recipient")
    }

    @Test func throttlingAndOutagesAreRetriedUntilAccepted() throws {
        try Flows.retriedUntilAccepted(WebhookDouble.self, codes: [429, 503, 200])
        try SMSDeliveryScenarios.retriedUntilSent(
            try WebhookDouble([.rateLimited(retryAfter: "1"), .unavailable, .accept]),
            outcomes: [["retryable", "429"], ["retryable", "503"], ["delivered", "200"]], firstError: "rate_limited (429")
    }

    /// The receiver took the first post but answered too late: the retry is flagged as
    /// possibly sent, and the receiver, seeing the same webhook-id, takes it only once.
    @Test func aHangIsRetriedAmbiguousAndTheReceiverDeduplicates() throws {
        let stderr = try Flows.hangIsRetried(WebhookDouble.self, sends: 1)
        #expect(stderr.contains("delivery.ambiguous=true"))
        try SMSDeliveryScenarios.hangIsRetriedAndAmbiguous(try WebhookDouble([.hang(seconds: 3), .accept]))
    }

    @Test func anotherSecretIsRefusedByTheReceiverRetriedAndLoud() throws {
        let receiver = try WebhookDouble()
        try SMSDeliveryScenarios.wrongSecretIsRetriedAndLoud(
            receiver.url.replacingOccurrences(of: WebhookDouble.signingSecret, with: WebhookDouble.otherSecret),
            wrong: String(WebhookDouble.otherSecret.dropFirst("whsec_".count)), lastError: "provider_auth_failed (401, signature_mismatch)")
        #expect(receiver.sent.isEmpty)
        #expect(!receiver.posts.isEmpty)
    }

    static let secret = "aGVyYWxkLXdlYmhvb2stZG91YmxlLWsx"

    @Test(arguments: [
        ("webhook+https://hooks.example.com/herald", "missing the signing secret", secret),
        ("webhook+https://whsec_c2VjcmV0LXNlY3JldA@hooks.example.com/herald", "must be whsec_ followed by base64", "c2VjcmV0LXNlY3JldA"),
        ("webhook+http://whsec_\(secret)@hooks.example.com/herald", "only on a loopback host", secret),
        ("webhook+https://whsec_\(secret)@default", "no default host", secret),
        ("webhook+https://whsec_\(secret)@hooks.example.com/herald?secret=x", "unknown option \"secret\"", secret),
    ])
    func aMalformedURLStopsServeNamingTheVariable(_ url: String, _ expected: String, _ hidden: String) throws {
        try Flows.malformedURLStopsServe(url, expected, secret: hidden)
        try SMSDeliveryScenarios.malformedURLStops(url, expected: expected, secret: hidden)
    }

    @Test func aFromIsForSMSOnly() throws {
        try Flows.malformedURLStopsServe(
            "webhook+https://whsec_\(Self.secret)@hooks.example.com/herald?from=%2B15550001111", "from is for SMS only", secret: Self.secret)
    }
}
