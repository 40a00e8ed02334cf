public import HeraldCore

/// Twilio Programmable Messaging (../shared/reference/providers.md section 9):
/// `twilio://ACCOUNT_SID:AUTH_TOKEN@default?from=+15550001111` (or
/// `messaging_service_sid=MG...`); an API key works too: `twilio://SK...:SECRET@default?account_sid=AC...&from=...`.
public struct TwilioAdapter: ProviderAdapter {
    public enum Sender: Sendable, Equatable {
        case number(String)
        case messagingService(String)
    }

    public let name: String
    public let channel = Channel.sms
    public let accountSID: String
    let username: String
    let password: String
    public let sender: Sender
    public let base: String

    public static let options = ["from", "messaging_service_sid", "account_sid"]

    public init(url: ProviderURL) throws(ProviderURLError) {
        let options = try ProviderOptions(url, known: Self.options)
        name = options.name
        username = try options.user("the account SID (AC...) or API key (SK...)")
        password = try options.password("the auth token or API key secret")
        if username.hasPrefix("SK") {
            accountSID = try options.required("account_sid", "the AC... account an SK... API key belongs to")
        } else {
            accountSID = username
        }
        guard Self.isSID(accountSID, prefix: "AC") else { throw .invalid("the account SID must be AC followed by 32 hexadecimal digits") }
        switch (url.option("from"), url.option("messaging_service_sid")) {
        case (let from?, nil):
            sender = .number(try ProviderOptions.checkedSender(from, alphanumeric: true))
        case (nil, let service?):
            guard Self.isSID(service, prefix: "MG") else { throw .invalid("messaging_service_sid must be MG followed by 32 hexadecimal digits") }
            sender = .messagingService(service)
        case (.some, .some):
            throw .invalid("give from or messaging_service_sid, not both")
        case (nil, nil):
            throw .missing("?from= (the sending number, e.g. +15550001111) or ?messaging_service_sid=MG...")
        }
        base = try options.base(default: "https://api.twilio.com")
    }

    static func isSID(_ text: String, prefix: String) -> Bool {
        text.count == 34 && text.hasPrefix(prefix) && text.dropFirst(2).allSatisfy(\.isHexDigit)
    }

    public func request(for message: OutgoingMessage, context: SendContext) throws(AssemblyError) -> OutboundRequest {
        guard case .sms(let sms) = message else { throw AssemblyError(.misconfigured, "twilio sends SMS only") }
        var fields = [("To", sms.to)]
        switch sender {
        case .number(let number): fields.append(("From", number))
        case .messagingService(let service): fields.append(("MessagingServiceSid", service))
        }
        fields.append(("Body", sms.text))
        return OutboundRequest(
            method: "POST", url: "\(base)/2010-04-01/Accounts/\(accountSID)/Messages.json",
            headers: [
                Credentials.basic(username, password), HTTPField("Content-Type", "application/x-www-form-urlencoded"),
                HTTPField("Accept", "application/json"),
            ],
            body: FormEncoding.encode(fields))
    }

    public func classify(_ exchange: Exchange, context: SendContext) -> DeliveryOutcome {
        guard case .answered(let answer) = exchange else {
            if case .failed(let failure) = exchange { return .failed(ProviderClassification.failure(failure)) }
            return .failed(Failure(.internalError, scope: .transient))
        }
        let json = answer.json
        if (200..<300).contains(answer.status) {
            return .delivered(providerID: json?["sid"]?.stringValue, code: answer.status)
        }
        let code = json?["code"].flatMap { value -> String? in
            if case .int(let number) = value { return String(number) }
            return value.stringValue
        }
        let detail = ProviderClassification.excerpt(json?["message"]?.stringValue)
        if let code, let known = Self.errors[code] {
            return .failed(Failure(known.code, scope: known.scope, status: answer.status, providerCode: code,
                                   retryAfter: RetryAfter.milliseconds(answer.headers[field: "Retry-After"], now: context.now), detail: detail))
        }
        return .failed(ProviderClassification.failure(
            status: answer.status, headers: answer.headers, now: context.now, providerCode: code, detail: detail))
    }

    /// Twilio's error codes that say more than the HTTP status.
    static let errors: [String: (code: FailureCode, scope: Failure.Scope)] = [
        "21211": (.badRecipient, .recipient),  // invalid To
        "21614": (.badRecipient, .recipient),  // not a mobile number
        "21217": (.badRecipient, .recipient),  // not a valid phone number
        "21610": (.recipientUnsubscribed, .recipient),  // replied STOP
        "21602": (.noContent, .recipient),  // no body
        "21617": (.rejected, .recipient),  // body too long
        "21408": (.senderRefused, .provider),  // region not enabled on the account
        "21612": (.senderRefused, .provider),  // not routable from this sender
        "21212": (.senderRefused, .provider),  // invalid From
        "21606": (.senderRefused, .provider),  // From is not a number of the account
        "21611": (.rateLimited, .provider),  // the sender's queue is full
        "21703": (.senderRefused, .provider),  // messaging service has no sender
        "20003": (.providerAuthFailed, .provider),
        "20429": (.rateLimited, .transient),  // never processed, always safe to retry
        "30001": (.rateLimited, .transient),
    ]

    public func probe() -> OutboundRequest? {
        OutboundRequest(
            method: "GET", url: "\(base)/2010-04-01/Accounts/\(accountSID).json",
            headers: [Credentials.basic(username, password), HTTPField("Accept", "application/json")])
    }

    public func judgeProbe(_ exchange: Exchange) -> ProbeVerdict {
        if case .answered(let answer) = exchange, answer.status == 200 {
            let status = answer.json?["status"]?.stringValue ?? "unknown"
            return status == "active" ? .ok("account \(accountSID) is active") : .problem("account \(accountSID) is \(status), not active")
        }
        return ProbeVerdict.standard(exchange)
    }
}
