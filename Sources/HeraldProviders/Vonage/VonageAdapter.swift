public import HeraldCore

/// Vonage's SMS API (../shared/reference/providers.md section 10a):
/// `vonage://API_KEY:API_SECRET@default?from=Acme`. The key and secret travel in the form
/// body; the answer is HTTP 200 even when the message failed, with one `messages[]` entry
/// per part of a long text, each with its own `status`.
public struct VonageAdapter: ProviderAdapter {
    public let name: String
    public let channel = Channel.sms
    let apiKey: String
    let apiSecret: String
    /// A number without its `+` (as Vonage writes them) or an alphanumeric sender id.
    public let sender: String
    public let base: String

    public static let options = ["from"]

    public init(url: ProviderURL) throws(ProviderURLError) {
        let options = try ProviderOptions(url, known: Self.options)
        name = options.name
        apiKey = try options.user("the API key")
        apiSecret = try options.password("the API secret")
        let from = try ProviderOptions.checkedSender(
            options.required("from", "the sender: a number such as +15550001111 or a sender id such as Acme"), alphanumeric: true)
        sender = from.hasPrefix("+") ? String(from.dropFirst()) : from
        base = try options.base(default: "https://rest.nexmo.com")
    }

    public func request(for message: OutgoingMessage, context: SendContext) throws(AssemblyError) -> OutboundRequest {
        guard case .sms(let sms) = message else { throw AssemblyError(.misconfigured, "vonage sends SMS only") }
        var fields = [("api_key", apiKey), ("api_secret", apiSecret), ("from", sender), ("to", sms.toDigits), ("text", sms.text)]
        // Vonage sends `text` as GSM-7 unless told otherwise; anything else would arrive mangled.
        if SMSLength(sms.text).encoding == .ucs2 { fields.append(("type", "unicode")) }
        return OutboundRequest(
            method: "POST", url: "\(base)/sms/json",
            headers: [HTTPField("Content-Type", "application/x-www-form-urlencoded"), HTTPField("Accept", "application/json")],
            body: FormEncoding.encode(fields))
    }

    public func classify(_ exchange: Exchange, context: SendContext) -> DeliveryOutcome {
        exchange.outcome { answer in classify(answer, now: context.now) }
    }

    func classify(_ answer: HTTPAnswer, now: Int64) -> DeliveryOutcome {
        let json = answer.json
        guard answer.status == 200 else {
            let detail = ProviderClassification.excerpt(json?["error-text"]?.stringValue ?? json?["title"]?.stringValue)
            return .failed(ErrorMeaning.failure(nil, answer: answer, providerCode: nil, now: now, detail: detail))
        }
        let parts = json?["messages"]?.items ?? []
        guard !parts.isEmpty else {
            // A 200 we cannot read: the message may well have gone.
            return .failed(Failure(.providerError, scope: .transient, status: 200, ambiguous: true, detail: "an answer without messages[]"))
        }
        guard let failed = parts.first(where: { $0["status"]?.codeText != "0" }) else {
            return .delivered(providerID: parts[0]["message-id"]?.stringValue, code: 200)
        }
        let status = failed["status"]?.codeText ?? "unknown"
        let meaning = Self.statuses[status] ?? ErrorMeaning(.invalidRequest, .provider)
        var failure = meaning.failure(
            status: 200, providerCode: status, now: now, detail: ProviderClassification.excerpt(failed["error-text"]?.stringValue))
        // Some parts went out: the recipient may already hold half a message.
        if parts.contains(where: { $0["status"]?.codeText == "0" }) { failure.ambiguous = true }
        return .failed(failure)
    }

    /// `messages[].status` (the SMS API's table; every row of the reference's).
    static let statuses: [String: ErrorMeaning] = [
        "1": ErrorMeaning(.rateLimited, .transient),  // throttled
        "2": ErrorMeaning(.invalidRequest, .provider),  // missing parameters
        "3": ErrorMeaning(.invalidRequest, .provider),  // invalid parameters
        "4": ErrorMeaning(.providerAuthFailed, .provider),  // invalid credentials
        "5": ErrorMeaning(.providerUnavailable, .transient),  // internal error
        "6": ErrorMeaning(.badRecipient, .recipient),  // invalid message: unknown number prefix
        "7": ErrorMeaning(.recipientUnsubscribed, .recipient),  // number barred (on Vonage's block list)
        "8": ErrorMeaning(.providerAuthFailed, .provider),  // the account is suspended
        "9": ErrorMeaning(.quotaExceeded, .provider),  // out of credit
        "10": ErrorMeaning(.rateLimited, .transient),  // too many binds
        "11": ErrorMeaning(.misconfigured, .provider),  // account not enabled for the HTTP API
        "12": ErrorMeaning(.rejected, .recipient),  // message too long
        "14": ErrorMeaning(.providerAuthFailed, .provider),  // invalid signature
        "15": ErrorMeaning(.senderRefused, .provider),  // sender not allowed
        "22": ErrorMeaning(.invalidRequest, .provider),  // invalid network code
        "23": ErrorMeaning(.invalidRequest, .provider),  // invalid callback URL
        "29": ErrorMeaning(.badRecipient, .recipient),  // not on a demo account's list of allowed numbers
        "32": ErrorMeaning(.invalidRequest, .provider),  // sig and api_secret both sent
        "33": ErrorMeaning(.badRecipient, .recipient),  // number deactivated
    ]

    /// The Account API's balance (Basic auth: the secret stays out of the URL).
    public func probe() -> OutboundRequest? {
        JSONRequest.get("\(base)/account/get-balance", credential: Credentials.basic(apiKey, apiSecret))
    }

    /// A balance under this (in EUR) with no auto-reload is worth an operator's attention.
    static let lowBalance = 1.0

    public func judgeProbe(_ exchange: Exchange) -> ProbeVerdict {
        guard case .answered(let answer) = exchange, answer.status == 200 else { return ProbeVerdict.standard(exchange) }
        guard let value = answer.json?["value"]?.decimalValue else { return .problem("the balance answer has no value") }
        let autoReload = answer.json?["autoReload"]?.boolValue == true
        if value <= 0 { return .problem("the balance is \(amount(value)) EUR: top up the Vonage account") }
        if value < Self.lowBalance, !autoReload {
            return .problem("the balance is low (\(amount(value)) EUR) and auto-reload is off")
        }
        return .ok("the credentials are accepted; balance \(amount(value)) EUR" + (autoReload ? ", auto-reload on" : ""))
    }
}
