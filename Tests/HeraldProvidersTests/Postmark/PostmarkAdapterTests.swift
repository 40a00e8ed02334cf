import HeraldCore
import HeraldProviders
import Testing

@Suite struct PostmarkAdapterTests {
    static let token = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    typealias F = JSONEmailFixtures

    func adapter(_ query: String = "") throws(ProviderURLError) -> PostmarkAdapter {
        try PostmarkAdapter(url: ProviderURL(parsing: "postmark://\(Self.token)@default" + (query.isEmpty ? "" : "?" + query)))
    }

    @Test func buildsTheEmailRequest() throws {
        let request = try adapter().request(for: F.email(), context: F.context)
        #expect(request.method == "POST")
        #expect(request.url == "https://api.postmarkapp.com/email")
        #expect(request.headers == [
            HTTPField("X-Postmark-Server-Token", Self.token), HTTPField("Content-Type", "application/json"),
            HTTPField("Accept", "application/json"),
        ])
        #expect(F.body(request) == #"{"From":"Example App <no-reply@example.com>","HtmlBody":"<p>482913</p>","MessageStream":"outbound","Metadata":{"clerk_id":"ema_3Fq8ZtK9","herald_message_id":"7"},"ReplyTo":"Example App <support@example.com>","Subject":"482913 is your code","Tag":"verification_code","TextBody":"Code: 482913","To":"ana@example.org","TrackLinks":"None","TrackOpens":false}"#)
    }

    @Test func aStreamANameThatNeedsQuotingAndNoReplyTo() throws {
        let streamed = try adapter("message_stream=sign-in").request(for: F.email(replyTo: false, html: nil), context: F.context)
        let json = try JSONValue.parse(streamed.body)
        #expect(json["MessageStream"] == .string("sign-in"))
        #expect(json["ReplyTo"] == nil)
        #expect(json["HtmlBody"] == nil)
        // Postmark's ErrorCode 300 for a display name with punctuation left unquoted.
        let email = Email(
            from: try MailAddress(name: "Joe Sender, jr", address: "joe@example.com"), to: try MailAddress(address: "ana@example.org"),
            subject: "s", text: "t", html: nil, messageID: "m@example.com", date: 0, boundary: "b")
        let quoted = try JSONValue.parse(adapter().request(for: .email(email), context: F.context).body)
        #expect(quoted["From"] == .string(#""Joe Sender, jr" <joe@example.com>"#))
        let bare = Email(
            from: try MailAddress(address: "joe@example.com"), to: try MailAddress(address: "ana@example.org"), subject: "s", text: "t",
            html: nil, messageID: "m@example.com", date: 0, boundary: "b")
        #expect(try JSONValue.parse(adapter().request(for: .email(bare), context: F.context).body)["From"] == .string("joe@example.com"))
    }

    @Test(arguments: [
        ("postmark://@default", "missing the server API token"), ("postmark://a:\(token)@default", "the key alone before the @"),
        ("postmark://\(token)@default?message_stream=", "message_stream must be"),
        ("postmark://\(token)@default?message_stream=out%20bound", "message_stream must be"),
        ("postmark://\(token)@default?stream=outbound", "unknown option \"stream\""),
        ("postmark://\(token)@default?endpoint=ftp://api.postmarkapp.com", "endpoint must start with https://"),
    ])
    func badURLsSayWhat(_ text: String, _ expected: String) {
        F.expectRefused(text, expected, hiding: "4b5a") { url throws(ProviderURLError) in _ = try PostmarkAdapter(url: url) }
    }

    static func error(_ code: Int, _ message: String) -> String { #"{"ErrorCode":\#(code),"Message":"\#(message)"}"# }

    static let accepted =
        #"{"To":"ana@example.org","SubmittedAt":"2025-11-22T05:18:00.123-05:00","MessageID":"b7bc2f4a-e38e-4336-af7d-e6c392c2f817","ErrorCode":0,"Message":"OK"}"#

    @Test(arguments: [
        (200, accepted, [], DeliveryOutcome.delivered(providerID: "b7bc2f4a-e38e-4336-af7d-e6c392c2f817", code: 200)),
        (422, error(406, "You tried to send to recipient(s) that have been marked as inactive."), [],
         .failed(Failure(.recipientUnsubscribed, scope: .recipient, status: 422, providerCode: "406", detail: "You tried to send to recipient(s) that have been marked as inactive."))),
        (422, error(300, "Invalid 'To' address: 'ana@'."), [],
         .failed(Failure(.invalidRequest, scope: .recipient, status: 422, providerCode: "300", detail: "Invalid 'To' address: 'ana@'."))),
        (401, error(10, "The Server Token you provided in the X-Postmark-Server-Token request header was invalid."), [],
         .failed(Failure(.providerAuthFailed, scope: .provider, status: 401, providerCode: "10", detail: "The Server Token you provided in the X-Postmark-Server-Token request header was invalid."))),
        (422, error(400, "The 'From' address you supplied is not a Sender Signature on your account."), [],
         .failed(Failure(.senderRefused, scope: .provider, status: 422, providerCode: "400", detail: "The 'From' address you supplied is not a Sender Signature on your account."))),
        (422, error(401, "Sender signature not confirmed"), [], .failed(Failure(.senderRefused, scope: .provider, status: 422, providerCode: "401", detail: "Sender signature not confirmed"))),
        (422, error(412, "Account pending approval"), [], .failed(Failure(.senderRefused, scope: .provider, status: 422, providerCode: "412", detail: "Account pending approval"))),
        (422, error(413, "Account may not send"), [], .failed(Failure(.senderRefused, scope: .provider, status: 422, providerCode: "413", detail: "Account may not send"))),
        (422, error(405, "Not allowed to send"), [], .failed(Failure(.quotaExceeded, scope: .provider, status: 422, providerCode: "405", detail: "Not allowed to send"))),
        (422, error(402, "Invalid JSON"), [], .failed(Failure(.invalidRequest, scope: .provider, status: 422, providerCode: "402", detail: "Invalid JSON"))),
        (422, error(403, "Incompatible JSON"), [], .failed(Failure(.invalidRequest, scope: .provider, status: 422, providerCode: "403", detail: "Incompatible JSON"))),
        (422, error(409, "JSON required"), [], .failed(Failure(.invalidRequest, scope: .provider, status: 422, providerCode: "409", detail: "JSON required"))),
        (422, error(411, "Forbidden attachment type"), [], .failed(Failure(.invalidRequest, scope: .provider, status: 422, providerCode: "411", detail: "Forbidden attachment type"))),
        (429, error(429, "Rate limit exceeded"), [HTTPField("Retry-After", "3")],
         .failed(Failure(.rateLimited, scope: .transient, status: 429, providerCode: "429", retryAfter: 3_000, detail: "Rate limit exceeded"))),
        (413, "", [], .failed(Failure(.invalidRequest, scope: .provider, status: 413))),
        (500, error(500, "Internal Server Error"), [],
         .failed(Failure(.providerUnavailable, scope: .transient, status: 500, providerCode: "500", ambiguous: true, detail: "Internal Server Error"))),
        (503, "", [], .failed(Failure(.providerUnavailable, scope: .transient, status: 503, ambiguous: true))),
    ] as [(Int, String, [HTTPField], DeliveryOutcome)])
    func classifiesPostmarksAnswers(_ status: Int, _ body: String, _ headers: [HTTPField], _ expected: DeliveryOutcome) throws {
        #expect(try adapter().classify(F.answer(status, body, headers: headers), context: F.context) == expected)
    }

    @Test func transportFailures() throws {
        let adapter = try adapter()
        F.expectTransportRules({ adapter.classify($0, context: F.context) }, ambiguousAfterSend: true)
    }

    @Test func theProbeReadsTheServer() throws {
        let adapter = try adapter()
        let probe = try #require(adapter.probe())
        #expect(probe.method == "GET")
        #expect(probe.url == "https://api.postmarkapp.com/server")
        #expect(probe.headers[field: "X-Postmark-Server-Token"] == Self.token)
        let live = #"{"ID":1,"Name":"Production","ApiTokens":["\#(Self.token)"],"DeliveryType":"Live","TrackOpens":false}"#
        let verdict = adapter.judgeProbe(F.answer(200, live))
        #expect(verdict == .ok("server \"Production\" accepts the token (message stream outbound)"))
        let sandbox = #"{"ID":2,"Name":"CI","ApiTokens":["\#(Self.token)"],"DeliveryType":"Sandbox"}"#
        #expect(adapter.judgeProbe(F.answer(200, sandbox)) == .problem("server \"CI\" is a sandbox server: Postmark accepts mail there and delivers none"))
        let refused = adapter.judgeProbe(F.answer(401, Self.error(10, "bad token")))
        #expect(refused == .problem("Postmark refuses the server token (HTTP 401): use a server token (not an account token) in the URL"))
        #expect(!adapter.judgeProbe(.failed(.resolve)).isOK)
    }

    @Test func anSMSIsRefused() throws {
        #expect(throws: AssemblyError.self) { try self.adapter().request(for: F.sms, context: F.context) }
    }
}
