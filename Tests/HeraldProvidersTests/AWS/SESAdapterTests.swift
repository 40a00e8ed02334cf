import Foundation
import HeraldCore
import HeraldProviders
import Testing

@Suite struct SESAdapterTests {
    static let keyID = "AKIAIOSFODNN7EXAMPLE"
    /// An AWS-shaped secret: a `/` and a `+` unencoded in the URL, as people paste them.
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    let context = SendContext(messageID: 7, webhookID: "msg_1", slug: "verification_code", now: 1_000_000)

    func adapter(_ query: String = "region=eu-west-1", credentials: String = "\(keyID):\(secret)") throws(ProviderURLError) -> SESAdapter {
        try SESAdapter(url: ProviderURL(parsing: "ses://\(credentials)@default?\(query)"))
    }

    static func email(to: String = "jane@example.org") throws -> Email {
        Email(
            from: try MailAddress(name: "Acme Sign-in", address: "noreply@acme.example"), to: try MailAddress(address: to, allowUTF8: true),
            replyTo: try MailAddress(address: "support@acme.example"), subject: "Your code", text: "Your code is 123456",
            html: "<b>123456</b>", messageID: "ema_1.1700000000000@acme.example", date: 1_700_000_000_000, boundary: "b1")
    }

    @Test func sendsTheMIMEAsRawContentSignedForSES() throws {
        let email = try Self.email()
        let request = try adapter("region=eu-west-1&configuration_set=auth-mail").request(for: .email(email), context: context)
        #expect(request.method == "POST")
        #expect(request.url == "https://email.eu-west-1.amazonaws.com/v2/email/outbound-emails")
        #expect(request.headers == [HTTPField("Content-Type", "application/json")])
        #expect(request.signing == .awsSigV4(
            credentials: AWSCredentials(accessKeyID: Self.keyID, secretAccessKey: Self.secret), region: "eu-west-1", service: "ses"))
        let data = Base64.encode(email.mime())
        #expect(String(decoding: request.body, as: UTF8.self) == #"{"ConfigurationSetName":"auth-mail","Content":{"Raw":{"Data":""#
            + data + #""}},"Destination":{"ToAddresses":["jane@example.org"]},"EmailTags":[{"Name":"template","Value":"verification_code"}],"#
            + #""FromEmailAddress":"noreply@acme.example"}"#)
        // The display names, Reply-To, subject and both bodies travel in the MIME.
        let mime = String(decoding: Base64.decode(data) ?? [], as: UTF8.self)
        #expect(mime.contains("From: \"Acme Sign-in\" <noreply@acme.example>") || mime.contains("From: Acme Sign-in <noreply@acme.example>"))
        #expect(mime.contains("Reply-To: <support@acme.example>"))
        #expect(mime.contains("Subject: Your code"))
        #expect(mime.contains("text/html"))
    }

    @Test func theTagKeepsOnlyWhatSESAllowsAndIsLeftOutWhenNothingIsLeft() throws {
        let email = OutgoingMessage.email(try Self.email())
        var context = self.context
        context.slug = "magic link/sign-in"
        let tagged = try adapter().request(for: email, context: context)
        #expect(tagged.json?["EmailTags"] == .array([.object(["Name": .string("template"), "Value": .string("magiclinksign-in")])]))
        context.slug = nil
        let untagged = try adapter().request(for: email, context: context)
        #expect(untagged.json?["EmailTags"] == nil)
        #expect(untagged.json?["ConfigurationSetName"] == nil)
    }

    @Test func aUTF8AddressOrAnSMSIsRefused() throws {
        #expect(throws: AssemblyError(.smtpUTF8Unsupported, "SES takes only ASCII email addresses")) {
            try self.adapter().request(for: .email(try Self.email(to: "jöran@example.org")), context: self.context)
        }
        #expect(throws: AssemblyError.self) { try self.adapter().request(for: .sms(SMS(to: "+15555550100", text: "t")), context: self.context) }
    }

    @Test func theEndpointAndTheRegionPickTheHost() throws {
        #expect(try adapter("region=us-east-1&endpoint=http://127.0.0.1:4566/").base == "http://127.0.0.1:4566")
        #expect(try adapter("region=cn-northwest-1").base == "https://email.cn-northwest-1.amazonaws.com.cn")
        #expect(try SESAdapter(url: ProviderURL(parsing: "ses+api://\(Self.keyID):\(Self.secret)@email-fips.us-east-1.amazonaws.com?region=us-east-1")).base
            == "https://email-fips.us-east-1.amazonaws.com")
        #expect(try adapter("region=us-gov-west-1&name=ses-gov").name == "ses-gov")
    }

    @Test(arguments: [
        ("", "missing ?region= (the AWS region, such as eu-west-1)"), ("region=EU-WEST-1", "region must be"),
        ("region=eu_west_1", "region must be"), ("region=eu-west-1.evil.example", "region must be"), ("region=eu--west-1", "region must be"),
        ("region=-eu-1", "region must be"), ("region=eu-west-1&regoin=x", "unknown option \"regoin\""),
        ("region=eu-west-1&configuration_set=a.b", "configuration_set must be"),
        ("region=eu-west-1&endpoint=http://email.example.com", "plain http"),
        ("region=eu-west-1&session_token=FwoGZXIvYXdzEXAMPLETOKEN", "temporary credentials (a session token) are not supported"),
    ])
    func badURLsSayWhatButNeverTheSecret(_ query: String, _ expected: String) {
        do {
            _ = try adapter(query)
            Issue.record("accepted \(query)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
            #expect(!error.description.contains("wJalr"))
            #expect(!error.description.contains(Self.keyID))
            #expect(!error.description.contains("FwoGZXIv"))
        }
    }

    @Test(arguments: [
        ("ASIAIOSFODNN7EXAMPLE:\(secret)", "temporary one (ASIA...)"), ("akiaiosfodnn7example:\(secret)", "upper-case letters and digits"),
        ("AKIDEXAMPLE:\(secret)", "upper-case letters and digits"), (keyID, "missing the secret access key"),
        (":\(secret)", "missing the access key id"), ("\(keyID):wJalr%20XUtn", "printable ASCII without spaces"),
    ])
    func badCredentialsSayWhatButNeverTheSecret(_ credentials: String, _ expected: String) {
        do {
            _ = try adapter(credentials: credentials)
            Issue.record("accepted \(credentials)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
            #expect(!error.description.contains("wJalr"))
            #expect(!error.description.contains("IOSFODNN7"))
        }
    }

    // MARK: - Answers

    static func answer(_ status: Int, _ body: String, headers: [HTTPField] = []) -> Exchange {
        .answered(HTTPAnswer(status: status, headers: headers, body: Array(body.utf8)))
    }

    /// SES v2's rest-json error: the code in `x-amzn-ErrorType`, the message in the body.
    static func awsError(_ status: Int, _ code: String, _ message: String, headers: [HTTPField] = []) -> Exchange {
        answer(status, #"{"message":"\#(message)"}"#, headers: [HTTPField("x-amzn-ErrorType", code), HTTPField("x-amzn-RequestId", "r-1")] + headers)
    }

    /// moto's auth error, XML even for SES (Tests/HeraldAppTests/SigV4MotoTests.swift).
    static func motoAuthError(_ code: String) -> Exchange {
        answer(
            403, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ErrorResponse><Errors><Error><Code>\(code)</Code><Message>The request signature "
                + "we calculated does not match the signature you provided.</Message><Type>Sender</Type></Error></Errors></ErrorResponse>",
            headers: [HTTPField("Content-Type", "text/html; charset=utf-8")])
    }

    static let signatureMessage = "The request signature we calculated does not match the signature you provided."

    @Test(arguments: [
        // moto 5.2.1's success (Content-Type text/html, sic) and AWS's.
        (answer(200, #"{"MessageId": "ses-moto-1"}"#, headers: [HTTPField("Content-Type", "text/html; charset=utf-8")]),
         DeliveryOutcome.delivered(providerID: "ses-moto-1", code: 200)),
        (answer(200, #"{"MessageId":"010001234567abcd-11111111-2222-3333-4444-555555555555-000000"}"#),
         .delivered(providerID: "010001234567abcd-11111111-2222-3333-4444-555555555555-000000", code: 200)),
        // moto's unverified From: header and __type both say MessageRejected.
        (answer(400, #"{"__type": "MessageRejected", "Message": "Did not have authority to send from email other@example.net"}"#,
                headers: [HTTPField("x-amzn-ErrorType", "MessageRejected"), HTTPField("Content-Type", "application/json")]),
         .failed(Failure(.senderRefused, scope: .provider, status: 400, providerCode: "MessageRejected",
                         detail: "Did not have authority to send from email <address>"))),
        // The sandbox: an unverified recipient (named in the message: masked).
        (awsError(400, "MessageRejected", "Email address is not verified. The following identities failed the check in region EU-WEST-1: jane@example.org"),
         .failed(Failure(.senderRefused, scope: .provider, status: 400, providerCode: "MessageRejected",
                         detail: "Email address is not verified. The following identities failed the check in region EU-WEST-1: <address>"))),
        (awsError(400, "MessageRejected", "Message rejected: the message contains a virus"),
         .failed(Failure(.rejected, scope: .recipient, status: 400, providerCode: "MessageRejected", detail: "Message rejected: the message contains a virus"))),
        (awsError(400, "MailFromDomainNotVerifiedException", "MAIL FROM domain not verified"),
         .failed(Failure(.senderRefused, scope: .provider, status: 400, providerCode: "MailFromDomainNotVerifiedException", detail: "MAIL FROM domain not verified"))),
        (awsError(429, "TooManyRequestsException", "Too many requests", headers: [HTTPField("Retry-After", "3")]),
         .failed(Failure(.rateLimited, scope: .transient, status: 429, providerCode: "TooManyRequestsException", retryAfter: 3_000, detail: "Too many requests"))),
        (awsError(400, "LimitExceededException", "Daily message quota exceeded."),
         .failed(Failure(.quotaExceeded, scope: .provider, status: 400, providerCode: "LimitExceededException", retryAfter: 3_600_000,
                         detail: "Daily message quota exceeded."))),
        (awsError(400, "LimitExceededException", "Maximum sending rate exceeded."),
         .failed(Failure(.rateLimited, scope: .transient, status: 400, providerCode: "LimitExceededException", detail: "Maximum sending rate exceeded."))),
        (awsError(400, "AccountSuspendedException", "Account suspended"),
         .failed(Failure(.providerError, scope: .provider, status: 400, providerCode: "AccountSuspendedException", detail: "Account suspended"))),
        (awsError(400, "SendingPausedException", "Sending paused for this account"),
         .failed(Failure(.providerError, scope: .provider, status: 400, providerCode: "SendingPausedException", detail: "Sending paused for this account"))),
        (awsError(404, "NotFoundException", "Configuration set <auth-mail> does not exist."),
         .failed(Failure(.misconfigured, scope: .provider, status: 404, providerCode: "NotFoundException", detail: "Configuration set <auth-mail> does not exist."))),
        (awsError(400, "BadRequestException", "Missing Content"),
         .failed(Failure(.invalidRequest, scope: .provider, status: 400, providerCode: "BadRequestException", detail: "Missing Content"))),
        // Auth: moto's XML, and AWS's rest-json with the header's `:url` suffix.
        (motoAuthError("SignatureDoesNotMatch"),
         .failed(Failure(.providerAuthFailed, scope: .provider, status: 403, providerCode: "SignatureDoesNotMatch", detail: signatureMessage))),
        (motoAuthError("InvalidClientTokenId"),
         .failed(Failure(.providerAuthFailed, scope: .provider, status: 403, providerCode: "InvalidClientTokenId", detail: signatureMessage))),
        (awsError(403, "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/", "Signature expired"),
         .failed(Failure(.providerAuthFailed, scope: .provider, status: 403, providerCode: "InvalidSignatureException", detail: "Signature expired"))),
        (answer(403, #"{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"The security token included in the request is invalid."}"#),
         .failed(Failure(.providerAuthFailed, scope: .provider, status: 403, providerCode: "UnrecognizedClientException",
                         detail: "The security token included in the request is invalid."))),
        (awsError(403, "AccessDeniedException", "User is not authorized to perform ses:SendEmail"),
         .failed(Failure(.providerAuthFailed, scope: .provider, status: 403, providerCode: "AccessDeniedException",
                         detail: "User is not authorized to perform ses:SendEmail"))),
        (answer(400, #"{"code":"ThrottlingException","message":"Rate exceeded"}"#),
         .failed(Failure(.rateLimited, scope: .transient, status: 400, providerCode: "ThrottlingException", detail: "Rate exceeded"))),
        (awsError(500, "InternalFailure", "internal"),
         .failed(Failure(.providerUnavailable, scope: .transient, status: 500, providerCode: "InternalFailure", ambiguous: true, detail: "internal"))),
        (answer(503, "<html>Service Unavailable</html>"), .failed(Failure(.providerUnavailable, scope: .transient, status: 503, ambiguous: true))),
        (awsError(400, "SomethingNewException", "new"),
         .failed(Failure(.invalidRequest, scope: .provider, status: 400, providerCode: "SomethingNewException", detail: "new"))),
    ] as [(Exchange, DeliveryOutcome)])
    func classifiesSESAnswers(_ exchange: Exchange, _ expected: DeliveryOutcome) throws {
        #expect(try adapter().classify(exchange, context: context) == expected)
    }

    @Test func transportFailuresFollowTheSharedRules() throws {
        let adapter = try adapter()
        #expect(adapter.classify(.failed(.connect), context: context) == .failed(Failure(.connectionFailed, scope: .transient, detail: "could not connect")))
        #expect(adapter.classify(.failed(.timeout(afterSend: true)), context: context).failure?.ambiguous == true)
    }

    // MARK: - Probe

    static func account(sending: Bool = true, production: Bool = true, status: String = "HEALTHY", sent: Double = 10) -> Exchange {
        answer(200, #"{"DedicatedIpAutoWarmupEnabled":false,"EnforcementStatus":"\#(status)","ProductionAccessEnabled":\#(production),"#
            + #""SendQuota":{"Max24HourSend":50000.0,"MaxSendRate":14.0,"SentLast24Hours":\#(sent)},"SendingEnabled":\#(sending)}"#)
    }

    @Test func theProbeReadsTheAccountAndSaysSandboxOrProduction() throws {
        let adapter = try adapter()
        let probe = try #require(adapter.probe())
        #expect(probe.method == "GET")
        #expect(probe.url == "https://email.eu-west-1.amazonaws.com/v2/email/account")
        #expect(probe.body.isEmpty)
        #expect(probe.signing != nil)
        #expect(adapter.judgeProbe(Self.account()) == .ok("sending is enabled in eu-west-1 with production access, 50000 a day"))
        #expect(adapter.judgeProbe(Self.account(status: "PROBATION"))
            == .ok("sending is enabled in eu-west-1 with production access, 50000 a day (enforcement status PROBATION)"))
        #expect(adapter.judgeProbe(Self.account(production: false)) == .problem(
            "the account is in the SES sandbox in eu-west-1: it sends only to verified addresses, 200 a day; request production access"))
        #expect(adapter.judgeProbe(Self.account(sending: false, status: "SHUTDOWN"))
            == .problem("sending is disabled for this account in eu-west-1 (enforcement status SHUTDOWN)"))
        #expect(adapter.judgeProbe(Self.account(sent: 50000)) == .problem("the daily sending quota is used up (50000 of 50000 in the last 24 hours) in eu-west-1"))
        #expect(adapter.judgeProbe(Self.motoAuthError("SignatureDoesNotMatch")) == .problem(
            "the credentials are refused (SignatureDoesNotMatch): check the access key, the secret and the clock: \(Self.signatureMessage)"))
        #expect(adapter.judgeProbe(Self.awsError(403, "AccessDeniedException", "no"))
            == .problem("the key is not allowed ses:GetAccount (AccessDeniedException): no"))
        #expect(!adapter.judgeProbe(Self.answer(200, "{}")).isOK)
        #expect(!adapter.judgeProbe(.failed(.resolve)).isOK)
    }
}

extension OutboundRequest {
    var json: JSONValue? { try? JSONValue.parse(body) }
}
