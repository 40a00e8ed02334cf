public import HeraldCore

/// Postmark's Email API (../shared/reference/providers.md section 2):
/// `postmark://SERVER_TOKEN@default[?message_stream=outbound]`. Postmark's test token
/// `POSTMARK_API_TEST` checks the request and delivers nothing.
public struct PostmarkAdapter: ProviderAdapter {
    public let name: String
    public let channel = Channel.email
    let serverToken: String
    /// The transactional stream unless told otherwise.
    public let messageStream: String
    public let base: String

    public static let options = ["message_stream"]

    public init(url: ProviderURL) throws(ProviderURLError) {
        let options = try ProviderOptions(url, known: Self.options)
        name = options.name
        serverToken = try options.soleKey("the server API token", example: "postmark://SERVER_TOKEN@default")
        messageStream = url.option("message_stream") ?? "outbound"
        guard (1...100).contains(messageStream.count), messageStream.unicodeScalars.allSatisfy(EmailJSON.isTagScalar) else {
            throw .invalid("message_stream must be a stream id of letters, digits, - and _ (e.g. outbound)")
        }
        base = try options.base(default: "https://api.postmarkapp.com")
    }

    var token: HTTPField { HTTPField("X-Postmark-Server-Token", serverToken) }

    public func request(for message: OutgoingMessage, context: SendContext) throws(AssemblyError) -> OutboundRequest {
        let email = try EmailJSON.email(message, provider: "postmark")
        var body: [String: JSONValue] = [
            "From": .string(EmailJSON.string(email.from)),
            "To": .string(email.to.address),
            "Subject": .string(email.subject),
            "MessageStream": .string(messageStream),
            // Postmark's bounce, delivery and open webhooks carry Metadata: it names the message.
            "Metadata": .object(Dictionary(uniqueKeysWithValues: EmailJSON.correlation(context).map { ($0.name, JSONValue.string($0.value)) })),
            // Sign-in codes and links: no tracking pixel, no rewritten links.
            "TrackOpens": .bool(false),
            "TrackLinks": .string("None"),
        ]
        if let text = email.text { body["TextBody"] = .string(text) }
        if let html = email.html { body["HtmlBody"] = .string(html) }
        if let replyTo = email.replyTo { body["ReplyTo"] = .string(EmailJSON.string(replyTo)) }
        if let slug = context.slug, !slug.isEmpty { body["Tag"] = .string(String(slug.prefix(1000))) }
        return EmailJSON.request("POST", "\(base)/email", headers: [token], body: .object(body))
    }

    public func classify(_ exchange: Exchange, context: SendContext) -> DeliveryOutcome {
        let answer: HTTPAnswer
        switch exchange {
        case .failed(let failure): return .failed(ProviderClassification.failure(failure))
        case .answered(let answered): answer = answered
        }
        // {"To":"...","SubmittedAt":"...","MessageID":"b7bc2f4a-...","ErrorCode":0,"Message":"OK"}
        let json = answer.json
        let code = json?["ErrorCode"]?.codeText
        if (200..<300).contains(answer.status), code == nil || code == "0" {
            return .delivered(providerID: json?["MessageID"]?.stringValue, code: answer.status)
        }
        let detail = ProviderClassification.excerpt(json?["Message"]?.stringValue)
        if let code, let known = Self.errors[code] {
            return .failed(Failure(known.code, scope: known.scope, status: answer.status, providerCode: code, detail: detail))
        }
        return .failed(ProviderClassification.failure(
            status: answer.status, headers: answer.headers, now: context.now, providerCode: code == "0" ? nil : code, detail: detail))
    }

    /// Postmark's ErrorCode values that say more than the HTTP status (422 for most).
    static let errors: [String: (code: FailureCode, scope: Failure.Scope)] = [
        "10": (.providerAuthFailed, .provider),  // bad or missing server token
        "300": (.invalidRequest, .recipient),  // invalid email request (an illegal address, no body): as it is, nobody takes it
        "406": (.recipientUnsubscribed, .recipient),  // inactive recipient: bounced, complained or unsubscribed before
        "400": (.senderRefused, .provider),  // no sender signature for From
        "401": (.senderRefused, .provider),  // sender signature not confirmed
        "412": (.senderRefused, .provider),  // account pending approval: only its own domain
        "413": (.senderRefused, .provider),  // the account may not send
        "405": (.quotaExceeded, .provider),  // not allowed to send: out of credits
        "402": (.invalidRequest, .provider),  // invalid JSON
        "403": (.invalidRequest, .provider),  // incompatible JSON
        "409": (.invalidRequest, .provider),  // JSON required
    ]

    /// The server the token belongs to. Nothing is sent.
    public func probe() -> OutboundRequest? {
        EmailJSON.request("GET", "\(base)/server", headers: [token], body: nil)
    }

    public func judgeProbe(_ exchange: Exchange) -> ProbeVerdict {
        guard case .answered(let answer) = exchange, answer.status == 200 else {
            if case .answered(let answer) = exchange, answer.status == 401 {
                return .problem("Postmark refuses the server token (HTTP 401): use a server token (not an account token) in the URL")
            }
            return ProbeVerdict.standard(exchange)
        }
        // The answer lists the server's tokens too: only its name and type are shown.
        let json = answer.json
        let server = json?["Name"]?.stringValue.map { "server \"\(ProviderClassification.excerpt($0) ?? "")\"" } ?? "the server"
        if json?["DeliveryType"]?.stringValue == "Sandbox" {
            return .problem("\(server) is a sandbox server: Postmark accepts mail there and delivers none")
        }
        return .ok("\(server) accepts the token (message stream \(messageStream))")
    }
}
