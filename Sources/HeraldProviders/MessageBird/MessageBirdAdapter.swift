public import HeraldCore

/// MessageBird's legacy REST API (../shared/reference/providers.md section 11a):
/// `messagebird://ACCESS_KEY@default?from=Acme`. `Authorization: AccessKey ...`, JSON with
/// `recipients` as numbers without `+`, `201` with the message's `id`; errors as
/// `errors[]` with a numeric `code` and the `parameter` at fault.
public struct MessageBirdAdapter: ProviderAdapter {
    public let name: String
    public let channel = Channel.sms
    let accessKey: String
    /// A number without its `+` or an alphanumeric originator (at most 11 characters).
    public let originator: String
    public let base: String

    public static let options = ["from"]

    public init(url: ProviderURL) throws(ProviderURLError) {
        let options = try ProviderOptions(url, known: Self.options)
        name = options.name
        accessKey = try options.user("the access key")
        guard url.password == nil else { throw .invalid("messagebird takes only the access key before the @ (no :)") }
        let from = try ProviderOptions.checkedSender(
            options.required("from", "the originator: a number such as +31612345678 or a name such as Acme"), alphanumeric: true)
        originator = from.hasPrefix("+") ? String(from.dropFirst()) : from
        base = try options.base(default: "https://rest.messagebird.com")
    }

    var credential: HTTPField { HTTPField("Authorization", "AccessKey " + accessKey) }

    public func request(for message: OutgoingMessage, context: SendContext) throws(AssemblyError) -> OutboundRequest {
        guard case .sms(let sms) = message else { throw AssemblyError(.misconfigured, "messagebird sends SMS only") }
        return JSONRequest.post(
            "\(base)/messages", credential: credential,
            body: [
                "originator": .string(originator), "recipients": .array([.string(sms.toDigits)]), "body": .string(sms.text),
                "datacoding": .string(SMSLength(sms.text).encoding == .gsm7 ? "plain" : "unicode"),
            ])
    }

    public func classify(_ exchange: Exchange, context: SendContext) -> DeliveryOutcome {
        exchange.outcome { answer in classify(answer, now: context.now) }
    }

    func classify(_ answer: HTTPAnswer, now: Int64) -> DeliveryOutcome {
        let json = answer.json
        if (200..<300).contains(answer.status) {
            return .delivered(providerID: json?["id"]?.stringValue, code: answer.status)
        }
        let error = json?["errors"]?.items.first
        let code = error?["code"]?.codeText
        let detail = ProviderClassification.excerpt(error?["description"]?.stringValue)
        let meaning = code.flatMap { Self.meaning($0, parameter: error?["parameter"]?.stringValue) }
        return .failed(ErrorMeaning.failure(meaning, answer: answer, providerCode: code, now: now, detail: detail))
    }

    /// MessageBird's codes. 9 (missing or no correct value) and 10 (invalid value) say
    /// nothing by themselves: the `parameter` tells whose fault it is. `recipients` is the
    /// recipient's (`no (correct) recipients found`: fails at once, no other provider
    /// would take the number either); `originator` is the sender's (this account cannot
    /// send as it: another provider may); an empty `body` is the message's; any other
    /// parameter is Herald's request, so the provider's to mend.
    static func meaning(_ code: String, parameter: String?) -> ErrorMeaning? {
        switch code {
        case "2": return ErrorMeaning(.providerAuthFailed, .provider)  // request not allowed (access key)
        case "25": return ErrorMeaning(.quotaExceeded, .provider)  // not enough balance
        case "99": return ErrorMeaning(.providerUnavailable, .transient, ambiguous: true)  // internal error
        case "20", "21", "98": return ErrorMeaning(.invalidRequest, .provider)  // not found, bad request, API not found
        case "9", "10":
            switch parameter {
            case "recipients", "recipient": return ErrorMeaning(.badRecipient, .recipient)
            case "originator": return ErrorMeaning(.senderRefused, .provider)
            case "body": return ErrorMeaning(code == "9" ? .noContent : .rejected, .recipient)
            default: return ErrorMeaning(.invalidRequest, .provider)
            }
        default: return nil
        }
    }

    /// The balance: whether the key works and what credit is left.
    public func probe() -> OutboundRequest? {
        JSONRequest.get("\(base)/balance", credential: credential)
    }

    public func judgeProbe(_ exchange: Exchange) -> ProbeVerdict {
        guard case .answered(let answer) = exchange, answer.status == 200 else { return ProbeVerdict.standard(exchange) }
        let json = answer.json
        guard let balance = json?["amount"]?.decimalValue else { return .problem("the balance answer has no amount") }
        let payment = json?["payment"]?.stringValue ?? "unknown"
        let unit = json?["type"]?.stringValue ?? "credits"
        if payment == "prepaid", balance <= 0 {
            return .problem("the prepaid balance is \(amount(balance)) \(unit): top up the MessageBird account")
        }
        return .ok("the access key is accepted; balance \(amount(balance)) \(unit) (\(payment))")
    }
}
