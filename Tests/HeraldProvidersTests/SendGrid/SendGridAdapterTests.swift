import HeraldCore
import HeraldProviders
import Testing

@Suite struct SendGridAdapterTests {
    static let key = "SG.abc123.def456"
    typealias F = JSONEmailFixtures

    func adapter(_ text: String = "sendgrid://\(key)@default") throws(ProviderURLError) -> SendGridAdapter {
        try SendGridAdapter(url: ProviderURL(parsing: text))
    }

    @Test func buildsTheMailSendRequest() throws {
        let request = try adapter().request(for: F.email(), context: F.context)
        #expect(request.method == "POST")
        #expect(request.url == "https://api.sendgrid.com/v3/mail/send")
        #expect(request.headers == [
            HTTPField("Authorization", "Bearer \(Self.key)"), HTTPField("Content-Type", "application/json"),
            HTTPField("Accept", "application/json"),
        ])
        #expect(F.body(request) == #"{"categories":["verification_code"],"content":[{"type":"text/plain","value":"Code: 482913"},{"type":"text/html","value":"<p>482913</p>"}],"custom_args":{"clerk_id":"ema_3Fq8ZtK9","herald_message_id":"7"},"from":{"email":"no-reply@example.com","name":"Example App"},"personalizations":[{"to":[{"email":"ana@example.org"}]}],"reply_to":{"email":"support@example.com","name":"Example App"},"subject":"482913 is your code","tracking_settings":{"click_tracking":{"enable":false,"enable_text":false},"open_tracking":{"enable":false}}}"#)
    }

    @Test func onlyTheBodiesThereAreAndNoReplyToWithoutOne() throws {
        let request = try adapter().request(for: F.email(replyTo: false, text: nil), context: F.context)
        let json = try JSONValue.parse(request.body)
        #expect(json["content"] == .array([.object(["type": .string("text/html"), "value": .string("<p>482913</p>")])]))
        #expect(json["reply_to"] == nil)
        #expect(json["mail_settings"] == nil)
        let bare = SendContext(messageID: 9, webhookID: "msg_1", now: 0)
        let plain = try JSONValue.parse(adapter().request(for: F.email(), context: bare).body)
        #expect(plain["custom_args"] == .object(["herald_message_id": .string("9")]))
        #expect(plain["categories"] == nil)
    }

    @Test func sandboxModeAndTheEURegion() throws {
        let sandbox = try adapter("sendgrid+api://\(Self.key)@default?sandbox=true").request(for: F.email(), context: F.context)
        #expect(try JSONValue.parse(sandbox.body)["mail_settings"] == .object(["sandbox_mode": .object(["enable": .bool(true)])]))
        #expect(try adapter("sendgrid://\(Self.key)@api.eu.sendgrid.com").base == "https://api.eu.sendgrid.com")
        #expect(try adapter("sendgrid://\(Self.key)@default?endpoint=https://api.eu.sendgrid.com/").base == "https://api.eu.sendgrid.com")
        #expect(try adapter("sendgrid://\(Self.key)@default?name=sg-eu").name == "sg-eu")
    }

    @Test(arguments: [
        ("sendgrid://@default", "missing the API key"), ("sendgrid://apikey:\(key)@default", "the key alone before the @"),
        ("sendgrid://\(key)@default?sandbox=maybe", "sandbox must be"), ("sendgrid://\(key)@default?region=eu", "unknown option \"region\""),
        ("sendgrid://\(key)@default?endpoint=http://api.sendgrid.com", "plain http"),
    ])
    func badURLsSayWhat(_ text: String, _ expected: String) {
        F.expectRefused(text, expected, hiding: "abc123") { url throws(ProviderURLError) in _ = try SendGridAdapter(url: url) }
    }

    static func errors(_ field: String?, _ message: String) -> String {
        #"{"errors":[{"message":"\#(message)","field":\#(field.map { "\"\($0)\"" } ?? "null"),"help":null}]}"#
    }

    @Test(arguments: [
        (202, "", [HTTPField("X-Message-Id", "W7fZxY2kQ0mA1b2c3d4e5f")], DeliveryOutcome.delivered(providerID: "W7fZxY2kQ0mA1b2c3d4e5f", code: 202)),
        (200, "", [], .delivered(providerID: nil, code: 200)),  // sandbox mode
        (400, errors("personalizations.0.to.0.email", "Does not contain a valid address."), [],
         .failed(Failure(.badRecipient, scope: .recipient, status: 400, detail: "personalizations.0.to.0.email: Does not contain a valid address."))),
        (403, errors("from", "The from address does not match a verified Sender Identity."), [],
         .failed(Failure(.senderRefused, scope: .provider, status: 403, detail: "from: The from address does not match a verified Sender Identity."))),
        (400, errors("from.email", "The from email does not contain a valid address."), [],
         .failed(Failure(.senderRefused, scope: .provider, status: 400, detail: "from.email: The from email does not contain a valid address."))),
        (400, errors("content.0.value", "If present, text/plain and text/html may only be provided once."), [],
         .failed(Failure(.invalidRequest, scope: .provider, status: 400, detail: "content.0.value: If present, text/plain and text/html may only be provided once."))),
        (401, errors(nil, "The provided authorization grant is invalid, expired, or revoked"), [],
         .failed(Failure(.providerAuthFailed, scope: .provider, status: 401, detail: "The provided authorization grant is invalid, expired, or revoked"))),
        (403, errors("null", "access forbidden"), [], .failed(Failure(.providerAuthFailed, scope: .provider, status: 403, detail: "access forbidden"))),
        (406, errors(nil, "Accept header is missing"), [], .failed(Failure(.invalidRequest, scope: .provider, status: 406, detail: "Accept header is missing"))),
        (413, errors(nil, "content too large"), [], .failed(Failure(.rejected, scope: .recipient, status: 413, detail: "content too large"))),
        (451, errors(nil, "data residency"), [], .failed(Failure(.misconfigured, scope: .provider, status: 451, detail: "data residency"))),
        (429, errors(nil, "too many requests"), [HTTPField("X-RateLimit-Reset", "1700000030")],
         .failed(Failure(.rateLimited, scope: .transient, status: 429, retryAfter: 30_000, detail: "too many requests"))),
        (429, errors(nil, "too many requests"), [HTTPField("Retry-After", "5"), HTTPField("X-RateLimit-Reset", "1700000030")],
         .failed(Failure(.rateLimited, scope: .transient, status: 429, retryAfter: 5_000, detail: "too many requests"))),
        (500, errors(nil, "internal server error"), [], .failed(Failure(.providerUnavailable, scope: .transient, status: 500, ambiguous: true, detail: "internal server error"))),
        (503, "<html>unavailable</html>", [], .failed(Failure(.providerUnavailable, scope: .transient, status: 503, ambiguous: true))),
    ] as [(Int, String, [HTTPField], DeliveryOutcome)])
    func classifiesSendGridsAnswers(_ status: Int, _ body: String, _ headers: [HTTPField], _ expected: DeliveryOutcome) throws {
        #expect(try adapter().classify(F.answer(status, body, headers: headers), context: F.context) == expected)
    }

    @Test func transportFailures() throws {
        let adapter = try adapter()
        F.expectTransportRules({ adapter.classify($0, context: F.context) }, ambiguousAfterSend: true)
    }

    @Test func theProbeReadsTheKeysScopes() throws {
        let adapter = try adapter()
        let probe = try #require(adapter.probe())
        #expect(probe.method == "GET")
        #expect(probe.url == "https://api.sendgrid.com/v3/scopes")
        #expect(probe.body.isEmpty)
        #expect(probe.headers[field: "Authorization"] == "Bearer \(Self.key)")
        #expect(adapter.judgeProbe(F.answer(200, #"{"scopes":["mail.send","alerts.read"]}"#))
            == .ok("the key is accepted and has the mail.send permission"))
        let readOnly = adapter.judgeProbe(F.answer(200, #"{"scopes":["alerts.read"]}"#))
        #expect(readOnly == .problem("the key is accepted but lacks the mail.send permission (1 other permission(s)): give it Mail Send access"))
        #expect(!adapter.judgeProbe(F.answer(401, Self.errors(nil, "authorization required"))).isOK)
        #expect(!adapter.judgeProbe(.failed(.connect)).isOK)
    }

    @Test func anSMSIsRefused() throws {
        #expect(throws: AssemblyError(.misconfigured, "sendgrid sends email only")) {
            try self.adapter().request(for: F.sms, context: F.context)
        }
    }
}
