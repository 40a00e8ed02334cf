import HeraldCore
import HeraldProviders
import Testing

@Suite struct WebhookAdapterTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let url = "webhook+https://\(secret)@hooks.example.com/clerk/herald"
    typealias F = JSONEmailFixtures

    static let context = SendContext(
        messageID: 7, webhookID: "msg_2abcDEF", clerkID: "ema_3Fq8ZtK9", slug: "verification_code", attempt: 2, now: 1_700_000_000_000,
        templateData: .object(["otp_code": .string("482913"), "app": .object(["name": .string("Example App")])]))

    func adapter(_ text: String = url, _ channel: Channel = .email) throws(ProviderURLError) -> WebhookAdapter {
        try WebhookAdapter(url: ProviderURL(parsing: text), channel: channel)
    }

    @Test func postsTheEmailAsSignedJSON() throws {
        let request = try adapter().request(for: F.email(), context: Self.context)
        #expect(request.method == "POST")
        #expect(request.url == "https://hooks.example.com/clerk/herald")
        #expect(request.headers == [HTTPField("Content-Type", "application/json"), HTTPField("Accept", "application/json")])
        #expect(F.body(request) == #"{"channel":"email","clerk_id":"ema_3Fq8ZtK9","data":{"app":{"name":"Example App"},"otp_code":"482913"},"from":"Example App <no-reply@example.com>","html":"<p>482913</p>","message_id":7,"reply_to":"Example App <support@example.com>","slug":"verification_code","subject":"482913 is your code","text":"Code: 482913","to":"ana@example.org","webhook_id":"msg_2abcDEF"}"#)
        #expect(request.signing == .standardWebhooks(secret: try WebhookSecret(parsing: Self.secret), id: "herald-msg_2abcDEF-7"))
    }

    @Test func postsTheSMSWithAFromOnlyWhenGiven() throws {
        let request = try adapter(Self.url, .sms).request(for: F.sms, context: Self.context)
        #expect(F.body(request) == #"{"body":"482913","channel":"sms","clerk_id":"ema_3Fq8ZtK9","data":{"app":{"name":"Example App"},"otp_code":"482913"},"from":null,"message_id":7,"slug":"verification_code","to":"+15555550123","webhook_id":"msg_2abcDEF"}"#)
        let from = try adapter(Self.url + "?from=%2B15550001111", .sms).request(for: F.sms, context: Self.context)
        #expect(try JSONValue.parse(from.body)["from"] == .string("+15550001111"))
        #expect(try adapter(Self.url + "?from=Acme", .sms).sender == "Acme")
    }

    @Test func emptyFieldsAreNullAndTheBodyIsTheSameOnEveryAttempt() throws {
        let bare = SendContext(messageID: 9, webhookID: "msg_1", now: 0)
        let json = try JSONValue.parse(adapter().request(for: F.email(replyTo: false, html: nil), context: bare).body)
        for key in ["reply_to", "html", "slug", "clerk_id", "data"] { #expect(json[key] == .null, "\(key)") }
        var later = Self.context
        later.attempt = 5
        later.now += 60_000
        let first = try adapter().request(for: F.email(), context: Self.context)
        let again = try adapter().request(for: F.email(), context: later)
        #expect(first == again)
    }

    @Test func theWebhookIDIsStableAndHasNoDot() {
        let context = SendContext(messageID: 12, webhookID: "msg_2x.y/z", now: 0)
        #expect(WebhookAdapter.webhookID(context) == "herald-msg_2xyz-12")
        var retry = context
        retry.attempt = 3
        retry.now = 99_000
        #expect(WebhookAdapter.webhookID(retry) == WebhookAdapter.webhookID(context))
        #expect(WebhookAdapter.webhookID(SendContext(messageID: 13, webhookID: "msg_2x.y/z", now: 0)) != WebhookAdapter.webhookID(context))
    }

    @Test(arguments: [
        ("webhook+https://\(secret)@hooks.example.com/clerk/herald", "https://hooks.example.com/clerk/herald"),
        ("webhook://\(secret)@Hooks.Example.com:8443/a/b%20c", "https://hooks.example.com:8443/a/b%20c"),
        ("webhook+https://\(secret)@hooks.example.com", "https://hooks.example.com/"),
        ("webhook+http://\(secret)@127.0.0.1:9000/hook", "http://127.0.0.1:9000/hook"),
        ("webhook+http://\(secret)@[::1]:9000/hook", "http://[::1]:9000/hook"),
        ("webhook+http://\(secret)@localhost/hook?name=local-hook", "http://localhost/hook"),
        // openssl rand -base64 32: a / and a + may stay as they are.
        ("webhook+https://whsec_q83vEjRWeJqrze8SNFR4mqvN7xI0+niaFCFd8nd8g/M=@hooks.example.com/h", "https://hooks.example.com/h"),
    ])
    func theURLSaysWhereToPost(_ text: String, _ target: String) throws {
        #expect(try adapter(text).target == target)
    }

    @Test(arguments: [
        ("webhook+https://hooks.example.com/x", "missing the signing secret (whsec_ followed by base64) before the @"),
        ("webhook+https://whsec_abc@hooks.example.com/x", "must be whsec_ followed by base64 of at least 16 bytes"),
        ("webhook+https://whsec_MfKQ9r8GKYqr*wjUPD8ILPZIo2LaLaSw@hooks.example.com/x", "must be whsec_ followed by base64"),
        ("webhook+https://hook:\(secret)@hooks.example.com/x", "give the key alone before the @"),
        ("webhook+http://\(secret)@hooks.example.com/x", "only on a loopback host"),
        ("webhook+http://\(secret)@10.0.0.7/x", "only on a loopback host"),
        ("webhook+api://\(secret)@hooks.example.com/x", "say how to reach the receiver"),
        ("webhook+https://\(secret)@default", "no default host"),
        ("webhook+https://\(secret)@hooks.example.com/x?endpoint=https://other.example.com", "?endpoint= does not apply"),
        ("webhook+https://\(secret)@hooks.example.com/x?from=%2B15550001111", "from is for SMS only"),
        ("webhook+https://\(secret)@hooks.example.com/x?token=1", "unknown option \"token\""),
        ("webhook+https://\(secret)@hooks.example.com/a b", "the path must be URL-encoded ASCII"),
    ])
    func badURLsSayWhat(_ text: String, _ expected: String) {
        F.expectRefused(text, expected, hiding: "MfKQ9r8GKYqr") { url throws(ProviderURLError) in _ = try WebhookAdapter(url: url, channel: .email) }
    }

    @Test func anSMSFromMustBeANumberOrASenderID() {
        F.expectRefused(Self.url + "?from=not%20a%20sender!", "from must be", hiding: "MfKQ9r8GKYqr") { url throws(ProviderURLError) in
            _ = try WebhookAdapter(url: url, channel: .sms)
        }
    }

    /// One catalog entry for both channels: the adapter's channel is the variable's.
    @Test func theCatalogServesBothChannels() throws {
        let environment = ProviderEnvironment(ehloName: "herald.test")
        for (channel, variable) in [(Channel.email, "HERALD_EMAIL_URL"), (.sms, "HERALD_SMS_URL")] {
            let list = try ProviderCatalog.providers(Self.url, channel: channel, variable: variable, environment: environment)
            guard case .http(let adapter)? = list.first?.definition else { Issue.record("not http"); continue }
            #expect(adapter.name == "webhook")
            #expect(adapter.channel == channel)
            #expect(adapter.probe() == nil)
            do {
                _ = try ProviderCatalog.providers("webhook+https://whsec_short@hooks.example.com/x", channel: channel, variable: variable, environment: environment)
                Issue.record("accepted a short secret")
            } catch {
                #expect(error.description.hasPrefix("\(variable): webhook+https://***@hooks.example.com/x: the signing secret"))
                #expect(!error.description.contains("whsec_short"))
            }
        }
    }

    @Test func aMessageOfTheOtherChannelIsRefused() throws {
        #expect(throws: AssemblyError(.misconfigured, "this webhook is configured for email, not sms")) {
            try self.adapter().request(for: F.sms, context: Self.context)
        }
        #expect(throws: AssemblyError(.misconfigured, "this webhook is configured for sms, not email")) {
            try self.adapter(Self.url, .sms).request(for: F.email(), context: Self.context)
        }
    }

    @Test(arguments: [
        (200, #"{"id":"rcv_01HZX"}"#, [], DeliveryOutcome.delivered(providerID: "rcv_01HZX", code: 200)),
        (200, #"{"id":42}"#, [], .delivered(providerID: "42", code: 200)),
        (200, #"{"id":{"nested":true}}"#, [], .delivered(providerID: nil, code: 200)),
        (202, "", [], .delivered(providerID: nil, code: 202)),
        (204, "", [], .delivered(providerID: nil, code: 204)),
        (200, "OK", [], .delivered(providerID: nil, code: 200)),
        (301, "", [HTTPField("Location", "https://hooks.example.com/new")],
         .failed(Failure(.misconfigured, scope: .provider, status: 301, detail: "the receiver redirects: configure the URL it redirects to"))),
        (400, #"{"error":"unknown slug"}"#, [], .failed(Failure(.rejected, scope: .recipient, status: 400, detail: "unknown slug"))),
        (422, #"{"code":"invalid_number","message":"not a mobile number"}"#, [],
         .failed(Failure(.rejected, scope: .recipient, status: 422, providerCode: "invalid_number", detail: "not a mobile number"))),
        (413, "", [], .failed(Failure(.rejected, scope: .recipient, status: 413))),
        (401, #"{"error":"invalid signature"}"#, [], .failed(Failure(.providerAuthFailed, scope: .provider, status: 401, detail: "invalid signature"))),
        (403, "", [], .failed(Failure(.providerAuthFailed, scope: .provider, status: 403))),
        (404, "Not Found", [], .failed(Failure(.misconfigured, scope: .provider, status: 404))),
        (405, "", [], .failed(Failure(.misconfigured, scope: .provider, status: 405))),
        (410, #"{"error":{"message":"hook disabled"}}"#, [], .failed(Failure(.misconfigured, scope: .provider, status: 410, detail: "hook disabled"))),
        (408, "", [], .failed(Failure(.timeout, scope: .transient, status: 408))),
        (429, "", [HTTPField("Retry-After", "3")], .failed(Failure(.rateLimited, scope: .transient, status: 429, retryAfter: 3_000))),
        (500, #"{"error":{"message":"database down"}}"#, [],
         .failed(Failure(.providerUnavailable, scope: .transient, status: 500, ambiguous: true, detail: "database down"))),
        (502, "<html>Bad Gateway</html>", [], .failed(Failure(.providerUnavailable, scope: .transient, status: 502, ambiguous: true))),
        (503, "", [HTTPField("Retry-After", "10")],
         .failed(Failure(.providerUnavailable, scope: .transient, status: 503, retryAfter: 10_000, ambiguous: true))),
    ] as [(Int, String, [HTTPField], DeliveryOutcome)])
    func classifiesTheReceiversAnswer(_ status: Int, _ body: String, _ headers: [HTTPField], _ expected: DeliveryOutcome) throws {
        #expect(try adapter().classify(F.answer(status, body, headers: headers), context: Self.context) == expected)
    }

    @Test func transportFailures() throws {
        let adapter = try adapter()
        F.expectTransportRules({ adapter.classify($0, context: Self.context) }, ambiguousAfterSend: true)
    }
}
