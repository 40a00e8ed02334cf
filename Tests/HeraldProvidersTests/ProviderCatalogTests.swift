import HeraldCore
import HeraldProviders
import Testing

@Suite struct ProviderCatalogTests {
    let environment = ProviderEnvironment(ehloName: "herald.test")
    static let sid = "AC" + String(repeating: "a1", count: 16)

    func providers(_ text: String, _ channel: Channel = .sms) throws(ProviderSetupError) -> [ConfiguredProvider] {
        try ProviderCatalog.providers(text, channel: channel, variable: channel == .sms ? "HERALD_SMS_URL" : "HERALD_EMAIL_URL", environment: environment)
    }

    @Test func severalURLsInOrder() throws {
        let list = try providers("twilio://\(Self.sid):tok@default?from=+15550001111 outbox://")
        #expect(list.map(\.name) == ["twilio", "outbox"])
        let email = try providers("smtp://u:p@mail.example.com:2525 outbox://", .email)
        #expect(email.map(\.name) == ["smtp", "outbox"])
        guard case .smtp(_, let settings) = email[0].definition else { Issue.record("not smtp"); return }
        #expect(settings.url == "smtp://mail.example.com:2525/herald.test")
    }

    @Test(arguments: [
        ("nexmo://k:s@default", "HERALD_SMS_URL: nexmo://***@default: unknown provider \"nexmo\""),
        ("twilio://\(sid):tok@default", "HERALD_SMS_URL: twilio://***@default: missing ?from="),
        ("twilio+smtp://\(sid):tok@default?from=+15550001111", "is not supported"),
        ("smtp://u:tok@mail.example.com", "smtp sends email, not sms"),
        ("twilio://\(sid):tok@default?from=+15550001111 twilio://\(sid):tok@default?from=+15550001112", "two providers are named \"twilio\""),
        ("twilio:\(sid):tok@default", "HERALD_SMS_URL: (not a URL): not a provider URL"),
    ])
    func errorsNameTheVariableAndTheProblemButNeverTheSecret(_ text: String, _ expected: String) {
        do {
            _ = try providers(text)
            Issue.record("accepted")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
            #expect(!error.description.contains("tok"))
        }
    }

    @Test func namesTellTwoProvidersOfOneKindApart() throws {
        let list = try providers("twilio://\(Self.sid):tok@default?from=+15550001111&name=twilio-us twilio://\(Self.sid):tok@default?from=+15550001112&name=Twilio-EU")
        #expect(list.map(\.name) == ["twilio-us", "twilio-eu"])
    }
}
