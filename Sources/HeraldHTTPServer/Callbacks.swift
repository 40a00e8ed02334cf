private import CMicroHTTPD
import Foundation
import HeraldCore
import Synchronization

// libmicrohttpd's callbacks, all on the event threads (a connection stays on one), all
// reaching the `ServerContext` through their `cls`. Global closures: they capture nothing.

/// Starts the daemon on `address` with the callbacks below; nil if it cannot listen.
func startDaemon(
    _ configuration: HTTPServerConfiguration, address: UnsafeRawPointer, isIPv6: Bool, context: UnsafeMutableRawPointer
) -> OpaquePointer? {
    var flags =
        MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_AUTO.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue
        | MHD_USE_TURBO.rawValue
    if isIPv6 { flags |= MHD_USE_IPv6.rawValue }
    return cmhd_start(
        flags, accessHandler, context, requestCompleted, connectionNotified, requestLineLogged, leaveEscaped,
        address.assumingMemoryBound(to: sockaddr.self),
        UInt32(configuration.connectionLimit), UInt32(configuration.perIPConnectionLimit),
        UInt32(configuration.connectionTimeoutSeconds), 512, UInt32(max(1, configuration.threads)))
}

func boundPort(_ daemon: OpaquePointer) -> UInt16 { cmhd_bound_port(daemon) }

private func serverContext(_ cls: UnsafeMutableRawPointer) -> ServerContext {
    Unmanaged<ServerContext>.fromOpaque(cls).takeUnretainedValue()
}

/// A connection opens or closes: the watchdog keeps a record of it while it is open.
private let connectionNotified: MHD_NotifyConnectionCallback = { cls, connection, socketContext, event in
    guard let cls, let socketContext else { return }
    let watchdog = serverContext(cls).watchdog
    switch event {
    case .CONNECTION_NOTIFY_STARTED:
        let record = watchdog.opened(fd: cmhd_connection_fd(connection))
        socketContext.pointee = Unmanaged.passRetained(record).toOpaque()
    case .CONNECTION_NOTIFY_CLOSED:
        guard let stored = socketContext.pointee else { return }
        let record = Unmanaged<ConnectionRecord>.fromOpaque(stored)
        watchdog.closed(record.takeUnretainedValue())
        record.release()
        socketContext.pointee = nil
    @unknown default:
        return
    }
}

private func connectionRecord(_ connection: OpaquePointer?) -> ConnectionRecord? {
    cmhd_socket_context(connection).map { Unmanaged<ConnectionRecord>.fromOpaque($0).takeUnretainedValue() }
}

/// The request line is in: the request's state begins here, with the length of the raw
/// target (which libmicrohttpd then cuts at `?` and hands on as a C string).
private let requestLineLogged: cmhd_uri_logger = { _, uri, connection in
    let record = connectionRecord(connection)
    record?.requestLineArrived()
    let state = RequestState(targetLength: uri.map { strlen($0) }, connection: record)
    return Unmanaged.passRetained(state).toOpaque()
}

/// Leaves the path (and query arguments) exactly as sent: routing must see what a proxy in
/// front saw, not `/metrics` for `/%6detrics` or `/metrics%00`.
private let leaveEscaped: cmhd_unescaper = { _, _, text in
    text.map { strlen($0) } ?? 0
}

private let headerCollector: MHD_KeyValueIterator = { cls, _, key, value in
    guard let cls, let key else { return .YES }
    let state = Unmanaged<RequestState>.fromOpaque(cls).takeUnretainedValue()
    let name = String(cString: key).lowercased()
    let text = value.map { String(cString: $0) } ?? ""
    switch name {
    case "content-length": state.contentLengths.append(text)
    case "transfer-encoding": state.transferEncodings.append(text)
    default: break
    }
    if state.request.headers[name] == nil { state.request.headers[name] = text }
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
private func send(_ response: HTTPResponse, on connection: OpaquePointer?, _ context: ServerContext) -> MHD_Result {
    let raw = response.body.withUnsafeBytes { buffer in
        MHD_create_response_from_buffer(buffer.count, UnsafeMutableRawPointer(mutating: buffer.baseAddress), .RESPMEM_MUST_COPY)
    }
    guard let raw else { return .NO }
    for (name, value) in response.headers {
        MHD_add_response_header(raw, name, value)
    }
    if context.draining.load(ordering: .relaxed) && response.headers["Connection"] == nil {
        MHD_add_response_header(raw, "Connection", "close")
    }
    let result = MHD_queue_response(connection, UInt32(response.status), raw)
    MHD_destroy_response(raw)
    return result
}

private let tooLargeResponse = HTTPResponse.error(
    413, code: "payload_too_large", message: "request body exceeds the limit", headers: ["Connection": "close"])

private let accessHandler: MHD_AccessHandlerCallback = { cls, connection, url, method, version, uploadData, uploadDataSize, conCls in
    guard let cls, let conCls, let uploadDataSize else { return .NO }
    let context = serverContext(cls)
    let state: RequestState
    if let existing = conCls.pointee {
        state = Unmanaged<RequestState>.fromOpaque(existing).takeUnretainedValue()
    } else {
        // The request-line callback always made one; this is only a safety net.
        state = RequestState(targetLength: nil, connection: connectionRecord(connection))
        conCls.pointee = Unmanaged.passRetained(state).toOpaque()
    }
    if !state.headersSeen {
        state.headersSeen = true
        return headersArrived(state, context, connection, url, method, version)
    }
    let size = uploadDataSize.pointee
    if size > 0 {
        uploadDataSize.pointee = 0
        return bodyArrived(state, context, uploadData, size)
    }
    return requestArrived(state, context, connection)
}

/// First call: the headers are in, no body yet.
private func headersArrived(
    _ state: RequestState, _ context: ServerContext, _ connection: OpaquePointer?, _ url: UnsafePointer<CChar>?,
    _ method: UnsafePointer<CChar>?, _ version: UnsafePointer<CChar>?
) -> MHD_Result {
    state.request = HTTPRequest(
        method: method.map { String(cString: $0) } ?? "GET", path: url.map { String(cString: $0) } ?? "/",
        remoteAddress: clientAddress(connection))
    MHD_get_connection_values(connection, .HEADER_KIND, headerCollector, Unmanaged.passUnretained(state).toOpaque())
    let refusal =
        targetRefusal(state, url, version)
        ?? RequestFraming.check(contentLengths: state.contentLengths, transferEncodings: state.transferEncodings)
    if let refusal {
        // Answered before the body: libmicrohttpd reads nothing more and closes the connection.
        return answerNow(refusal.response, reason: refusal.code, state, context, connection)
    }
    if let length = state.contentLengths.first.flatMap({ Int($0) }), length > context.maxBodyBytes {
        state.tooLarge = true
        // A sender that waits for "100 Continue" has sent nothing yet; a body beyond the
        // drain limit is not worth reading. Both hear now. Any other sender is writing its
        // body and would read a reset instead of the answer: its body is read and dropped.
        let waits = state.request.headers["expect"]?.lowercased() == "100-continue"
        if waits || length > context.drainLimit {
            return answerNow(tooLargeResponse, reason: "payload_too_large", state, context, connection)
        }
        context.handler.serverRejected(state.request, status: 413, reason: "payload_too_large")
    }
    return .YES
}

/// libmicrohttpd hands the target on as a C string, so a NUL byte in the request line
/// cuts it (`/metrics\0.css` would be `/metrics`). The version follows the target in the
/// same line: if the target's length up to its first NUL does not reach the version, the
/// line held a NUL.
private func targetRefusal(
    _ state: RequestState, _ url: UnsafePointer<CChar>?, _ version: UnsafePointer<CChar>?
) -> RequestFraming.Rejection? {
    guard let length = state.targetLength, let url, let version else { return nil }
    guard UnsafeRawPointer(version) - UnsafeRawPointer(url) != length + 1 else { return nil }
    return RequestFraming.Rejection(status: 400, code: "bad_request_target", message: "the request target holds a NUL byte")
}

private func answerNow(
    _ response: HTTPResponse, reason: String, _ state: RequestState, _ context: ServerContext, _ connection: OpaquePointer?
) -> MHD_Result {
    state.responded = true
    state.connection?.enter(.handling)
    context.handler.serverRejected(state.request, status: response.status, reason: reason)
    return send(response, on: connection, context)
}

private func bodyArrived(_ state: RequestState, _ context: ServerContext, _ data: UnsafePointer<CChar>?, _ size: Int) -> MHD_Result {
    if state.tooLarge {
        // Read and dropped, so that the sender gets to read its 413; a sender that goes on
        // far past the limit (chunked) is cut off.
        state.discarded += size
        return state.discarded > context.drainLimit ? .NO : .YES
    }
    if state.request.body.count + size > context.maxBodyBytes {
        state.tooLarge = true
        state.discarded = state.request.body.count + size
        state.request.body = []
        context.handler.serverRejected(state.request, status: 413, reason: "payload_too_large")
        return .YES
    }
    if let data {
        UnsafeRawBufferPointer(start: data, count: size).withMemoryRebound(to: UInt8.self) {
            state.request.body.append(contentsOf: $0)
        }
    }
    return .YES
}

/// The whole request is in (or, suspended before, its answer is ready).
private func requestArrived(_ state: RequestState, _ context: ServerContext, _ connection: OpaquePointer?) -> MHD_Result {
    if state.suspended {
        // Resumed: the answer is ready.
        state.suspended = false
        state.responded = true
        guard let response = state.pending.withLock({ $0.take() }) else { return .NO }
        return send(response, on: connection, context)
    }
    if state.responded { return .YES }
    state.responded = true
    state.connection?.enter(.handling)
    if state.tooLarge { return send(tooLargeResponse, on: connection, context) }
    switch context.handler.handle(state.request) {
    case .respond(let response):
        return send(response, on: connection, context)
    case .later(let start):
        state.suspended = true
        context.inFlight.add(1, ordering: .acquiringAndReleasing)
        // Suspended before anyone can resume it: the answer may come on any thread, even
        // from inside `start`.
        MHD_suspend_connection(connection)
        let suspension = Suspension(state: state, connection: SuspendedConnection(pointer: connection))
        guard context.wait(suspension) else {
            // The stop's drain deadline has passed: the work is not started.
            context.answer(suspension, with: shuttingDownResponse)
            context.handler.serverRejected(state.request, status: 503, reason: "shutting_down")
            return .YES
        }
        start { response in context.answer(suspension, with: response) }
        return .YES
    }
}

private let requestCompleted: MHD_RequestCompletedCallback = { cls, _, conCls, _ in
    guard let cls, let conCls, let existing = conCls.pointee else { return }
    let state = Unmanaged<RequestState>.fromOpaque(existing)
    let value = state.takeUnretainedValue()
    if value.answeredLater.load(ordering: .acquiring) {
        serverContext(cls).answersUnsent.subtract(1, ordering: .acquiringAndReleasing)
    }
    value.connection?.enter(.waiting)
    state.release()
    conCls.pointee = nil
}
