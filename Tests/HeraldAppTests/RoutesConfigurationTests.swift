import Foundation
import HeraldApp
import HeraldCore
import Testing

/// `routes` in the configuration file, parsed into `configuration.routing`.
@Suite struct RoutesConfigurationTests {
    static func load(_ json: String) throws -> (Result<Configuration, ConfigurationError>, path: String) {
        let file = try temporaryFolder().appendingPathComponent("herald.json")
        try Data(json.utf8).write(to: file)
        let result = Result { () throws(ConfigurationError) in try Configuration.load(environment: ["HERALD_CONFIG": file.path]) }
        return (result, file.path)
    }

    @Test func rulesAreParsedInOrderWithTheirConditions() throws {
        let (result, _) = try Self.load(
            """
            {"routes": [
              {"$comment": "codes to North America", "channel": "sms", "country": ["us", "CA"], "providers": ["twilio-us", "vonage"]},
              {"channel": "email", "email_domain": "Example.ORG", "providers": ["sendgrid"]},
              {"slug": ["magic_link_sign_in", "magic_link_sign_up"], "email_domain": ["a.example", "b.example"], "providers": ["postmark"]},
              {"slug": "verification_code", "country": "gb", "providers": ["vonage", "twilio-us"]},
              {"providers": ["outbox"]}
            ]}
            """)
        let configuration = try result.get()
        #expect(configuration.routing == RoutingTable(rules: [
            RoutingRule(channel: .sms, countries: ["US", "CA"], providers: ["twilio-us", "vonage"]),
            RoutingRule(channel: .email, emailDomains: ["example.org"], providers: ["sendgrid"]),
            RoutingRule(slugs: ["magic_link_sign_in", "magic_link_sign_up"], emailDomains: ["a.example", "b.example"], providers: ["postmark"]),
            RoutingRule(slugs: ["verification_code"], countries: ["GB"], providers: ["vonage", "twilio-us"]),
            RoutingRule(providers: ["outbox"]),
        ]))
        #expect(configuration.providers.routing == configuration.routing)  // what the engine routes by
    }

    @Test func noRoutesIsTheURLOrder() throws {
        #expect(try Self.load(#"{"routes": []}"#).0.get().routing == RoutingTable())
        #expect(try Self.load(#"{"listen": "127.0.0.1:8787"}"#).0.get().routing == RoutingTable())
        let committed = repositoryRoot.appendingPathComponent("config/herald.json").path
        #expect(try Configuration.load(environment: ["HERALD_CONFIG": committed]).routing == RoutingTable())
    }

    @Test(arguments: [
        (#"{"routes": {"country": "US"}}"#, #""routes" must be an array of rules"#),
        (#"{"routes": ["sms"]}"#, #"routes[0] must be an object with "providers""#),
        (#"{"routes": [{"providers": ["a"]}, {"countries": ["US"], "providers": ["a"]}]}"#,
         #"routes[1]: unknown key "countries" (a rule has channel, slug, country, email_domain and providers)"#),
        (#"{"routes": [{"channel": "push", "providers": ["a"]}]}"#, #"routes[0]: "channel" must be "email" or "sms""#),
        (#"{"routes": [{"channel": "sms"}]}"#, #"routes[0]: "providers" is missing"#),
        (#"{"routes": [{"providers": []}]}"#, #"routes[0]: "providers" must be a non-empty array of provider names"#),
        (#"{"routes": [{"providers": "twilio"}]}"#, #"routes[0]: "providers" must be a non-empty array of provider names"#),
        (#"{"routes": [{"providers": ["twilio", ""]}]}"#, #"routes[0]: "providers" must be a non-empty array of provider names"#),
        (#"{"routes": [{"providers": ["twilio", "vonage", "twilio"]}]}"#, #"routes[0]: "providers" names "twilio" twice"#),
        (#"{"routes": [{"country": "USA", "providers": ["a"]}]}"#, #"routes[0]: "country" must be ISO 3166-1 alpha-2 codes such as "US" (not "USA")"#),
        (#"{"routes": [{"country": ["US", 1], "providers": ["a"]}]}"#, #"routes[0]: "country" must be a non-empty string or a non-empty array of them"#),
        (#"{"routes": [{"slug": [], "providers": ["a"]}]}"#, #"routes[0]: "slug" must be a non-empty string or a non-empty array of them"#),
        (#"{"routes": [{"slug": "", "providers": ["a"]}]}"#, #"routes[0]: "slug" must be a non-empty string or a non-empty array of them"#),
        (#"{"routes": [{"email_domain": "@example.com", "providers": ["a"]}]}"#,
         #"routes[0]: "email_domain" must be domain names such as "example.com" (not "@example.com")"#),
        (#"{"routes": [{"email_domain": "exa mple.com", "providers": ["a"]}]}"#, #"routes[0]: "email_domain" must be domain names"#),
    ] as [(String, String)])
    func badRulesNameTheFileAndTheRule(_ json: String, _ expected: String) throws {
        let (result, path) = try Self.load(json)
        guard case .failure(let error) = result else {
            Issue.record("accepted \(json)")
            return
        }
        #expect(error.description.hasPrefix("\(path): "), "\(error)")
        #expect(error.description.contains(expected), "\(error)")
    }
}
