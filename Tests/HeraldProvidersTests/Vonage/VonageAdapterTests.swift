import HeraldCore
import HeraldProviders
import Testing

@Suite struct VonageAdapterTests {
    let context = SendContext(messageID: 7, webhookID: "msg_1", now: 1_000_000)
    let sms = OutgoingMessage.sms(SMS(to: "+447700900000", text: "123456 is your code & more"))

    func adapter(_ query: String = "from=Acme", credentials: String = "abcd1234:se%2Fcret") throws(ProviderURLError) -> VonageAdapter {
        try VonageAdapter(url: ProviderURL(parsing: "vonage://\(credentials)@default?\(query)"))
    }

    @Test func buildsTheFormWithTheKeyInTheBodyAndTheNumberWithoutPlus() throws {
        let request = try adapter().request(for: sms, context: context)
        #expect(request.method == "POST")
        #expect(request.url == "https://rest.nexmo.com/sms/json")
        #expect(request.headers[field: "Authorization"] == nil)
        #expect(request.headers[field: "content-type"] == "application/x-www-form-urlencoded")
        #expect(String(decoding: request.body, as: UTF8.self)
            == "api_key=abcd1234&api_secret=se%2Fcret&from=Acme&to=447700900000&text=123456%20is%20your%20code%20%26%20more")
        let numbered = try adapter("from=+15550001111").request(for: sms, context: context)
        #expect(FormEncoding.decode(numbered.body).first { $0.0 == "from" }?.1 == "15550001111")
    }

    @Test func aTextOutsideGSM7IsSentAsUnicode() throws {
        let plain = try adapter().request(for: .sms(SMS(to: "+447700900000", text: "Code 1234: déjà vu, über €5")), context: context)
        #expect(!FormEncoding.decode(plain.body).contains { $0.0 == "type" })
        let greek = try adapter().request(for: .sms(SMS(to: "+447700900000", text: "Κωδικός 1234 ✓")), context: context)
        #expect(FormEncoding.decode(greek.body).last.map { [$0.0, $0.1] } == ["type", "unicode"])
    }

    @Test(arguments: [
        ("", "missing ?from="), ("from=12", "from must be"), ("from=Acme&frm=1", "unknown option \"frm\""),
        ("from=TooLongSenderName", "from must be"), ("from=Acme&endpoint=http://rest.example.com", "plain http"),
    ])
    func badURLsSayWhat(_ query: String, _ expected: String) {
        expectURLError(expected, hiding: ["se/cret", "se%2Fcret"]) { _ = try adapter(query) }
        #expect(throws: ProviderURLError.missing("the API secret after the : before the @")) { try self.adapter(credentials: "abcd1234") }
    }

    @Test func anEndpointReplacesTheBase() throws {
        #expect(try adapter("from=Acme&endpoint=http://127.0.0.1:8080/").request(for: sms, context: context).url == "http://127.0.0.1:8080/sms/json")
    }

    static func part(_ status: String, id: String? = nil) -> String {
        if let id { return #"{"to":"447700900000","message-id":"\#(id)","status":"\#(status)","remaining-balance":"3.14","message-price":"0.03","network":"23410"}"# }
        return #"{"status":"\#(status)","error-text":"Error number \#(status) for 447700900000"}"#
    }

    static func body(_ parts: String...) -> String {
        #"{"message-count":"\#(parts.count)","messages":[\#(parts.joined(separator: ","))]}"#
    }

    @Test func oneAcceptedMessageIsDeliveredWithItsID() throws {
        let outcome = try adapter().classify(answer(200, Self.body(Self.part("0", id: "0A0000000123ABCD1"))), context: context)
        #expect(outcome == .delivered(providerID: "0A0000000123ABCD1", code: 200))
    }

    @Test func aLongTextIsDeliveredOnlyWhenEveryPartIsWithTheFirstID() throws {
        let adapter = try adapter()
        let all = Self.body(Self.part("0", id: "0A01"), Self.part("0", id: "0A02"), Self.part("0", id: "0A03"))
        #expect(adapter.classify(answer(200, all), context: context) == .delivered(providerID: "0A01", code: 200))
        let partial = adapter.classify(answer(200, Self.body(Self.part("0", id: "0A01"), Self.part("1"))), context: context).failure
        #expect(partial == Failure(.rateLimited, scope: .transient, status: 200, providerCode: "1", ambiguous: true,
                                   detail: "Error number 1 for 447700900000"))
    }

    /// Every row of the reference's status table.
    @Test(arguments: [
        ("1", FailureCode.rateLimited, Failure.Scope.transient), ("2", .invalidRequest, .provider), ("3", .invalidRequest, .provider),
        ("4", .providerAuthFailed, .provider), ("5", .providerUnavailable, .transient), ("6", .badRecipient, .recipient),
        ("7", .recipientUnsubscribed, .recipient), ("8", .providerAuthFailed, .provider), ("9", .quotaExceeded, .provider),
        ("10", .rateLimited, .transient), ("11", .misconfigured, .provider), ("12", .rejected, .recipient),
        ("14", .providerAuthFailed, .provider), ("15", .senderRefused, .provider), ("22", .invalidRequest, .provider),
        ("23", .invalidRequest, .provider), ("29", .badRecipient, .recipient), ("32", .invalidRequest, .provider),
        ("33", .badRecipient, .recipient), ("99", .invalidRequest, .provider),
    ])
    func aNonZeroStatusInA200IsAFailure(_ status: String, _ code: FailureCode, _ scope: Failure.Scope) throws {
        let outcome = try adapter().classify(answer(200, Self.body(Self.part(status))), context: context)
        #expect(outcome == .failed(Failure(code, scope: scope, status: 200, providerCode: status, detail: "Error number \(status) for 447700900000")))
    }

    @Test func httpErrorsAndUnreadableAnswers() throws {
        let adapter = try adapter()
        #expect(adapter.classify(answer(401, #"{"type":"https://developer.nexmo.com/api-errors#unauthorized","title":"Unauthorized"}"#), context: context)
            == .failed(Failure(.providerAuthFailed, scope: .provider, status: 401, detail: "Unauthorized")))
        #expect(adapter.classify(answer(429, "", headers: [HTTPField("Retry-After", "3")]), context: context)
            == .failed(Failure(.rateLimited, scope: .transient, status: 429, retryAfter: 3_000)))
        #expect(adapter.classify(answer(503, "<html>busy</html>"), context: context)
            == .failed(Failure(.providerUnavailable, scope: .transient, status: 503, ambiguous: true)))
        let unreadable = adapter.classify(answer(200, "<html>ok</html>"), context: context).failure
        #expect(unreadable?.scope == .transient)
        #expect(unreadable?.ambiguous == true)
    }

    @Test func theProbeReadsTheBalanceWithoutTheSecretInTheURL() throws {
        let adapter = try adapter()
        let probe = try #require(adapter.probe())
        #expect(probe.method == "GET")
        #expect(probe.url == "https://rest.nexmo.com/account/get-balance")
        #expect(probe.headers[field: "Authorization"] == "Basic " + Array("abcd1234:se/cret".utf8).base64)
        #expect(adapter.judgeProbe(answer(200, #"{"value":10.28,"autoReload":false}"#))
            == .ok("the credentials are accepted; balance 10.28 EUR"))
        #expect(adapter.judgeProbe(answer(200, #"{"value":0.4,"autoReload":false}"#))
            == .problem("the balance is low (0.40 EUR) and auto-reload is off"))
        #expect(adapter.judgeProbe(answer(200, #"{"value":0.4,"autoReload":true}"#)).isOK)
        #expect(adapter.judgeProbe(answer(200, #"{"value":0,"autoReload":true}"#)) == .problem("the balance is 0.00 EUR: top up the Vonage account"))
        #expect(!adapter.judgeProbe(answer(401, "")).isOK)
    }
}
