import HeraldCore
import Testing

@Suite struct ProviderURLTests {
    @Test func credentialsHostAndOptions() throws {
        let url = try ProviderURL(parsing: "twilio://AC123:s%2Fecret@default?from=+15550001111&name=twilio-us")
        #expect(url.scheme == "twilio")
        #expect(url.variant == nil)
        #expect(url.user == "AC123")
        #expect(url.password == "s/ecret")
        #expect(url.host == "default")
        #expect(url.isDefaultHost)
        #expect(url.option("from") == "+15550001111")  // + stays +
        #expect(url.option("name") == "twilio-us")
        #expect(url.redacted == "twilio://***@default?from=+15550001111&name=twilio-us")
    }

    @Test func anAWSSecretWithSlashAndPlusParsesUnencoded() throws {
        let url = try ProviderURL(parsing: "ses://AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY@default?region=eu-west-1")
        #expect(url.user == "AKIDEXAMPLE")
        #expect(url.password == "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        #expect(url.option("region") == "eu-west-1")
        #expect(!url.redacted.contains("wJalr"))
    }

    @Test func symfonyVariantsPortsPathsAndIPv6() throws {
        let api = try ProviderURL(parsing: "SendGrid+API://SG.key@default")
        #expect(api.scheme == "sendgrid")
        #expect(api.variant == "api")
        let hook = try ProviderURL(parsing: "webhook+https://whsec_abc@hooks.example.com:8443/herald/sms?x=1")
        #expect(hook.host == "hooks.example.com")
        #expect(hook.port == 8443)
        #expect(hook.path == "/herald/sms")
        #expect(hook.redacted == "webhook+https://***@hooks.example.com:8443/herald/sms?x=1")
        let v6 = try ProviderURL(parsing: "webhook+http://[::1]:9000/in")
        #expect(v6.host == "::1")
        #expect(v6.port == 9000)
        #expect(v6.user == nil)
    }

    @Test(arguments: [
        "twilio:/AC:tok@default", "://x@default", "twilio://AC:tok@", "twilio://AC:tok@default:99999",
        "twilio://AC:tok@default?=x", "twilio://AC:t%ZZok@default", "twilio://AC:tok@exa mple.com",
    ])
    func malformedURLsAreErrorsThatNeverShowTheSecret(_ text: String) {
        #expect(throws: ProviderURLError.self) { try ProviderURL(parsing: text) }
        do {
            _ = try ProviderURL(parsing: text)
        } catch {
            #expect(!error.description.contains("tok"))
        }
    }

    @Test func optionValuesThatLookLikeSecretsAreRedactedToo() throws {
        let url = try ProviderURL(parsing: "webhook+https://hooks.example.com/in?token=0123456789abcdef0123456789abcdef01")
        #expect(url.redacted == "webhook+https://hooks.example.com/in?token=***")
    }
}

@Suite struct RetryAfterTests {
    @Test(arguments: [
        ("120", Int64(120_000)), ("0", 0), (" 5 ", 5_000), ("1.5", 1_500), ("-1", nil), ("soon", nil), ("", nil),
        ("999999", 86_400_000),
    ] as [(String, Int64?)])
    func seconds(_ text: String, _ expected: Int64?) {
        #expect(RetryAfter.milliseconds(text, now: 0) == expected)
    }

    @Test func httpDates() {
        let now = UTCTime.milliseconds(year: 2026, month: 12, day: 1, hour: 21, minute: 0, second: 0)
        #expect(RetryAfter.milliseconds("Tue, 01 Dec 2026 21:00:30 GMT", now: now) == 30_000)
        #expect(RetryAfter.milliseconds("Tue, 01 Dec 2026 20:00:00 GMT", now: now) == 0)
        #expect(RetryAfter.milliseconds("Tuesday, 01-Dec-26 21:00:30 GMT", now: now) == nil)
        #expect(UTCTime.parseHTTPDate("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777_000)
        #expect(UTCTime(milliseconds: UTCTime.milliseconds(year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59)).day == 29)
    }
}

@Suite struct SMTPReplyTests {
    @Test(arguments: [
        (SMTPExchange(stage: .accepted, replyCode: 250, lastReply: "250 2.0.0 Ok: queued as 4XyZ12"),
         DeliveryOutcome.delivered(providerID: "4XyZ12", code: 250)),
        (SMTPExchange(stage: .connectFailed), .failed(Failure(.connectionFailed, scope: .transient))),
        (SMTPExchange(stage: .resolveFailed), .failed(Failure(.connectionFailed, scope: .transient))),
        (SMTPExchange(stage: .tlsFailed(certificate: false)), .failed(Failure(.tlsFailed, scope: .transient))),
        (SMTPExchange(stage: .loginDenied, replyCode: 454), .failed(Failure(.authFailed, scope: .transient, status: 454))),
        (SMTPExchange(stage: .unexpectedReply, replyCode: 421), .failed(Failure(.rateLimited, scope: .transient, status: 421, retryAfter: 60_000))),
        (SMTPExchange(stage: .sendFailed, replyCode: 450, lastReply: "450 4.2.1 try later"),
         .failed(Failure(.rejectedTemporarily, scope: .transient, status: 450))),
        (SMTPExchange(stage: .sendFailed, replyCode: 451, lastReply: "451 4.7.1 slow down"),
         .failed(Failure(.rateLimited, scope: .transient, status: 451, retryAfter: 60_000))),
        (SMTPExchange(stage: .sendFailed, replyCode: 550), .failed(Failure(.badRecipient, scope: .recipient, status: 550))),
        (SMTPExchange(stage: .unexpectedReply, replyCode: 554), .failed(Failure(.rejected, scope: .recipient, status: 554))),
        (SMTPExchange(stage: .sendFailed, replyCode: 530), .failed(Failure(.authFailed, scope: .provider, status: 530))),
        (SMTPExchange(stage: .timedOut, replyCode: 354), .failed(Failure(.timeout, scope: .transient, status: 354, ambiguous: true))),
        (SMTPExchange(stage: .timedOut, replyCode: 250), .failed(Failure(.timeout, scope: .transient, status: 250))),
        (SMTPExchange(stage: .receiveFailed, replyCode: 354), .failed(Failure(.connectionFailed, scope: .transient, status: 354, ambiguous: true))),
    ] as [(SMTPExchange, DeliveryOutcome)])
    func classification(_ exchange: SMTPExchange, _ expected: DeliveryOutcome) {
        #expect(SMTPReply.classify(exchange) == expected)
    }

    @Test func configurationProblemsSayWhy() {
        let login = SMTPReply.classify(SMTPExchange(stage: .loginDenied, replyCode: 535))
        #expect(login.failure?.code == .authFailed)
        #expect(login.failure?.scope == .provider)  // retried with backoff, not failed at once
        #expect(SMTPReply.classify(SMTPExchange(stage: .tlsFailed(certificate: true))).failure?.scope == .recipient)
        #expect(SMTPReply.classify(SMTPExchange(stage: .tlsNotOffered, replyCode: 250)).failure?.code == .misconfigured)
        #expect(SMTPReply.classify(SMTPExchange(stage: .sendFailed, replyCode: 553), needsSMTPUTF8: true).failure?.code == .smtpUTF8Unsupported)
    }

    @Test(arguments: [
        ("250 2.0.0 Ok: queued as 4XyZ12", "4XyZ12"), ("250 OK id=1a2b3c", "OK id=1a2b3c"), ("250", nil), ("250 QUEUED AS abc def", "abc"),
    ] as [(String, String?)])
    func queueIDs(_ reply: String, _ expected: String?) {
        #expect(SMTPReply.queueID(reply) == expected)
    }
}
