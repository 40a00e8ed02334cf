import HeraldCore
import HeraldProviders
import Testing

@Suite struct ResendAdapterTests {
    static let key = "re_123abc_DEF456"
    typealias F = JSONEmailFixtures

    func adapter(_ text: String = "resend://\(key)@default") throws(ProviderURLError) -> ResendAdapter {
        try ResendAdapter(url: ProviderURL(parsing: text))
    }

    @Test func buildsTheEmailsRequestWithAnIdempotencyKey() throws {
        let request = try adapter().request(for: F.email(), context: F.context)
        #expect(request.method == "POST")
        #expect(request.url == "https://api.resend.com/emails")
        #expect(request.headers == [
            HTTPField("Authorization", "Bearer \(Self.key)"), HTTPField("Idempotency-Key", "herald-msg_2abcDEF-7"),
            HTTPField("Content-Type", "application/json"), HTTPField("Accept", "application/json"),
        ])
        #expect(F.body(request) == #"{"from":"Example App <no-reply@example.com>","html":"<p>482913</p>","reply_to":"Example App <support@example.com>","subject":"482913 is your code","tags":[{"name":"herald_message_id","value":"7"},{"name":"clerk_id","value":"ema_3Fq8ZtK9"},{"name":"slug","value":"verification_code"}],"text":"Code: 482913","to":["ana@example.org"]}"#)
    }

    @Test func everyAttemptOfOneMessageSendsTheSameKeyAndBytes() throws {
        let adapter = try adapter()
        var later = F.context
        later.attempt = 3
        later.now += 60_000
        let first = try adapter.request(for: F.email(), context: F.context)
        let third = try adapter.request(for: F.email(), context: later)
        #expect(first == third)
        var other = F.context
        other.messageID = 8
        #expect(try adapter.request(for: F.email(), context: other).headers[field: "Idempotency-Key"] == "herald-msg_2abcDEF-8")
    }

    @Test func tagsKeepOnlyTheCharactersResendTakes() throws {
        let context = SendContext(messageID: 1, webhookID: "msg_1", clerkID: "ema.3/Fq8 ü", slug: "magic link", now: 0)
        let json = try JSONValue.parse(adapter().request(for: F.email(), context: context).body)
        #expect(json["tags"] == .array([
            .object(["name": .string("herald_message_id"), "value": .string("1")]),
            .object(["name": .string("clerk_id"), "value": .string("ema3Fq8")]),
            .object(["name": .string("slug"), "value": .string("magiclink")]),
        ]))
    }

    @Test(arguments: [
        ("resend://@default", "missing the API key"), ("resend://a:\(key)@default", "the key alone before the @"),
        ("resend://\(key)@default?region=eu", "unknown option \"region\" (known: endpoint, name, rate)"),
        ("resend://\(key)@default?endpoint=http://10.0.0.1", "plain http"),
    ])
    func badURLsSayWhat(_ text: String, _ expected: String) {
        F.expectRefused(text, expected, hiding: "123abc") { url throws(ProviderURLError) in _ = try ResendAdapter(url: url) }
    }

    static func error(_ status: Int, _ name: String, _ message: String) -> String {
        #"{"statusCode":\#(status),"message":"\#(message)","name":"\#(name)"}"#
    }

    static func failed(_ code: FailureCode, _ scope: Failure.Scope, _ status: Int, _ name: String, _ message: String, retryAfter: Int64? = nil)
        -> DeliveryOutcome
    {
        .failed(Failure(code, scope: scope, status: status, providerCode: name, retryAfter: retryAfter, detail: message))
    }

    @Test(arguments: [
        (200, #"{"id":"49a3999c-0ce1-4ea6-ab68-afcd6dc2e794"}"#, [], DeliveryOutcome.delivered(providerID: "49a3999c-0ce1-4ea6-ab68-afcd6dc2e794", code: 200)),
        (422, error(422, "validation_error", "Invalid `to` field. The email address needs to follow the `email@example.com` format."), [],
         failed(.badRecipient, .recipient, 422, "validation_error", "Invalid `to` field. The email address needs to follow the `email@example.com` format.")),
        (400, error(400, "validation_error", "We found an error with one or more fields in the request."), [],
         failed(.invalidRequest, .provider, 400, "validation_error", "We found an error with one or more fields in the request.")),
        (403, error(403, "validation_error", "The example.com domain is not verified. Please, add and verify your domain."), [],
         failed(.senderRefused, .provider, 403, "validation_error", "The example.com domain is not verified. Please, add and verify your domain.")),
        (403, error(403, "validation_error", "You can only send testing emails to your own email address."), [],
         failed(.senderRefused, .provider, 403, "validation_error", "You can only send testing emails to your own email address.")),
        (422, error(422, "invalid_from_address", "Invalid `from` field."), [], failed(.senderRefused, .provider, 422, "invalid_from_address", "Invalid `from` field.")),
        (400, error(400, "invalid_idempotency_key", "The key must be between 1-256 chars."), [],
         failed(.invalidRequest, .provider, 400, "invalid_idempotency_key", "The key must be between 1-256 chars.")),
        (401, error(401, "missing_api_key", "Missing API key in the authorization header."), [],
         failed(.providerAuthFailed, .provider, 401, "missing_api_key", "Missing API key in the authorization header.")),
        (403, error(403, "invalid_api_key", "API key is invalid."), [], failed(.providerAuthFailed, .provider, 403, "invalid_api_key", "API key is invalid.")),
        (404, error(404, "not_found", "The requested endpoint does not exist."), [],
         failed(.invalidRequest, .provider, 404, "not_found", "The requested endpoint does not exist.")),
        (405, error(405, "method_not_allowed", "Method is not allowed for the requested path."), [],
         failed(.invalidRequest, .provider, 405, "method_not_allowed", "Method is not allowed for the requested path.")),
        (409, error(409, "invalid_idempotent_request", "Same idempotency key used with a different request payload."), [],
         failed(.invalidRequest, .recipient, 409, "invalid_idempotent_request", "Same idempotency key used with a different request payload.")),
        (409, error(409, "concurrent_idempotent_requests", "Same idempotency key used while original request is still in progress."), [],
         failed(.rejectedTemporarily, .transient, 409, "concurrent_idempotent_requests", "Same idempotency key used while original request is still in progress.")),
        (422, error(422, "missing_required_field", "Missing `subject` field."), [],
         failed(.invalidRequest, .provider, 422, "missing_required_field", "Missing `subject` field.")),
        (422, error(422, "invalid_region", "Region is invalid."), [], failed(.misconfigured, .provider, 422, "invalid_region", "Region is invalid.")),
        (429, error(429, "rate_limit_exceeded", "Too many requests."), [HTTPField("retry-after", "1"), HTTPField("ratelimit-reset", "4")],
         failed(.rateLimited, .transient, 429, "rate_limit_exceeded", "Too many requests.", retryAfter: 1_000)),
        (429, error(429, "rate_limit_exceeded", "Too many requests."), [HTTPField("ratelimit-reset", "4")],
         failed(.rateLimited, .transient, 429, "rate_limit_exceeded", "Too many requests.", retryAfter: 4_000)),
        (429, error(429, "daily_quota_exceeded", "You have reached your daily email sending quota."), [HTTPField("retry-after", "3600")],
         failed(.quotaExceeded, .provider, 429, "daily_quota_exceeded", "You have reached your daily email sending quota.")),
        (429, error(429, "monthly_quota_exceeded", "You have reached your monthly email sending quota."), [],
         failed(.quotaExceeded, .provider, 429, "monthly_quota_exceeded", "You have reached your monthly email sending quota.")),
        (451, error(451, "security_error", "We may have found a security issue with the request."), [],
         failed(.rejected, .recipient, 451, "security_error", "We may have found a security issue with the request.")),
        // 5xx retried, and not ambiguous: the retry's Idempotency-Key makes a second send impossible.
        (500, error(500, "application_error", "An unexpected error occurred."), [],
         failed(.providerUnavailable, .transient, 500, "application_error", "An unexpected error occurred.")),
        (503, "", [], .failed(Failure(.providerUnavailable, scope: .transient, status: 503))),
    ] as [(Int, String, [HTTPField], DeliveryOutcome)])
    func classifiesResendsAnswers(_ status: Int, _ body: String, _ headers: [HTTPField], _ expected: DeliveryOutcome) throws {
        #expect(try adapter().classify(F.answer(status, body, headers: headers), context: F.context) == expected)
    }

    @Test func aTimeoutIsRetriedButNotAmbiguous() throws {
        let adapter = try adapter()
        F.expectTransportRules({ adapter.classify($0, context: F.context) }, ambiguousAfterSend: false)
        #expect(adapter.classify(.failed(.connectionLost(afterSend: true)), context: F.context).failure?.ambiguous == false)
    }

    @Test func theProbeListsTheDomains() throws {
        let adapter = try adapter()
        let probe = try #require(adapter.probe())
        #expect(probe.method == "GET")
        #expect(probe.url == "https://api.resend.com/domains")
        #expect(probe.headers[field: "Authorization"] == "Bearer \(Self.key)")
        let domains = #"{"object":"list","has_more":false,"data":[{"id":"d1","name":"example.com","status":"verified","region":"us-east-1"},{"id":"d2","name":"example.net","status":"pending"}]}"#
        #expect(adapter.judgeProbe(F.answer(200, domains)) == .ok("the key is accepted; verified domain(s): example.com"))
        let none = #"{"data":[{"id":"d2","name":"example.net","status":"not_started"}]}"#
        #expect(!adapter.judgeProbe(F.answer(200, none)).isOK)
        // A sending-only key may send but not read: a note, not a problem.
        let restricted = adapter.judgeProbe(F.answer(401, Self.error(401, "restricted_api_key", "This API key is restricted to only send emails.")))
        #expect(restricted.isOK)
        #expect(!adapter.judgeProbe(F.answer(401, Self.error(401, "missing_api_key", "Missing API key"))).isOK)
        #expect(!adapter.judgeProbe(F.answer(403, Self.error(403, "invalid_api_key", "API key is invalid."))).isOK)
    }

    @Test func anSMSIsRefused() throws {
        #expect(throws: AssemblyError.self) { try self.adapter().request(for: F.sms, context: F.context) }
    }
}
