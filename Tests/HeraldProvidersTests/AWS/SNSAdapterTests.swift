import Foundation
import HeraldCore
import HeraldProviders
import Testing

@Suite struct SNSAdapterTests {
    static let keyID = SESAdapterTests.keyID
    static let secret = SESAdapterTests.secret
    let context = SendContext(messageID: 7, webhookID: "msg_1", slug: "verification_code", now: 1_000_000)
    let sms = OutgoingMessage.sms(SMS(to: "+15555550100", text: "Your code is 123456 & more é"))

    func adapter(_ query: String = "region=us-east-1", credentials: String = "\(keyID):\(secret)") throws(ProviderURLError) -> SNSAdapter {
        try SNSAdapter(url: ProviderURL(parsing: "sns://\(credentials)@default?\(query)"))
    }

    /// The bytes botocore 1.43.11 sends for
    /// `publish(PhoneNumber=..., Message=..., MessageAttributes={SMSType: Transactional, SenderID: Acme})`
    /// (captured locally with a `before-send` hook).
    static let botocoreBody =
        "Action=Publish&Version=2010-03-31&PhoneNumber=%2B15555550100&Message=Your+code+is+123456+%26+more+%C3%A9"
        + "&MessageAttributes.entry.1.Name=AWS.SNS.SMS.SMSType&MessageAttributes.entry.1.Value.DataType=String"
        + "&MessageAttributes.entry.1.Value.StringValue=Transactional&MessageAttributes.entry.2.Name=AWS.SNS.SMS.SenderID"
        + "&MessageAttributes.entry.2.Value.DataType=String&MessageAttributes.entry.2.Value.StringValue=Acme"

    @Test func publishesExactlyWhatBotocoreSends() throws {
        let request = try adapter("region=us-east-1&sender_id=Acme").request(for: sms, context: context)
        #expect(request.method == "POST")
        #expect(request.url == "https://sns.us-east-1.amazonaws.com/")
        #expect(request.headers == [HTTPField("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")])
        #expect(request.signing == .awsSigV4(
            credentials: AWSCredentials(accessKeyID: Self.keyID, secretAccessKey: Self.secret), region: "us-east-1", service: "sns"))
        #expect(String(decoding: request.body, as: UTF8.self) == Self.botocoreBody)
    }

    @Test func theSMSTypeDefaultsToTransactionalAndTheSenderIDIsOptional() throws {
        let plain = try adapter().request(for: sms, context: context)
        let fields = FormEncoding.decode(plain.body)
        #expect(fields.map(\.0) == [
            "Action", "Version", "PhoneNumber", "Message", "MessageAttributes.entry.1.Name", "MessageAttributes.entry.1.Value.DataType",
            "MessageAttributes.entry.1.Value.StringValue",
        ])
        #expect(fields[2].1 == "+15555550100")
        #expect(fields[3].1 == "Your code is 123456 & more é")
        #expect(fields[6].1 == "Transactional")
        let promotional = try adapter("region=us-east-1&sms_type=promotional").request(for: sms, context: context)
        #expect(FormEncoding.decode(promotional.body).last?.1 == "Promotional")
        #expect(try adapter("region=eu-west-1&endpoint=http://127.0.0.1:4566").base == "http://127.0.0.1:4566")
    }

    @Test(arguments: [
        ("", "missing ?region="), ("region=us-east-1&sender_id=Acme%20Inc", "sender_id must be"), ("region=us-east-1&sender_id=123", "sender_id must be"),
        ("region=us-east-1&sender_id=AcmeIncorporated", "sender_id must be"), ("region=us-east-1&sms_type=urgent", "sms_type must be"),
        ("region=us-east-1&from=+15550001111", "unknown option \"from\""), ("region=us-east-1&session_token=IQoJb3JpZ2luX2VjEXAMPLE", "session token"),
    ])
    func badURLsSayWhatButNeverTheSecret(_ query: String, _ expected: String) {
        do {
            _ = try adapter(query)
            Issue.record("accepted \(query)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
            #expect(!error.description.contains("wJalr"))
            #expect(!error.description.contains("IQoJb3"))
        }
    }

    @Test func anEmailIsRefused() throws {
        let email = try SESAdapterTests.email()
        #expect(throws: AssemblyError.self) { try self.adapter().request(for: .email(email), context: self.context) }
    }

    // MARK: - Answers

    static func answer(_ status: Int, _ body: String) -> Exchange {
        .answered(HTTPAnswer(status: status, headers: [HTTPField("Content-Type", "text/xml")], body: Array(body.utf8)))
    }

    /// SNS's Query-protocol error (botocore's fixture shape; moto's too).
    static func error(_ status: Int, _ code: String, _ message: String, type: String = "Sender") -> Exchange {
        answer(
            status, #"<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>\#(type)</Type><Code>\#(code)</Code>"#
                + "<Message>\(message)</Message></Error><RequestId>9b3e7d4a-0000-0000-0000-000000000000</RequestId></ErrorResponse>")
    }

    static let published = """
        <PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
          <PublishResult><MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId></PublishResult>
          <ResponseMetadata><RequestId>f187a3c1-376f-11df-8963-01868b7c937a</RequestId></ResponseMetadata>
        </PublishResponse>
        """

    @Test(arguments: [
        (answer(200, published), DeliveryOutcome.delivered(providerID: "94f20ce6-13c5-43a0-9a9e-ca52d816e90b", code: 200)),
        // moto's answer to a number that is not E.164.
        (error(400, "InvalidParameter", "Phone number does not meet the E164 format"),
         .failed(Failure(.badRecipient, scope: .recipient, status: 400, providerCode: "InvalidParameter", detail: "Phone number does not meet the E164 format"))),
        (error(400, "InvalidParameter", "Invalid parameter: PhoneNumber Reason: +15555550100 is not valid to publish to"),
         .failed(Failure(.badRecipient, scope: .recipient, status: 400, providerCode: "InvalidParameter",
                         detail: "Invalid parameter: PhoneNumber Reason: <number> is not valid to publish to"))),
        (error(400, "ParameterValueInvalid", "Invalid parameter: PhoneNumber Reason: input incorrectly formatted"),
         .failed(Failure(.badRecipient, scope: .recipient, status: 400, providerCode: "ParameterValueInvalid",
                         detail: "Invalid parameter: PhoneNumber Reason: input incorrectly formatted"))),
        (error(400, "InvalidParameter", "Invalid parameter: PhoneNumber Reason: the number is opted out"),
         .failed(Failure(.recipientUnsubscribed, scope: .recipient, status: 400, providerCode: "InvalidParameter",
                         detail: "Invalid parameter: PhoneNumber Reason: the number is opted out"))),
        (error(400, "OptedOut", "The phone number opted out"),
         .failed(Failure(.recipientUnsubscribed, scope: .recipient, status: 400, providerCode: "OptedOut", detail: "The phone number opted out"))),
        (error(400, "InvalidParameter", "Invalid parameter: Message too long"),
         .failed(Failure(.rejected, scope: .recipient, status: 400, providerCode: "InvalidParameter", detail: "Invalid parameter: Message too long"))),
        (error(400, "InvalidParameter", "Invalid parameter: MessageAttributes &amp; SenderID"),
         .failed(Failure(.invalidRequest, scope: .provider, status: 400, providerCode: "InvalidParameter", detail: "Invalid parameter: MessageAttributes & SenderID"))),
        (error(400, "Throttling", "Rate exceeded"),
         .failed(Failure(.rateLimited, scope: .transient, status: 400, providerCode: "Throttling", detail: "Rate exceeded"))),
        (error(400, "ThrottlingException", "Rate exceeded"),
         .failed(Failure(.rateLimited, scope: .transient, status: 400, providerCode: "ThrottlingException", detail: "Rate exceeded"))),
        (error(429, "Throttled", "Rate exceeded"),
         .failed(Failure(.rateLimited, scope: .transient, status: 429, providerCode: "Throttled", detail: "Rate exceeded"))),
        (error(400, "KMSThrottling", "KMS throttled"),
         .failed(Failure(.rateLimited, scope: .transient, status: 400, providerCode: "KMSThrottling", detail: "KMS throttled"))),
        (error(500, "InternalError", "internal", type: "Receiver"),
         .failed(Failure(.providerUnavailable, scope: .transient, status: 500, providerCode: "InternalError", ambiguous: true, detail: "internal"))),
        (error(403, "AuthorizationError", "User is not authorized to perform: SNS:Publish"),
         .failed(Failure(.providerAuthFailed, scope: .provider, status: 403, providerCode: "AuthorizationError",
                         detail: "User is not authorized to perform: SNS:Publish"))),
        (error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."),
         .failed(Failure(.providerAuthFailed, scope: .provider, status: 403, providerCode: "SignatureDoesNotMatch",
                         detail: "The request signature we calculated does not match the signature you provided."))),
        (SESAdapterTests.motoAuthError("InvalidClientTokenId"),
         .failed(Failure(.providerAuthFailed, scope: .provider, status: 403, providerCode: "InvalidClientTokenId", detail: SESAdapterTests.signatureMessage))),
        (error(400, "RequestExpired", "Request has expired."),
         .failed(Failure(.providerAuthFailed, scope: .provider, status: 400, providerCode: "RequestExpired", detail: "Request has expired."))),
        (error(403, "InvalidSecurity", "not over HTTPS"),
         .failed(Failure(.misconfigured, scope: .provider, status: 403, providerCode: "InvalidSecurity", detail: "not over HTTPS"))),
        (error(400, "KMSDisabled", "disabled"),
         .failed(Failure(.misconfigured, scope: .provider, status: 400, providerCode: "KMSDisabled", detail: "disabled"))),
        (error(400, "ValidationException", "bad"),
         .failed(Failure(.invalidRequest, scope: .provider, status: 400, providerCode: "ValidationException", detail: "bad"))),
        (answer(502, "Bad Gateway"), .failed(Failure(.providerUnavailable, scope: .transient, status: 502, ambiguous: true))),
        (error(400, "Unheard", "new"), .failed(Failure(.invalidRequest, scope: .provider, status: 400, providerCode: "Unheard", detail: "new"))),
    ] as [(Exchange, DeliveryOutcome)])
    func classifiesSNSAnswers(_ exchange: Exchange, _ expected: DeliveryOutcome) throws {
        #expect(try adapter().classify(exchange, context: context) == expected)
    }

    // MARK: - Probe

    static func sandbox(_ flag: String) -> Exchange {
        answer(
            200, #"<GetSMSSandboxAccountStatusResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><GetSMSSandboxAccountStatusResult>"#
                + "<IsInSandbox>\(flag)</IsInSandbox></GetSMSSandboxAccountStatusResult><ResponseMetadata><RequestId>1</RequestId>"
                + "</ResponseMetadata></GetSMSSandboxAccountStatusResponse>")
    }

    @Test func theProbeAsksWhetherTheAccountIsInTheSMSSandbox() throws {
        let adapter = try adapter()
        let probe = try #require(adapter.probe())
        #expect(probe.method == "POST")
        #expect(probe.url == "https://sns.us-east-1.amazonaws.com/")
        // botocore: get_sms_sandbox_account_status() sends exactly this.
        #expect(String(decoding: probe.body, as: UTF8.self) == "Action=GetSMSSandboxAccountStatus&Version=2010-03-31")
        #expect(probe.signing != nil)
        #expect(adapter.judgeProbe(Self.sandbox("false")) == .ok("the credentials are accepted and the account is out of the SMS sandbox in us-east-1"))
        #expect(adapter.judgeProbe(Self.sandbox("true"))
            == .problem("the account is in the SMS sandbox in us-east-1: it sends only to verified destination numbers"))
        #expect(adapter.judgeProbe(Self.error(403, "AuthorizationError", "no"))
            == .problem("the key is not allowed sns:GetSMSSandboxAccountStatus (AuthorizationError): no"))
        #expect(adapter.judgeProbe(Self.error(403, "InvalidClientTokenId", "unknown key"))
            == .problem("the credentials are refused (InvalidClientTokenId): check the access key, the secret and the clock: unknown key"))
        #expect(!adapter.judgeProbe(Self.answer(200, "<html/>")).isOK)
    }
}
