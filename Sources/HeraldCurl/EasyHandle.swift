internal import CCurl
import Foundation

/// An error from libcurl: its code, its message (the error buffer) and what was being done.
public struct CurlError: Error, CustomStringConvertible, Sendable {
    public var code: Int
    public var message: String

    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "curl error \(code): \(message)" }

    /// True for errors where nothing reached the server or no answer came (retryable).
    public var isConnectionFailure: Bool {
        [6, 7, 28, 35, 52, 55, 56].contains(code)  // resolve, connect, timeout, TLS connect, empty reply, send, recv
    }
}

/// `curl_global_init`, exactly once, before any handle is made.
enum CurlGlobal {
    static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
}

/// One libcurl easy handle (`CURL *`), cleaned up in `deinit`. Single-threaded.
final class EasyHandle {
    let raw: UnsafeMutableRawPointer
    private var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var lists: [UInt32: UnsafeMutablePointer<curl_slist>] = [:]

    init() throws(CurlError) {
        guard CurlGlobal.initialized, let handle = curl_easy_init() else {
            throw CurlError(code: -1, message: "curl_easy_init failed")
        }
        raw = handle
        try set(CURLOPT_NOSIGNAL, 1)
        _ = errorBuffer.withUnsafeMutableBufferPointer { ccurl_setopt_ptr(raw, CURLOPT_ERRORBUFFER, $0.baseAddress) }
    }

    deinit {
        curl_easy_cleanup(raw)
        if let headerList { curl_slist_free_all(headerList) }
        for list in lists.values { curl_slist_free_all(list) }
    }

    /// Sets a list option; the list lives as long as the handle (or until replaced).
    func setList(_ option: CURLoption, _ values: [String]) throws(CurlError) {
        var list: UnsafeMutablePointer<curl_slist>?
        for value in values { list = curl_slist_append(list, value) }
        try check(ccurl_setopt_ptr(raw, option, list))
        if let old = lists[option.rawValue] { curl_slist_free_all(old) }
        lists[option.rawValue] = list
    }

    func setOff(_ option: CURLoption, _ value: Int) throws(CurlError) {
        try check(ccurl_setopt_off(raw, option, curl_off_t(value)))
    }

    func set(_ option: CURLoption, _ value: Int) throws(CurlError) {
        try check(ccurl_setopt_long(raw, option, value))
    }

    func set(_ option: CURLoption, _ value: String) throws(CurlError) {
        // libcurl copies string options (since 7.17).
        try check(ccurl_setopt_ptr(raw, option, value))
    }

    func setHeaders(_ headers: [String]) throws(CurlError) {
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
        for header in headers { headerList = curl_slist_append(headerList, header) }
        try check(ccurl_setopt_ptr(raw, CURLOPT_HTTPHEADER, headerList))
    }

    func perform() throws(CurlError) {
        errorBuffer[0] = 0
        try check(curl_easy_perform(raw))
    }

    /// Whether the last transfer got as far as sending its request (connected, TLS done):
    /// a failure after that may have reached the server.
    func requestStarted() -> Bool {
        var microseconds: curl_off_t = 0
        guard ccurl_getinfo_off(raw, CURLINFO_PRETRANSFER_TIME_T, &microseconds) == CURLE_OK else { return true }
        return microseconds > 0
    }

    func responseCode() -> Int {
        var code: Int = 0
        _ = ccurl_getinfo_long(raw, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    func check(_ code: CURLcode) throws(CurlError) {
        guard code != CURLE_OK else { return }
        let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw CurlError(code: Int(code.rawValue), message: detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail)
    }
}

@available(*, unavailable)
extension EasyHandle: Sendable {}
