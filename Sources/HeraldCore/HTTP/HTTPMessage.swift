/// An HTTP request as handlers see it, independent of the server library.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path exactly as sent (not percent-decoded), without the query string: route on
    /// it as it stands, so that `/%6detrics` is not `/metrics`.
    public var path: String
    /// Header names in lower case; the first value of a repeated header.
    public var headers: [String: String]
    public var body: [UInt8]
    public var remoteAddress: String?

    public init(method: String, path: String, headers: [String: String] = [:], body: [UInt8] = [], remoteAddress: String? = nil) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// Case-insensitive header lookup.
    public func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }
}

/// An HTTP response.
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response; `json` must already be JSON text.
    public static func json(_ status: Int, _ json: String, headers: [String: String] = [:]) -> HTTPResponse {
        var all = headers
        all["Content-Type"] = "application/json"
        return HTTPResponse(status: status, headers: all, body: Array((json + "\n").utf8))
    }

    /// `{"error": code, "message": text}`.
    public static func error(_ status: Int, code: String, message: String, headers: [String: String] = [:]) -> HTTPResponse {
        json(status, "{\"error\":\(JSONValue.quote(code)),\"message\":\(JSONValue.quote(message))}", headers: headers)
    }
}

/// What a handler does with a request: answer now, or start work that answers later
/// (the connection waits without holding a thread).
public enum HandlerResult: Sendable {
    case respond(HTTPResponse)
    /// The server calls the closure once with a completion; the work calls that exactly once.
    case later(@Sendable (_ respond: @escaping @Sendable (HTTPResponse) -> Void) -> Void)

    /// The response of a `.respond` result (for tests).
    public var immediate: HTTPResponse? {
        if case .respond(let response) = self { return response }
        return nil
    }
}

/// Handles requests. Called on the server's event threads: it must not block; slow work
/// (a store commit) goes through ``HandlerResult/later(_:)``.
public protocol HTTPHandler: Sendable {
    func handle(_ request: HTTPRequest) -> HandlerResult
    /// Told when the server itself rejected a request (body too large, ambiguous framing,
    /// shutting down), for logs and metrics; `reason` is a short stable code.
    func serverRejected(_ request: HTTPRequest, status: Int, reason: String)
}
