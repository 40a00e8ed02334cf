import Foundation
import HeraldCore
import Testing

/// SMS through Vonage's SMS API, end to end (see ``SMSDeliveryScenarios``).
@Suite(.serialized) struct VonageDeliveryTests {
    @Test func anSMSReachesVonageAndTheAttemptIsRecorded() throws {
        let vonage = try VonageDouble()
        let attempt = try SMSDeliveryScenarios.delivered(vonage, name: "vonage", code: 200)
        #expect(attempt["provider_id"]?.stringValue?.count == 16)
        let form = try #require(vonage.accepted.first)
        #expect(form["to"] == "15555550123")
        #expect(form["from"] == "Acme")
        #expect(form["api_key"] == VonageDouble.apiKey)
        #expect(form["text"]?.contains("731055") == true)
        #expect(form["type"] == nil)
    }

    @Test func anUnknownPrefixFailsAtOnceWithVonagesStatus() throws {
        try SMSDeliveryScenarios.failsAtOnce(try VonageDouble([.refuse("6")]), lastError: "bad_recipient (200, 6)", providerCode: "6")
    }

    @Test func throttlingAndOutagesAreRetriedUntilAccepted() throws {
        let vonage = try VonageDouble([.refuse("1"), .rateLimited(retryAfter: "1"), .unavailable, .accept])
        try SMSDeliveryScenarios.retriedUntilSent(
            vonage, outcomes: [["retryable", "200"], ["retryable", "429"], ["retryable", "503"], ["delivered", "200"]],
            firstError: "rate_limited (200, 1)")
    }

    @Test func aHangPastTheTimeoutIsRetriedAndFlaggedAmbiguous() throws {
        try SMSDeliveryScenarios.hangIsRetriedAndAmbiguous(try VonageDouble([.hang(seconds: 3), .accept]))
    }

    @Test func aWrongSecretIsRetriedAndLoud() throws {
        let vonage = try VonageDouble()
        try SMSDeliveryScenarios.wrongSecretIsRetriedAndLoud(
            vonage.url.replacingOccurrences(of: VonageDouble.apiSecret, with: "not-the-secret"), wrong: "not-the-secret",
            lastError: "provider_auth_failed (200, 4)")
    }

    @Test(arguments: [
        ("vonage://a1b2c3d4@default?from=Acme", "missing the API secret"),
        ("vonage://a1b2c3d4:secret-token@default", "missing ?from="),
        ("vonage://a1b2c3d4:secret-token@default?from=Acme&endpoint=http://10.1.2.3", "plain http"),
        ("vonage://a1b2c3d4:secret-token@default?from=Acme&api=sms", "unknown option \"api\""),
    ])
    func aMalformedURLStopsServeWithTheVariableAndNoSecret(_ url: String, _ expected: String) throws {
        try SMSDeliveryScenarios.malformedURLStops(url, expected: expected, secret: "secret-token")
    }
}
