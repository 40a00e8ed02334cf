public import HeraldCore

/// Telnyx's Messaging API v2 (../shared/reference/providers.md section 13):
/// `telnyx://API_KEY@default?from=+15550001111[&messaging_profile_id=ID]`. Bearer auth,
/// JSON with E.164 numbers (the `+` is required), `data.id` in a 200; errors as
/// `errors[].code` with a `source.pointer` naming the field.
public struct TelnyxAdapter: ProviderAdapter {
    public let name: String
    public let channel = Channel.sms
    let apiKey: String
    public let sender: String
    public let messagingProfileID: String?
    public let base: String

    public static let options = ["from", "messaging_profile_id"]

    public init(url: ProviderURL) throws(ProviderURLError) {
        let options = try ProviderOptions(url, known: Self.options)
        name = options.name
        apiKey = try options.user("the API key (KEY...)")
        guard url.password == nil else { throw .invalid("telnyx takes only the API key before the @ (no :)") }
        sender = try ProviderOptions.checkedSender(
            options.required("from", "a Telnyx number such as +15550001111, or an alphanumeric sender id with ?messaging_profile_id="),
            alphanumeric: true)
        if let profile = url.option("messaging_profile_id") {
            guard profile.count == 36, profile.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
                throw .invalid("messaging_profile_id must be the profile's UUID, such as 400174af-0a13-4e28-b4f5-0123456789ab")
            }
            messagingProfileID = profile.lowercased()
        } else {
            messagingProfileID = nil
        }
        // Telnyx sends from an alphanumeric id only through the messaging profile it is registered on.
        if !Recipient.isValidPhone(sender), messagingProfileID == nil {
            throw .missing("?messaging_profile_id= (an alphanumeric from= is sent through its messaging profile)")
        }
        base = try options.base(default: "https://api.telnyx.com")
    }

    public func request(for message: OutgoingMessage, context: SendContext) throws(AssemblyError) -> OutboundRequest {
        guard case .sms(let sms) = message else { throw AssemblyError(.misconfigured, "telnyx sends SMS only") }
        var body: [String: JSONValue] = ["from": .string(sender), "to": .string(sms.to), "text": .string(sms.text)]
        if let messagingProfileID { body["messaging_profile_id"] = .string(messagingProfileID) }
        return JSONRequest.post("\(base)/v2/messages", credential: Credentials.bearer(apiKey), body: body)
    }

    public func classify(_ exchange: Exchange, context: SendContext) -> DeliveryOutcome {
        exchange.outcome { answer in classify(answer, now: context.now) }
    }

    func classify(_ answer: HTTPAnswer, now: Int64) -> DeliveryOutcome {
        let json = answer.json
        if (200..<300).contains(answer.status) {
            return .delivered(providerID: json?["data"]?["id"]?.stringValue, code: answer.status)
        }
        let error = json?["errors"]?.items.first
        let code = error?["code"]?.codeText
        let detail = ProviderClassification.excerpt(error?["detail"]?.stringValue ?? error?["title"]?.stringValue)
        let meaning = code.flatMap { Self.meaning($0, pointer: error?["source"]?["pointer"]?.stringValue) }
        return .failed(ErrorMeaning.failure(meaning, answer: answer, providerCode: code, now: now, detail: detail))
    }

    /// What a Telnyx error code means; a code about "the number" is the sender's when
    /// the pointer names `/from` (or the profile), else the recipient's.
    static func meaning(_ code: String, pointer: String?) -> ErrorMeaning? {
        let aboutSender = pointer.map { $0.hasPrefix("/from") || $0.hasPrefix("/messaging_profile_id") } ?? false
        if let known = errors[code] { return known }
        if numberCodes.contains(code) || (code.count == 5 && code.hasPrefix("40")) {
            return aboutSender ? ErrorMeaning(.senderRefused, .provider) : ErrorMeaning(.badRecipient, .recipient)
        }
        return nil
    }

    /// Codes about a phone number, whichever field it was: 10001 inactive, 10002 invalid,
    /// 10016 not +E.164.
    static let numberCodes: Set<String> = ["10001", "10002", "10016"]

    /// The codes that say more than the HTTP status (Telnyx's API and messaging error lists).
    static let errors: [String: ErrorMeaning] = [
        "10009": ErrorMeaning(.providerAuthFailed, .provider),  // authentication failed
        "10010": ErrorMeaning(.providerAuthFailed, .provider),  // authorization failed
        "10011": ErrorMeaning(.rateLimited, .transient),  // too many requests
        "40300": ErrorMeaning(.recipientUnsubscribed, .recipient),  // the recipient sent STOP (HTTP 409)
        "40310": ErrorMeaning(.badRecipient, .recipient),  // invalid 'to' address
        "40001": ErrorMeaning(.badRecipient, .recipient),  // not routable (a landline)
        "40008": ErrorMeaning(.badRecipient, .recipient),  // undeliverable
        "40012": ErrorMeaning(.badRecipient, .recipient),  // invalid destination number
        "40009": ErrorMeaning(.rejected, .recipient),  // message body refused
        "40002": ErrorMeaning(.senderRefused, .provider),  // sender blocked as spam (temporarily)
        "40003": ErrorMeaning(.senderRefused, .provider),  // sender blocked as spam (for good)
        "40013": ErrorMeaning(.senderRefused, .provider),  // invalid source number
        "40311": ErrorMeaning(.providerAuthFailed, .provider),  // invalid messaging profile secret
        "40011": ErrorMeaning(.rateLimited, .transient),  // a carrier's rate limit
        "40004": ErrorMeaning(.rejectedTemporarily, .transient),  // refused by the destination: retry later
        "40006": ErrorMeaning(.rejectedTemporarily, .transient),  // the recipient's carrier is down
    ]

    /// The account balance: the key works, and what credit is left.
    public func probe() -> OutboundRequest? {
        JSONRequest.get("\(base)/v2/balance", credential: Credentials.bearer(apiKey))
    }

    public func judgeProbe(_ exchange: Exchange) -> ProbeVerdict {
        guard case .answered(let answer) = exchange, answer.status == 200 else { return ProbeVerdict.standard(exchange) }
        let data = answer.json?["data"]
        let currency = data?["currency"]?.stringValue ?? ""
        guard let available = data?["available_credit"]?.decimalValue ?? data?["balance"]?.decimalValue else {
            return .problem("the balance answer has no available_credit")
        }
        if available <= 0 { return .problem("no credit available (\(amount(available)) \(currency)): top up the Telnyx account") }
        return .ok("the key is accepted; \(amount(available)) \(currency) available")
    }
}
