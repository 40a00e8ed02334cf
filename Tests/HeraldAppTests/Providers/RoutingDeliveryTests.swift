import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

/// Routing and failover end to end: `herald serve` with two provider doubles, `routes` in
/// its configuration file, signed webhooks from `herald simulate`, `herald show --json`.
@Suite(.serialized) struct RoutingDeliveryTests {
    typealias Gateway = ServeDeliveryTests.Gateway

    /// The test configuration (fast retries, a 1 s provider timeout) with `routes`.
    static func config(routes: String) -> String {
        #"{"delivery": {"retry_base_seconds": 1, "retry_max_seconds": 2, "max_attempts": 3, "provider_timeout_seconds": 1}, "routes": \#(routes)}"#
    }

    /// Sends one message and returns the provider of its (single) delivered attempt.
    static func deliver(_ gateway: Gateway, id: Int, _ arguments: String...) throws -> String? {
        let (status, _, err) = try Child.run(["simulate"] + arguments, environment: gateway.cliEnvironment, directory: gateway.folder)
        #expect(status == 0, "\(err)")
        let shown = try gateway.waitForStatus(id, "sent")
        #expect(shown?["status"] == .string("sent"), "\(arguments)")
        #expect(shown?.attempts.count == 1)
        return shown?.attempts.first?["provider"]?.stringValue
    }

    @Test func smsGoesByTheRecipientsCountry() throws {
        let us = try TwilioDouble()
        let eu = try TwilioDouble()
        // URL order: twilio-eu first; the rule sends North American numbers through twilio-us.
        let gateway = try Gateway.withProviders(
            ["HERALD_SMS_URL": "\(eu.url)&name=twilio-eu \(us.url)&name=twilio-us"],
            config: Self.config(routes: #"[{"channel": "sms", "country": ["US", "CA"], "providers": ["twilio-us", "twilio-eu"]}]"#))
        #expect(try Self.deliver(gateway, id: 1, "sms", "--to", "+15145550123") == "twilio-us")  // Montréal: CA
        #expect(try Self.deliver(gateway, id: 2, "sms", "--to", "+12125550123") == "twilio-us")  // New York: US
        #expect(try Self.deliver(gateway, id: 3, "sms", "--to", "+447400123456") == "twilio-eu")  // GB: no rule, URL order
        #expect(try Self.deliver(gateway, id: 4, "sms", "--to", "+18765550123") == "twilio-eu")  // Jamaica: +1, not US or CA
        #expect(us.accepted.compactMap { $0["To"] } == ["+15145550123", "+12125550123"])
        #expect(eu.accepted.compactMap { $0["To"] } == ["+447400123456", "+18765550123"])
        #expect(gateway.stop() == 0)
        #expect(gateway.child.stderr.contains(#"route route=routes[0] route.match="sms; country US, CA" route.providers=twilio-us,twilio-eu"#),
                "\(gateway.child.stderr)")
        #expect(!gateway.child.stderr.contains(TwilioDouble.authToken))
    }

    @Test func emailGoesByTheRecipientsDomainAndTheSlug() throws {
        let postmark = try PostmarkDouble()
        let sendgrid = try SendGridDouble()
        let gateway = try Gateway.withProviders(
            ["HERALD_EMAIL_URL": "\(postmark.url) \(sendgrid.url)", "HERALD_EMAIL_FROM": EmailDeliveryFlows.from],
            config: Self.config(routes: """
                [{"channel": "email", "email_domain": "example.org", "providers": ["sendgrid", "postmark"]},
                 {"channel": "email", "slug": "magic_link_sign_in", "providers": ["sendgrid"]}]
                """))
        #expect(try Self.deliver(gateway, id: 1, "email", "--to", "ana@example.org") == "sendgrid")
        #expect(try Self.deliver(gateway, id: 2, "email", "--to", "bo@mail.example.org") == "sendgrid")  // a subdomain
        #expect(try Self.deliver(gateway, id: 3, "email", "--slug", "magic_link_sign_in", "--to", "cy@other.test") == "sendgrid")
        #expect(try Self.deliver(gateway, id: 4, "email", "--to", "dee@other.test") == "postmark")  // no rule: URL order
        #expect(try Self.deliver(gateway, id: 5, "email", "--to", "eve@notexample.org") == "postmark")
        let sentBySendGrid = sendgrid.sent.compactMap { $0.body["personalizations"]?.array?.first?["to"]?.array?.first?["email"]?.stringValue }
        #expect(sentBySendGrid == ["ana@example.org", "bo@mail.example.org", "cy@other.test"])
        #expect(postmark.sent.compactMap { $0.body["To"]?.stringValue } == ["dee@other.test", "eve@notexample.org"])
        gateway.stop()
    }

    /// The route's first provider fails (an outage, or no answer within the 1 s timeout);
    /// the second delivers in the same round, without waiting for a retry.
    @Test(arguments: [TwilioDouble.Behavior.unavailable, .hang(seconds: 3)])
    func aFailingProviderFailsOverToTheNextInTheSameRound(_ failure: TwilioDouble.Behavior) throws {
        let primary = try TwilioDouble([failure])
        let secondary = try TwilioDouble()
        let gateway = try Gateway.withProviders(
            ["HERALD_SMS_URL": "\(primary.url)&name=twilio-us \(secondary.url)&name=twilio-eu"],
            config: Self.config(routes: #"[{"channel": "sms", "country": ["US", "CA"], "providers": ["twilio-us", "twilio-eu"]}]"#))
        #expect(try gateway.herald("simulate", "sms", "--to", "+12125550123").0 == 0)
        let shown = try #require(try gateway.waitForStatus(1, "sent", timeout: 20))
        let attempts = shown.attempts.map { [$0["provider"]?.stringValue ?? "", $0["outcome"]?.stringValue ?? ""] }
        #expect(attempts == [["twilio-us", "failed_over"], ["twilio-eu", "delivered"]])
        let first = try #require(shown.attempts.first)
        if case .unavailable = failure {
            #expect(first["code"] == .int(503))
            #expect(first["error"]?.stringValue?.hasPrefix("provider_unavailable (503") == true)
        } else {
            #expect(first["error"]?.stringValue?.hasPrefix("timeout") == true)
        }
        #expect(shown.attempts.last?["code"] == .int(201))
        guard case .array(let history)? = shown["history"] else { Issue.record("no history"); return }
        #expect(!history.contains { $0["status"] == .string("retrying") })  // one round, no backoff
        #expect(primary.double.requests.filter { $0.method == "POST" }.count == 1)
        #expect(secondary.accepted.compactMap { $0["To"] } == ["+12125550123"])
        #expect(gateway.stop() == 0)
        #expect(gateway.child.waitFor { $0.stderr.contains("delivery.failovers=1") })
    }
}
