import HeraldCore
import Testing

@Suite struct RoutingTableTests {
    static let providers: [Channel: [String]] = [.email: ["postmark", "sendgrid"], .sms: ["twilio-us", "vonage"]]

    @Test func theFirstMatchingRuleNamesTheProviders() {
        let table = RoutingTable(rules: [
            RoutingRule(channel: .sms, countries: ["US", "CA"], providers: ["twilio-us", "vonage"]),
            RoutingRule(channel: .email, emailDomains: ["example.org"], providers: ["sendgrid"]),
            RoutingRule(slugs: ["magic_link_sign_in"], providers: ["sendgrid"]),
        ])
        #expect(table.providers(channel: .sms, slug: "verification_code", recipient: "+15145550123") == ["twilio-us", "vonage"])
        #expect(table.providers(channel: .sms, slug: "verification_code", recipient: "+12125550123") == ["twilio-us", "vonage"])
        #expect(table.providers(channel: .sms, slug: "verification_code", recipient: "+18765550123") == nil)  // Jamaica
        #expect(table.providers(channel: .sms, slug: "verification_code", recipient: "+447400123456") == nil)
        #expect(table.providers(channel: .email, slug: "verification_code", recipient: "ana@Mail.Example.ORG") == ["sendgrid"])
        #expect(table.providers(channel: .email, slug: "verification_code", recipient: "ana@notexample.org") == nil)
        #expect(table.providers(channel: .email, slug: "magic_link_sign_in", recipient: "ana@other.test") == ["sendgrid"])
        #expect(table.providers(channel: .email, slug: nil, recipient: "ana@other.test") == nil)
    }

    @Test func aGoodTableHasNoProblems() {
        let table = RoutingTable(rules: [
            RoutingRule(channel: .sms, countries: ["US", "CA"], providers: ["twilio-us", "vonage"]),
            RoutingRule(countries: ["GB"], providers: ["vonage"]),
            RoutingRule(channel: .email, slugs: ["verification_code"], emailDomains: ["example.org"], providers: ["sendgrid"]),
            RoutingRule(channel: .email, emailDomains: ["example.org"], providers: ["postmark"]),
            RoutingRule(slugs: ["verification_code", "magic_link_sign_in"], providers: ["sendgrid", "twilio-us"]),
            RoutingRule(providers: ["postmark", "vonage"]),
        ])
        #expect(table.problems(providers: Self.providers) == [])
        #expect(table.unknownProviders(providers: Self.providers) == [])
    }

    @Test(arguments: [
        (RoutingRule(channel: .sms, providers: ["twilio-eu"]), #"names provider "twilio-eu", which is not configured for sms (sms: twilio-us, vonage)"#),
        (RoutingRule(channel: .email, providers: ["sendgrid", "vonage"]), #"names provider "vonage", which is not configured for email (email: postmark, sendgrid)"#),
        (RoutingRule(providers: ["nobody"]), #"names provider "nobody", which is not configured (email: postmark, sendgrid; sms: twilio-us, vonage)"#),
    ] as [(RoutingRule, String)])
    func unknownProviders(_ rule: RoutingRule, _ message: String) {
        let table = RoutingTable(rules: [rule])
        #expect(table.unknownProviders(providers: Self.providers) == [RoutingTable.Problem(rule: 0, message)])
        #expect(table.problems(providers: Self.providers) == [RoutingTable.Problem(rule: 0, message)])
    }

    @Test(arguments: [
        (RoutingRule(slugs: ["verification_code"], providers: ["twilio-us"]),
         #"has no provider for email (none of twilio-us delivers email), so the email messages it matches go in URL order: give it "channel": "sms""#),
        (RoutingRule(emailDomains: ["example.org"], providers: ["vonage"]),
         #"has no provider for email (none of vonage delivers email), so the email messages it matches go in URL order"#),
        (RoutingRule(channel: .email, countries: ["US"], providers: ["sendgrid"]),
         #"can never match: "country" applies to SMS only, and the rule's channel is email"#),
        (RoutingRule(channel: .sms, emailDomains: ["example.org"], providers: ["vonage"]),
         #"can never match: "email_domain" applies to email only, and the rule's channel is sms"#),
        (RoutingRule(countries: ["US"], emailDomains: ["example.org"], providers: ["vonage", "sendgrid"]),
         #"can never match: it has both "country" (SMS only) and "email_domain" (email only)"#),
        (RoutingRule(channel: .sms, countries: ["UK"], providers: ["vonage"]),
         #"unknown country "UK" (the United Kingdom is GB): not an ISO 3166-1 alpha-2 code of a country with a calling code"#),
        (RoutingRule(channel: .sms, countries: ["US", "ZZ"], providers: ["vonage"]),
         #"unknown country "ZZ": not an ISO 3166-1 alpha-2 code of a country with a calling code"#),
        (RoutingRule(channel: .sms, countries: ["MF"], providers: ["vonage"]),
         "country MF can never match: Herald counts every +590 number as GP (name GP)"),
        (RoutingRule(channel: .sms, slugs: ["magic_link_sign_in"], providers: ["vonage"]),
         #"slug "magic_link_sign_in" can never match: Clerk sends it by email only"#),
        (RoutingRule(channel: .email, slugs: ["verificaton_code"], providers: ["sendgrid"]),
         #"slug "verificaton_code" is not one Clerk sends (typo?)"#),
    ] as [(RoutingRule, String)])
    func findings(_ rule: RoutingRule, _ message: String) {
        let problems = RoutingTable(rules: [rule]).problems(providers: Self.providers)
        #expect(problems == [RoutingTable.Problem(rule: 0, message)])
        #expect(RoutingTable(rules: [rule]).unknownProviders(providers: Self.providers).isEmpty)
    }

    @Test(arguments: [
        (RoutingRule(providers: ["vonage", "sendgrid"]), RoutingRule(channel: .sms, countries: ["US"], providers: ["twilio-us"])),
        (RoutingRule(channel: .sms, providers: ["vonage"]), RoutingRule(countries: ["US"], providers: ["twilio-us"])),
        (RoutingRule(channel: .sms, countries: ["US", "CA"], providers: ["vonage"]), RoutingRule(channel: .sms, countries: ["CA"], providers: ["twilio-us"])),
        (RoutingRule(slugs: ["verification_code"], providers: ["vonage", "sendgrid"]),
         RoutingRule(channel: .email, slugs: ["verification_code"], emailDomains: ["example.org"], providers: ["postmark"])),
        (RoutingRule(channel: .email, emailDomains: ["example.org"], providers: ["sendgrid"]),
         RoutingRule(channel: .email, emailDomains: ["mail.example.org"], providers: ["postmark"])),
    ] as [(RoutingRule, RoutingRule)])
    func anEarlierRuleThatMatchesEverythingShadowsALaterOne(_ first: RoutingRule, _ second: RoutingRule) {
        #expect(RoutingTable(rules: [first, second]).problems(providers: Self.providers)
            == [RoutingTable.Problem(rule: 1, "can never match: routes[0] before it matches every message it would")])
        #expect(RoutingTable(rules: [second, first]).problems(providers: Self.providers) == [])
    }

    @Test func summaries() {
        #expect(RoutingRule(channel: .sms, countries: ["US", "CA"], providers: ["a"]).summary == "sms; country US, CA")
        #expect(RoutingRule(slugs: ["verification_code"], emailDomains: ["example.org"], providers: ["a"]).summary
            == "email; slug verification_code; email_domain example.org")
        #expect(RoutingRule(slugs: ["verification_code"], providers: ["a"]).summary == "email and sms; slug verification_code")
    }
}
