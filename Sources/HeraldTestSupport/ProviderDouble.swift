import Foundation
public import HeraldCore
import HeraldHTTPServer
import Synchronization

/// A provider's API as a test sees it: a real HTTP server on 127.0.0.1 (libmicrohttpd, a
/// free port) that records every request and answers through a responder, which checks
/// what the real API checks and answers what it answers. A reply may also hang past the
/// client's timeout, or come after a delay.
public final class ProviderDouble: Sendable {
    public enum Reply: Sendable {
        case respond(HTTPResponse)
        /// Answer after `seconds` (longer than the client waits: a hang).
        case after(seconds: Double, HTTPResponse)
    }

    public typealias Responder = @Sendable (HTTPRequest) -> Reply

    private let server: HTTPServer
    private let handler: Handler
    public var port: UInt16 { server.port }
    /// `http://127.0.0.1:PORT`, for a provider URL's `?endpoint=`.
    public var endpoint: String { "http://127.0.0.1:\(server.port)" }

    public init(_ responder: @escaping Responder) throws {
        handler = Handler(responder: responder)
        server = try HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, threads: 2), handler: handler)
    }

    /// Every request received so far, oldest first.
    public var requests: [HTTPRequest] { handler.received.withLock { $0 } }

    /// Waits until `count` requests came (or the timeout passed) and returns them.
    public func waitForRequests(_ count: Int, timeout: Double = 10) -> [HTTPRequest] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let now = requests
            if now.count >= count { return now }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return requests
    }

    public func stop() {
        server.stop(drainSeconds: 0.5)
    }

    private final class Handler: HTTPHandler {
        let responder: Responder
        let received = Mutex<[HTTPRequest]>([])

        init(responder: @escaping Responder) {
            self.responder = responder
        }

        func handle(_ request: HTTPRequest) -> HandlerResult {
            received.withLock { $0.append(request) }
            switch responder(request) {
            case .respond(let response):
                return .respond(response)
            case .after(let seconds, let response):
                return .later { respond in
                    DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { respond(response) }
                }
            }
        }

        func serverRejected(_ request: HTTPRequest, status: Int, reason: String) {}
    }
}

extension HTTPRequest {
    /// The credentials of a `Basic` Authorization header.
    public var basicCredentials: (user: String, password: String)? {
        guard let header = header("authorization"), header.hasPrefix("Basic "),
            let data = Data(base64Encoded: String(header.dropFirst(6))), let text = String(data: data, encoding: .utf8),
            let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// The token of a `Bearer` Authorization header.
    public var bearerToken: String? {
        guard let header = header("authorization"), header.hasPrefix("Bearer ") else { return nil }
        return String(header.dropFirst(7))
    }

    /// The body as a form (`+` as space, %-escapes decoded).
    public var form: [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func unescape(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            fields[unescape(parts[0])] = parts.count > 1 ? unescape(parts[1]) : ""
        }
        return fields
    }

    /// The body as JSON.
    public var json: JSONValue? { try? JSONValue.parse(body) }
}

extension HTTPResponse {
    /// A JSON answer with extra headers.
    public static func json(_ status: Int, _ value: JSONValue, headers: [String: String] = [:]) -> HTTPResponse {
        .json(status, value.serialized(), headers: headers)
    }
}

/// A scripted sequence shared across threads: each call takes the next item, and the last
/// one repeats for ever.
public final class Script<Item: Sendable>: Sendable {
    private let items: Mutex<[Item]>

    public init(_ items: [Item]) {
        precondition(!items.isEmpty, "a script needs at least one item")
        self.items = Mutex(items)
    }

    public func next() -> Item {
        items.withLock { $0.count > 1 ? $0.removeFirst() : $0[0] }
    }
}
