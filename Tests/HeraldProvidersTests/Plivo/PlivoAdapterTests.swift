import Foundation
import HeraldCore
import HeraldProviders
import Testing

@Suite struct PlivoAdapterTests {
    static let authID = "MAXXXXXXXXXXXXXXXXXX"
    let context = SendContext(messageID: 7, webhookID: "msg_1", now: 1_000_000)
    let sms = OutgoingMessage.sms(SMS(to: "+14155550000", text: "Your code is \"482913\""))

    func adapter(_ query: String = "from=+15550001111", credentials: String = "\(authID):tok%40en") throws(ProviderURLError) -> PlivoAdapter {
        try PlivoAdapter(url: ProviderURL(parsing: "plivo://\(credentials)@default?\(query)"))
    }

    @Test func buildsTheJSONRequestWithBasicAuthAndTheTrailingSlash() throws {
        let request = try adapter().request(for: sms, context: context)
        #expect(request.method == "POST")
        #expect(request.url == "https://api.plivo.com/v1/Account/\(Self.authID)/Message/")
        #expect(request.headers[field: "Authorization"] == "Basic " + Array("\(Self.authID):tok@en".utf8).base64)
        #expect(request.headers[field: "content-type"] == "application/json")
        #expect(String(decoding: request.body, as: UTF8.self)
            == #"{"dst":"+14155550000","src":"+15550001111","text":"Your code is \"482913\""}"#)
        let named = try adapter("from=Acme").request(for: sms, context: context)
        #expect(try JSONValue.parse(named.body)["src"] == .string("Acme"))
    }

    @Test(arguments: [
        ("", "missing ?from="), ("from=12", "from must be"), ("from=+15550001111&powerpack_uuid=x", "unknown option \"powerpack_uuid\""),
        ("from=+15550001111&endpoint=http://api.example.com", "plain http"),
    ])
    func badURLsSayWhat(_ query: String, _ expected: String) {
        expectURLError(expected, hiding: ["tok"]) { _ = try adapter(query) }
        #expect(throws: ProviderURLError.self) { try self.adapter(credentials: "MA/../x:tok") }
        #expect(throws: ProviderURLError.self) { try self.adapter(credentials: Self.authID) }
    }

    static func error(_ text: String) -> String { #"{"api_id":"97ceeb52-58b6-11e1-86da-77300b68f8bb","error":"\#(text)"}"# }

    @Test(arguments: [
        (202, #"{"api_id":"db342550-7f1d-11e1-8ea7-1231380bc196","message":"message(s) queued","message_uuid":["db3ce55a-7f1d-11e1-8ea7-1231380bc196"]}"#,
         [], DeliveryOutcome.delivered(providerID: "db3ce55a-7f1d-11e1-8ea7-1231380bc196", code: 202)),
        (202, #"{"api_id":"984bc856","invalid_number":["14155550000"],"message":"message(s) queued","message_uuid":[]}"#, [],
         .failed(Failure(.badRecipient, scope: .recipient, status: 202, providerCode: "invalid_number", detail: "Plivo refused the destination number"))),
        (400, error("invalid_parameter"), [], .failed(Failure(.invalidRequest, scope: .provider, status: 400, providerCode: "invalid_parameter", detail: "invalid_parameter"))),
        (400, error("dst is not a valid phone number"), [], .failed(Failure(.badRecipient, scope: .recipient, status: 400, detail: "dst is not a valid phone number"))),
        (400, error("src number is not owned by the account"), [], .failed(Failure(.senderRefused, scope: .provider, status: 400, detail: "src number is not owned by the account"))),
        (401, error("authentication_failed"), [], .failed(Failure(.providerAuthFailed, scope: .provider, status: 401, providerCode: "authentication_failed", detail: "authentication_failed"))),
        (404, error("not found"), [], .failed(Failure(.invalidRequest, scope: .provider, status: 404, detail: "not found"))),
        (405, error("method not allowed"), [], .failed(Failure(.invalidRequest, scope: .provider, status: 405, detail: "method not allowed"))),
        (429, error("rate_limit_exceeded"), [HTTPField("Retry-After", "2")],
         .failed(Failure(.rateLimited, scope: .transient, status: 429, providerCode: "rate_limit_exceeded", retryAfter: 2_000, detail: "rate_limit_exceeded"))),
        (500, error("server error"), [], .failed(Failure(.providerUnavailable, scope: .transient, status: 500, ambiguous: true, detail: "server error"))),
    ] as [(Int, String, [HTTPField], DeliveryOutcome)])
    func classifiesPlivosAnswers(_ status: Int, _ body: String, _ headers: [HTTPField], _ expected: DeliveryOutcome) throws {
        #expect(try adapter().classify(answer(status, body, headers: headers), context: context) == expected)
    }

    @Test func theProbeReadsTheAccount() throws {
        let adapter = try adapter()
        let probe = try #require(adapter.probe())
        #expect(probe.method == "GET")
        #expect(probe.url == "https://api.plivo.com/v1/Account/\(Self.authID)/")
        let account = #"{"account_type":"standard","auth_id":"\#(Self.authID)","billing_mode":"prepaid","cash_credits":"4.88860"}"#
        #expect(adapter.judgeProbe(answer(200, account)) == .ok("account \(Self.authID) (standard, prepaid): 4.89 credits"))
        #expect(adapter.judgeProbe(answer(200, account.replacingOccurrences(of: "4.88860", with: "0.00000")))
            == .problem("account \(Self.authID) has no credit left (0.00): top it up"))
        #expect(adapter.judgeProbe(answer(401, Self.error("authentication_failed")))
            == .problem("the credentials are refused (HTTP 401): check the key in the URL"))
    }
}
