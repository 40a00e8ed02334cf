import HeraldCore
import HeraldProviders
import Testing

@Suite struct MessageBirdAdapterTests {
    let context = SendContext(messageID: 7, webhookID: "msg_1", now: 1_000_000)
    let sms = OutgoingMessage.sms(SMS(to: "+31612345678", text: "Your code is 482913"))

    func adapter(_ query: String = "from=Acme", key: String = "live_0123secretkey") throws(ProviderURLError) -> MessageBirdAdapter {
        try MessageBirdAdapter(url: ProviderURL(parsing: "messagebird://\(key)@default?\(query)"))
    }

    @Test func buildsTheJSONRequestWithTheAccessKeyAndDigitsOnly() throws {
        let request = try adapter().request(for: sms, context: context)
        #expect(request.method == "POST")
        #expect(request.url == "https://rest.messagebird.com/messages")
        #expect(request.headers[field: "Authorization"] == "AccessKey live_0123secretkey")
        #expect(request.headers[field: "content-type"] == "application/json")
        #expect(String(decoding: request.body, as: UTF8.self)
            == #"{"body":"Your code is 482913","datacoding":"plain","originator":"Acme","recipients":["31612345678"]}"#)
        let numbered = try adapter("from=+31970123456").request(for: .sms(SMS(to: "+31612345678", text: "Код 482913")), context: context)
        #expect(try JSONValue.parse(numbered.body)["originator"] == .string("31970123456"))
        #expect(try JSONValue.parse(numbered.body)["datacoding"] == .string("unicode"))
    }

    @Test(arguments: [
        ("", "missing ?from="), ("from=Acme+Company+Ltd", "from must be"), ("from=Acme&reportUrl=x", "unknown option \"reportUrl\""),
        ("from=Acme&endpoint=http://rest.example.com", "plain http"),
    ])
    func badURLsSayWhat(_ query: String, _ expected: String) {
        expectURLError(expected, hiding: ["secretkey"]) { _ = try adapter(query) }
        #expect(throws: ProviderURLError.self) { try self.adapter(key: "user:secretkey") }
    }

    static func error(_ code: Int, _ description: String, _ parameter: String?) -> String {
        #"{"errors":[{"code":\#(code),"description":"\#(description)","parameter":\#(parameter.map { "\"\($0)\"" } ?? "null")}]}"#
    }

    static func failed(_ code: FailureCode, _ scope: Failure.Scope, _ status: Int, _ provider: String, _ detail: String, ambiguous: Bool = false) -> DeliveryOutcome {
        .failed(Failure(code, scope: scope, status: status, providerCode: provider, ambiguous: ambiguous, detail: detail))
    }

    @Test(arguments: [
        (201, #"{"id":"49e40bae0b374f1ca5e3d04d46edc7c1","href":"https://rest.messagebird.com/messages/49e40bae0b374f1ca5e3d04d46edc7c1","recipients":{"totalCount":1,"totalSentCount":1,"items":[{"recipient":31612345678,"status":"sent"}]}}"#,
         DeliveryOutcome.delivered(providerID: "49e40bae0b374f1ca5e3d04d46edc7c1", code: 201)),
        (401, error(2, "Request not allowed (incorrect access_key)", "access_key"),
         failed(.providerAuthFailed, .provider, 401, "2", "Request not allowed (incorrect access_key)")),
        (422, error(9, "no (correct) recipients found", "recipients"), failed(.badRecipient, .recipient, 422, "9", "no (correct) recipients found")),
        (422, error(10, "recipient is invalid", "recipient"), failed(.badRecipient, .recipient, 422, "10", "recipient is invalid")),
        (422, error(9, "originator is required", "originator"), failed(.senderRefused, .provider, 422, "9", "originator is required")),
        (422, error(10, "originator is invalid", "originator"), failed(.senderRefused, .provider, 422, "10", "originator is invalid")),
        (422, error(9, "body is required", "body"), failed(.noContent, .recipient, 422, "9", "body is required")),
        (422, error(10, "datacoding is invalid", "datacoding"), failed(.invalidRequest, .provider, 422, "10", "datacoding is invalid")),
        (402, error(25, "Not enough balance", nil), failed(.quotaExceeded, .provider, 402, "25", "Not enough balance")),
        (404, error(20, "message not found", nil), failed(.invalidRequest, .provider, 404, "20", "message not found")),
        (400, error(21, "Bad request", nil), failed(.invalidRequest, .provider, 400, "21", "Bad request")),
        (404, error(98, "API not found", nil), failed(.invalidRequest, .provider, 404, "98", "API not found")),
        (500, error(99, "Internal error", nil), failed(.providerUnavailable, .transient, 500, "99", "Internal error", ambiguous: true)),
        (503, "", .failed(Failure(.providerUnavailable, scope: .transient, status: 503, ambiguous: true))),
        (405, error(3, "Method not allowed", nil), .failed(Failure(.invalidRequest, scope: .provider, status: 405, providerCode: "3", detail: "Method not allowed"))),
    ] as [(Int, String, DeliveryOutcome)])
    func classifiesMessageBirdsAnswers(_ status: Int, _ body: String, _ expected: DeliveryOutcome) throws {
        #expect(try adapter().classify(answer(status, body), context: context) == expected)
    }

    @Test func aRateLimitWaitsForRetryAfter() throws {
        let outcome = try adapter().classify(answer(429, "", headers: [HTTPField("Retry-After", "5")]), context: context)
        #expect(outcome == .failed(Failure(.rateLimited, scope: .transient, status: 429, retryAfter: 5_000)))
    }

    @Test func theProbeReadsTheBalance() throws {
        let adapter = try adapter()
        let probe = try #require(adapter.probe())
        #expect(probe.method == "GET")
        #expect(probe.url == "https://rest.messagebird.com/balance")
        #expect(probe.headers[field: "Authorization"] == "AccessKey live_0123secretkey")
        #expect(adapter.judgeProbe(answer(200, #"{"payment":"prepaid","type":"credits","amount":9.2}"#))
            == .ok("the access key is accepted; balance 9.20 credits (prepaid)"))
        #expect(adapter.judgeProbe(answer(200, #"{"payment":"prepaid","type":"euros","amount":0}"#))
            == .problem("the prepaid balance is 0.00 euros: top up the MessageBird account"))
        #expect(adapter.judgeProbe(answer(200, #"{"payment":"postpaid","type":"euros","amount":-20}"#)).isOK)
        #expect(!adapter.judgeProbe(answer(401, Self.error(2, "Request not allowed (incorrect access_key)", "access_key"))).isOK)
    }
}
