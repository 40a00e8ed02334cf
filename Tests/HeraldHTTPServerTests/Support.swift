import Foundation
import HeraldCore
import HeraldHTTPServer
import Synchronization
import Testing

/// A handler for the server's own tests: routes by a closure and records what it saw.
final class TestHandler: HTTPHandler {
    private let route: @Sendable (HTTPRequest) -> HandlerResult
    private let seen = Mutex<[HTTPRequest]>([])
    private let rejections = Mutex<[(path: String, status: Int, reason: String)]>([])

    init(_ route: @escaping @Sendable (HTTPRequest) -> HandlerResult = TestHandler.echo) {
        self.route = route
    }

    func handle(_ request: HTTPRequest) -> HandlerResult {
        seen.withLock { $0.append(request) }
        return route(request)
    }

    func serverRejected(_ request: HTTPRequest, status: Int, reason: String) {
        rejections.withLock { $0.append((request.path, status, reason)) }
    }

    /// The requests handed to the handler so far.
    var requests: [HTTPRequest] { seen.withLock { $0 } }
    var rejected: [(path: String, status: Int, reason: String)] { rejections.withLock { $0 } }

    /// Answers 200 with the method, path and body size as text.
    static let echo: @Sendable (HTTPRequest) -> HandlerResult = { request in
        .respond(HTTPResponse(
            status: 200, headers: ["Content-Type": "text/plain"],
            body: Array("\(request.method) \(request.path) \(request.body.count)\n".utf8)))
    }
}

/// A server on 127.0.0.1 with a free port; stopped at the end of the test.
func startServer(
    _ handler: TestHandler = TestHandler(), _ configure: (inout HTTPServerConfiguration) -> Void = { _ in }
) throws -> HTTPServer {
    var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
    configure(&configuration)
    return try HTTPServer(configuration: configuration, handler: handler)
}

/// A response read off a raw socket.
struct RawResponse {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// A plain TCP client socket to 127.0.0.1 (optionally from another loopback address), for
/// requests no HTTP client would send.
final class TestSocket {
    let fd: Int32
    /// What came in and was not consumed by `readResponse` yet.
    private var buffer: [UInt8] = []
    private(set) var closedByPeer = false

    /// Connects to `127.0.0.1:port` from `source` (an address to bind first, e.g. 127.0.0.2).
    /// Reads time out after `timeout` seconds.
    init(port: UInt16, from source: String? = nil, timeout: Double = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var time = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        if let source {
            var local = Self.address(source, port: 0)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                close(fd)
                throw POSIXError(.EADDRNOTAVAIL)
            }
        }
        var remote = Self.address("127.0.0.1", port: port)
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
    }

    deinit { close(fd) }

    private static func address(_ text: String, port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr(text)
        return address
    }

    /// Sends all of `bytes`; false if the peer stopped taking them (closed or reset).
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Sends without blocking; false if the socket is gone.
    func trickle(_ byte: UInt8) -> Bool {
        var value = byte
        let sent = Glibc.send(fd, &value, 1, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
        return sent == 1 || (sent < 0 && errno == EAGAIN)
    }

    /// Reads once into the buffer; false at end of stream, reset or timeout.
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = recv(fd, &chunk, chunk.count, 0)
        if count <= 0 {
            if count == 0 || errno == ECONNRESET || errno == EPIPE { closedByPeer = true }
            return false
        }
        buffer.append(contentsOf: chunk[..<count])
        return true
    }

    /// Reads one response (a body of `Content-Length` bytes, none for HEAD); nil if the
    /// connection ends or times out first.
    func readResponse(head: Bool = false) -> RawResponse? {
        let separator = Array("\r\n\r\n".utf8)
        var end: Int?
        while end == nil {
            end = buffer.indices.first { buffer[$0...].starts(with: separator) }
            if end == nil && !fill() { return nil }
        }
        guard let end else { return nil }
        let lines = String(decoding: buffer[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = head ? 0 : Int(headers["content-length"] ?? "0") ?? 0
        let start = end + separator.count
        while buffer.count < start + length {
            if !fill() { return nil }
        }
        let body = Array(buffer[start..<(start + length)])
        buffer.removeFirst(start + length)
        return RawResponse(status: status, headers: headers, body: body)
    }

    /// True if the server closes the connection within `timeout` seconds (what arrives
    /// meanwhile is kept for `readResponse`).
    func closesWithin(_ timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let wait = max(1, Int32(deadline.timeIntervalSinceNow * 1000))
            if poll(&ready, 1, wait) > 0 && !fill() && closedByPeer { return true }
        }
        return false
    }

    /// Everything until the server closes (or the read times out).
    func readToEnd() -> [UInt8] {
        while fill() {}
        defer { buffer = [] }
        return buffer
    }
}

/// A GET for `path` on a fresh connection, answered and closed.
func get(_ port: UInt16, _ path: String, method: String = "GET") throws -> RawResponse? {
    let socket = try TestSocket(port: port)
    socket.send("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    return socket.readResponse(head: method == "HEAD")
}

/// Waits until `condition` holds or `timeout` passes; says whether it held.
func eventually(_ timeout: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.01)
    }
    return condition()
}

/// Raises the soft limit on open files to at least `count` (up to the hard limit).
func raiseOpenFileLimit(to count: Int) {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    let wanted = min(rlim_t(count), limit.rlim_max)
    if limit.rlim_cur < wanted {
        limit.rlim_cur = wanted
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
