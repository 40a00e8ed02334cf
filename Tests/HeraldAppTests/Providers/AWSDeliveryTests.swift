import Foundation
import HeraldCore
import HeraldCrypto
import HeraldCurl
import HeraldProviders
import Testing

/// Amazon SES (email) and SNS (SMS), end to end against moto with signature checking on, so a
/// wrong SigV4, or a form body encoded otherwise than botocore encodes it, fails the test:
/// `herald serve` with `HERALD_EMAIL_URL=ses://…` / `HERALD_SMS_URL=sns://…`, a signed webhook
/// from `herald simulate`, `herald show --json`, and what moto kept (`/moto-api/data.json`).
/// Throttling, outages and hangs, which moto cannot script, are in `AWSDoubleDeliveryTests`.
@Suite(.serialized, MotoServer.Scope()) struct AWSDeliveryTests {
    static func url(_ service: AWSDouble.Service, _ moto: MotoServer, secret: String? = nil) -> String {
        "\(service.rawValue)://\(moto.credentials.accessKeyID):\(secret ?? moto.credentials.secretAccessKey)@default"
            + "?region=\(MotoServer.region)&endpoint=http://\(moto.host)" + (service == .sns ? "&sender_id=Acme" : "")
    }

    /// A gateway sending `service`'s channel through `url`; email from moto's verified sender
    /// unless told otherwise.
    static func gateway(_ service: AWSDouble.Service, _ url: String, from: String = "Herald Test <\(MotoServer.sender)>") throws
        -> ServeDeliveryTests.Gateway
    {
        try .withProviders(service == .ses ? ["HERALD_EMAIL_URL": url, "HERALD_EMAIL_FROM": from] : ["HERALD_SMS_URL": url])
    }

    /// The secret in none of serve's output, the CLI's output or the store's files.
    static func expectNoSecret(_ secret: String, _ gateway: ServeDeliveryTests.Gateway, _ outputs: String...) {
        #expect(!gateway.child.stderr.contains(secret))
        #expect(!gateway.child.stdout.contains(secret))
        #expect(!outputs.joined().contains(secret))
        #expect(!gateway.storedBytes().contains(secret))
    }

    @Test func anEmailReachesSESSignedByHeraldAndMotosMessageIdIsRecorded() throws {
        let moto = try MotoServer.require()
        let gateway = try Self.gateway(.ses, Self.url(.ses, moto))
        let simulated = try gateway.herald("simulate", "email", "--to", "jane@example.org")
        #expect(simulated.0 == 0)
        let shown = try #require(try gateway.waitForStatus(1, "sent"))
        let attempt = try #require(shown.attempts.first)
        #expect(attempt["provider"] == .string("ses"))
        #expect(attempt["code"] == .int(200))
        let id = try #require(attempt["provider_id"]?.stringValue)
        // What moto kept: the envelope and the raw MIME Herald built.
        let sent = try #require(try moto.models("ses", "RawMessage").first { $0["id"]?.stringValue == id })
        #expect(sent["source"] == .string(MotoServer.sender))
        // moto adds the To header's addresses to the envelope's, so jane@ is there twice.
        guard case .array(let destinations)? = sent["destinations"] else { Issue.record("no destinations"); return }
        #expect(Set(destinations) == [.string("jane@example.org")])
        let raw = try #require(sent["raw_data"]?.stringValue)
        #expect(raw.contains("Subject: 482913 is your verification code"))
        #expect(raw.contains("jane@example.org"))
        #expect(raw.contains("sender@example.com>"))
        #expect(gateway.stop() == 0)
        #expect(gateway.child.waitFor { $0.stderr.contains("email via ses") })
        Self.expectNoSecret(moto.credentials.secretAccessKey, gateway, simulated.1, simulated.2)
    }

    @Test func anSMSReachesSNSSignedByHeraldAndMotosMessageIdIsRecorded() throws {
        let moto = try MotoServer.require()
        let gateway = try Self.gateway(.sns, Self.url(.sns, moto))
        let simulated = try gateway.herald("simulate", "sms", "--to", "+15555550123")
        #expect(simulated.0 == 0)
        let shown = try #require(try gateway.waitForStatus(1, "sent"))
        let attempt = try #require(shown.attempts.first)
        #expect(attempt["provider"] == .string("sns"))
        #expect(attempt["code"] == .int(200))
        let id = try #require(attempt["provider_id"]?.stringValue)
        #expect(id.count == 36)
        // What moto kept: the number and the text, as published.
        let sent = try #require(try moto.models("sns", "SMS").first { $0["message_id"]?.stringValue == id })
        #expect(sent["phone_number"] == .string("+15555550123"))
        #expect(sent["message"]?.stringValue?.hasPrefix("731055 is your verification code") == true)
        #expect(gateway.stop() == 0)
        #expect(gateway.child.waitFor { $0.stderr.contains("sms via sns") })
        Self.expectNoSecret(moto.credentials.secretAccessKey, gateway, simulated.1, simulated.2)
    }

    @Test(arguments: [AWSDouble.Service.ses, .sns])
    func aWrongSecretIsRefusedByMotoRetriedAndLoud(_ service: AWSDouble.Service) throws {
        let moto = try MotoServer.require()
        let wrong = String(moto.credentials.secretAccessKey.reversed())
        let gateway = try Self.gateway(service, Self.url(service, moto, secret: wrong))
        #expect(try gateway.herald("simulate", service == .ses ? "email" : "sms").0 == 0)
        let shown = try #require(try gateway.waitForStatus(1, "retrying"))
        #expect(shown["last_error"] == .string("provider_auth_failed (403, SignatureDoesNotMatch)"))
        #expect(shown.attempts.first?["outcome"] == .string("retryable"))
        #expect(gateway.child.waitFor(timeout: 5) { $0.stderr.contains("refused Herald's credentials") })
        gateway.stop()
        Self.expectNoSecret(wrong, gateway)
    }

    /// An unverified From is the account's problem, not the recipient's: another provider, or
    /// the operator verifying the address, mends it, so it is retried (and would fail over).
    @Test func anUnverifiedSenderIsTheProvidersProblemAndRetried() throws {
        let moto = try MotoServer.require()
        let gateway = try Self.gateway(.ses, Self.url(.ses, moto), from: "other@example.net")
        #expect(try gateway.herald("simulate", "email").0 == 0)
        let shown = try #require(try gateway.waitForStatus(1, "retrying"))
        #expect(shown["last_error"] == .string("sender_refused (400, MessageRejected)"))
        let attempt = try #require(shown.attempts.first)
        #expect(attempt["outcome"] == .string("retryable"))
        #expect(attempt["provider_code"] == .string("MessageRejected"))
        #expect(attempt["error"]?.stringValue?.hasSuffix("Did not have authority to send from email <address>") == true)
        gateway.stop()
    }

    // MARK: - The adapters against moto, without serve

    /// `request` signed as `HTTPProviderSender` signs it when it leaves, and sent by libcurl.
    func exchange(_ request: OutboundRequest) throws -> Exchange {
        try CurlHTTPTransport().perform(OpenSSLRequestSigner().sign(request, at: MotoServer.now()))
    }

    @Test func sesAcceptsTheAdaptersRequestAndRefusesAWrongSecret() throws {
        let moto = try MotoServer.require()
        let context = SendContext(messageID: 1, webhookID: "msg_1", slug: "verification_code", now: MotoServer.now())
        let email = OutgoingMessage.email(Email(
            from: try MailAddress(name: "Herald Test", address: MotoServer.sender), to: try MailAddress(address: "jane@example.org"),
            subject: "Your code", text: "Your code is 123456", html: "<b>123456</b>", messageID: "m1@example.com", date: MotoServer.now(),
            boundary: "b1"))
        func send(_ url: String) throws -> DeliveryOutcome {
            let adapter = try SESAdapter(url: ProviderURL(parsing: url))
            return adapter.classify(try exchange(try adapter.request(for: email, context: context)), context: context)
        }
        guard case .delivered(let id?, 200) = try send(Self.url(.ses, moto)) else { Issue.record("not delivered"); return }
        #expect(!id.isEmpty)
        let refused = try send(Self.url(.ses, moto, secret: String(moto.credentials.secretAccessKey.reversed()))).failure
        #expect(refused?.code == .providerAuthFailed)
        #expect(refused?.providerCode == "SignatureDoesNotMatch")
    }

    /// Herald never hands SNS a number that is not E.164, so moto's refusal is checked here.
    @Test func snsRefusingANumberIsTheRecipientsProblem() throws {
        let moto = try MotoServer.require()
        let adapter = try SNSAdapter(url: ProviderURL(parsing: Self.url(.sns, moto)))
        let context = SendContext(messageID: 1, webhookID: "msg_1", now: MotoServer.now())
        let request = try adapter.request(for: .sms(SMS(to: "555-0100", text: "Your code is 123456")), context: context)
        #expect(adapter.classify(try exchange(request), context: context) == .failed(Failure(
            .badRecipient, scope: .recipient, status: 400, providerCode: "InvalidParameter", detail: "Phone number does not meet the E164 format")))
    }

    /// moto 5.2.1 has no GetSMSSandboxAccountStatus (nor SES's GetAccount, and it cannot check
    /// a GET's signature), but it checks the signature before the action: a correct one gets
    /// past it, to moto's 500 "not implemented"; a wrong one is refused. The verdicts on AWS's
    /// real answers are unit-tested on fixtures (SNSAdapterTests, SESAdapterTests).
    @Test func theSNSProbeIsSignedSoThatMotoAcceptsIt() throws {
        let moto = try MotoServer.require()
        let adapter = try SNSAdapter(url: ProviderURL(parsing: Self.url(.sns, moto)))
        let answered = try exchange(try #require(adapter.probe()))
        guard case .answered(let answer) = answered else { Issue.record("no answer"); return }
        #expect(answer.status == 500)
        #expect(adapter.judgeProbe(answered) == .problem("unexpected answer HTTP 500"))
        let wrong = try SNSAdapter(url: ProviderURL(parsing: Self.url(.sns, moto, secret: String(moto.credentials.secretAccessKey.reversed()))))
        #expect(wrong.judgeProbe(try exchange(try #require(wrong.probe()))) == .problem(
            "the credentials are refused (SignatureDoesNotMatch): check the access key, the secret and the clock: "
                + "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key "
                + "and signing method. Consult the service documentation for details."))
    }
}

extension MotoServer {
    /// The instances moto keeps of one of its models (`ses` `RawMessage`, `sns` `SMS`), from
    /// its `/moto-api/data.json`: what it was sent.
    func models(_ service: String, _ model: String) throws -> [JSONValue] {
        let response = try HTTPClient().send(method: "GET", url: "http://\(host)/moto-api/data.json")
        guard response.status == 200, case .array(let items)? = try JSONValue.parse(response.body)[service]?[model] else {
            throw Failure("moto's /moto-api/data.json has no \(service) \(model): \(response.status)")
        }
        return items
    }
}
