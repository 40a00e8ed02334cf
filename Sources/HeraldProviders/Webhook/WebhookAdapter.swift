public import HeraldCore

/// The generic signed webhook, for either channel: `webhook+https://SECRET@host/path`
/// (`webhook://` is the same; `webhook+http://` only on a loopback host) in `HERALD_EMAIL_URL` or `HERALD_SMS_URL`,
/// `?from=` (SMS only) for the `from` field. Herald POSTs the rendered message as JSON,
/// signed per Standard Webhooks (https://www.standardwebhooks.com/) with the `whsec_`
/// secret, so that any Standard Webhooks library verifies it. The receiver does the
/// sending: its 2xx is delivery.
public struct WebhookAdapter: ProviderAdapter {
    public let name: String
    /// The channel of the variable the URL came in.
    public let channel: Channel
    let secret: WebhookSecret
    /// Where the message is posted (`scheme://host[:port]/path`).
    public let target: String
    /// The SMS `from` (`?from=`); nil: the receiver decides.
    public let sender: String?

    public static let options = ["from"]
    static let example = "webhook+https://whsec_...@hooks.example.com/herald"

    public init(url: ProviderURL, channel: Channel) throws(ProviderURLError) {
        let options = try ProviderOptions(url, known: Self.options)
        name = options.name
        self.channel = channel
        guard url.option("endpoint") == nil else {
            throw .invalid("the URL itself says where to post (\(Self.example)): ?endpoint= does not apply")
        }
        let text = try options.soleKey("the signing secret (whsec_ followed by base64)", example: Self.example)
        do {
            secret = try WebhookSecret(parsing: text)
        } catch {
            throw .invalid("the signing secret before the @ must be whsec_ followed by base64 of at least \(WebhookSecret.minimumKeyBytes) bytes (e.g. whsec_ + the output of openssl rand -base64 32)")
        }
        let scheme: String
        switch url.variant {
        case nil, "https":
            scheme = "https"
        case "http":
            guard ProviderOptions.isLoopback(url.host) else {
                throw .invalid("webhook+http:// is accepted only on a loopback host (127.0.0.1, ::1, localhost): use webhook+https:// so that messages never cross the network in clear")
            }
            scheme = "http"
        default:
            throw .invalid("say how to reach the receiver: \(Self.example) (or webhook+http:// on a loopback host)")
        }
        guard !url.isDefaultHost else { throw .invalid("a webhook has no default host: give the receiver's, \(Self.example)") }
        let host = url.host.contains(":") ? "[\(url.host)]" : url.host
        let path = url.path.isEmpty ? "/" : url.path
        guard path.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "#") }) else {
            throw .invalid("the path must be URL-encoded ASCII (no spaces)")
        }
        target = "\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? "") + path
        if let from = url.option("from") {
            guard channel == .sms else {
                throw .invalid("from is for SMS only: an email's From comes from HERALD_EMAIL_FROM or the event")
            }
            sender = try ProviderOptions.checkedSender(from, alphanumeric: true)
        } else {
            sender = nil
        }
    }

    /// The `webhook-id`: the same on every attempt of one message and different for every
    /// message, even across databases (``SendContext/idempotencyKey``: Clerk's Svix id and
    /// Herald's number, in `[A-Za-z0-9_-]`, so never a `.`), so that the receiver can drop
    /// a retry it already handled.
    public static func webhookID(_ context: SendContext) -> String { context.idempotencyKey }

    public func request(for message: OutgoingMessage, context: SendContext) throws(AssemblyError) -> OutboundRequest {
        guard message.channel == channel else {
            throw AssemblyError(.misconfigured, "this webhook is configured for \(channel.rawValue), not \(message.channel.rawValue)")
        }
        // Every field is always there (null when empty), and nothing changes between
        // attempts: the body is the same bytes on every retry, only the timestamp and the
        // signature in the headers are new.
        var body: [String: JSONValue] = [
            "channel": .string(channel.rawValue),
            "slug": Self.text(context.slug),
            "message_id": .int(context.messageID),
            "webhook_id": .string(context.webhookID),
            "clerk_id": Self.text(context.clerkID),
            "data": context.templateData ?? .null,
        ]
        switch message {
        case .email(let email):
            body["to"] = .string(email.to.address)
            body["from"] = .string(EmailJSON.string(email.from))
            body["reply_to"] = email.replyTo.map { .string(EmailJSON.string($0)) } ?? .null
            body["subject"] = .string(email.subject)
            body["text"] = Self.text(email.text)
            body["html"] = Self.text(email.html)
        case .sms(let sms):
            body["to"] = .string(sms.to)
            body["from"] = Self.text(sender)
            body["body"] = .string(sms.text)
        }
        var request = EmailJSON.request("POST", target, headers: [], body: .object(body))
        request.signing = .standardWebhooks(secret: secret, id: Self.webhookID(context))
        return request
    }

    static func text(_ value: String?) -> JSONValue {
        value.map(JSONValue.string) ?? .null
    }

    public func classify(_ exchange: Exchange, context: SendContext) -> DeliveryOutcome {
        exchange.outcome { answer in
            let json = answer.json
            if (200..<300).contains(answer.status) {
                return .delivered(providerID: Self.receiverID(json?["id"]), code: answer.status)
            }
            return .failed(Self.failure(answer, json: json, now: context.now))
        }
    }

    /// A receiver's own id: a string or a number, printable, at most 200 characters.
    static func receiverID(_ value: JSONValue?) -> String? {
        guard let text = value?.codeText, text.count <= 200, text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
            return nil
        }
        return text
    }

    /// Standard Webhooks' status handling: 429 and 5xx are retried (after `Retry-After`);
    /// other 4xx are the receiver refusing this message and fail at once, except what
    /// says the endpoint, not the message, is wrong: 401/403 (the signature: the secret
    /// differs from the receiver's), 404/405 (no such hook there) and 410 (the receiver
    /// switched the hook off), which are this provider's and retried with backoff; a
    /// redirect is not followed (the spec asks for the final URL to be configured).
    static func failure(_ answer: HTTPAnswer, json: JSONValue?, now: Int64) -> Failure {
        let message = json?["message"]?.stringValue ?? json?["error"]?.stringValue ?? json?["error"]?["message"]?.stringValue
        let detail = ProviderClassification.excerpt(message)
        let code = json?["code"]?.codeText.flatMap { ProviderClassification.excerpt($0) }.map { String($0.prefix(64)) }
        switch answer.status {
        case 300..<400:
            return Failure(
                .misconfigured, scope: .provider, status: answer.status, providerCode: code,
                detail: detail ?? "the receiver redirects: configure the URL it redirects to")
        case 404, 405, 410:
            return Failure(.misconfigured, scope: .provider, status: answer.status, providerCode: code, detail: detail)
        case 401, 403, 408, 429, 500..<600:
            return ProviderClassification.failure(status: answer.status, headers: answer.headers, now: now, providerCode: code, detail: detail)
        case 400..<500:
            return Failure(.rejected, scope: .recipient, status: answer.status, providerCode: code, detail: detail)
        default:
            return ProviderClassification.failure(status: answer.status, headers: answer.headers, now: now, providerCode: code, detail: detail)
        }
    }

    /// None. Standard Webhooks defines no request that checks a hook without delivering
    /// something to it: HEAD or OPTIONS are not part of it (a receiver may answer them 404
    /// or 405 and be perfectly fine), and a signed test POST would be a message the
    /// receiver acts on.
    public func probe() -> OutboundRequest? { nil }
}
