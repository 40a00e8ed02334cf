import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

/// SMS through Twilio's API, end to end: `herald serve` with `HERALD_SMS_URL`, a signed
/// webhook from `herald simulate`, a Twilio double on 127.0.0.1, `herald show` and `log`.
@Suite(.serialized) struct TwilioDeliveryTests {
    @Test func anSMSReachesTwilioAndTheAttemptIsRecorded() throws {
        let twilio = try TwilioDouble()
        let gateway = try ServeDeliveryTests.Gateway.withProviders(["HERALD_SMS_URL": twilio.url])
        #expect(try gateway.herald("simulate", "sms", "--to", "+15555550123").0 == 0)
        let shown = try #require(try gateway.waitForStatus(1, "sent"))
        #expect(shown["status"] == .string("sent"))
        let form = try #require(twilio.accepted.first)
        #expect(form["To"] == "+15555550123")
        #expect(form["From"] == "+15550001111")
        #expect(form["Body"]?.contains("731055") == true)
        let attempt = try #require(shown.attempts.first)
        #expect(attempt["provider"] == .string("twilio"))
        #expect(attempt["code"] == .int(201))
        #expect(attempt["provider_id"]?.stringValue?.hasPrefix("SM") == true)
        let (_, log, _) = try gateway.herald("log", "--json")
        let logged = try JSONValue.parse(Array(log.split(separator: "\n")[0].utf8))
        #expect(logged["status"] == .string("sent"))
        #expect(logged["provider"] == .string("twilio"))
        #expect(logged["provider_id"] == attempt["provider_id"])
        #expect(gateway.stop() == 0)
        #expect(!gateway.child.stderr.contains(TwilioDouble.authToken))
        #expect(!gateway.storedBytes().contains(TwilioDouble.authToken))
        #expect(gateway.child.waitFor { $0.stderr.contains("sms via twilio") })
    }

    @Test func aRecipientErrorFailsAtOnceWithTwiliosCode() throws {
        let twilio = try TwilioDouble([.error(code: 21211, status: 400)])
        let gateway = try ServeDeliveryTests.Gateway.withProviders(["HERALD_SMS_URL": twilio.url])
        #expect(try gateway.herald("simulate", "sms").0 == 0)
        let shown = try #require(try gateway.waitForStatus(1, "failed"))
        #expect(shown["last_error"] == .string("bad_recipient (400, 21211)"))
        #expect(shown.attempts.count == 1)
        #expect(shown.attempts.first?["provider_code"] == .string("21211"))
        #expect(shown.attempts.first?["outcome"] == .string("permanent"))
        Thread.sleep(forTimeInterval: 1.2)
        #expect(twilio.double.requests.count == 1)  // never tried again
        gateway.stop()
    }

    @Test func rateLimitsAndOutagesAreRetriedUntilAccepted() throws {
        let twilio = try TwilioDouble([.rateLimited(retryAfter: "1"), .unavailable, .accept])
        let gateway = try ServeDeliveryTests.Gateway.withProviders(["HERALD_SMS_URL": twilio.url])
        #expect(try gateway.herald("simulate", "sms").0 == 0)
        let shown = try #require(try gateway.waitForStatus(1, "sent", timeout: 20))
        #expect(shown["status"] == .string("sent"))
        let outcomes = shown.attempts.map { [$0["outcome"]?.stringValue ?? "", $0["code"].map { $0.serialized() } ?? ""] }
        #expect(outcomes == [["retryable", "429"], ["retryable", "503"], ["delivered", "201"]])
        #expect(shown.attempts[0]["error"]?.stringValue?.hasPrefix("rate_limited (429, 20429)") == true)
        gateway.stop()
    }

    @Test func aHangPastTheTimeoutIsRetriedAndFlaggedAmbiguous() throws {
        let twilio = try TwilioDouble([.hang(seconds: 3), .accept])
        let gateway = try ServeDeliveryTests.Gateway.withProviders(["HERALD_SMS_URL": twilio.url])
        #expect(try gateway.herald("simulate", "sms").0 == 0)
        let shown = try #require(try gateway.waitForStatus(1, "sent", timeout: 20))
        #expect(shown.attempts.count == 2)
        #expect(shown.attempts.first?["error"]?.stringValue?.hasPrefix("timeout") == true)
        #expect(gateway.stop() == 0)
        #expect(gateway.child.waitFor { $0.stderr.contains("delivery.ambiguous=true") })
    }

    @Test func aWrongTokenIsRetriedAndLoud() throws {
        let twilio = try TwilioDouble()
        let wrong = twilio.url.replacingOccurrences(of: TwilioDouble.authToken, with: "not-the-token")
        let gateway = try ServeDeliveryTests.Gateway.withProviders(["HERALD_SMS_URL": wrong])
        #expect(try gateway.herald("simulate", "sms").0 == 0)
        let shown = try #require(try gateway.waitForStatus(1, "retrying"))
        #expect(shown["last_error"] == .string("provider_auth_failed (401, 20003)"))
        #expect(gateway.child.waitFor(timeout: 5) { $0.stderr.contains("refused Herald's credentials") })
        gateway.stop()
        #expect(!gateway.child.stderr.contains("not-the-token"))
    }

    @Test(arguments: [
        ("twilio://AC0f:secret-token@default?from=+15550001111", "the account SID must be AC followed by 32 hexadecimal digits"),
        ("twilio://\(TwilioDouble.accountSID):secret-token@default", "missing ?from="),
        ("twilio://\(TwilioDouble.accountSID):secret-token@default?from=+15550001111&endpoint=http://10.1.2.3", "plain http"),
        ("tvilio://\(TwilioDouble.accountSID):secret-token@default?from=+15550001111", "unknown provider \"tvilio\""),
    ])
    func aMalformedURLStopsServeWithTheVariableAndNoSecret(_ url: String, _ expected: String) throws {
        let folder = try temporaryFolder()
        let (status, _, stderr) = try Child.run(
            ["serve"], environment: ["HERALD_SMS_URL": url, "HERALD_WEBHOOK_SECRET": testSecretText, "HERALD_LISTEN": "127.0.0.1:0",
                                     "HERALD_DATABASE": folder.appendingPathComponent("h.db").path], directory: folder)
        #expect(status == 1)
        #expect(stderr.contains("Error: HERALD_SMS_URL: "))
        #expect(stderr.contains(expected), "\(stderr)")
        #expect(!stderr.contains("secret-token"))
        let (checkStatus, checkOut, checkErr) = try Child.run(["check"], environment: ["HERALD_SMS_URL": url], directory: folder)
        #expect(checkStatus == 1)
        #expect((checkOut + checkErr).contains(expected))
        #expect(!(checkOut + checkErr).contains("secret-token"))
    }

    @Test func checkProvidersAsksTwilioWithoutSendingAndNamesAWrongKey() throws {
        let twilio = try TwilioDouble()
        let folder = try temporaryFolder()
        let (good, goodOut, _) = try Child.run(["check", "--providers"], environment: ["HERALD_SMS_URL": twilio.url, "HERALD_CONFIG": ""], directory: folder)
        #expect(good == 0)
        #expect(goodOut.contains("provider twilio (sms): ok: account \(TwilioDouble.accountSID) is active"))
        #expect(goodOut.contains("provider outbox (email): ok"))
        let wrong = twilio.url.replacingOccurrences(of: TwilioDouble.authToken, with: "not-the-token")
        let (bad, badOut, badErr) = try Child.run(["check", "--providers"], environment: ["HERALD_SMS_URL": wrong, "HERALD_CONFIG": ""], directory: folder)
        #expect(bad == 1)
        #expect(badOut.contains("problem: provider twilio (sms): the credentials are refused (HTTP 401)"))
        #expect(badErr.contains("1 provider check(s) failed"))
        #expect(!(badOut + badErr).contains("not-the-token"))
        #expect(twilio.accepted.isEmpty)  // nothing was sent
    }
}
