import Foundation
import HeraldCore
import Testing

/// SMS through Plivo's Message API, end to end (see ``SMSDeliveryScenarios``).
@Suite(.serialized) struct PlivoDeliveryTests {
    @Test func anSMSReachesPlivoAndTheAttemptIsRecorded() throws {
        let plivo = try PlivoDouble()
        let attempt = try SMSDeliveryScenarios.delivered(plivo, name: "plivo", code: 202)
        #expect(attempt["provider_id"]?.stringValue?.count == 36)
        let body = try #require(plivo.accepted.first)
        #expect(body["dst"] == .string("+15555550123"))
        #expect(body["src"] == .string("+15550001111"))
        #expect(body["text"]?.stringValue?.contains("731055") == true)
    }

    @Test func anInvalidNumberFailsAtOnce() throws {
        try SMSDeliveryScenarios.failsAtOnce(
            try PlivoDouble([.refuse(.invalidNumber)]), lastError: "bad_recipient (202, invalid_number)", providerCode: "invalid_number")
    }

    @Test func rateLimitsAndOutagesAreRetriedUntilAccepted() throws {
        let plivo = try PlivoDouble([.rateLimited(retryAfter: "1"), .unavailable, .accept])
        try SMSDeliveryScenarios.retriedUntilSent(
            plivo, outcomes: [["retryable", "429"], ["retryable", "500"], ["delivered", "202"]],
            firstError: "rate_limited (429, rate_limit_exceeded)")
    }

    @Test func aHangPastTheTimeoutIsRetriedAndFlaggedAmbiguous() throws {
        try SMSDeliveryScenarios.hangIsRetriedAndAmbiguous(try PlivoDouble([.hang(seconds: 3), .accept]))
    }

    @Test func aWrongTokenIsRetriedAndLoud() throws {
        let plivo = try PlivoDouble()
        try SMSDeliveryScenarios.wrongSecretIsRetriedAndLoud(
            plivo.url.replacingOccurrences(of: PlivoDouble.authToken, with: "not-the-token"), wrong: "not-the-token",
            lastError: "provider_auth_failed (401, authentication_failed)")
    }

    @Test(arguments: [
        ("plivo://MA%2F..:secret-token@default?from=+15550001111", "the auth ID must be letters and digits"),
        ("plivo://\(PlivoDouble.authID):secret-token@default", "missing ?from="),
        ("plivo://\(PlivoDouble.authID):secret-token@default?from=+15550001111&endpoint=http://10.1.2.3", "plain http"),
        ("plivo://\(PlivoDouble.authID):secret-token@default?from=15550001111", "from must be"),
    ])
    func aMalformedURLStopsServeWithTheVariableAndNoSecret(_ url: String, _ expected: String) throws {
        try SMSDeliveryScenarios.malformedURLStops(url, expected: expected, secret: "secret-token")
    }
}
