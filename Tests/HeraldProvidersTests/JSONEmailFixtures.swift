import HeraldCore
import HeraldProviders
import Testing

/// The message and context the JSON email adapters' tests (SendGrid, Postmark, Resend)
/// send, and the answers they read.
enum JSONEmailFixtures {
    static let context = SendContext(
        messageID: 7, webhookID: "msg_2abcDEF", clerkID: "ema_3Fq8ZtK9", slug: "verification_code", now: 1_700_000_000_000)

    static func email(replyTo: Bool = true, text: String? = "Code: 482913", html: String? = "<p>482913</p>") throws -> OutgoingMessage {
        .email(Email(
            from: try MailAddress(name: "Example App", address: "no-reply@example.com"), to: try MailAddress(address: "ana@example.org"),
            replyTo: replyTo ? try MailAddress(name: "Example App", address: "support@example.com") : nil,
            subject: "482913 is your code", text: text, html: html, messageID: "ema_3Fq8ZtK9.1@example.com", date: 1_700_000_000_000,
            boundary: "b1"))
    }

    static let sms = OutgoingMessage.sms(SMS(to: "+15555550123", text: "482913"))

    static func answer(_ status: Int, _ body: String = "", headers: [HTTPField] = []) -> Exchange {
        .answered(HTTPAnswer(status: status, headers: headers, body: Array(body.utf8)))
    }

    static func body(_ request: OutboundRequest) -> String { String(decoding: request.body, as: UTF8.self) }

    /// `text` is refused with an error that says `expected` and never shows `secret`.
    static func expectRefused(_ text: String, _ expected: String, hiding secret: String, _ make: (ProviderURL) throws(ProviderURLError) -> Void) {
        do throws(ProviderURLError) {
            try make(ProviderURL(parsing: text))
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
            #expect(!error.description.contains(secret))
        }
    }

    /// The shared rules for transport failures hold (`ambiguous` as the adapter says).
    static func expectTransportRules(_ classify: (Exchange) -> DeliveryOutcome, ambiguousAfterSend: Bool) {
        #expect(classify(.failed(.connect)) == .failed(Failure(.connectionFailed, scope: .transient, detail: "could not connect")))
        let timeout = classify(.failed(.timeout(afterSend: true))).failure
        #expect(timeout?.code == .timeout)
        #expect(timeout?.scope == .transient)
        #expect(timeout?.ambiguous == ambiguousAfterSend)
        #expect(classify(.failed(.tls(certificate: true))).failure?.scope == .provider)
    }
}

@Suite struct JSONEmailCatalogTests {
    @Test(arguments: ["sendgrid+api://SG.k@default", "postmark://t@default?message_stream=outbound", "resend://re_k@default"])
    func theCatalogKnowsEachForEmailOnly(_ text: String) throws {
        let environment = ProviderEnvironment(ehloName: "herald.test")
        let definition = try ProviderCatalog.provider(text, channel: .email, environment: environment)
        guard case .http(let adapter) = definition else { Issue.record("not http"); return }
        #expect(text.hasPrefix(adapter.name))
        #expect(adapter.channel == .email)
        #expect(throws: ProviderURLError.invalid("\(adapter.name) sends email, not sms")) {
            try ProviderCatalog.provider(text, channel: .sms, environment: environment)
        }
    }
}
