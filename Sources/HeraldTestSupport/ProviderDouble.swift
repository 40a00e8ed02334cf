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
