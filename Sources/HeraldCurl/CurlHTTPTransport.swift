internal import CCurl
import Foundation
public import HeraldCore

/// Limits of ``CurlHTTPTransport``.
public struct HTTPTransportSettings: Sendable, Equatable {
    public var connectTimeoutMilliseconds = 10_000
    /// The whole request, from connecting to the last byte of the answer.
    public var totalTimeoutMilliseconds = 30_000
    /// Answers larger than this are cut off and reported as ``TransportFailure/responseTooLarge``.
    public var maxResponseBytes = 1 << 20
    /// A CA bundle to trust instead of the system's (`HERALD_HTTP_CA_FILE`).
    public var caFile: String?
    public var userAgent = "Herald"

    public init() {}
}

/// The one HTTP transport every provider adapter shares: a libcurl easy handle per worker
/// and provider, so its connection (HTTP/2 where the provider offers it over TLS) is kept
/// and reused; certificates verified; no redirects; answers capped; nothing logged (a
/// request holds a key). Blocking: runs on the delivery workers' own threads.
public final class CurlHTTPTransport: HTTPTransport {
    private let handle: EasyHandle
    private let settings: HTTPTransportSettings

    public init(settings: HTTPTransportSettings = HTTPTransportSettings()) throws {
        self.settings = settings
        handle = try EasyHandle()
        try handle.set(CURLOPT_PROTOCOLS_STR, "http,https")
        try handle.set(CURLOPT_FOLLOWLOCATION, 0)
        try handle.set(CURLOPT_TCP_KEEPALIVE, 1)
        try handle.set(CURLOPT_CONNECTTIMEOUT_MS, settings.connectTimeoutMilliseconds)
        try handle.set(CURLOPT_TIMEOUT_MS, settings.totalTimeoutMilliseconds)
        try handle.set(CURLOPT_USERAGENT, settings.userAgent)
        if let caFile = settings.caFile { try handle.set(CURLOPT_CAINFO, caFile) }
        // HTTP/2 over TLS when the server offers it (ALPN); HTTP/1.1 otherwise. A libcurl
        // built without HTTP/2 refuses the option: HTTP/1.1 then.
        try? handle.set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
    }

    public func perform(_ request: OutboundRequest) -> Exchange {
        let sink = ResponseSink(limit: settings.maxResponseBytes)
        let unmanaged = Unmanaged.passRetained(sink)
        defer { unmanaged.release() }
        do throws(CurlError) {
            try handle.set(CURLOPT_URL, request.url)
            // "Expect:" stops libcurl waiting for 100-continue on larger bodies.
            try handle.setHeaders(request.headers.map { "\($0.name): \($0.value)" } + ["Expect:"])
            try handle.check(ccurl_setopt_write(handle.raw, CURLOPT_WRITEFUNCTION, collectBody))
            try handle.check(ccurl_setopt_ptr(handle.raw, CURLOPT_WRITEDATA, unmanaged.toOpaque()))
            try handle.check(ccurl_setopt_write(handle.raw, CURLOPT_HEADERFUNCTION, collectHeader))
            try handle.check(ccurl_setopt_ptr(handle.raw, CURLOPT_HEADERDATA, unmanaged.toOpaque()))
            try handle.check(ccurl_setopt_ptr(handle.raw, CURLOPT_CUSTOMREQUEST, nil))
            switch request.method {
            case "GET":
                try handle.set(CURLOPT_HTTPGET, 1)
            case "HEAD":
                try handle.set(CURLOPT_NOBODY, 1)
            default:
                try handle.set(CURLOPT_NOBODY, 0)
                try handle.set(CURLOPT_POSTFIELDSIZE, request.body.count)
                // COPYPOSTFIELDS copies the body, so no pointer outlives this call.
                let rc = request.body.withUnsafeBytes { buffer in
                    ccurl_setopt_ptr(handle.raw, CURLOPT_COPYPOSTFIELDS, buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1))
                }
                try handle.check(rc)
                if request.method != "POST" { try handle.set(CURLOPT_CUSTOMREQUEST, request.method) }
            }
        } catch {
            return .failed(.invalidRequest(error.message))
        }
        do {
            try handle.perform()
        } catch {
            return .failed(Self.failure(error.code, afterSend: handle.requestStarted(), tooLarge: sink.overflowed))
        }
        return .answered(HTTPAnswer(status: handle.responseCode(), headers: sink.headers, body: sink.body))
    }

    /// libcurl's code for an HTTP transfer, mapped once. `afterSend`: the connection was up
    /// and the request had begun to leave.
    static func failure(_ code: Int, afterSend: Bool, tooLarge: Bool) -> TransportFailure {
        if tooLarge { return .responseTooLarge }
        switch CURLcode(UInt32(code)) {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: return .resolve
        case CURLE_COULDNT_CONNECT: return .connect
        case CURLE_SSL_CONNECT_ERROR: return .tls(certificate: false)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE: return .tls(certificate: true)
        case CURLE_OPERATION_TIMEDOUT: return .timeout(afterSend: afterSend)
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            return .connectionLost(afterSend: afterSend)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL: return .invalidRequest("the URL is not usable")
        default: return .connectionLost(afterSend: afterSend)
        }
    }
}

@available(*, unavailable)
extension CurlHTTPTransport: Sendable {}

/// Collects one answer; only the thread running `curl_easy_perform` touches it.
private final class ResponseSink {
    let limit: Int
    var body: [UInt8] = []
    var headers: [HTTPField] = []
    var headerBytes = 0
    var overflowed = false

    init(limit: Int) {
        self.limit = limit
    }
}

private let collectBody: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    data, size, count, context in
    guard let data, let context else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    let amount = size * count
    guard sink.body.count + amount <= sink.limit else {
        sink.overflowed = true
        return 0  // libcurl stops with a write error
    }
    UnsafeRawBufferPointer(start: data, count: amount).withMemoryRebound(to: UInt8.self) { sink.body.append(contentsOf: $0) }
    return amount
}

private let collectHeader: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    data, size, count, context in
    guard let data, let context else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    let amount = size * count
    sink.headerBytes += amount
    guard sink.headerBytes <= 256 * 1024 else {
        sink.overflowed = true
        return 0
    }
    let line = UnsafeRawBufferPointer(start: data, count: amount)
    if line.starts(with: "HTTP/".utf8) {
        sink.headers = []  // a new answer (after 100 Continue, or a redirect not followed)
    } else if let field = HeaderLine.field(line) {
        sink.headers.append(field)
    }
    return amount
}
