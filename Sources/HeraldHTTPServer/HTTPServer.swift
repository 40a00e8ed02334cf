private import CMicroHTTPD
import Foundation
public import HeraldCore
import Synchronization

/// Limits and address of the HTTP server.
public struct HTTPServerConfiguration: Sendable {
    /// An IP literal (`127.0.0.1`, `::1`, `0.0.0.0`, `::`) or `localhost`.
    public var host: String
    /// 0 picks a free port (see ``HTTPServer/port``).
    public var port: UInt16
    public var maxBodyBytes: Int
    public var connectionLimit: Int
    public var perIPConnectionLimit: Int
    /// Idle seconds before a connection is closed.
    public var connectionTimeoutSeconds: Int
    /// Event threads (each runs epoll over its share of the connections).
    public var threads: Int

    /// One event thread per core, at least two.
    public static var defaultThreads: Int { max(2, ProcessInfo.processInfo.activeProcessorCount) }

    public init(
        host: String = "127.0.0.1", port: UInt16 = 8787, maxBodyBytes: Int = 1 << 20, connectionLimit: Int = 1024,
        perIPConnectionLimit: Int = 512, connectionTimeoutSeconds: Int = 30,
        threads: Int = HTTPServerConfiguration.defaultThreads
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.connectionLimit = connectionLimit
        self.perIPConnectionLimit = perIPConnectionLimit
        self.connectionTimeoutSeconds = connectionTimeoutSeconds
        self.threads = threads
    }
}

public struct HTTPServerError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// An HTTP/1.1 server on GNU libmicrohttpd: a small pool of event threads (epoll), request
/// bodies capped (413, also for chunked bodies), idle connections timed out, connections
/// limited in total and per client IP. A handler that answers later suspends its
/// connection, which then holds no thread until the answer comes.
public final class HTTPServer: Sendable {
    private let daemon: Mutex<OpaquePointer?>
    private let context: Unmanaged<ServerContext>
    /// The port actually bound.
    public let port: UInt16
    public let host: String

    public init(configuration: HTTPServerConfiguration, handler: any HTTPHandler) throws {
        let context = Unmanaged.passRetained(ServerContext(handler: handler, maxBodyBytes: configuration.maxBodyBytes))
        var storage = sockaddr_storage()
        let isIPv6: Bool
        do {
            isIPv6 = try Self.fill(&storage, host: configuration.host, port: configuration.port)
        } catch {
            context.release()
            throw error
        }
        var flags = MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_AUTO.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue | MHD_USE_TURBO.rawValue
        if isIPv6 { flags |= MHD_USE_IPv6.rawValue }
        let started = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                cmhd_start(
                    flags, accessHandler, context.toOpaque(), requestCompleted, nil, address,
                    UInt32(configuration.connectionLimit), UInt32(configuration.perIPConnectionLimit),
                    UInt32(configuration.connectionTimeoutSeconds), 512, UInt32(max(1, configuration.threads)))
            }
        }
        guard let started else {
            context.release()
            throw HTTPServerError(
                description: "cannot listen on \(configuration.host):\(configuration.port) (address in use or not available)")
        }
        self.port = cmhd_bound_port(started)
        self.daemon = Mutex(started)
        self.context = context
        self.host = configuration.host
    }

    /// Stops accepting connections, waits (up to `drainSeconds`) for answers still being
    /// prepared, then closes every connection and stops the threads.
    public func stop(drainSeconds: Double = 30) {
        let current = daemon.withLock { value -> OpaquePointer? in
            defer { value = nil }
            return value
        }
        guard let current else { return }
        let listener = MHD_quiesce_daemon(current)
        let deadline = Date().addingTimeInterval(drainSeconds)
        while context.takeUnretainedValue().inFlight.load(ordering: .acquiring) > 0 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.005)
        }
        MHD_stop_daemon(current)
        if listener >= 0 { close(listener) }
    }

    /// Requests whose answer is still being prepared.
    public var requestsInFlight: Int { context.takeUnretainedValue().inFlight.load(ordering: .relaxed) }

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

/// What the C callbacks reach through their context pointer: immutable or atomic, so Sendable.
private final class ServerContext: Sendable {
    let handler: any HTTPHandler
    let maxBodyBytes: Int
    let inFlight = Atomic<Int>(0)

    init(handler: any HTTPHandler, maxBodyBytes: Int) {
        self.handler = handler
        self.maxBodyBytes = maxBodyBytes
    }
}

/// Per-request state behind `*con_cls`, from the first callback to `requestCompleted`.
/// The `var`s are only touched by the connection's event thread (one at a time, also
/// across suspend and resume); `pending` crosses threads behind its mutex.
private final class RequestState: @unchecked Sendable {
    var request: HTTPRequest
    var tooLarge = false
    var responded = false
    var suspended = false
    /// Bytes read and thrown away after the body went over the limit.
    var discarded = 0
    let pending = Mutex<HTTPResponse?>(nil)

    init(request: HTTPRequest) {
        self.request = request
    }
}

private let headerCollector: MHD_KeyValueIterator = { cls, _, key, value in
    guard let cls, let key else { return .YES }
    let state = Unmanaged<RequestState>.fromOpaque(cls).takeUnretainedValue()
    let name = String(cString: key).lowercased()
    if state.request.headers[name] == nil {
        state.request.headers[name] = value.map { String(cString: $0) } ?? ""
    }
    return .YES
}

private func clientAddress(_ connection: OpaquePointer?) -> String? {
    guard let address = cmhd_client_address(connection) else { return nil }
    var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
    switch Int32(address.pointee.sa_family) {
    case AF_INET:
        var v4 = UnsafeRawPointer(address).loadUnaligned(as: sockaddr_in.self)
        inet_ntop(AF_INET, &v4.sin_addr, &buffer, socklen_t(buffer.count))
    case AF_INET6:
        var v6 = UnsafeRawPointer(address).loadUnaligned(as: sockaddr_in6.self)
        inet_ntop(AF_INET6, &v6.sin6_addr, &buffer, socklen_t(buffer.count))
    default:
        return nil
    }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

@discardableResult
private func send(_ response: HTTPResponse, on connection: OpaquePointer?) -> MHD_Result {
    let raw = response.body.withUnsafeBytes { buffer in
        MHD_create_response_from_buffer(buffer.count, UnsafeMutableRawPointer(mutating: buffer.baseAddress), .RESPMEM_MUST_COPY)
    }
    guard let raw else { return .NO }
    for (name, value) in response.headers {
        MHD_add_response_header(raw, name, value)
    }
    let result = MHD_queue_response(connection, UInt32(response.status), raw)
    MHD_destroy_response(raw)
    return result
}

private let tooLargeResponse = HTTPResponse.error(413, code: "payload_too_large", message: "request body exceeds the limit")

private let accessHandler: MHD_AccessHandlerCallback = { cls, connection, url, method, _, uploadData, uploadDataSize, conCls in
    guard let cls, let conCls, let uploadDataSize else { return .NO }
    let context = Unmanaged<ServerContext>.fromOpaque(cls).takeUnretainedValue()

    guard let existing = conCls.pointee else {
        // First call: the headers are in; no body yet.
        let rawPath = url.map { String(cString: $0) } ?? "/"
        let path = rawPath.split(separator: "?", maxSplits: 1).first.map(String.init) ?? rawPath
        let state = RequestState(request: HTTPRequest(
            method: method.map { String(cString: $0) } ?? "GET", path: path, remoteAddress: clientAddress(connection)))
        let unmanaged = Unmanaged.passRetained(state)
        conCls.pointee = unmanaged.toOpaque()
        MHD_get_connection_values(connection, .HEADER_KIND, headerCollector, unmanaged.toOpaque())
        if let length = state.request.headers["content-length"].flatMap(Int.init), length > context.maxBodyBytes {
            state.tooLarge = true
            state.responded = true
            context.handler.serverRejected(state.request, status: 413, reason: "payload_too_large")
            return send(tooLargeResponse, on: connection)
        }
        return .YES
    }
    let state = Unmanaged<RequestState>.fromOpaque(existing).takeUnretainedValue()
    let size = uploadDataSize.pointee
    if size > 0 {
        uploadDataSize.pointee = 0
        if state.tooLarge {
            // libmicrohttpd cannot answer before the body is read: drain it (bounded), then
            // answer 413. A sender that goes on far past the limit is cut off.
            state.discarded += size
            return state.discarded > max(4 * context.maxBodyBytes, 8 << 20) ? .NO : .YES
        }
        if state.request.body.count + size > context.maxBodyBytes {
            state.tooLarge = true
            state.discarded = state.request.body.count + size
            state.request.body = []
            context.handler.serverRejected(state.request, status: 413, reason: "payload_too_large")
            return .YES
        }
        if let uploadData {
            UnsafeRawBufferPointer(start: uploadData, count: size).withMemoryRebound(to: UInt8.self) {
                state.request.body.append(contentsOf: $0)
            }
        }
        return .YES
    }
    if state.tooLarge && !state.responded {
        state.responded = true
        return send(tooLargeResponse, on: connection)
    }
    if state.suspended {
        // Resumed: the answer is ready.
        state.suspended = false
        state.responded = true
        guard let response = state.pending.withLock({ $0.take() }) else { return .NO }
        return send(response, on: connection)
    }
    if state.responded { return .YES }
    switch context.handler.handle(state.request) {
    case .respond(let response):
        state.responded = true
        return send(response, on: connection)
    case .later(let start):
        state.suspended = true
        context.inFlight.add(1, ordering: .acquiringAndReleasing)
        MHD_suspend_connection(connection)
        let suspended = SuspendedConnection(pointer: connection)
        let answered = AnswerOnce()
        start { response in
            guard answered.claim() else { return }
            state.pending.withLock { $0 = response }
            MHD_resume_connection(suspended.pointer)
            context.inFlight.subtract(1, ordering: .acquiringAndReleasing)
        }
        return .YES
    }
}

/// Makes sure a connection is resumed once, even if a handler answers twice.
private final class AnswerOnce: Sendable {
    private let done = Atomic<Bool>(false)
    func claim() -> Bool { !done.exchange(true, ordering: .acquiringAndReleasing) }
}

/// A suspended connection, resumed from another thread (MHD_resume_connection is
/// documented as safe to call from any thread, at any time).
private struct SuspendedConnection: @unchecked Sendable {
    let pointer: OpaquePointer?
}

private let requestCompleted: MHD_RequestCompletedCallback = { _, _, conCls, _ in
    guard let conCls, let existing = conCls.pointee else { return }
    Unmanaged<RequestState>.fromOpaque(existing).release()
    conCls.pointee = nil
}
