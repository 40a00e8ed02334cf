public import HeraldCore

/// Resend's `POST /emails` (../shared/reference/providers.md section 4):
/// `resend://API_KEY@default`. Every attempt of one message carries the same
/// `Idempotency-Key`, so Resend sends a message once however often it is retried.
public struct ResendAdapter: ProviderAdapter {
    public let name: String
    public let channel = Channel.email
    let apiKey: String
    public let base: String

    public init(url: ProviderURL) throws(ProviderURLError) {
        let options = try ProviderOptions(url, known: [])
        name = options.name
        apiKey = try options.soleKey("the API key (re_...)", example: "resend://API_KEY@default")
        base = try options.base(default: "https://api.resend.com")
    }

    public func request(for message: OutgoingMessage, context: SendContext) throws(AssemblyError) -> OutboundRequest {
        let email = try EmailJSON.email(message, provider: "resend")
        // Nothing in the body changes between attempts (no date, no attempt number):
        // Resend answers a repeated key with a different body 409 invalid_idempotent_request.
        var tags = EmailJSON.correlation(context)
        if let slug = context.slug {
            let clean = String(slug.unicodeScalars.filter(EmailJSON.isTagScalar).prefix(256).map(Character.init))
            if !clean.isEmpty { tags.append((name: "slug", value: clean)) }
        }
        var body: [String: JSONValue] = [
            "from": .string(EmailJSON.string(email.from)),
            "to": .array([.string(email.to.address)]),
            "subject": .string(email.subject),
            // Resend's webhooks carry the tags: they name the message.
            "tags": .array(tags.map { .object(["name": .string($0.name), "value": .string($0.value)]) }),
        ]
        if let text = email.text { body["text"] = .string(text) }
        if let html = email.html { body["html"] = .string(html) }
        if let replyTo = email.replyTo { body["reply_to"] = .string(EmailJSON.string(replyTo)) }
        return EmailJSON.request(
            "POST", "\(base)/emails", headers: [Credentials.bearer(apiKey), HTTPField("Idempotency-Key", context.idempotencyKey)],
            body: .object(body))
    }

    public func classify(_ exchange: Exchange, context: SendContext) -> DeliveryOutcome {
        let answer: HTTPAnswer
        switch exchange {
        case .failed(let transport):
            // Not ambiguous: the retry carries the same Idempotency-Key, and Resend answers a
            // key it has seen with the original id instead of sending again (for 24 hours:
            // a message's longest life in Herald by default); a retry while the first is
            // still in flight gets 409 concurrent_idempotent_requests, retried in turn. A
            // retry through Resend can therefore not send the message twice.
            var failure = ProviderClassification.failure(transport)
            failure.ambiguous = false
            return .failed(failure)
        case .answered(let answered):
            answer = answered
        }
        let json = answer.json
        if (200..<300).contains(answer.status) {
            return .delivered(providerID: json?["id"]?.stringValue, code: answer.status)
        }
        // {"statusCode":422,"message":"...","name":"invalid_from_address"}
        let errorName = json?["name"]?.stringValue
        let message = json?["message"]?.stringValue
        let detail = ProviderClassification.excerpt(message)
        let retryAfter = RateLimitReset.milliseconds(answer.headers, now: context.now, reset: "ratelimit-reset", form: .deltaSeconds)
        var failure: Failure
        if let errorName, let known = Self.meaning(errorName, status: answer.status, message: message) {
            failure = Failure(known.code, scope: known.scope, status: answer.status, providerCode: errorName, detail: detail)
            if known.scope == .transient { failure.retryAfter = retryAfter }
        } else {
            failure = ProviderClassification.failure(
                status: answer.status, headers: answer.headers, now: context.now, providerCode: errorName, detail: detail)
            if answer.status == 429 { failure.retryAfter = retryAfter }
        }
        // A 5xx is not ambiguous either: see the transport failures above.
        failure.ambiguous = false
        return .failed(failure)
    }

    /// Resend's error names, with the status where one name means two things.
    static func meaning(_ name: String, status: Int, message: String?) -> (code: FailureCode, scope: Failure.Scope)? {
        switch name {
        case "validation_error" where status == 403, "invalid_from_address", "invalid_to_address":
            // A domain not verified, or the test domain sending to anyone but the account owner.
            return (.senderRefused, .provider)
        case "validation_error" where message?.contains("`to`") == true:
            return (.badRecipient, .recipient)
        case "missing_api_key", "invalid_api_key", "restricted_api_key":
            return (.providerAuthFailed, .provider)
        case "invalid_idempotent_request":
            // The key was used with another body: the first may have been sent, and a retry
            // (here or elsewhere) could send a second, different message. Stop.
            return (.invalidRequest, .recipient)
        case "concurrent_idempotent_requests":
            return (.rejectedTemporarily, .transient)  // the first attempt is still being processed
        case "rate_limit_exceeded":
            return (.rateLimited, .transient)
        case "daily_quota_exceeded", "monthly_quota_exceeded":
            return (.quotaExceeded, .provider)
        case "invalid_region", "invalid_access":
            return (.misconfigured, .provider)
        case "security_error":
            return (.rejected, .recipient)
        default:
            return nil
        }
    }

    /// The account's domains. Nothing is sent.
    public func probe() -> OutboundRequest? {
        EmailJSON.request("GET", "\(base)/domains", headers: [Credentials.bearer(apiKey)], body: nil)
    }

    public func judgeProbe(_ exchange: Exchange) -> ProbeVerdict {
        guard case .answered(let answer) = exchange else { return ProbeVerdict.standard(exchange) }
        let json = answer.json
        if answer.status == 401, json?["name"]?.stringValue == "restricted_api_key" {
            // A sending-only key: it may send, but not read the domains.
            return .ok("the key is accepted; it is a sending-only key, so its sender domains cannot be listed (note, not a problem)")
        }
        guard answer.status == 200 else { return ProbeVerdict.standard(exchange) }
        let verified = (json?["data"]?.items ?? []).filter { $0["status"]?.stringValue == "verified" }.compactMap { $0["name"]?.stringValue }
        guard !verified.isEmpty else {
            return .problem("the key is accepted but the account has no verified domain: Resend sends only to the account's own address")
        }
        let names = verified.prefix(5).map { ProviderClassification.excerpt($0) ?? "" }.joined(separator: ", ")
        return .ok("the key is accepted; verified domain(s): \(names)" + (verified.count > 5 ? ", …" : ""))
    }
}
