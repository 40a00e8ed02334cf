/// The pure half of an HTTP provider: builds the request for a message and reads the
/// provider's answer. No I/O: table-tested against the provider's documented bodies.
public protocol ProviderAdapter: Sendable {
    /// The scheme (`twilio`) or the URL's `?name=`: recorded with each attempt, and the
    /// metrics label.
    var name: String { get }
    var channel: Channel { get }
    /// The request that sends `message`. Throws when the message cannot go out through
    /// this provider as it is (the failure is the message's, not the provider's).
    func request(for message: OutgoingMessage, context: SendContext) throws(AssemblyError) -> OutboundRequest
    /// What the exchange means for the message.
    func classify(_ exchange: Exchange, context: SendContext) -> DeliveryOutcome
    /// A request that sends nothing and tells whether the key, its permissions and the
    /// sender are good (`herald check --providers`); nil when the API has none.
    func probe() -> OutboundRequest?
    /// What the probe's exchange says.
    func judgeProbe(_ exchange: Exchange) -> ProbeVerdict
}

extension ProviderAdapter {
    public func judgeProbe(_ exchange: Exchange) -> ProbeVerdict {
        ProbeVerdict.standard(exchange)
    }
}

/// The result of a provider probe, worded for an operator. Never holds a credential.
public enum ProbeVerdict: Sendable, Equatable {
    case ok(String)
    case problem(String)

    public var isOK: Bool {
        if case .ok = self { return true }
        return false
    }

    /// 2xx: good; 401/403: the key; anything else: what came back.
    public static func standard(_ exchange: Exchange, ok: String = "the credentials are accepted") -> ProbeVerdict {
        switch exchange {
        case .failed(let failure):
            return .problem(failure.summary)
        case .answered(let answer):
            switch answer.status {
            case 200..<300: return .ok(ok)
            case 401: return .problem("the credentials are refused (HTTP 401): check the key in the URL")
            case 403: return .problem("the credentials lack a permission or are refused (HTTP 403)")
            case 404: return .problem("the account or resource was not found (HTTP 404): check the account id or domain in the URL")
            default: return .problem("unexpected answer HTTP \(answer.status)")
            }
        }
    }
}

/// Signs a request just before it leaves (AWS SigV4 covers the time). Implemented in
/// HeraldCrypto; the core only describes it.
public protocol RequestSigner: Sendable {
    func sign(_ request: OutboundRequest, at milliseconds: Int64) -> OutboundRequest
}
