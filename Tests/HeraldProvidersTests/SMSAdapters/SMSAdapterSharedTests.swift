import Foundation
import HeraldCore
import HeraldProviders
import Testing

/// What every HTTP SMS adapter does alike: refuse an email, map transport failures through
/// the shared rules, and come out of the catalog (with Symfony's `+api` spelling too).
@Suite struct SMSAdapterSharedTests {
    static let urls = [
        "vonage://abcd1234:secret@default?from=Acme",
        "plivo://MAXXXXXXXXXXXXXXXXXX:secret@default?from=+15550001111",
        "telnyx://KEYsecret@default?from=+15550001111",
        "messagebird://secretkey@default?from=Acme",
    ]
    let context = SendContext(messageID: 7, webhookID: "msg_1", now: 1_000_000)

    func adapter(_ text: String) throws -> any ProviderAdapter {
        let definition = try ProviderCatalog.provider(text, channel: .sms, environment: ProviderEnvironment(ehloName: "herald.test"))
        guard case .http(let adapter) = definition else { throw ProviderURLError.invalid("not an HTTP adapter") }
        return adapter
    }

    @Test(arguments: urls)
    func anEmailIsRefused(_ url: String) throws {
        let email = OutgoingMessage.email(Email(
            from: try MailAddress(address: "a@example.com"), to: try MailAddress(address: "b@example.com"), subject: "s", text: "t",
            html: nil, messageID: "m@example.com", date: 0, boundary: "b"))
        #expect(throws: AssemblyError.self) { try self.adapter(url).request(for: email, context: self.context) }
    }

    @Test(arguments: urls)
    func transportFailuresFollowTheSharedRules(_ url: String) throws {
        let adapter = try adapter(url)
        #expect(adapter.classify(.failed(.connect), context: context) == .failed(Failure(.connectionFailed, scope: .transient, detail: "could not connect")))
        let timeout = adapter.classify(.failed(.timeout(afterSend: true)), context: context).failure
        #expect(timeout?.ambiguous == true && timeout?.scope == .transient)
        #expect(adapter.classify(.failed(.tls(certificate: true)), context: context).failure?.scope == .provider)
        #expect(adapter.probe() != nil)
        #expect(!adapter.judgeProbe(.failed(.connect)).isOK)
    }

    @Test(arguments: urls)
    func theNameAndTheSymfonySpelling(_ url: String) throws {
        let scheme = String(url.prefix { $0 != ":" })
        #expect(try adapter(url).name == scheme)
        #expect(try adapter(url + "&name=sms-eu").name == "sms-eu")
        #expect(try adapter(url.replacingOccurrences(of: "://", with: "+api://")).name == scheme)
        #expect(throws: ProviderURLError.self) { try self.adapter(url.replacingOccurrences(of: "://", with: "+smpp://")) }
        #expect(throws: ProviderURLError.self) { try ProviderCatalog.provider(url, channel: .email, environment: ProviderEnvironment(ehloName: "h")) }
    }
}

/// A provider's answer as a fixture.
func answer(_ status: Int, _ body: String, headers: [HTTPField] = []) -> Exchange {
    .answered(HTTPAnswer(status: status, headers: headers, body: Array(body.utf8)))
}

/// Expects `make` to refuse the URL with a message that says `expected` and never shows
/// any of `secrets`.
func expectURLError(_ expected: String, hiding secrets: [String], sourceLocation: SourceLocation = #_sourceLocation, _ make: () throws -> Void) {
    do {
        try make()
        Issue.record("accepted, expected \"\(expected)\"", sourceLocation: sourceLocation)
    } catch {
        let text = "\(error)"
        #expect(text.contains(expected), "\(text)", sourceLocation: sourceLocation)
        for secret in secrets { #expect(!text.contains(secret), "\(text)", sourceLocation: sourceLocation) }
    }
}
