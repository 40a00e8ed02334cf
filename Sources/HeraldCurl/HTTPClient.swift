internal import CCurl
import Foundation

/// A response received by ``HTTPClient``.
public struct ClientResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]
}

/// A blocking HTTP(S) client on libcurl. Only `http` and `https`, no redirects followed,
/// certificates verified. Call it from a dedicated thread, never Swift's cooperative pool.
public final class HTTPClient {
    private let handle: EasyHandle

    public init() throws {
        handle = try EasyHandle()
    }

    /// Sends one request (the connection is reused by later requests on this client).
    public func send(
        method: String, url: String, headers: [String: String] = [:], body: [UInt8] = [], timeoutSeconds: Int = 15
    ) throws -> ClientResponse {
        let sink = ResponseSink()
        let unmanaged = Unmanaged.passRetained(sink)
        defer { unmanaged.release() }
        try handle.set(CURLOPT_URL, url)
        try handle.set(CURLOPT_PROTOCOLS_STR, "http,https")
        try handle.set(CURLOPT_FOLLOWLOCATION, 0)
        try handle.set(CURLOPT_TIMEOUT_MS, timeoutSeconds * 1000)
        try handle.set(CURLOPT_CONNECTTIMEOUT_MS, min(timeoutSeconds, 10) * 1000)
        try handle.set(CURLOPT_CUSTOMREQUEST, method)
        try handle.setHeaders(headers.map { "\($0.key): \($0.value)" } + ["Expect:"])
        _ = ccurl_setopt_write(handle.raw, CURLOPT_WRITEFUNCTION, writeBody)
        _ = ccurl_setopt_ptr(handle.raw, CURLOPT_WRITEDATA, unmanaged.toOpaque())
        _ = ccurl_setopt_write(handle.raw, CURLOPT_HEADERFUNCTION, writeHeader)
        _ = ccurl_setopt_ptr(handle.raw, CURLOPT_HEADERDATA, unmanaged.toOpaque())
        if method == "GET" || method == "HEAD" {
            try handle.set(CURLOPT_HTTPGET, 1)
            try handle.perform()
        } else {
            // COPYPOSTFIELDS copies the body, so no pointer outlives this call.
            try handle.set(CURLOPT_POSTFIELDSIZE, body.count)
            let rc = body.withUnsafeBytes { buffer in
                ccurl_setopt_ptr(handle.raw, CURLOPT_COPYPOSTFIELDS, buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1))
            }
            guard rc == CURLE_OK else { throw CurlError(code: Int(rc.rawValue), message: "cannot set request body") }
            try handle.perform()
        }
        return ClientResponse(status: handle.responseCode(), headers: sink.headers, body: sink.body)
    }
}

@available(*, unavailable)
extension HTTPClient: Sendable {}

/// Collects a response; only the thread running `curl_easy_perform` touches it.
private final class ResponseSink {
    var body: [UInt8] = []
    var headers: [String: String] = [:]
}

private let writeBody: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    data, size, count, context in
    guard let data, let context else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    UnsafeRawBufferPointer(start: data, count: size * count).withMemoryRebound(to: UInt8.self) {
        sink.body.append(contentsOf: $0)
    }
    return size * count
}

private let writeHeader: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    data, size, count, context in
    guard let data, let context else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self)
    if line.hasPrefix("HTTP/") { sink.headers = [:] }
    if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        sink.headers[name] = value
    }
    return size * count
}
