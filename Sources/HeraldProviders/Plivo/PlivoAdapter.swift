public import HeraldCore

/// Plivo's Message API (../shared/reference/providers.md section 12):
/// `plivo://AUTH_ID:AUTH_TOKEN@default?from=+15550001111`. Basic auth, a JSON body, `202`
/// with `message_uuid` (an array, one per destination). Plivo's errors are text, not codes.
public struct PlivoAdapter: ProviderAdapter {
    public let name: String
    public let channel = Channel.sms
    public let authID: String
    let authToken: String
    public let sender: String
    public let base: String

    public static let options = ["from"]

    public init(url: ProviderURL) throws(ProviderURLError) {
        let options = try ProviderOptions(url, known: Self.options)
        name = options.name
        authID = try options.user("the auth ID (MA... or SA...)")
        // It goes in the path: letters and digits only.
        guard authID.count <= 64, authID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw .invalid("the auth ID must be letters and digits, such as MAXXXXXXXXXXXXXXXXXX")
        }
        authToken = try options.password("the auth token")
        sender = try ProviderOptions.checkedSender(
            options.required("from", "the sending number, e.g. +15550001111, or a sender id"), alphanumeric: true)
        base = try options.base(default: "https://api.plivo.com")
    }

    public func request(for message: OutgoingMessage, context: SendContext) throws(AssemblyError) -> OutboundRequest {
        guard case .sms(let sms) = message else { throw AssemblyError(.misconfigured, "plivo sends SMS only") }
        // The trailing slash is part of Plivo's path.
        return JSONRequest.post(
            "\(base)/v1/Account/\(authID)/Message/", credential: Credentials.basic(authID, authToken),
            body: ["src": .string(sender), "dst": .string(sms.to), "text": .string(sms.text)])
    }

    public func classify(_ exchange: Exchange, context: SendContext) -> DeliveryOutcome {
        exchange.outcome { answer in classify(answer, now: context.now) }
    }

    func classify(_ answer: HTTPAnswer, now: Int64) -> DeliveryOutcome {
        let json = answer.json
        if (200..<300).contains(answer.status) {
            if let uuid = json?["message_uuid"]?.items.first?.stringValue {
                return .delivered(providerID: uuid, code: answer.status)
            }
            // Plivo queues the valid destinations and lists the others under invalid_number.
            if !(json?["invalid_number"]?.items ?? []).isEmpty {
                return .failed(Failure(
                    .badRecipient, scope: .recipient, status: answer.status, providerCode: "invalid_number",
                    detail: "Plivo refused the destination number"))
            }
            return .delivered(providerID: nil, code: answer.status)
        }
        let text = json?["error"]?.stringValue ?? json?["error"]?["message"]?.stringValue
        let detail = ProviderClassification.excerpt(text)
        let code = text.flatMap(Self.token)
        let meaning = answer.status == 400 ? text.flatMap(Self.meaning) : nil
        return .failed(ErrorMeaning.failure(meaning, answer: answer, providerCode: code, now: now, detail: detail))
    }

    /// Plivo's `error` when it is one of its short names (`invalid_parameter`,
    /// `authentication_failed`, `rate_limit_exceeded`, ...): the provider's code.
    static func token(_ text: String) -> String? {
        (1...40).contains(text.count) && text.allSatisfy({ ($0.isASCII && $0.isLowercase) || $0 == "_" }) ? text : nil
    }

    /// A 400 whose text names the destination is the recipient's; one that names the
    /// source is the sender's (Plivo gives no codes, so its wording decides).
    static func meaning(_ text: String) -> ErrorMeaning? {
        let words = Set(text.lowercased().split(whereSeparator: { !$0.isLetter }).map(String.init))
        if !words.isDisjoint(with: ["dst", "destination"]) { return ErrorMeaning(.badRecipient, .recipient) }
        if !words.isDisjoint(with: ["src", "source", "sender"]) { return ErrorMeaning(.senderRefused, .provider) }
        return nil
    }

    /// The account: whether the credentials work and the credit left.
    public func probe() -> OutboundRequest? {
        JSONRequest.get("\(base)/v1/Account/\(authID)/", credential: Credentials.basic(authID, authToken))
    }

    public func judgeProbe(_ exchange: Exchange) -> ProbeVerdict {
        guard case .answered(let answer) = exchange, answer.status == 200 else { return ProbeVerdict.standard(exchange) }
        let json = answer.json
        let credits = json?["cash_credits"]?.decimalValue
        let mode = json?["billing_mode"]?.stringValue ?? "unknown billing"
        let kind = json?["account_type"]?.stringValue ?? "unknown type"
        if mode == "prepaid", let credits, credits <= 0 {
            return .problem("account \(authID) has no credit left (\(amount(credits))): top it up")
        }
        return .ok("account \(authID) (\(kind), \(mode))" + (credits.map { ": \(amount($0)) credits" } ?? ""))
    }
}
