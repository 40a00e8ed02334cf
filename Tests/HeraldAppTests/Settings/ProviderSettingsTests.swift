import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

/// The HTTP providers' settings: the SMS provider URL, the CA bundle their certificates are
/// checked against, and how long one request may take.
@Suite(.serialized) struct ProviderSettingsTests {
    @Test func smsGoesToTheSMSURLsProvider() throws {
        let twilio = try TwilioDouble()
        let gateway = try ServeGateway.configured(nil, ["HERALD_SMS_URL": twilio.url + "&name=primary"])
        #expect(try gateway.post() == 200)
        let shown = try #require(try gateway.waitForStatus(1, "sent"))
        #expect(shown.attempts.first?["provider"] == .string("primary"))
        #expect(twilio.accepted.map { $0["To"] } == ["+15555550123"])
        #expect(gateway.stop() == 0)
        #expect(!gateway.exists("var/outbox/sms"))
        #expect(gateway.child.waitFor { $0.stderr.contains("sms via primary") })
    }

    @Test func providersCertificatesAreCheckedAgainstTheHTTPCAFile() throws {
        let https = try HTTPSDouble()
        let trusted = try ServeGateway.configured(nil, ["HERALD_SMS_URL": https.twilioURL, "HERALD_HTTP_CA_FILE": https.caFile])
        #expect(try trusted.post() == 200)
        let sent = try #require(try trusted.waitForStatus(1, "sent"))
        #expect(sent.attempts.first?["provider_id"] == .string("SMtls0001"))
        #expect(trusted.stop() == 0)

        // The system's CAs do not vouch for it: nothing is sent.
        let untrusted = try ServeGateway.configured(nil, ["HERALD_SMS_URL": https.twilioURL])
        #expect(try untrusted.post() == 200)
        let refused = try #require(try untrusted.waitForStatus(1, "retrying"))
        #expect(refused["last_error"]?.stringValue?.hasPrefix("tls_failed") == true, "\(refused)")
        #expect(untrusted.stop() == 0)
        #expect(https.requests == 1)

        let folder = try temporaryFolder()
        let missing = folder.appendingPathComponent("missing.pem").path
        let (status, _, error) = try Child.run(
            ["serve"], environment: ["HERALD_SMS_URL": https.twilioURL, "HERALD_HTTP_CA_FILE": missing, "HERALD_WEBHOOK_SECRET": testSecretText],
            directory: folder)
        #expect(status == 1)
        #expect(error.contains("HERALD_HTTP_CA_FILE: cannot read \"\(missing)\""))
    }

    @Test func oneRequestMayTakeTheProviderTimeout() throws {
        // Twilio answers the first request after 10 s: past a 2 s timeout, well inside the default 30 s.
        let twilio = try TwilioDouble([.hang(seconds: 10), .accept])
        defer { twilio.double.stop() }  // without waiting for the hang to end
        let gateway = try ServeGateway.configured(
            #"{"delivery": {"provider_timeout_seconds": 2, "retry_base_seconds": 1, "retry_max_seconds": 1}}"#, ["HERALD_SMS_URL": twilio.url])
        #expect(try gateway.post() == 200)
        let shown = try #require(try gateway.waitForStatus(1, "sent", timeout: 15))
        #expect(shown.attempts.count == 2)
        let first = try #require(shown.attempts.first)
        #expect(first["error"]?.stringValue?.hasPrefix("timeout") == true, "\(first)")
        guard case .int(let duration)? = first["duration_ms"] else { Issue.record("no duration: \(first)"); return }
        #expect((1_800..<6_000).contains(duration), "the first attempt took \(duration) ms")
        #expect(gateway.stop() == 0)
    }
}
