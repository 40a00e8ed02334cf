import HeraldCore
import HeraldProviders
import Testing

@Suite struct MailgunAdapterTests {
    static let key = "0123456789abcdef0123456789abcdef-4b1c2d3e-5f6a7b8c"
    typealias F = JSONEmailFixtures

    func adapter(_ text: String = "mailgun://\(key):mg.example.com@default") throws(ProviderURLError) -> MailgunAdapter {
        try MailgunAdapter(url: ProviderURL(parsing: text))
    }

    static func form(_ request: OutboundRequest) -> [(String, String)] { FormEncoding.decode(request.body) }

    @Test func buildsTheMessagesRequest() throws {
        let request = try adapter().request(for: F.email(), context: F.context)
        #expect(request.method == "POST")
        #expect(request.url == "https://api.mailgun.net/v3/mg.example.com/messages")
        #expect(request.headers == [
            Credentials.basic("api", Self.key), HTTPField("Content-Type", "application/x-www-form-urlencoded"),
            HTTPField("Accept", "application/json"),
        ])
        #expect(F.body(request) == "from=Example%20App%20%3Cno-reply%40example.com%3E&to=ana%40example.org&subject=482913%20is%20your%20code&text=Code%3A%20482913&html=%3Cp%3E482913%3C%2Fp%3E&h%3AReply-To=Example%20App%20%3Csupport%40example.com%3E&o%3Atag=verification_code&o%3Atracking=no&o%3Atracking-clicks=no&o%3Atracking-opens=no&v%3Aherald_message_id=7&v%3Aclerk_id=ema_3Fq8ZtK9")
        #expect(request.signing == nil)
    }

    @Test func onlyTheBodiesThereAreAndNoReplyToOrTagWithoutThem() throws {
        let bare = SendContext(messageID: 9, webhookID: "msg_1", slug: "magic link!", now: 0)
        let fields = Self.form(try adapter().request(for: F.email(replyTo: false, html: nil), context: bare))
        #expect(fields.map(\.0) == ["from", "to", "subject", "text", "o:tag", "o:tracking", "o:tracking-clicks", "o:tracking-opens", "v:herald_message_id"])
        #expect(fields.first { $0.0 == "o:tag" }?.1 == "magiclink")
        #expect(fields.first { $0.0 == "text" }?.1 == "Code: 482913")
    }

    @Test func regionsHostsAndEndpoints() throws {
        #expect(try adapter().region == "us")
        let eu = try adapter("mailgun+api://\(Self.key):MG.Example.com@default?region=eu")
        #expect(eu.base == "https://api.eu.mailgun.net")
        #expect(eu.domain == "mg.example.com")
        #expect(try eu.request(for: F.email(), context: F.context).url == "https://api.eu.mailgun.net/v3/mg.example.com/messages")
        #expect(try adapter("mailgun://\(Self.key):mg.example.com@default?region=US").base == "https://api.mailgun.net")
        #expect(try adapter("mailgun://\(Self.key):mg.example.com@api.eu.mailgun.net").base == "https://api.eu.mailgun.net")
        let local = try adapter("mailgun://\(Self.key):mg.example.com@default?endpoint=http://127.0.0.1:8025/&name=mg-eu")
        #expect(local.base == "http://127.0.0.1:8025")
        #expect(local.region == "custom")
        #expect(local.name == "mg-eu")
    }

    @Test(arguments: [
        ("mailgun://@default", "missing the API key before the @"),
        ("mailgun://\(key)@default", "missing the sending domain (e.g. mg.example.com) after the :"),
        ("mailgun://\(key):localhost@default", "must be a domain name such as mg.example.com"),
        ("mailgun://\(key):mg.example.com%2F..@default", "must be a domain name"),
        ("mailgun://\(key):mg.example.com@default?region=ap", "region must be us or eu"),
        ("mailgun://\(key):mg.example.com@default?region=eu&endpoint=https://proxy.example.com", "not both"),
        ("mailgun://\(key):mg.example.com@default?domain=mg.example.com", "unknown option \"domain\""),
        ("mailgun://\(key):mg.example.com@default?endpoint=http://api.mailgun.net", "plain http"),
    ])
    func badURLsSayWhat(_ text: String, _ expected: String) {
        F.expectRefused(text, expected, hiding: "4b1c2d3e") { url throws(ProviderURLError) in _ = try MailgunAdapter(url: url) }
    }

    static func error(_ message: String) -> String { #"{"message":"\#(message)"}"# }

    static let queued = #"{"id":"<20251122101800.1.ABCDEF0123@mg.example.com>","message":"Queued. Thank you."}"#
    static let sandbox =
        "Domain sandbox0123.mailgun.org is not allowed to send: Free accounts are for test purposes only. Please upgrade or add the address to authorized recipients in Account Settings."

    /// The answers of ../shared/reference/providers.md section 3 and Mailgun's documented
    /// messages (documentation.mailgun.com, "API Response Codes").
    @Test(arguments: [
        (200, queued, [], DeliveryOutcome.delivered(providerID: "20251122101800.1.ABCDEF0123@mg.example.com", code: 200)),
        (200, #"{"id":"plain@mg.example.com","message":"Queued. Thank you."}"#, [], .delivered(providerID: "plain@mg.example.com", code: 200)),
        (400, error("to parameter is not a valid address. please check documentation"), [],
         .failed(Failure(.badRecipient, scope: .recipient, status: 400, detail: "to parameter is not a valid address. please check documentation"))),
        (400, error("'to' parameter is not a valid address. please check documentation"), [],
         .failed(Failure(.badRecipient, scope: .recipient, status: 400, detail: "'to' parameter is not a valid address. please check documentation"))),
        (400, error("from parameter is not a valid address. please check documentation"), [],
         .failed(Failure(.senderRefused, scope: .provider, status: 400, detail: "from parameter is not a valid address. please check documentation"))),
        (400, error(sandbox), [], .failed(Failure(.senderRefused, scope: .provider, status: 400, detail: ProviderClassification.excerpt(sandbox)))),
        (403, error(sandbox), [], .failed(Failure(.senderRefused, scope: .provider, status: 403, detail: ProviderClassification.excerpt(sandbox)))),
        (400, error("Domain mg.example.com is not allowed to send: The domain is unverified and requires DNS configuration."), [],
         .failed(Failure(.senderRefused, scope: .provider, status: 400, detail: "Domain mg.example.com is not allowed to send: The domain is unverified and requires DNS configuration."))),
        (403, error("Rejected: IP 192.0.2.1 can't be used to send the message"), [],
         .failed(Failure(.senderRefused, scope: .provider, status: 403, detail: "Rejected: IP 192.0.2.1 can't be used to send the message"))),
        (400, error("Need at least one of 'text' or 'html' parameters specified"), [],
         .failed(Failure(.invalidRequest, scope: .provider, status: 400, detail: "Need at least one of 'text' or 'html' parameters specified"))),
        (400, error("to parameter is missing"), [], .failed(Failure(.invalidRequest, scope: .provider, status: 400, detail: "to parameter is missing"))),
        (401, "Forbidden", [], .failed(Failure(.providerAuthFailed, scope: .provider, status: 401, detail: "Forbidden"))),
        (403, error("Forbidden"), [], .failed(Failure(.providerAuthFailed, scope: .provider, status: 403, detail: "Forbidden"))),
        (404, error("Domain not found: mg.example.com"), [],
         .failed(Failure(.misconfigured, scope: .provider, status: 404, detail: "Domain not found: mg.example.com"))),
        (404, "404 page not found", [], .failed(Failure(.misconfigured, scope: .provider, status: 404, detail: "404 page not found"))),
        (413, error("request size exceeds 52.4MiB limit"), [],
         .failed(Failure(.rejected, scope: .recipient, status: 413, detail: "request size exceeds 52.4MiB limit"))),
        (429, error("Too many requests"), [HTTPField("Retry-After", "7"), HTTPField("X-RateLimit-Reset", "1700000030")],
         .failed(Failure(.rateLimited, scope: .transient, status: 429, retryAfter: 7_000, detail: "Too many requests"))),
        (429, error("Too many requests"), [HTTPField("X-RateLimit-Reset", "1700000030.25")],
         .failed(Failure(.rateLimited, scope: .transient, status: 429, retryAfter: 30_000, detail: "Too many requests"))),
        (429, error("Domain mg.example.com is not allowed to send: request limit exceeded, try again after Tue, 14 Nov 2023 22:13:21 UTC"), [],
         .failed(Failure(.rateLimited, scope: .transient, status: 429, retryAfter: 1_000,
                         detail: "Domain mg.example.com is not allowed to send: request limit exceeded, try again after Tue, 14 Nov 2023 22:13:21 UTC"))),
        (429, error("Too many requests"), [], .failed(Failure(.rateLimited, scope: .transient, status: 429, detail: "Too many requests"))),
        (500, error("Internal Server Error"), [],
         .failed(Failure(.providerUnavailable, scope: .transient, status: 500, ambiguous: true, detail: "Internal Server Error"))),
        (503, "<html>Service Unavailable</html>", [],
         .failed(Failure(.providerUnavailable, scope: .transient, status: 503, ambiguous: true))),
    ] as [(Int, String, [HTTPField], DeliveryOutcome)])
    func classifiesMailgunsAnswers(_ status: Int, _ body: String, _ headers: [HTTPField], _ expected: DeliveryOutcome) throws {
        #expect(try adapter().classify(F.answer(status, body, headers: headers), context: F.context) == expected)
    }

    @Test func transportFailures() throws {
        let adapter = try adapter()
        F.expectTransportRules({ adapter.classify($0, context: F.context) }, ambiguousAfterSend: true)
    }

    static func domain(state: String = "active", type: String = "custom", disabled: Bool = false) -> String {
        #"{"domain":{"created_at":"Thu, 13 Oct 2011 18:02:00 GMT","id":"1","is_disabled":\#(disabled),"name":"mg.example.com","smtp_login":"postmaster@mg.example.com","smtp_password":"s3cr3t-smtp","state":"\#(state)","type":"\#(type)","web_scheme":"https"},"receiving_dns_records":[],"sending_dns_records":[]}"#
    }

    @Test func theProbeReadsTheSendingDomain() throws {
        let adapter = try adapter()
        let probe = try #require(adapter.probe())
        #expect(probe.method == "GET")
        #expect(probe.url == "https://api.mailgun.net/v4/domains/mg.example.com")
        #expect(probe.body.isEmpty)
        #expect(probe.headers == [Credentials.basic("api", Self.key), HTTPField("Accept", "application/json")])
        #expect(adapter.judgeProbe(F.answer(200, Self.domain())) == .ok("the key is accepted and the domain mg.example.com is active in the us region"))
        let verdicts = [
            adapter.judgeProbe(F.answer(200, Self.domain(state: "unverified"))),
            adapter.judgeProbe(F.answer(200, Self.domain(disabled: true))),
            adapter.judgeProbe(F.answer(200, Self.domain(type: "sandbox"))),
            adapter.judgeProbe(F.answer(401, "Forbidden")),
            adapter.judgeProbe(F.answer(404, Self.error("Domain not found"))),
            adapter.judgeProbe(.failed(.connect)),
        ]
        #expect(verdicts.allSatisfy { !$0.isOK })
        #expect(verdicts[0] == .problem("the domain mg.example.com is unverified, not active: Mailgun sends from it once its DNS records are verified"))
        #expect(verdicts[1] == .problem("the domain mg.example.com is disabled"))
        #expect(verdicts[2] == .problem("the domain mg.example.com is a sandbox domain: Mailgun delivers only to its authorized recipients"))
        #expect("\(verdicts[4])".contains("in the us region (HTTP 404)"))
        #expect(!verdicts.map { "\($0)" }.joined().contains("s3cr3t-smtp"))
        let reason = adapter.judgeProbe(F.answer(200, #"{"domain":{"name":"mg.example.com","state":"disabled","disabled":{"code":"blacklisted","reason":"bad customer"}}}"#))
        #expect(reason == .problem("the domain mg.example.com is disabled: bad customer"))
    }

    @Test func anSMSIsRefused() throws {
        #expect(throws: AssemblyError(.misconfigured, "mailgun sends email only")) {
            try self.adapter().request(for: F.sms, context: F.context)
        }
    }
}
