internal import CCurl
import Foundation
public import HeraldCore

/// Where and how to reach the SMTP relay. The password never appears in descriptions.
public struct SMTPSettings: Sendable, Equatable, CustomStringConvertible {
    /// `smtp://host:587/ehlo-name` or `smtps://host:465/ehlo-name`, without credentials.
    public var url: String
    public var username: String?
    public var password: String?
    /// STARTTLS required on `smtp://` (always, unless `disable_starttls=true` for a local relay).
    public var requireTLS: Bool
    public var connectTimeoutSeconds = 10
    public var responseTimeoutSeconds = 60
    public var totalTimeoutSeconds = 120
    /// A CA bundle to trust (tests, private relays).
    public var caFile: String?

    public init(url: String, username: String? = nil, password: String? = nil, requireTLS: Bool = true) {
        self.url = url
        self.username = username
        self.password = password
        self.requireTLS = requireTLS
    }

    /// Parses `HERALD_SMTP_URL`: `smtp[s]://[user[:password]@]host[:port][/ehlo][?disable_starttls=true]`.
    public init(parsing text: String, ehloName: String) throws(SMTPSettingsError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "smtp" || scheme == "smtps", let host = components.host, !host.isEmpty
        else {
            throw SMTPSettingsError("HERALD_SMTP_URL must look like smtp://user:pass@host:587 or smtps://user:pass@host:465")
        }
        var disableStartTLS = false
        for item in components.queryItems ?? [] {
            switch item.name {
            case "disable_starttls": disableStartTLS = item.value == "true" || item.value == "1"
            default: throw SMTPSettingsError("HERALD_SMTP_URL: unknown parameter '\(item.name)' (only disable_starttls)")
            }
        }
        let port = components.port ?? (scheme == "smtps" ? 465 : 587)
        let path = components.path.isEmpty || components.path == "/" ? "/" + ehloName : components.path
        let hostPart = host.contains(":") ? "[\(host)]" : host
        self.init(
            url: "\(scheme)://\(hostPart):\(port)\(path)", username: components.user?.removingPercentEncoding,
            password: components.password?.removingPercentEncoding, requireTLS: scheme == "smtp" && !disableStartTLS)
    }

    /// `smtp://host:port` (no credentials), for logs.
    public var description: String {
        // scheme://host:port, without the EHLO path (the URL never holds credentials).
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        return String(url[..<(rest.firstIndex(of: "/") ?? url.endIndex)])
    }
}

public struct SMTPSettingsError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Sends email through an SMTP relay with libcurl: STARTTLS required (or implicit TLS),
/// certificates verified, AUTH PLAIN when credentials are given, per-reply and overall
/// timeouts, and one connection reused for every message this transport sends (one
/// transport per worker). Envelope addresses arrive validated (``MailAddress``): libcurl
/// 7.88 would pass CR/LF through as SMTP commands.
public final class SMTPTransport: MessageTransport {
    public let name = "smtp"
    private let settings: SMTPSettings
    private let handle: EasyHandle

    public init(settings: SMTPSettings) throws {
        self.settings = settings
        handle = try EasyHandle()
    }

    public func send(_ message: OutgoingMessage, messageID: Int64) -> DeliveryOutcome {
        guard case .email(let envelope) = message else { return .permanent(.misconfigured, code: nil) }
        let source = Upload(envelope.data)
        let unmanaged = Unmanaged.passRetained(source)
        defer { unmanaged.release() }
        do {
            try Self.configure(handle, settings)
            try handle.set(CURLOPT_MAIL_FROM, "<\(envelope.from.address)>")
            try handle.setList(CURLOPT_MAIL_RCPT, ["<\(envelope.to.address)>"])
            try handle.set(CURLOPT_UPLOAD, 1)
            try handle.setOff(CURLOPT_INFILESIZE_LARGE, envelope.data.count)
            _ = ccurl_setopt_read(handle.raw, CURLOPT_READFUNCTION, readUpload)
            _ = ccurl_setopt_ptr(handle.raw, CURLOPT_READDATA, unmanaged.toOpaque())
            _ = ccurl_setopt_write(handle.raw, CURLOPT_HEADERFUNCTION, collectReply)
            _ = ccurl_setopt_ptr(handle.raw, CURLOPT_HEADERDATA, unmanaged.toOpaque())
        } catch {
            return .permanent(.misconfigured, code: nil)
        }
        let result: Int
        do {
            try handle.perform()
            result = 0
        } catch {
            result = error.code
        }
        // libcurl will not send a UTF-8 address to a relay that did not offer SMTPUTF8: it
        // stops with a send error after MAIL. The relay will not change its mind on a retry.
        if result == Int(CURLE_SEND_ERROR.rawValue) && envelope.needsSMTPUTF8 {
            return .permanent(.smtpUTF8Unsupported, code: nil)
        }
        return SMTPReply.classify(curlCode: result, replyCode: handle.responseCode(), lastReply: source.lastReply)
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
                return RelayProbe(outcome: .delivered(providerID: nil, code: handle.responseCode()), detail: "answered NOOP")
            } catch {
                let outcome = SMTPReply.classify(curlCode: error.code, replyCode: handle.responseCode(), lastReply: nil)
                return RelayProbe(outcome: outcome, detail: error.message)
            }
        } catch {
            return RelayProbe(outcome: .permanent(.misconfigured, code: nil), detail: error.message)
        }
    }
}

/// What ``SMTPTransport/probe(_:)`` found.
public struct RelayProbe: Sendable {
    /// `delivered` when the relay answered; else the failure a send would meet.
    public var outcome: DeliveryOutcome
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
