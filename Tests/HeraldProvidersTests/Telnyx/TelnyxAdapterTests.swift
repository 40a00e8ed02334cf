import HeraldCore
import HeraldProviders
import Testing

@Suite struct TelnyxAdapterTests {
    static let key = "KEY0123456789ABCDEF_secretpart"
    static let profile = "400174af-0a13-4e28-b4f5-0123456789ab"
    let context = SendContext(messageID: 7, webhookID: "msg_1", now: 1_000_000)
    let sms = OutgoingMessage.sms(SMS(to: "+15559876543", text: "482913 is your code"))

    func adapter(_ query: String = "from=+15551234567") throws(ProviderURLError) -> TelnyxAdapter {
        try TelnyxAdapter(url: ProviderURL(parsing: "telnyx://\(Self.key)@default?\(query)"))
    }

    @Test func buildsTheJSONRequestWithBearerAndPlusNumbers() throws {
        let request = try adapter().request(for: sms, context: context)
        #expect(request.method == "POST")
        #expect(request.url == "https://api.telnyx.com/v2/messages")
        #expect(request.headers[field: "Authorization"] == "Bearer \(Self.key)")
        #expect(request.headers[field: "content-type"] == "application/json")
        #expect(String(decoding: request.body, as: UTF8.self) == #"{"from":"+15551234567","text":"482913 is your code","to":"+15559876543"}"#)
        let branded = try adapter("from=Acme&messaging_profile_id=\(Self.profile.uppercased())").request(for: sms, context: context)
        #expect(try JSONValue.parse(branded.body)["messaging_profile_id"] == .string(Self.profile))
        #expect(try JSONValue.parse(branded.body)["from"] == .string("Acme"))
    }

    @Test(arguments: [
        ("", "missing ?from="), ("from=Acme", "missing ?messaging_profile_id="), ("from=+15551234567&messaging_profile_id=42", "must be the profile's UUID"),
        ("from=+15551234567&webhook_url=x", "unknown option \"webhook_url\""), ("from=+15551234567&endpoint=http://api.example.com", "plain http"),
    ])
    func badURLsSayWhat(_ query: String, _ expected: String) {
        expectURLError(expected, hiding: ["secretpart"]) { _ = try adapter(query) }
        #expect(throws: ProviderURLError.self) { try TelnyxAdapter(url: ProviderURL(parsing: "telnyx://a:b@default?from=+15551234567")) }
    }

    static func error(_ code: String, pointer: String? = nil) -> String {
        let source = pointer.map { #","source":{"pointer":"\#($0)"}"# } ?? ""
        return #"{"errors":[{"code":"\#(code)","title":"Error \#(code)","detail":"Detail of \#(code)"\#(source),"meta":{"url":"https://developers.telnyx.com/docs/overview/errors/\#(code)"}}]}"#
    }

    static func failed(_ code: FailureCode, _ scope: Failure.Scope, _ status: Int, _ provider: String, retryAfter: Int64? = nil) -> DeliveryOutcome {
        .failed(Failure(code, scope: scope, status: status, providerCode: provider, retryAfter: retryAfter, detail: "Detail of \(provider)"))
    }

    @Test(arguments: [
        (200, #"{"data":{"record_type":"message","id":"40385f64-5717-4562-b3fc-2c963f66afa6","direction":"outbound","type":"SMS","to":[{"phone_number":"+15559876543","status":"queued"}],"parts":1}}"#,
         [], DeliveryOutcome.delivered(providerID: "40385f64-5717-4562-b3fc-2c963f66afa6", code: 200)),
        (401, error("10009"), [], failed(.providerAuthFailed, .provider, 401, "10009")),
        (403, error("10010"), [], failed(.providerAuthFailed, .provider, 403, "10010")),
        (429, error("10011"), [HTTPField("Retry-After", "4")], failed(.rateLimited, .transient, 429, "10011", retryAfter: 4_000)),
        (422, error("10016", pointer: "/to"), [], failed(.badRecipient, .recipient, 422, "10016")),
        (422, error("10002", pointer: "/to"), [], failed(.badRecipient, .recipient, 422, "10002")),
        (422, error("10002", pointer: "/from"), [], failed(.senderRefused, .provider, 422, "10002")),
        (400, error("40310", pointer: "/to"), [], failed(.badRecipient, .recipient, 400, "40310")),
        (409, error("40300"), [], failed(.recipientUnsubscribed, .recipient, 409, "40300")),
        (400, error("40001"), [], failed(.badRecipient, .recipient, 400, "40001")),
        (400, error("40012"), [], failed(.badRecipient, .recipient, 400, "40012")),
        (400, error("40013"), [], failed(.senderRefused, .provider, 400, "40013")),
        (400, error("40009"), [], failed(.rejected, .recipient, 400, "40009")),
        (400, error("40123"), [], failed(.badRecipient, .recipient, 400, "40123")),
        (400, error("40123", pointer: "/messaging_profile_id"), [], failed(.senderRefused, .provider, 400, "40123")),
        (422, error("10004", pointer: "/text"), [], failed(.invalidRequest, .provider, 422, "10004")),
        (500, error("10007"), [], .failed(Failure(.providerUnavailable, scope: .transient, status: 500, providerCode: "10007", ambiguous: true, detail: "Detail of 10007"))),
        (503, "", [], .failed(Failure(.providerUnavailable, scope: .transient, status: 503, ambiguous: true))),
    ] as [(Int, String, [HTTPField], DeliveryOutcome)])
    func classifiesTelnyxsAnswers(_ status: Int, _ body: String, _ headers: [HTTPField], _ expected: DeliveryOutcome) throws {
        #expect(try adapter().classify(answer(status, body, headers: headers), context: context) == expected)
    }

    @Test func theProbeReadsTheBalance() throws {
        let adapter = try adapter()
        let probe = try #require(adapter.probe())
        #expect(probe.method == "GET")
        #expect(probe.url == "https://api.telnyx.com/v2/balance")
        #expect(probe.headers[field: "Authorization"] == "Bearer \(Self.key)")
        let balance = #"{"data":{"record_type":"balance","pending":"10.00","balance":"300.00","credit_limit":"100.00","available_credit":"400.00","currency":"USD"}}"#
        #expect(adapter.judgeProbe(answer(200, balance)) == .ok("the key is accepted; 400.00 USD available"))
        #expect(adapter.judgeProbe(answer(200, #"{"data":{"balance":"-5.00","available_credit":"0.00","currency":"USD"}}"#))
            == .problem("no credit available (0.00 USD): top up the Telnyx account"))
        #expect(adapter.judgeProbe(answer(403, Self.error("10010"))) == .problem("the credentials lack a permission or are refused (HTTP 403)"))
    }
}
