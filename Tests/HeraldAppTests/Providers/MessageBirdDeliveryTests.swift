import Foundation
import HeraldCore
import Testing

/// SMS through MessageBird's legacy REST API, end to end (see ``SMSDeliveryScenarios``).
@Suite(.serialized) struct MessageBirdDeliveryTests {
    @Test func anSMSReachesMessageBirdAndTheAttemptIsRecorded() throws {
        let messageBird = try MessageBirdDouble()
        let attempt = try SMSDeliveryScenarios.delivered(messageBird, name: "messagebird", code: 201)
        #expect(attempt["provider_id"]?.stringValue?.count == 32)
        let body = try #require(messageBird.accepted.first)
        #expect(body["recipients"] == .array([.string("15555550123")]))
        #expect(body["originator"] == .string("Acme"))
        #expect(body["datacoding"] == .string("plain"))
        #expect(body["body"]?.stringValue?.contains("731055") == true)
    }

    @Test func noCorrectRecipientFailsAtOnceWithMessageBirdsCode() throws {
        let messageBird = try MessageBirdDouble([.refuse(MessageBirdDouble.noRecipients)])
        try SMSDeliveryScenarios.failsAtOnce(messageBird, lastError: "bad_recipient (422, 9)", providerCode: "9")
    }

    @Test func rateLimitsAndInternalErrorsAreRetriedUntilAccepted() throws {
        let messageBird = try MessageBirdDouble([.rateLimited(retryAfter: "1"), .unavailable, .accept])
        try SMSDeliveryScenarios.retriedUntilSent(
            messageBird, outcomes: [["retryable", "429"], ["retryable", "500"], ["delivered", "201"]], firstError: "rate_limited (429)")
    }

    @Test func aHangPastTheTimeoutIsRetriedAndFlaggedAmbiguous() throws {
        try SMSDeliveryScenarios.hangIsRetriedAndAmbiguous(try MessageBirdDouble([.hang(seconds: 3), .accept]))
    }

    @Test func aWrongAccessKeyIsRetriedAndLoud() throws {
        let messageBird = try MessageBirdDouble()
        try SMSDeliveryScenarios.wrongSecretIsRetriedAndLoud(
            messageBird.url.replacingOccurrences(of: MessageBirdDouble.accessKey, with: "not-the-key"), wrong: "not-the-key",
            lastError: "provider_auth_failed (401, 2)")
    }

    @Test(arguments: [
        ("messagebird://secret-token@default", "missing ?from="),
        ("messagebird://secret-token@default?from=Acme+Corporation", "from must be"),
        ("messagebird://secret-token@default?from=Acme&endpoint=http://10.1.2.3", "plain http"),
        ("messagebird://user:secret-token@default?from=Acme", "only the access key"),
    ])
    func aMalformedURLStopsServeWithTheVariableAndNoSecret(_ url: String, _ expected: String) throws {
        try SMSDeliveryScenarios.malformedURLStops(url, expected: expected, secret: "secret-token")
    }
}
