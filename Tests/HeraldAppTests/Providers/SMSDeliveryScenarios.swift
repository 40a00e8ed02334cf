import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

/// The end-to-end scenarios every HTTP SMS provider goes through, as Twilio's do:
/// `herald serve` with `HERALD_SMS_URL` pointing at the provider's double on 127.0.0.1, a
/// signed webhook from `herald simulate sms`, then `herald show --json` and `log`.
enum SMSDeliveryScenarios {
    typealias Gateway = ServeDeliveryTests.Gateway

    /// Sent, with the attempt naming the provider and its HTTP status; the secret is in
    /// neither stderr nor the database. Returns the attempt for the provider's own checks.
    @discardableResult
    static func delivered<Double: SMSProviderDouble>(_ provider: Double, name: String, code: Int) throws -> JSONValue {
        let gateway = try Gateway.withProviders(["HERALD_SMS_URL": provider.url])
        #expect(try gateway.herald("simulate", "sms", "--to", "+15555550123").0 == 0)
        let shown = try #require(try gateway.waitForStatus(1, "sent"))
        #expect(shown["status"] == .string("sent"))
        let attempt = try #require(shown.attempts.first)
        #expect(attempt["provider"] == .string(name))
        #expect(attempt["code"] == .int(Int64(code)))
        let (_, log, _) = try gateway.herald("log", "--json")
        #expect(log.contains("\"status\":\"sent\""))
        #expect(gateway.stop() == 0)
        #expect(!gateway.child.stderr.contains(Double.secret))
        #expect(!gateway.storedBytes().contains(Double.secret))
        #expect(gateway.child.waitFor { $0.stderr.contains("sms via \(name)") })
        return attempt
    }

    /// A recipient error: failed on the first attempt with the provider's code, and the
    /// provider never asked again.
    static func failsAtOnce(_ provider: some SMSProviderDouble, lastError: String, providerCode: String) throws {
        let gateway = try Gateway.withProviders(["HERALD_SMS_URL": provider.url])
        #expect(try gateway.herald("simulate", "sms").0 == 0)
        let shown = try #require(try gateway.waitForStatus(1, "failed"))
        #expect(shown["last_error"] == .string(lastError))
        #expect(shown.attempts.count == 1)
        #expect(shown.attempts.first?["provider_code"] == .string(providerCode))
        #expect(shown.attempts.first?["outcome"] == .string("permanent"))
        Thread.sleep(forTimeInterval: 1.2)
        #expect(provider.double.requests.filter { $0.method == "POST" }.count == 1)  // never tried again
        gateway.stop()
    }

    /// Throttled and failing answers retried until the provider takes the message:
    /// `outcomes` is each attempt's outcome and code, `firstError` how the first began.
    static func retriedUntilSent(_ provider: some SMSProviderDouble, outcomes: [[String]], firstError: String) throws {
        let config = Gateway.fastDelivery.replacingOccurrences(of: #""max_attempts": 3"#, with: #""max_attempts": \#(max(outcomes.count, 3))"#)
        let gateway = try Gateway.withProviders(["HERALD_SMS_URL": provider.url], config: config)
        #expect(try gateway.herald("simulate", "sms").0 == 0)
        let shown = try #require(try gateway.waitForStatus(1, "sent", timeout: 20))
        #expect(shown["status"] == .string("sent"))
        #expect(shown.attempts.map { [$0["outcome"]?.stringValue ?? "", $0["code"].map { $0.serialized() } ?? ""] } == outcomes)
        #expect(shown.attempts.first?["error"]?.stringValue?.hasPrefix(firstError) == true, "\(shown.attempts.first ?? .null)")
        gateway.stop()
    }

    /// No answer within the provider timeout: retried, and logged as possibly sent.
    static func hangIsRetriedAndAmbiguous(_ provider: some SMSProviderDouble) throws {
        let gateway = try Gateway.withProviders(["HERALD_SMS_URL": provider.url])
        #expect(try gateway.herald("simulate", "sms").0 == 0)
        let shown = try #require(try gateway.waitForStatus(1, "sent", timeout: 20))
        #expect(shown.attempts.count == 2)
        #expect(shown.attempts.first?["error"]?.stringValue?.hasPrefix("timeout") == true)
        #expect(gateway.stop() == 0)
        #expect(gateway.child.waitFor { $0.stderr.contains("delivery.ambiguous=true") })
    }

    /// The provider refuses the credential: retried (an operator can mend it), logged as
    /// an error, and the wrong value never shown.
    static func wrongSecretIsRetriedAndLoud(_ url: String, wrong: String, lastError: String) throws {
        let gateway = try Gateway.withProviders(["HERALD_SMS_URL": url])
        #expect(try gateway.herald("simulate", "sms").0 == 0)
        let shown = try #require(try gateway.waitForStatus(1, "retrying"))
        #expect(shown["last_error"] == .string(lastError))
        #expect(gateway.child.waitFor(timeout: 5) { $0.stderr.contains("refused Herald's credentials") })
        gateway.stop()
        #expect(!gateway.child.stderr.contains(wrong))
    }

    /// A URL Herald cannot use stops `serve` and fails `check`, naming the variable and
    /// the problem but never `secret`.
    static func malformedURLStops(_ url: String, expected: String, secret: String) throws {
        let folder = try temporaryFolder()
        let (status, _, stderr) = try Child.run(
            ["serve"], environment: ["HERALD_SMS_URL": url, "HERALD_WEBHOOK_SECRET": testSecretText, "HERALD_LISTEN": "127.0.0.1:0",
                                     "HERALD_DATABASE": folder.appendingPathComponent("h.db").path], directory: folder)
        #expect(status == 1)
        #expect(stderr.contains("Error: HERALD_SMS_URL: "))
        #expect(stderr.contains(expected), "\(stderr)")
        #expect(!stderr.contains(secret))
        let (checkStatus, checkOut, checkErr) = try Child.run(["check"], environment: ["HERALD_SMS_URL": url], directory: folder)
        #expect(checkStatus == 1)
        #expect((checkOut + checkErr).contains(expected))
        #expect(!(checkOut + checkErr).contains(secret))
    }
}
