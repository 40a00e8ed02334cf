import Foundation
import HeraldCore
import HeraldProviders
import Testing

@Suite struct TwilioAdapterTests {
    static let sid = "AC" + String(repeating: "a1", count: 16)
    static let service = "MG" + String(repeating: "b2", count: 16)
    let context = SendContext(messageID: 7, webhookID: "msg_1", now: 1_000_000)
    let sms = OutgoingMessage.sms(SMS(to: "+15555550123", text: "123456 is your code & more"))

    func adapter(_ query: String = "from=+15550001111", credentials: String = "\(sid):tok%2Fen") throws(ProviderURLError) -> TwilioAdapter {
        try TwilioAdapter(url: ProviderURL(parsing: "twilio://\(credentials)@default?\(query)"))
    }

    @Test func buildsTheFormRequestWithBasicAuth() throws {
        let request = try adapter().request(for: sms, context: context)
        #expect(request.method == "POST")
        #expect(request.url == "https://api.twilio.com/2010-04-01/Accounts/\(Self.sid)/Messages.json")
        #expect(request.headers[field: "Authorization"] == "Basic " + Array("\(Self.sid):tok/en".utf8).base64)
        #expect(request.headers[field: "content-type"] == "application/x-www-form-urlencoded")
        #expect(String(decoding: request.body, as: UTF8.self) == "To=%2B15555550123&From=%2B15550001111&Body=123456%20is%20your%20code%20%26%20more")
        let service = try adapter("messaging_service_sid=\(Self.service)").request(for: sms, context: context)
        #expect(FormEncoding.decode(service.body).map(\.0) == ["To", "MessagingServiceSid", "Body"])
    }

    @Test func anAPIKeyNeedsTheAccountItBelongsTo() throws {
        let key = "SK" + String(repeating: "c3", count: 16)
        let adapter = try adapter("from=Acme&account_sid=\(Self.sid)", credentials: "\(key):secret")
        let request = try adapter.request(for: sms, context: context)
        #expect(request.url.contains("/Accounts/\(Self.sid)/"))
        #expect(request.headers[field: "Authorization"] == "Basic " + Array("\(key):secret".utf8).base64)
        #expect(throws: ProviderURLError.missing("?account_sid= (the AC... account an SK... API key belongs to)")) {
            try self.adapter("from=Acme", credentials: "\(key):secret")
        }
    }

    @Test(arguments: [
        ("", "missing ?from="), ("from=12", "from must be"), ("from=+15550001111&messaging_service_sid=\(service)", "not both"),
        ("messaging_service_sid=MG1", "messaging_service_sid must be"), ("from=+15550001111&frm=1", "unknown option \"frm\""),
        ("from=+15550001111&endpoint=http://api.example.com", "plain http"),
    ])
    func badURLsSayWhat(_ query: String, _ expected: String) {
        do {
            _ = try adapter(query)
            Issue.record("accepted \(query)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
            #expect(!error.description.contains("tok"))
        }
        #expect(throws: ProviderURLError.self) { try self.adapter(credentials: "ACnotasid:tok") }
        #expect(throws: ProviderURLError.self) { try self.adapter(credentials: Self.sid) }
    }

    @Test func anEndpointReplacesTheBaseOnLoopbackOnly() throws {
        #expect(try adapter("from=+15550001111&endpoint=http://127.0.0.1:8080/").base == "http://127.0.0.1:8080")
        #expect(try adapter("from=+15550001111&endpoint=https://twilio-proxy.internal").base == "https://twilio-proxy.internal")
        #expect(try TwilioAdapter(url: ProviderURL(parsing: "twilio://\(Self.sid):t@api.dublin.ie1.twilio.com?from=Acme")).base
            == "https://api.dublin.ie1.twilio.com")
    }

    func answer(_ status: Int, _ body: String, headers: [HTTPField] = []) -> Exchange {
        .answered(HTTPAnswer(status: status, headers: headers, body: Array(body.utf8)))
    }

    static func error(_ code: Int, _ status: Int) -> String {
        #"{"code":\#(code),"message":"Something about +15555550123","more_info":"https://www.twilio.com/docs/errors/\#(code)","status":\#(status)}"#
    }

    @Test(arguments: [
        (201, #"{"sid":"SM0123456789abcdef0123456789abcdef","status":"queued","error_code":null}"#, [], DeliveryOutcome.delivered(providerID: "SM0123456789abcdef0123456789abcdef", code: 201)),
        (400, error(21211, 400), [], .failed(Failure(.badRecipient, scope: .recipient, status: 400, providerCode: "21211", detail: "Something about +15555550123"))),
        (400, error(21610, 400), [], .failed(Failure(.recipientUnsubscribed, scope: .recipient, status: 400, providerCode: "21610", detail: "Something about +15555550123"))),
        (400, error(21408, 400), [], .failed(Failure(.senderRefused, scope: .provider, status: 400, providerCode: "21408", detail: "Something about +15555550123"))),
        (401, error(20003, 401), [], .failed(Failure(.providerAuthFailed, scope: .provider, status: 401, providerCode: "20003", detail: "Something about +15555550123"))),
        (429, error(20429, 429), [HTTPField("Retry-After", "7")], .failed(Failure(.rateLimited, scope: .transient, status: 429, providerCode: "20429", retryAfter: 7_000, detail: "Something about +15555550123"))),
        (503, "<html>busy</html>", [], .failed(Failure(.providerUnavailable, scope: .transient, status: 503, ambiguous: true))),
        (400, error(21999, 400), [], .failed(Failure(.invalidRequest, scope: .provider, status: 400, providerCode: "21999", detail: "Something about +15555550123"))),
    ] as [(Int, String, [HTTPField], DeliveryOutcome)])
    func classifiesTwiliosAnswers(_ status: Int, _ body: String, _ headers: [HTTPField], _ expected: DeliveryOutcome) throws {
        #expect(try adapter().classify(answer(status, body, headers: headers), context: context) == expected)
    }

    @Test func transportFailures() throws {
        let adapter = try adapter()
        #expect(adapter.classify(.failed(.connect), context: context) == .failed(Failure(.connectionFailed, scope: .transient, detail: "could not connect")))
        let timeout = adapter.classify(.failed(.timeout(afterSend: true)), context: context).failure
        #expect(timeout?.ambiguous == true)
        #expect(timeout?.scope == .transient)
        #expect(adapter.classify(.failed(.tls(certificate: true)), context: context).failure?.scope == .provider)
    }

    @Test func theProbeReadsTheAccount() throws {
        let adapter = try adapter()
        let probe = try #require(adapter.probe())
        #expect(probe.method == "GET")
        #expect(probe.url == "https://api.twilio.com/2010-04-01/Accounts/\(Self.sid).json")
        #expect(adapter.judgeProbe(answer(200, #"{"status":"active"}"#)).isOK)
        #expect(adapter.judgeProbe(answer(200, #"{"status":"suspended"}"#)) == .problem("account \(Self.sid) is suspended, not active"))
        #expect(!adapter.judgeProbe(answer(401, Self.error(20003, 401))).isOK)
    }

    @Test func anEmailIsRefused() throws {
        let from = try MailAddress(address: "a@example.com")
        let to = try MailAddress(address: "b@example.com")
        let email = OutgoingMessage.email(Email(
            from: from, to: to, subject: "s", text: "t", html: nil, messageID: "m@example.com", date: 0, boundary: "b"))
        #expect(throws: AssemblyError.self) { try self.adapter().request(for: email, context: self.context) }
    }
}

extension Array where Element == UInt8 {
    var base64: String { Data(self).base64EncodedString() }
}
