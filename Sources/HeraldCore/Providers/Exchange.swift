/// What came of sending an ``OutboundRequest``: an answer, or a transport failure.
public enum Exchange: Sendable, Equatable {
    case answered(HTTPAnswer)
    case failed(TransportFailure)
}

/// A provider's HTTP answer.
public struct HTTPAnswer: Sendable, Equatable {
    public var status: Int
    /// In the order received; names as the server sent them.
    public var headers: [HTTPField]
    public var body: [UInt8]

    public init(status: Int, headers: [HTTPField] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body as text (lossy for non-UTF-8 bytes).
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as JSON, if it is.
    public var json: JSONValue? { try? JSONValue.parse(body) }
}

/// Why no answer came. The transport maps libcurl's codes to these once; adapters and
/// the delivery logic never see a curl code.
public enum TransportFailure: Sendable, Equatable {
    /// The host name did not resolve: nothing was sent.
    case resolve
    /// No connection: nothing was sent.
    case connect
    /// The TLS handshake failed (`certificate`: the peer's certificate was not trusted):
    /// nothing was sent.
    case tls(certificate: Bool)
    /// No (complete) answer in time. `afterSend`: the request had left, so the provider
    /// may have acted on it.
    case timeout(afterSend: Bool)
    /// The connection broke. `afterSend` as for `timeout`.
    case connectionLost(afterSend: Bool)
    /// The answer was larger than the transport accepts.
    case responseTooLarge
    /// The request could not even be set up (a bad URL, an option the library refused).
    case invalidRequest(String)

    /// Whether the provider may have received and acted on the request.
    public var mayHaveBeenSent: Bool {
        switch self {
        case .resolve, .connect, .tls, .invalidRequest: false
        case .timeout(let afterSend), .connectionLost(let afterSend): afterSend
        case .responseTooLarge: true
        }
    }

    /// A short stable description for attempt records and logs.
    public var summary: String {
        switch self {
        case .resolve: "host name did not resolve"
        case .connect: "could not connect"
        case .tls(let certificate): certificate ? "certificate not trusted" : "TLS handshake failed"
        case .timeout(let afterSend): afterSend ? "no answer in time after the request was sent" : "timed out before the request was sent"
        case .connectionLost(let afterSend): afterSend ? "connection lost after the request was sent" : "connection lost"
        case .responseTooLarge: "answer too large"
        case .invalidRequest(let detail): "request not sent: \(detail)"
        }
    }
}

/// Sends HTTP requests. One per worker thread and provider (it keeps its connection), so
/// implementations need not be thread-safe; calls block and never run on Swift's
/// cooperative pool.
public protocol HTTPTransport: AnyObject {
    func perform(_ request: OutboundRequest) -> Exchange
}
