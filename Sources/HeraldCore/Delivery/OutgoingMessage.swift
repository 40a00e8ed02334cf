/// What a provider sends: a structured email (MIME is built only where it is needed:
/// SMTP, SES raw) or an SMS.
public enum OutgoingMessage: Sendable, Equatable {
    case email(Email)
    case sms(SMS)

    public var channel: Channel {
        switch self {
        case .email: .email
        case .sms: .sms
        }
    }
}

/// An email ready to send: addresses checked for the wire, subject and bodies rendered.
public struct Email: Sendable, Equatable {
    public var from: MailAddress
    public var to: MailAddress
    public var replyTo: MailAddress?
    public var subject: String
    public var text: String?
    public var html: String?
    /// Without brackets; the same on every attempt of one message.
    public var messageID: String
    /// Unix ms, for the Date header.
    public var date: Int64
    /// A random token for the multipart boundary.
    public var boundary: String

    public init(
        from: MailAddress, to: MailAddress, replyTo: MailAddress? = nil, subject: String, text: String?, html: String?,
        messageID: String, date: Int64, boundary: String
    ) {
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.text = text
        self.html = html
        self.messageID = messageID
        self.date = date
        self.boundary = boundary
    }

    /// A UTF-8 address: the relay must offer SMTPUTF8.
    public var needsSMTPUTF8: Bool { from.needsSMTPUTF8 || to.needsSMTPUTF8 }

    /// The whole RFC 5322 message, CRLF line ends. 7-bit, but for a UTF-8 recipient in the
    /// To header (RFC 6532), when ``needsSMTPUTF8``.
    public func mime() -> [UInt8] {
        MIMEMessage(
            from: from, to: to, replyTo: replyTo, subject: subject, text: text, html: html, date: date, messageID: messageID,
            boundary: boundary
        ).build()
    }
}

/// An SMS ready to send.
public struct SMS: Sendable, Equatable {
    /// E.164, with the `+`.
    public var to: String
    public var text: String

    public init(to: String, text: String) {
        self.to = to
        self.text = text
    }

    /// The number without its `+`, for the APIs that want it so (Vonage, MessageBird).
    public var toDigits: String { to.hasPrefix("+") ? String(to.dropFirst()) : to }
}

/// Sends messages through one provider. One instance per worker thread (it may hold a
/// connection open between messages), so implementations need not be thread-safe.
public protocol MessageSender: AnyObject {
    /// The provider's name (`smtp`, `outbox`, `twilio`, or its `?name=`), recorded with
    /// each attempt and used as the metrics label.
    var name: String { get }
    /// How it sends: `smtp`, `http`, `outbox` (a metrics label).
    var kind: String { get }
    func send(_ message: OutgoingMessage, context: SendContext) -> DeliveryOutcome
}

extension MessageSender {
    public var kind: String { name }
}

/// Sender settings for email.
public struct EmailSettings: Sendable, Equatable {
    /// `HERALD_EMAIL_FROM`: used as is when set.
    public var from: MailAddress?
    /// `HERALD_EMAIL_DOMAIN`: the domain for Clerk's `from_email_name` / `reply_to_email_name`;
    /// without it, the app's `domain_name` from the event.
    public var domain: String?

    public init(from: MailAddress? = nil, domain: String? = nil) {
        self.from = from
        self.domain = domain
    }
}

/// Turns a composed message into what a transport sends.
public enum OutgoingAssembler {
    /// `boundary` makes a random token (asked for an email only); `now` is Unix ms.
    public static func assemble(
        _ claimed: ClaimedMessage, event: JSONValue, composed: ComposedMessage, settings: EmailSettings, now: Int64,
        boundary: @autoclosure () -> String
    ) throws(AssemblyError) -> OutgoingMessage {
        let data = event["data"] ?? .null
        switch claimed.channel {
        case .sms:
            guard Recipient.isValidPhone(claimed.recipient) else { throw AssemblyError(.badRecipient, "not an E.164 number") }
            guard let text = composed.text, !text.isEmpty else { throw AssemblyError(.noContent, "empty SMS text") }
            return .sms(SMS(to: claimed.recipient, text: text))
        case .email:
            let to: MailAddress
            do {
                to = try MailAddress(address: claimed.recipient, allowUTF8: true)
            } catch {
                throw AssemblyError(.badRecipient, "invalid email address")
            }
            let appName = data["data"]?.value(atPath: "app.name")?.stringValue
            let domain = settings.domain ?? data["data"]?.value(atPath: "app.domain_name")?.stringValue
            let from: MailAddress
            if let configured = settings.from {
                from = configured
            } else {
                guard let domain, let local = data["from_email_name"]?.stringValue, !local.isEmpty,
                    let address = try? MailAddress(name: appName, address: "\(local)@\(domain)")
                else {
                    throw AssemblyError(.misconfigured, "no sender: set HERALD_EMAIL_FROM or HERALD_EMAIL_DOMAIN")
                }
                from = address
            }
            var replyTo: MailAddress?
            if let local = data["reply_to_email_name"]?.stringValue, !local.isEmpty, let domain = domain ?? Optional(from.domain) {
                replyTo = try? MailAddress(name: appName, address: "\(local)@\(domain)")
            }
            guard let subject = composed.subject, !subject.isEmpty else { throw AssemblyError(.noContent, "no subject") }
            guard composed.text != nil || composed.html != nil else { throw AssemblyError(.noContent, "no body") }
            let left = claimed.clerkID.flatMap { id in id.utf8.allSatisfy { Self.isIDByte($0) } && !id.isEmpty ? id : nil } ?? "herald-\(claimed.id)"
            let messageID = "\(left).\(claimed.createdAt)@\(from.domain)"
            return .email(Email(
                from: from, to: to, replyTo: replyTo, subject: subject, text: composed.text, html: composed.html,
                messageID: messageID, date: now, boundary: boundary()))
        }
    }
}

extension OutgoingAssembler {
    /// ASCII letters, digits and `_`: what a Clerk id may bring into the Message-ID header.
    static func isIDByte(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F
    }
}

/// Why a composed message could not be turned into something to send (permanent).
public struct AssemblyError: Error, Equatable, Sendable {
    public var code: FailureCode
    public var detail: String
    public init(_ code: FailureCode, _ detail: String) {
        self.code = code
        self.detail = detail
    }
}
