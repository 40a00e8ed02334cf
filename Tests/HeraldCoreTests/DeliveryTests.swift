import Foundation
import HeraldCore
import Testing

@Suite struct DeliveryStateMachineTests {
    let policy = RetryPolicy(baseDelay: 1_000, maxDelay: 60_000, jitter: 0, maxAttempts: 3, maxAge: ["verification_code": 600_000], defaultMaxAge: 86_400_000)

    func machine(_ status: MessageStatus, attempts: Int = 0, expiresAt: Int64 = 600_000) -> DeliveryStateMachine {
        DeliveryStateMachine(status: status, attempts: attempts, expiresAt: expiresAt, policy: policy)
    }

    @Test(arguments: [
        (MessageStatus.queued, Int64(0), DeliveryStateMachine.Action.send(provider: "-"), MessageStatus.sending),
        (.retrying, 10, .send(provider: "-"), .sending),
        (.sending, 10, .send(provider: "-"), .sending),  // a dead worker's lease ran out
        (.queued, 600_000, .markExpired(reason: "expired: too old to be useful before it could be sent"), .expired),
        (.sent, 0, .ignore, .sent),
        (.cancelled, 0, .ignore, .cancelled),
        (.skipped, 0, .ignore, .skipped),
        (.failed, 0, .ignore, .failed),
    ])
    func claim(_ status: MessageStatus, _ now: Int64, _ action: DeliveryStateMachine.Action, _ after: MessageStatus) {
        var state = machine(status)
        #expect(state.claim(now: now) == action)
        #expect(state.status == after)
    }

    typealias OutcomeCase = (DeliveryOutcome, Int, DeliveryStateMachine.Action, MessageStatus)
    static let outcomeCases: [OutcomeCase] = [
        (DeliveryOutcome.delivered(providerID: "Q1", code: 250), 1, DeliveryStateMachine.Action.markSent(providerID: "Q1"), MessageStatus.sent),
        (DeliveryOutcome.permanent(.badRecipient, code: 550), 1, DeliveryStateMachine.Action.markFailed(reason: "bad_recipient (550)"), MessageStatus.failed),
        (DeliveryOutcome.retryable(.rejectedTemporarily, code: 451, retryAfter: nil), 1,
         DeliveryStateMachine.Action.scheduleRetry(at: 2_000, reason: "rejected_temporarily (451)"), MessageStatus.retrying),
        (DeliveryOutcome.retryable(.connectionFailed, code: nil, retryAfter: nil), 2,
         DeliveryStateMachine.Action.scheduleRetry(at: 3_000, reason: "connection_failed"), MessageStatus.retrying),
        (DeliveryOutcome.retryable(.rateLimited, code: 429, retryAfter: 30_000), 1,
         DeliveryStateMachine.Action.scheduleRetry(at: 31_000, reason: "rate_limited (429)"), MessageStatus.retrying),
        (DeliveryOutcome.retryable(.timeout, code: nil, retryAfter: nil), 3,
         DeliveryStateMachine.Action.markFailed(reason: "timeout; gave up after 3 attempts"), MessageStatus.failed),
    ]

    @Test(arguments: outcomeCases)
    func outcome(_ outcome: DeliveryOutcome, _ attemptsBefore: Int, _ action: DeliveryStateMachine.Action, _ after: MessageStatus) {
        var state = machine(.queued, attempts: attemptsBefore - 1)
        #expect(state.claim(now: 1_000) == .send(provider: "-"))
        #expect(state.attempts == attemptsBefore)
        #expect(state.attemptFinished(outcome, now: 1_000, random: 0.5) == action)
        #expect(state.status == after)
    }

    @Test func aRetryThatWouldLandAfterExpiryExpiresNow() {
        var state = machine(.queued, expiresAt: 1_500)
        #expect(state.claim(now: 1_000) == .send(provider: "-"))
        #expect(state.attemptFinished(.retryable(.timeout, code: nil, retryAfter: nil), now: 1_000, random: 0.5)
            == .markExpired(reason: "timeout; expired before the next attempt"))
        #expect(state.status == .expired)
    }

    @Test func operatorActions() {
        var queued = machine(.queued)
        #expect(queued.cancel() == .markCancelled)
        #expect(queued.cancel() == .ignore)
        #expect(queued.retry() == .requeue)
        var sending = machine(.sending)
        #expect(sending.cancel() == .ignore)
        #expect(sending.retry() == .ignore)
        var sent = machine(.sent)
        #expect(sent.retry() == .ignore)
        for status in [MessageStatus.failed, .expired] {
            var state = machine(status)
            #expect(state.retry() == .requeue)
            #expect(state.status == .queued)
        }
        var late = machine(.queued)
        #expect(late.attemptFinished(.delivered(providerID: nil, code: nil), now: 0, random: 0) == .ignore)
    }
}

@Suite struct RetryPolicyTests {
    @Test func backoffDoublesWithJitterAndCaps() {
        let policy = RetryPolicy(baseDelay: 2_000, maxDelay: 300_000, jitter: 0.2)
        #expect(policy.delay(afterAttempts: 1, random: 0.5) == 2_000)
        #expect(policy.delay(afterAttempts: 2, random: 0.5) == 4_000)
        #expect(policy.delay(afterAttempts: 3, random: 0) == 6_400)
        #expect(policy.delay(afterAttempts: 3, random: 0.999_999) == 9_600)
        #expect(policy.delay(afterAttempts: 30, random: 0.5) == 300_000)
        #expect(policy.delay(afterAttempts: 1, retryAfter: 60_000, random: 0.5) == 60_000)
        #expect(policy.delay(afterAttempts: 1, retryAfter: 3_600_000, random: 0.5) == 300_000)
    }

    @Test func codesAndLinksExpireAfterTenMinutes() {
        let policy = RetryPolicy()
        #expect(policy.maxAge(slug: "verification_code") == 600_000)
        #expect(policy.maxAge(slug: "magic_link_sign_in") == 600_000)
        #expect(policy.maxAge(slug: "invitation") == 86_400_000)
        #expect(policy.maxAge(slug: nil) == 86_400_000)
    }
}

/// Decodes what the builder encodes, to check round trips.
enum MIMEDecoding {
    static func quotedPrintable(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        let lines = text.components(separatedBy: "\r\n")
        for (index, line) in lines.enumerated() {
            var chars = Array(line.utf8)
            var soft = false
            if chars.last == UInt8(ascii: "=") { chars.removeLast(); soft = true }
            var i = 0
            while i < chars.count {
                if chars[i] == UInt8(ascii: "="), i + 2 < chars.count + 0, let value = UInt8(String(decoding: chars[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) {
                    bytes.append(value)
                    i += 3
                } else {
                    bytes.append(chars[i])
                    i += 1
                }
            }
            if !soft && index < lines.count - 1 { bytes.append(0x0A) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func encodedWords(_ value: String) -> String {
        value.components(separatedBy: "\r\n ").map { word -> String in
            guard word.hasPrefix("=?UTF-8?B?"), word.hasSuffix("?=") else { return word }
            let base64 = word.dropFirst(10).dropLast(2)
            return String(decoding: Data(base64Encoded: String(base64)) ?? Data(), as: UTF8.self)
        }.joined()
    }
}

@Suite struct MIMEMessageTests {
    func message(subject: String = "482913 is your code", text: String? = "Code: 482913\n", html: String? = "<p>482913</p>") throws -> String {
        let built = MIMEMessage(
            from: try MailAddress(parsing: "Example App <no-reply@example.com>"), to: try MailAddress(address: "user@example.com"),
            replyTo: try MailAddress(name: "Support", address: "support@example.com"), subject: subject, text: text, html: html,
            date: 1_787_303_700_000, messageID: "ema_1.1787303700@example.com", boundary: "b1_abc").build()
        return String(decoding: built, as: UTF8.self)
    }

    @Test func shapeAndHeaders() throws {
        let text = try message()
        let (head, _) = text.split(separator: "\r\n\r\n", maxSplits: 1).map(String.init).pair
        #expect(head == """
            From: Example App <no-reply@example.com>\r
            To: <user@example.com>\r
            Reply-To: Support <support@example.com>\r
            Subject: 482913 is your code\r
            Date: Fri, 21 Aug 2026 09:15:00 +0000\r
            Message-ID: <ema_1.1787303700@example.com>\r
            MIME-Version: 1.0\r
            Content-Type: multipart/alternative; boundary="b1_abc"
            """)
        #expect(text.hasSuffix("--b1_abc--\r\n"))
        let plain = try #require(text.range(of: "Content-Type: text/plain"))
        let rich = try #require(text.range(of: "Content-Type: text/html"))
        #expect(plain.lowerBound < rich.lowerBound)
    }

    @Test func onlyCRLFAndShortLines() throws {
        let long = String(repeating: "ü word ", count: 60) + "\n.leading dot\nFrom here\ntrailing space \n"
        let text = try message(subject: String(repeating: "Ünïcödé sübjéct ", count: 8), text: long, html: "<p>\(long)</p>")
        let bytes = Array(text.utf8)
        for (index, byte) in bytes.enumerated() where byte == 0x0A { #expect(index > 0 && bytes[index - 1] == 0x0D) }
        for (index, byte) in bytes.enumerated() where byte == 0x0D { #expect(index + 1 < bytes.count && bytes[index + 1] == 0x0A) }
        #expect(bytes.allSatisfy { $0 < 0x80 })
        for line in text.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 78) }
        #expect(!text.contains("\r\n.leading"))
        #expect(!text.contains("\r\nFrom here"))
        let body = try #require(text.components(separatedBy: "quoted-printable\r\n\r\n").dropFirst().first?.components(separatedBy: "--b1_abc").first)
        // The CRLF before the boundary belongs to the boundary ("\r\n" is one Character).
        #expect(MIMEDecoding.quotedPrintable(Substring(body).dropLast(1)) == long)
    }

    @Test func nonASCIISubjectRoundTrips() throws {
        let subject = "Ваш код подтверждения: 482913 👋🏽 — ok"
        let text = try message(subject: subject)
        let line = try #require(text.components(separatedBy: "\r\nDate:").first?.components(separatedBy: "Subject: ").last)
        #expect(MIMEDecoding.encodedWords(line) == subject)
        for word in line.components(separatedBy: "\r\n ") { #expect(word.count <= 75) }
    }

    @Test func aLongWordIsEncodedSoThatNoHeaderLineIsTooLong() throws {
        let word = String(repeating: "0123456789", count: 200)  // 2,000 characters, no space
        let subject = "Your link https://example.com/" + word
        let text = try message(subject: subject)
        for line in text.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 78) }
        let line = try #require(text.components(separatedBy: "\r\nDate:").first?.components(separatedBy: "Subject: ").last)
        #expect(MIMEDecoding.encodedWords(line) == subject)
        let named = try MailAddress(name: word, address: "a@example.com").headerValue
        #expect(named.hasPrefix("=?UTF-8?B?"))
        #expect(named.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
        #expect(try MailAddress(name: "Example App", address: "a@example.com").headerValue == "Example App <a@example.com>")
    }

    @Test func headerInjectionGoesNowhere() throws {
        let text = try message(subject: "Hi\r\nBcc: evil@example.net\nX-Evil: 1")
        #expect(text.contains("Subject: Hi Bcc: evil@example.net X-Evil: 1\r\n"))
        #expect(!text.contains("\r\nBcc:"))
        #expect(throws: MailAddress.ParseError.self) { try MailAddress(address: "user@example.com\r\nRCPT TO:<evil@example.net>") }
        #expect(throws: MailAddress.ParseError.self) { try MailAddress(address: "<user@example.com>") }
        #expect(throws: MailAddress.ParseError.nonASCII("jösé@example.com")) { try MailAddress(address: "jösé@example.com") }
        let name = try MailAddress(name: "Evil\r\nBcc: x@example.net", address: "a@example.com")
        #expect(name.headerValue == "\"Evil Bcc: x@example.net\" <a@example.com>")
    }

    @Test(arguments: [
        ("Example App", "Example App <a@example.com>"),
        ("Doe, John \"JD\"", "\"Doe, John \\\"JD\\\"\" <a@example.com>"),
        ("Café Zürich", "=?UTF-8?B?Q2Fmw6kgWsO8cmljaA==?= <a@example.com>"),
    ])
    func displayNames(_ name: String, _ expected: String) throws {
        #expect(try MailAddress(name: name, address: "a@example.com").headerValue == expected)
    }

    @Test func singlePartWhenOnlyOneBody() throws {
        let text = try message(text: "only text", html: nil)
        #expect(text.contains("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nonly text\r\n"))
        #expect(!text.contains("multipart"))
    }

    @Test func parsesFromSettings() throws {
        let address = try MailAddress(parsing: "\"Acme, Inc\" <no-reply@acme.example>")
        #expect(address.name == "Acme, Inc")
        #expect(address.domain == "acme.example")
        #expect(try MailAddress(parsing: "plain@example.com").name == nil)
    }
}

extension Array where Element == String {
    var pair: (String, String) { (self.first ?? "", self.count > 1 ? self[1] : "") }
}

@Suite struct MIMEDateTests {
    @Test(arguments: [
        (Int64(0), "Thu, 1 Jan 1970 00:00:00 +0000"),
        (1_787_303_700_000, "Fri, 21 Aug 2026 09:15:00 +0000"),
        (951_782_400_000, "Tue, 29 Feb 2000 00:00:00 +0000"),
        (4_102_444_799_000, "Thu, 31 Dec 2099 23:59:59 +0000"),
        (-1_000, "Wed, 31 Dec 1969 23:59:59 +0000"),
    ])
    func dates(_ milliseconds: Int64, _ expected: String) {
        #expect(MIMEMessage.rfc5322Date(milliseconds) == expected)
    }
}

@Suite struct UTCTimeTests {
    @Test func formats() {
        #expect(UTCTime(milliseconds: 1_787_303_700_123).iso8601 == "2026-08-21T09:15:00.123Z")
        #expect(UTCTime(milliseconds: 951_782_400_000).short == "2000-02-29 00:00:00")
        #expect(UTCTime(milliseconds: -1).iso8601 == "1969-12-31T23:59:59.999Z")
    }
}

@Suite struct SingleLineTests {
    @Test(arguments: [
        ("Your code", "Your code"), ("  padded  ", "padded"), ("a  b", "a b"), ("a\tb", "a b"), ("a\r\nBcc: x", "a Bcc: x"),
        ("a\u{85}b", "a b"), ("a\u{2028}b\u{2029}c", "a b c"), ("nul\u{0}here", "nulhere"), ("Código ✓ 🎉", "Código ✓ 🎉"),
        ("", ""), (" ", ""), ("\u{2028}", ""), ("é\u{0B}\u{0C}e", "é e"), ("ends with space ", "ends with space"),
        ("\u{E2}\u{80}", "\u{E2}\u{80}"),
    ])
    func headersAreOneLineWithSingleSpaces(_ input: String, _ expected: String) {
        #expect(MIMEMessage.singleLine(input) == expected)
    }
}

@Suite struct OutgoingAssemblerTests {
    let composed = ComposedMessage(subject: "Your code", html: "<p>1</p>", text: "1", source: .clerk(reason: "no_template"))

    func claimed(_ channel: Channel = .email, recipient: String = "ana@example.org", clerkID: String? = "ema_1") -> ClaimedMessage {
        ClaimedMessage(id: 7, channel: channel, slug: "verification_code", recipient: recipient, clerkID: clerkID, attempts: 0,
                       createdAt: 1000, expiresAt: 2000, payload: [])
    }

    func email(_ message: ClaimedMessage, settings: EmailSettings = EmailSettings()) throws -> Email {
        let event = try JSONValue.parse(try fixture("email.created"))
        guard case .email(let envelope) = try OutgoingAssembler.assemble(
            message, event: event, composed: composed, settings: settings, now: 1_787_303_700_000, boundary: "b1")
        else { throw AssemblyError(.internalError, "not an email") }
        return envelope
    }

    @Test func senderAndReplyToFromClerksNamesAtTheAppDomain() throws {
        let envelope = try email(claimed())
        let text = String(decoding: envelope.mime(), as: UTF8.self)
        #expect(envelope.from.address == "notifications@example.com")
        #expect(text.contains("From: Example App <notifications@example.com>\r\n"))
        #expect(text.contains("Reply-To: Example App <support@example.com>\r\n"))
        #expect(envelope.messageID == "ema_1.1000@example.com")
        let configured = try email(claimed(), settings: EmailSettings(from: try MailAddress(parsing: "Ops <ops@mail.test>")))
        #expect(configured.from.address == "ops@mail.test")
        #expect(configured.messageID == "ema_1.1000@mail.test")
    }

    @Test func aUTF8RecipientIsKeptForSMTPUTF8AndOnlyTheToHeaderCarriesIt() throws {
        let envelope = try email(claimed(recipient: "josé@bücher.example"))
        #expect(envelope.to.address == "josé@xn--bcher-kva.example")
        #expect(envelope.needsSMTPUTF8)
        let text = String(decoding: envelope.mime(), as: UTF8.self)
        #expect(text.contains("To: <josé@xn--bcher-kva.example>\r\n"))
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines.filter { !$0.hasPrefix("To: ") }.allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 } })
        #expect(try !email(claimed()).needsSMTPUTF8)
    }

    @Test(arguments: [nil, "", "ema_é1", "ema-1", "ema_1\r\nBcc: x@evil.test", "ema_٣"])
    func aClerkIDThatIsNotPlainASCIIIsNotCopiedIntoTheMessageID(_ clerkID: String?) throws {
        let envelope = try email(claimed(clerkID: clerkID))
        #expect(envelope.messageID == "herald-7.1000@example.com")
        #expect(envelope.mime().allSatisfy { $0 < 0x80 })
    }

    @Test func unusableRecipientsAndMissingSenderAreClearErrors() throws {
        let event = try JSONValue.parse(try fixture("email.created"))
        func failure(_ message: ClaimedMessage, _ event: JSONValue, _ composed: ComposedMessage) -> FailureCode? {
            do {
                _ = try OutgoingAssembler.assemble(message, event: event, composed: composed, settings: EmailSettings(), now: 0, boundary: "b")
                return nil
            } catch {
                return error.code
            }
        }
        #expect(failure(claimed(recipient: "not an address"), event, composed) == .badRecipient)
        #expect(failure(claimed(.sms, recipient: "12345"), event, composed) == .badRecipient)
        #expect(failure(claimed(), .object([:]), composed) == .misconfigured)
        #expect(failure(claimed(), event, ComposedMessage(subject: "", text: "x", source: .clerk(reason: "r"))) == .noContent)
    }
}

@Suite struct IDNATests {
    @Test(arguments: [
        ("bücher", "bcher-kva"), ("münchen", "mnchen-3ya"), ("пример", "e1afmkfd"), ("例え", "r8jz45g"),
        ("テスト", "zckzah"), ("中国", "fiqs8s"), ("ü", "tda"),
        ("ñαжщ日ü本ё語ß中ωя月水火木金土çøåσж", "zcamf2bybv469bje0bx0fha4t1cza5374z653a1q6c3jenrajcy40nigvjx1l9dob"),
    ])
    func punycodeOfKnownLabels(_ label: String, _ expected: String) {
        #expect(IDNA.punycode(label) == expected)
    }

    @Test func internationalisedDomainsTravelInASCII() throws {
        #expect(try MailAddress(address: "ana@Bücher.example").address == "ana@xn--bcher-kva.example")
        #expect(try MailAddress(address: "ana@例え.テスト").address == "ana@xn--r8jz45g.xn--zckzah")
        #expect(try MailAddress(parsing: "Ana <ana@münchen.de>").headerValue == "Ana <ana@xn--mnchen-3ya.de>")
        #expect(try MailAddress(address: "ana@example.org").address == "ana@example.org")
        #expect(throws: MailAddress.ParseError.nonASCII("josé@example.org")) { try MailAddress(address: "josé@example.org") }
        #expect(try MailAddress(address: "josé@münchen.de", allowUTF8: true).address == "josé@xn--mnchen-3ya.de")
        #expect(throws: MailAddress.ParseError.invalid("jo\u{2028}sé@example.org")) {
            try MailAddress(address: "jo\u{2028}sé@example.org", allowUTF8: true)
        }
        // 58 bytes of mixed scripts make a label of 69 once converted: over the limit of 63.
        let long = "ñαжщ日ü本ё語ß中ωя月水火木金土çøåσж.example"
        #expect(Recipient.isValidEmail("a@" + long))
        #expect(throws: MailAddress.ParseError.invalid("a@" + long)) { try MailAddress(address: "a@" + long) }
    }
}
