import Foundation
import HeraldCore
import Testing

/// SMS through Telnyx's Messaging API, end to end (see ``SMSDeliveryScenarios``).
@Suite(.serialized) struct TelnyxDeliveryTests {
    @Test func anSMSReachesTelnyxAndTheAttemptIsRecorded() throws {
        let telnyx = try TelnyxDouble()
        let attempt = try SMSDeliveryScenarios.delivered(telnyx, name: "telnyx", code: 200)
        #expect(attempt["provider_id"]?.stringValue?.count == 36)
        let body = try #require(telnyx.accepted.first)
        #expect(body["to"] == .string("+15555550123"))
        #expect(body["from"] == .string("+15550001111"))
        #expect(body["messaging_profile_id"] == nil)
        #expect(body["text"]?.stringValue?.contains("731055") == true)
    }

    @Test func aRecipientWhoSentStopFailsAtOnceWithTelnyxsCode() throws {
        let telnyx = try TelnyxDouble([.refuse(.init(code: "40300", status: 409))])
        try SMSDeliveryScenarios.failsAtOnce(telnyx, lastError: "recipient_unsubscribed (409, 40300)", providerCode: "40300")
    }

    @Test func rateLimitsAndOutagesAreRetriedUntilAccepted() throws {
        let telnyx = try TelnyxDouble([.rateLimited(retryAfter: "1"), .unavailable, .accept])
        try SMSDeliveryScenarios.retriedUntilSent(
            telnyx, outcomes: [["retryable", "429"], ["retryable", "503"], ["delivered", "200"]], firstError: "rate_limited (429, 10011)")
    }

    @Test func aHangPastTheTimeoutIsRetriedAndFlaggedAmbiguous() throws {
        try SMSDeliveryScenarios.hangIsRetriedAndAmbiguous(try TelnyxDouble([.hang(seconds: 3), .accept]))
    }

    @Test func aWrongKeyIsRetriedAndLoud() throws {
        let telnyx = try TelnyxDouble()
        try SMSDeliveryScenarios.wrongSecretIsRetriedAndLoud(
            telnyx.url.replacingOccurrences(of: TelnyxDouble.apiKey, with: "KEYnot-the-key"), wrong: "KEYnot-the-key",
            lastError: "provider_auth_failed (401, 10009)")
    }

    @Test(arguments: [
        ("telnyx://KEYsecret-token@default?from=Acme", "missing ?messaging_profile_id="),
        ("telnyx://KEYsecret-token@default", "missing ?from="),
        ("telnyx://KEYsecret-token@default?from=+15550001111&endpoint=http://10.1.2.3", "plain http"),
        ("telnyx://KEYsecret-token@default?from=+15550001111&messaging_profile_id=main", "must be the profile's UUID"),
    ])
    func aMalformedURLStopsServeWithTheVariableAndNoSecret(_ url: String, _ expected: String) throws {
        try SMSDeliveryScenarios.malformedURLStops(url, expected: expected, secret: "secret-token")
    }
}
