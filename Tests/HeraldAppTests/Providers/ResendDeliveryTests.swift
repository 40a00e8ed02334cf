import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

/// Email through Resend's `POST /emails`, end to end: `herald serve` with
/// `HERALD_EMAIL_URL`, `herald simulate email`, a Resend double on 127.0.0.1 that keeps
/// idempotency keys as Resend does.
@Suite(.serialized) struct ResendDeliveryTests {
    typealias Flows = EmailDeliveryFlows

    @Test func anEmailReachesResendAndTheIdIsRecorded() throws {
        let email = try Flows.delivered(ResendDouble.self, name: "resend", code: 200)
        #expect(email["from"] == .string("Example <no-reply@example.com>"))
        #expect(email["to"] == .array([.string("ana@example.org")]))
        #expect(email["reply_to"] == .string("Example App <support@example.com>"))
        #expect(email["subject"] == .string("482913 is your verification code"))
        #expect(email["text"]?.stringValue?.contains("482913") == true)
        #expect(email["html"]?.stringValue?.contains("<strong>482913</strong>") == true)
        let tags = email["tags"]?.array?.compactMap { tag in tag["name"]?.stringValue.map { ($0, tag["value"]?.stringValue ?? "") } } ?? []
        #expect(tags.map(\.0) == ["herald_message_id", "clerk_id", "slug"])
        #expect(tags.first?.1 == "1")
        #expect(tags.dropFirst().first?.1.hasPrefix("ema_") == true)
    }

    @Test func theIdempotencyKeyIsTheSameOnEveryAttempt() throws {
        let resend = try ResendDouble([.unavailable, .accept])
        let gateway = try Flows.sending(resend.url)
        _ = try #require(try gateway.waitForStatus(1, "sent", timeout: 20))
        let keys = resend.double.requests.compactMap { $0.header("idempotency-key") }
        #expect(keys.count == 2)
        #expect(Set(keys).count == 1)
        #expect(keys.first?.hasPrefix("herald-msg_") == true)
        gateway.stop()
    }

    @Test func anInvalidAddressFailsAtOnce() throws {
        try Flows.recipientErrorFailsAtOnce(ResendDouble.self, lastError: "bad_recipient (422, validation_error)", providerCode: "validation_error")
    }

    @Test func rateLimitsAndOutagesAreRetriedUntilAccepted() throws {
        try Flows.retriedUntilAccepted(ResendDouble.self, codes: [429, 500, 200])
    }

    /// Resend took the first request and answers after Herald gave up; the retry carries
    /// the same key, so Resend answers with the first id (or, while the first is still in
    /// flight, 409 concurrent_idempotent_requests, retried in turn): sent exactly once, and
    /// never flagged ambiguous.
    @Test func aHangPastTheTimeoutFollowedByARetryDeliversExactlyOnce() throws {
        let config = #"{"delivery": {"retry_base_seconds": 1, "retry_max_seconds": 2, "max_attempts": 5, "provider_timeout_seconds": 1}}"#
        let stderr = try Flows.hangIsRetried(ResendDouble.self, seconds: 2.5, sends: 1, config: config)
        #expect(!stderr.contains("delivery.ambiguous=true"))
    }

    @Test func theDoubleKeepsKeysAsResendDoes() throws {
        let resend = try ResendDouble()
        let context = SendContext(messageID: 4, webhookID: "msg_idem", now: Int64(Date().timeIntervalSince1970 * 1000))
        let first = try Flows.send(resend.url, Flows.email(), context: context)
        guard case .delivered(let id?, 200) = first else { Issue.record("\(first)"); return }
        // The same key and body: the original id, and nothing sent again.
        var retry = context
        retry.attempt = 2
        #expect(try Flows.send(resend.url, Flows.email(), context: retry) == .delivered(providerID: id, code: 200))
        #expect(resend.sent.count == 1)
        // The same key with another body: refused for good.
        let changed = try Flows.send(resend.url, Flows.email(subject: "another subject"), context: retry)
        #expect(changed.failure?.providerCode == "invalid_idempotent_request")
        #expect(changed.failure?.scope == .recipient)
        #expect(resend.sent.count == 1)
        // Another message: another key, sent.
        var other = context
        other.messageID = 5
        #expect(try Flows.send(resend.url, Flows.email(), context: other).failure == nil)
        #expect(resend.sent.count == 2)
    }

    @Test func aRetryWhileTheFirstIsInFlightWaitsItsTurn() throws {
        let resend = try ResendDouble([.hang(seconds: 1), .accept])
        let context = SendContext(messageID: 6, webhookID: "msg_inflight", now: Int64(Date().timeIntervalSince1970 * 1000))
        let first = try Flows.send(resend.url, Flows.email(), context: context, timeout: 300)
        #expect(first.failure?.code == .timeout)
        #expect(first.failure?.ambiguous == false)
        let concurrent = try Flows.send(resend.url, Flows.email(), context: context)
        #expect(concurrent.failure?.providerCode == "concurrent_idempotent_requests")
        #expect(concurrent.failure?.scope == .transient)
        Thread.sleep(forTimeInterval: 1)
        let original = try #require(resend.sent.first?.id)
        #expect(try Flows.send(resend.url, Flows.email(), context: context) == .delivered(providerID: original, code: 200))
        #expect(resend.sent.count == 1)
    }

    @Test func aWrongKeyIsRetriedAndLoud() throws {
        try Flows.wrongKeyIsRetriedAndLoud(ResendDouble.self, lastError: "provider_auth_failed (403, invalid_api_key)")
    }

    @Test(arguments: [
        ("resend://re_secret-key@default?region=eu", "unknown option \"region\" (known: endpoint, name, rate)"),
        ("resend://x:re_secret-key@default", "give the key alone before the @"),
        ("resend://re_secret-key@default?endpoint=api.resend.com", "endpoint must be an absolute URL"),
    ])
    func aMalformedURLStopsServeWithTheVariableAndNoSecret(_ url: String, _ expected: String) throws {
        try Flows.malformedURLStopsServe(url, expected, secret: "secret-key")
    }

    @Test func theProbeListsDomainsAndTakesASendingOnlyKeyAsANote() throws {
        let resend = try ResendDouble()
        #expect(try Flows.probe(resend.url) == .ok("the key is accepted; verified domain(s): example.com"))
        let sendingOnly = try Flows.probe(resend.url.replacingOccurrences(of: ResendDouble.apiKey, with: ResendDouble.sendingKey))
        #expect(sendingOnly.isOK)
        #expect("\(sendingOnly)".contains("sending-only key"))
        #expect(try !Flows.probe(resend.url.replacingOccurrences(of: ResendDouble.apiKey, with: "re_wrong")).isOK)
        #expect(resend.sent.isEmpty)
    }
}
