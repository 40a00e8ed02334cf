internal import CCurl
import Foundation
public import HeraldCore

/// Sends email through an SMTP relay with libcurl: STARTTLS required (or implicit TLS),
/// certificates verified, AUTH PLAIN when credentials are given, per-reply and overall
/// timeouts, and one connection reused for every message this transport sends (one
/// transport per worker). Envelope addresses arrive validated (``MailAddress``): libcurl
/// 7.88 would pass CR/LF through as SMTP commands. The transport only reports what
/// happened (``SMTPExchange``); ``SMTPReply`` decides what it means.
public final class SMTPTransport {
    private let settings: SMTPSettings
    private let handle: EasyHandle

    public init(settings: SMTPSettings) throws {
        self.settings = settings
        handle = try EasyHandle()
    }

    /// Sends one message: `from` and `to` are envelope addresses (already validated), `data`
    /// the whole RFC 5322 message.
    public func send(from: String, to: String, data: [UInt8]) -> SMTPExchange {
        let source = Upload(data)
        let unmanaged = Unmanaged.passRetained(source)
        defer { unmanaged.release() }
        do {
            try Self.configure(handle, settings)
            try handle.set(CURLOPT_MAIL_FROM, "<\(from)>")
            try handle.setList(CURLOPT_MAIL_RCPT, ["<\(to)>"])
            try handle.set(CURLOPT_UPLOAD, 1)
            try handle.setOff(CURLOPT_INFILESIZE_LARGE, data.count)
            try handle.check(ccurl_setopt_read(handle.raw, CURLOPT_READFUNCTION, readUpload))
            try handle.check(ccurl_setopt_ptr(handle.raw, CURLOPT_READDATA, unmanaged.toOpaque()))
            try handle.check(ccurl_setopt_write(handle.raw, CURLOPT_HEADERFUNCTION, collectReply))
            try handle.check(ccurl_setopt_ptr(handle.raw, CURLOPT_HEADERDATA, unmanaged.toOpaque()))
        } catch {
            return SMTPExchange(stage: .other(error.code))
        }
        do {
            try handle.perform()
            return SMTPExchange(stage: .accepted, replyCode: handle.responseCode(), lastReply: source.lastReply)
        } catch {
            return SMTPExchange(stage: Self.stage(error.code), replyCode: handle.responseCode(), lastReply: source.lastReply)
        }
    }

    /// libcurl's code for an SMTP transfer, mapped once.
    static func stage(_ code: Int) -> SMTPExchange.Stage {
        switch CURLcode(UInt32(code)) {
        case CURLE_OK: .accepted
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: .resolveFailed
        case CURLE_COULDNT_CONNECT: .connectFailed
        case CURLE_SSL_CONNECT_ERROR: .tlsFailed(certificate: false)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE: .tlsFailed(certificate: true)
        case CURLE_USE_SSL_FAILED: .tlsNotOffered
        case CURLE_LOGIN_DENIED: .loginDenied
        case CURLE_WEIRD_SERVER_REPLY: .unexpectedReply
        case CURLE_REMOTE_ACCESS_DENIED: .accessDenied
        case CURLE_SEND_ERROR: .sendFailed
        case CURLE_RECV_ERROR, CURLE_GOT_NOTHING: .receiveFailed
        case CURLE_OPERATION_TIMEDOUT: .timedOut
        default: .other(code)
        }
    }

    /// What every exchange with the relay shares: where, TLS, credentials, timeouts.
    private static func configure(_ handle: EasyHandle, _ settings: SMTPSettings) throws(CurlError) {
        try handle.set(CURLOPT_URL, settings.url)
        try handle.set(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        if settings.requireTLS { try handle.set(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue)) }
        if let caFile = settings.caFile { try handle.set(CURLOPT_CAINFO, caFile) }
        if let username = settings.username {
            try handle.set(CURLOPT_USERNAME, username)
            try handle.set(CURLOPT_PASSWORD, settings.password ?? "")
            try handle.set(CURLOPT_SASL_IR, 1)
        }
        try handle.set(CURLOPT_CONNECTTIMEOUT_MS, settings.connectTimeoutSeconds * 1000)
        try handle.set(CURLOPT_SERVER_RESPONSE_TIMEOUT, settings.responseTimeoutSeconds)
        try handle.set(CURLOPT_TIMEOUT_MS, settings.totalTimeoutSeconds * 1000)
    }

    /// Talks to the relay as a send would (TLS as configured, certificate checks, AUTH),
    /// then says NOOP and QUIT: nothing is sent. For `herald check --relay`.
    public static func probe(_ settings: SMTPSettings) -> RelayProbe {
        do {
            let handle = try EasyHandle()
            try configure(handle, settings)
            try handle.set(CURLOPT_CUSTOMREQUEST, "NOOP")
            do {
                try handle.perform()
                return RelayProbe(exchange: SMTPExchange(stage: .accepted, replyCode: handle.responseCode()), detail: "answered NOOP")
            } catch {
                return RelayProbe(exchange: SMTPExchange(stage: stage(error.code), replyCode: handle.responseCode()), detail: error.message)
            }
        } catch {
            return RelayProbe(exchange: SMTPExchange(stage: .other(error.code)), detail: error.message)
        }
    }
}

/// What ``SMTPTransport/probe(_:)`` found.
public struct RelayProbe: Sendable {
    /// `accepted` when the relay answered; else where a send would fail.
    public var exchange: SMTPExchange
    /// libcurl's explanation (or "answered NOOP").
    public var detail: String
}

@available(*, unavailable)
extension SMTPTransport: Sendable {}

/// The message being uploaded and the server's reply lines; touched only by the thread
/// running `curl_easy_perform`.
private final class Upload {
    let data: [UInt8]
    var offset = 0
    var lastReply: String?

    init(_ data: [UInt8]) {
        self.data = data
    }
}

private let readUpload: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    buffer, size, count, context in
    guard let buffer, let context else { return 0 }
    let upload = Unmanaged<Upload>.fromOpaque(context).takeUnretainedValue()
    let amount = min(size * count, upload.data.count - upload.offset)
    guard amount > 0 else { return 0 }
    upload.data.withUnsafeBytes { source in
        UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + upload.offset, byteCount: amount)
    }
    upload.offset += amount
    return amount
}

private let collectReply: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    data, size, count, context in
    guard let data, let context else { return 0 }
    let upload = Unmanaged<Upload>.fromOpaque(context).takeUnretainedValue()
    var bytes = UnsafeRawBufferPointer(start: data, count: size * count)
    while let last = bytes.last, last == 0x0A || last == 0x0D || last == 0x20 { bytes = UnsafeRawBufferPointer(rebasing: bytes.dropLast()) }
    // Final reply lines look like "250 ..."; continuation lines "250-...".
    if bytes.count >= 4, bytes[3] == 0x20 { upload.lastReply = String(decoding: bytes, as: UTF8.self) }
    return size * count
}
