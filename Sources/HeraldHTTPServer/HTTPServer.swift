private import CMicroHTTPD
import Foundation
public import HeraldCore
import Synchronization

/// An HTTP/1.1 server on GNU libmicrohttpd: a small pool of event threads (epoll), request
/// bodies capped (413, also for chunked bodies), ambiguous framing refused, paths handed on
/// as sent, idle connections timed out, each request given a deadline to arrive whole,
/// connections limited in total and per client IP. A handler that answers later suspends
/// its connection, which then holds no thread until the answer comes.
public final class HTTPServer: Sendable {
    private let daemon: Mutex<OpaquePointer?>
    private let context: Unmanaged<ServerContext>
    /// The port actually bound.
    public let port: UInt16
    public let host: String

    public init(configuration: HTTPServerConfiguration, handler: any HTTPHandler) throws {
        let context = Unmanaged.passRetained(ServerContext(handler: handler, configuration: configuration))
        var storage = sockaddr_storage()
        let isIPv6: Bool
        do {
            isIPv6 = try Self.fill(&storage, host: configuration.host, port: configuration.port)
        } catch {
            context.release()
            throw error
        }
        let started = withUnsafeBytes(of: &storage) { address in
            startDaemon(configuration, address: address.baseAddress!, isIPv6: isIPv6, context: context.toOpaque())
        }
        guard let started else {
            context.release()
            throw HTTPServerError(
                description: "cannot listen on \(configuration.host):\(configuration.port) (address in use or not available)")
        }
        context.takeUnretainedValue().watchdog.start()
        self.port = boundPort(started)
        self.daemon = Mutex(started)
        self.context = context
        self.host = configuration.host
    }

    /// Stops accepting connections and waits (up to `drainSeconds`) for answers still being
    /// prepared; meanwhile every answer closes its connection. At the deadline, requests
    /// still waiting are answered 503 `shutting_down` with `Retry-After` (their handlers'
    /// answers, if they come, are dropped). Then every connection is closed and the threads
    /// stop.
    public func stop(drainSeconds: Double = 30) {
        let current = daemon.withLock { value -> OpaquePointer? in
            defer { value = nil }
            return value
        }
        guard let current else { return }
        let context = context.takeUnretainedValue()
        context.draining.store(true, ordering: .releasing)
        // No MHD_quiesce_daemon: with the epoll thread pool it races the workers' own removal
        // of the listen socket (at the connection limit) and libmicrohttpd aborts the process
        // ("Failed to remove listen FD from epoll set", 0.9.75). Requests that arrive during
        // the drain are served as usual, their connections closed after the answer.
        let deadline = Date().addingTimeInterval(drainSeconds)
        while context.inFlight.load(ordering: .acquiring) > 0 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.005)
        }
        for state in context.answerAllWaiting(with: shuttingDownResponse) {
            context.handler.serverRejected(state.request, status: 503, reason: "shutting_down")
        }
        // libmicrohttpd aborts the process if it is stopped with a connection suspended.
        // Every one has been resumed now, or is being resumed by an answer that claimed it
        // first (a few instructions away).
        while context.inFlight.load(ordering: .acquiring) > 0 {
            Thread.sleep(forTimeInterval: 0.001)
        }
        // Let libmicrohttpd send those answers (and the 503s) before it closes every connection.
        let sent = max(deadline, Date().addingTimeInterval(1))
        while context.answersUnsent.load(ordering: .acquiring) > 0 && Date() < sent {
            Thread.sleep(forTimeInterval: 0.005)
        }
        MHD_stop_daemon(current)
        context.watchdog.stop()
    }

    /// Requests whose answer is still being prepared.
    public var requestsInFlight: Int { context.takeUnretainedValue().inFlight.load(ordering: .relaxed) }

    /// Connections cut so far for being too slow (request deadline, idle between requests,
    /// or room needed for new clients).
    public var connectionsCut: Int { context.takeUnretainedValue().watchdog.cuts }

    deinit {
        stop()
        context.release()
    }

    private static func fill(_ storage: inout sockaddr_storage, host: String, port: UInt16) throws -> Bool {
        let literal = host == "localhost" ? "127.0.0.1" : (host == "*" ? "0.0.0.0" : host)
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, literal, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            withUnsafeBytes(of: &v4) { source in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: source) } }
            return false
        }
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET6, literal, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            withUnsafeBytes(of: &v6) { source in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: source) } }
            return true
        }
        throw HTTPServerError(description: "listen address '\(host)' is not an IP address (use e.g. 127.0.0.1, ::1 or 0.0.0.0)")
    }
}
