public import HeraldCore

/// SendGrid's v3 Mail Send (../shared/reference/providers.md section 1):
/// `sendgrid://API_KEY@default` (also `sendgrid+api://`); EU regional subusers:
/// `@api.eu.sendgrid.com` or `?endpoint=https://api.eu.sendgrid.com`; `?sandbox=true`
/// has SendGrid check the request and send nothing.
public struct SendGridAdapter: ProviderAdapter {
    public let name: String
    public let channel = Channel.email
    let apiKey: String
    public let base: String
    public let sandbox: Bool

    public static let options = ["sandbox"]

    public init(url: ProviderURL) throws(ProviderURLError) {
        let options = try ProviderOptions(url, known: Self.options)
        name = options.name
        apiKey = try options.soleKey("the API key (SG....)", example: "sendgrid://API_KEY@default")
        switch url.option("sandbox") {
        case nil, "false", "0": sandbox = false
        case "true", "1": sandbox = true
        default: throw .invalid("sandbox must be true or false")
        }
        base = try options.base(default: "https://api.sendgrid.com")
    }

    public func request(for message: OutgoingMessage, context: SendContext) throws(AssemblyError) -> OutboundRequest {
        let email = try EmailJSON.email(message, provider: "sendgrid")
        // text/plain must come before text/html, each at most once (SendGrid answers 400
        // otherwise: sendgrid/sendgrid-python#451).
        var content: [JSONValue] = []
        if let text = email.text { content.append(.object(["type": .string("text/plain"), "value": .string(text)])) }
        if let html = email.html { content.append(.object(["type": .string("text/html"), "value": .string(html)])) }
        var body: [String: JSONValue] = [
            "personalizations": .array([.object(["to": .array([EmailJSON.object(email.to)])])]),
            "from": EmailJSON.object(email.from),
            "subject": .string(email.subject),
            "content": .array(content),
            // SendGrid's event webhooks carry custom_args: they name the message.
            "custom_args": .object(Dictionary(uniqueKeysWithValues: EmailJSON.correlation(context).map { ($0.name, JSONValue.string($0.value)) })),
            // Sign-in codes and links: no rewritten links, no tracking pixel.
            "tracking_settings": .object([
                "click_tracking": .object(["enable": .bool(false), "enable_text": .bool(false)]),
                "open_tracking": .object(["enable": .bool(false)]),
            ]),
        ]
        if let replyTo = email.replyTo { body["reply_to"] = EmailJSON.object(replyTo) }
        if let slug = context.slug, !slug.isEmpty { body["categories"] = .array([.string(String(slug.prefix(255)))]) }
        if sandbox { body["mail_settings"] = .object(["sandbox_mode": .object(["enable": .bool(true)])]) }
        return EmailJSON.request("POST", "\(base)/v3/mail/send", headers: [Credentials.bearer(apiKey)], body: .object(body))
    }

    public func classify(_ exchange: Exchange, context: SendContext) -> DeliveryOutcome {
        let answer: HTTPAnswer
        switch exchange {
        case .failed(let failure): return .failed(ProviderClassification.failure(failure))
        case .answered(let answered): answer = answered
        }
        // 202 (200 in sandbox mode), empty body; the id is a header.
        if (200..<300).contains(answer.status) {
            return .delivered(providerID: answer.headers[field: "X-Message-Id"], code: answer.status)
        }
        // {"errors":[{"message":"...","field":"personalizations.0.to.0.email","help":...}]}
        let first = answer.json?["errors"]?.items.first
        let field = first?["field"]?.stringValue.flatMap { $0 == "null" || $0.isEmpty ? nil : $0 }
        let detail = ProviderClassification.excerpt(
            [field, first?["message"]?.stringValue].compactMap { $0 }.joined(separator: ": "))
        if let known = Self.meaning(status: answer.status, field: field) {
            return .failed(Failure(known.code, scope: known.scope, status: answer.status, detail: detail))
        }
        if answer.status == 429 {
            return .failed(Failure(
                .rateLimited, scope: .transient, status: 429,
                retryAfter: RateLimitReset.milliseconds(answer.headers, now: context.now, reset: "X-RateLimit-Reset", form: .epochSeconds),
                detail: detail))
        }
        return .failed(ProviderClassification.failure(status: answer.status, headers: answer.headers, now: context.now, detail: detail))
    }

    /// SendGrid has no error codes: the status and the field at fault say what it is.
    static func meaning(status: Int, field: String?) -> (code: FailureCode, scope: Failure.Scope)? {
        let field = field?.lowercased() ?? ""
        switch status {
        case 400 where field.hasPrefix("personalizations") && field.contains(".to"):
            return (.badRecipient, .recipient)
        case 400 where field.hasPrefix("from"), 403 where field.hasPrefix("from"):
            // Not a verified Sender Identity, or not an address SendGrid takes.
            return (.senderRefused, .provider)
        case 413:
            return (.rejected, .recipient)  // over 30 MB: no retry makes it smaller
        case 451:
            return (.misconfigured, .provider)  // data residency: the key's region
        default:
            return nil
        }
    }

    /// The key's scopes: whether it may send. Nothing is sent.
    public func probe() -> OutboundRequest? {
        EmailJSON.request("GET", "\(base)/v3/scopes", headers: [Credentials.bearer(apiKey)], body: nil)
    }

    public func judgeProbe(_ exchange: Exchange) -> ProbeVerdict {
        guard case .answered(let answer) = exchange, answer.status == 200 else { return ProbeVerdict.standard(exchange) }
        let scopes = answer.json?["scopes"]?.items.compactMap(\.stringValue) ?? []
        return scopes.contains("mail.send")
            ? .ok("the key is accepted and has the mail.send permission")
            : .problem("the key is accepted but lacks the mail.send permission (\(scopes.count) other permission(s)): give it Mail Send access")
    }
}
