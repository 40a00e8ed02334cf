import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

/// SES and SNS through `herald serve` against `AWSDouble`, for what moto cannot be told to do:
/// throttling, outages, a hang, a refused recipient; and the URLs `serve` and `check` refuse.
@Suite(.serialized) struct AWSDoubleDeliveryTests {
    static func gateway(_ double: AWSDouble) throws -> ServeDeliveryTests.Gateway {
        try .withProviders(
            double.service == .ses
                ? ["HERALD_EMAIL_URL": double.url, "HERALD_EMAIL_FROM": "Acme <noreply@acme.example>"] : ["HERALD_SMS_URL": double.url])
    }

    static func simulate(_ gateway: ServeDeliveryTests.Gateway, _ service: AWSDouble.Service) throws -> Int32 {
        try gateway.herald("simulate", service == .ses ? "email" : "sms").0
    }

    /// SES throttles with 429 `TooManyRequestsException`, SNS with 400 `Throttling`; SES's
    /// outage here is a bare 503, SNS's a 500 `InternalError`.
    @Test(arguments: [
        (AWSDouble.Service.ses, [["retryable", "429"], ["retryable", "503"], ["delivered", "200"]], "rate_limited (429, TooManyRequestsException)"),
        (.sns, [["retryable", "400"], ["retryable", "500"], ["delivered", "200"]], "rate_limited (400, Throttling)"),
    ])
    func throttlingAndOutagesAreRetriedUntilAccepted(_ service: AWSDouble.Service, _ expected: [[String]], _ firstError: String) throws {
        let double = try AWSDouble(service, [.throttle, .unavailable, .accept])
        let gateway = try Self.gateway(double)
        #expect(try Self.simulate(gateway, service) == 0)
        let shown = try #require(try gateway.waitForStatus(1, "sent", timeout: 20))
        let outcomes = shown.attempts.map { [$0["outcome"]?.stringValue ?? "", $0["code"].map { $0.serialized() } ?? ""] }
        #expect(outcomes == expected)
        #expect(shown.attempts.first?["error"]?.stringValue?.hasPrefix(firstError) == true)
        #expect(shown.attempts.last?["provider_id"]?.stringValue?.isEmpty == false)
        gateway.stop()
    }

    @Test(arguments: [AWSDouble.Service.ses, .sns])
    func aHangPastTheTimeoutIsRetriedAndFlaggedAmbiguous(_ service: AWSDouble.Service) throws {
        let double = try AWSDouble(service, [.hang(seconds: 3), .accept])
        let gateway = try Self.gateway(double)
        #expect(try Self.simulate(gateway, service) == 0)
        let shown = try #require(try gateway.waitForStatus(1, "sent", timeout: 20))
        #expect(shown.attempts.count == 2)
        #expect(shown.attempts.first?["error"]?.stringValue?.hasPrefix("timeout") == true)
        #expect(gateway.stop() == 0)
        #expect(gateway.child.waitFor { $0.stderr.contains("delivery.ambiguous=true") })
    }

    /// SES refusing the content, SNS the number (which its message names: masked in the record).
    @Test(arguments: [
        (AWSDouble.Service.ses, "rejected (400, MessageRejected)", "Message rejected: content refused"),
        (.sns, "bad_recipient (400, InvalidParameter)", "PhoneNumber Reason: <number> is not valid to publish to"),
    ])
    func aRefusedRecipientOrContentFailsAtOnce(_ service: AWSDouble.Service, _ reason: String, _ detail: String) throws {
        let double = try AWSDouble(service, [.refuseRecipient])
        let gateway = try Self.gateway(double)
        #expect(try Self.simulate(gateway, service) == 0)
        let shown = try #require(try gateway.waitForStatus(1, "failed"))
        #expect(shown["last_error"] == .string(reason))
        #expect(shown.attempts.count == 1)
        #expect(shown.attempts.first?["outcome"] == .string("permanent"))
        #expect(shown.attempts.first?["error"]?.stringValue?.hasSuffix(detail) == true)
        Thread.sleep(forTimeInterval: 1.2)
        #expect(double.double.requests.count == 1)  // never tried again
        gateway.stop()
    }

    // MARK: - Configuration

    static let key = "AKIAIOSFODNN7EXAMPLE:secret/Key+1"

    @Test(arguments: [
        ("ses://\(key)@default", "missing ?region="),
        ("ses://\(key)@default?region=eu-west-1.evil", "region must be"),
        ("ses://ASIAIOSFODNN7EXAMPLE:secret/Key+1@default?region=eu-west-1", "temporary one (ASIA...)"),
        ("ses://\(key)@default?region=eu-west-1&endpoint=http://10.1.2.3", "plain http"),
        ("ses://\(key)@default?region=eu-west-1&configuration=x", "unknown option \"configuration\""),
        ("sns://\(key)@default?region=us-east-1&sender_id=Acme%20Inc", "sender_id must be"),
        ("sns://\(key)@default?region=us-east-1&sms_type=bulk", "sms_type must be"),
        // Real session tokens are hundreds of characters: the URL shown redacts them, as any long value.
        ("sns://\(key)@default?region=us-east-1&session_token=IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexample==", "session token"),
        ("sns://AKIAIOSFODNN7EXAMPLE@default?region=us-east-1", "missing the secret access key"),
    ])
    func aMalformedURLStopsServeAndCheckWithTheVariableAndNoSecret(_ url: String, _ expected: String) throws {
        let variable = url.hasPrefix("ses") ? "HERALD_EMAIL_URL" : "HERALD_SMS_URL"
        let folder = try temporaryFolder()
        let (status, _, stderr) = try Child.run(
            ["serve"],
            environment: [
                variable: url, "HERALD_WEBHOOK_SECRET": testSecretText, "HERALD_LISTEN": "127.0.0.1:0",
                "HERALD_DATABASE": folder.appendingPathComponent("h.db").path,
            ], directory: folder)
        #expect(status == 1)
        #expect(stderr.contains("Error: \(variable): "))
        #expect(stderr.contains(expected), "\(stderr)")
        let (checkStatus, checkOut, checkErr) = try Child.run(["check"], environment: [variable: url], directory: folder)
        #expect(checkStatus == 1)
        #expect((checkOut + checkErr).contains(expected))
        for output in [stderr, checkOut + checkErr] {
            #expect(!output.contains("secret/Key"))
            #expect(!output.contains("IQoJb3"))
        }
    }
}
