import Foundation
import HeraldCore
import Testing

/// `herald check` and `herald serve` as binaries, on routing rules: SMS through two
/// named Twilio accounts, email through the outbox (nothing configured for it).
@Suite struct RouteCheckTests {
    static let twilio = "twilio://\(TwilioDouble.accountSID):\(TwilioDouble.authToken)@default?from=%2B15550001111"
    static let sms = "\(twilio)&name=twilio-us \(twilio)&name=twilio-eu"

    /// Runs `herald ARGUMENTS` with `routes` in a configuration file.
    static func herald(_ arguments: [String], routes: String, extra: [String: String] = [:]) throws -> (Int32, String, String) {
        let folder = try temporaryFolder()
        let file = folder.appendingPathComponent("herald.json")
        try Data(#"{"routes": \#(routes)}"#.utf8).write(to: file)
        let templates = folder.appendingPathComponent("templates")
        try FileManager.default.createDirectory(at: templates, withIntermediateDirectories: true)  // empty: no template checks
        var environment = [
            "HERALD_CONFIG": file.path, "HERALD_SMS_URL": sms, "HERALD_TEMPLATES": templates.path,
            "HERALD_DATABASE": folder.appendingPathComponent("herald.db").path,
        ]
        environment.merge(extra) { _, new in new }
        return try Child.run(arguments, environment: environment, directory: folder)
    }

    @Test func goodRulesPassAndArePrinted() throws {
        let (status, out, err) = try Self.herald(["check"], routes: """
            [{"channel": "sms", "country": ["US", "CA"], "providers": ["twilio-us", "twilio-eu"]},
             {"channel": "email", "slug": "verification_code", "providers": ["outbox"]},
             {"slug": "verification_code", "providers": ["twilio-eu", "outbox"]}]
            """)
        #expect(status == 0, "\(out)\(err)")
        #expect(out.contains("route routes[0]: sms; country US, CA -> twilio-us, twilio-eu\n"))
        #expect(out.contains("route routes[2]: email and sms; slug verification_code -> twilio-eu, outbox\n"))
        #expect(out.contains("routes: 3 rule(s), 0 problem(s); without a match, URL order (email: outbox; sms: twilio-us, twilio-eu)\n"))
        #expect(!out.contains("problem:"))
        #expect(!(out + err).contains(TwilioDouble.authToken))
    }

    @Test func noRulesMeansTheURLOrder() throws {
        let (status, out, _) = try Self.herald(["check"], routes: "[]")
        #expect(status == 0)
        #expect(out.contains("routes: none; every message goes through its channel's providers in URL order (email: outbox; sms: twilio-us, twilio-eu)\n"))
    }

    @Test(arguments: [
        (#"[{"channel": "sms", "providers": ["twilio-us", "vonage"]}]"#,
         #"routes[0]: names provider "vonage", which is not configured for sms (sms: twilio-us, twilio-eu)"#),
        // The outbox is a provider only where nothing is configured.
        (#"[{"channel": "sms", "providers": ["outbox"]}]"#,
         #"routes[0]: names provider "outbox", which is not configured for sms (sms: twilio-us, twilio-eu)"#),
        (#"[{"providers": ["sendgrid"]}]"#,
         #"routes[0]: names provider "sendgrid", which is not configured (email: outbox; sms: twilio-us, twilio-eu)"#),
        (#"[{"slug": "verification_code", "providers": ["twilio-us"]}]"#,
         #"routes[0]: has no provider for email (none of twilio-us delivers email), so the email messages it matches go in URL order: give it "channel": "sms""#),
        (#"[{"channel": "email", "country": "US", "providers": ["outbox"]}]"#,
         #"routes[0]: can never match: "country" applies to SMS only, and the rule's channel is email"#),
        (#"[{"channel": "sms", "email_domain": "example.org", "providers": ["twilio-us"]}]"#,
         #"routes[0]: can never match: "email_domain" applies to email only, and the rule's channel is sms"#),
        (#"[{"country": "US", "email_domain": "example.org", "providers": ["twilio-us", "outbox"]}]"#,
         #"routes[0]: can never match: it has both "country" (SMS only) and "email_domain" (email only)"#),
        (#"[{"channel": "sms", "providers": ["twilio-eu"]}, {"channel": "sms", "country": "CA", "providers": ["twilio-us"]}]"#,
         "routes[1]: can never match: routes[0] before it matches every message it would"),
        (#"[{"channel": "sms", "country": ["US", "UK"], "providers": ["twilio-us"]}]"#,
         #"routes[0]: unknown country "UK" (the United Kingdom is GB)"#),
        (#"[{"channel": "sms", "country": "BL", "providers": ["twilio-us"]}]"#,
         "routes[0]: country BL can never match: Herald counts every +590 number as GP (name GP)"),
        (#"[{"channel": "sms", "slug": "magic_link_sign_in", "providers": ["twilio-us"]}]"#,
         #"routes[0]: slug "magic_link_sign_in" can never match: Clerk sends it by email only"#),
        (#"[{"slug": "verify_code", "providers": ["twilio-us", "outbox"]}]"#, #"routes[0]: slug "verify_code" is not one Clerk sends (typo?)"#),
    ] as [(String, String)])
    func problemsFailTheCheck(_ routes: String, _ problem: String) throws {
        let (status, out, err) = try Self.herald(["check"], routes: routes)
        #expect(status == 1)
        #expect(out.contains("problem: \(problem)"), "\(out)")
        #expect(out.contains("routes: "))
        #expect(err.contains("Error: ") && err.contains("problem(s) in the routes"), "\(err)")
    }

    @Test func aMalformedRuleIsAConfigurationError() throws {
        let (status, _, err) = try Self.herald(["check"], routes: #"[{"channel": "sms", "countries": ["US"], "providers": ["twilio-us"]}]"#)
        #expect(status == 1)
        #expect(err.contains(#"herald.json: routes[0]: unknown key "countries""#), "\(err)")
    }

    @Test func serveRefusesARuleNamingAnUnknownProvider() throws {
        let (status, out, err) = try Self.herald(
            ["serve"], routes: #"[{"channel": "sms", "country": "US", "providers": ["twilio-us"]}, {"channel": "sms", "providers": ["vonage"]}]"#,
            extra: ["HERALD_WEBHOOK_SECRET": testSecretText, "HERALD_LISTEN": "127.0.0.1:0"])
        #expect(status == 1)
        #expect(err.contains(#"herald.json: routes[1]: names provider "vonage", which is not configured for sms (sms: twilio-us, twilio-eu)"#), "\(err)")
        #expect(!err.contains("herald listening"))
        #expect(!(out + err).contains(TwilioDouble.authToken))
    }
}
