/// What one delivery attempt came to. Codes are stable short strings, stored with the
/// attempt and used in logs and metrics.
public enum DeliveryOutcome: Sendable, Equatable {
    /// Accepted by the provider; `providerID` is its message id (or the relay's queue id),
    /// `code` the HTTP status or SMTP reply code.
    case delivered(providerID: String?, code: Int?)
    case failed(Failure)

    /// A failure worth trying again later (the old transient class).
    public static func retryable(_ code: FailureCode, code status: Int?, retryAfter: Int64? = nil) -> DeliveryOutcome {
        .failed(Failure(code, scope: .transient, status: status, retryAfter: retryAfter))
    }

    /// A failure that no retry and no other provider can mend.
    public static func permanent(_ code: FailureCode, code status: Int?) -> DeliveryOutcome {
        .failed(Failure(code, scope: .recipient, status: status))
    }

    /// The HTTP status or SMTP reply code, when one came.
    public var code: Int? {
        switch self {
        case .delivered(_, let code): code
        case .failed(let failure): failure.status
        }
    }

    public var failure: Failure? {
        if case .failed(let failure) = self { return failure }
        return nil
    }
}

/// Why an attempt failed, and whose problem it is: that decides what happens next.
public struct Failure: Sendable, Equatable {
    public enum Scope: String, Sendable, Equatable, CaseIterable {
        /// Passing trouble (a timeout, a 5xx, a 429, a connection refused): try again
        /// later, through this provider or another.
        case transient
        /// This provider cannot deliver it now (a wrong key, a sender it refuses, a quota
        /// used up, a region not enabled): another provider may, at once; with no other,
        /// it is retried with backoff (an operator can mend a key within a code's life).
        case provider
        /// Nobody can deliver this message as it is (an invalid or unsubscribed number, a
        /// refused address, nothing to send): it fails at once, and no other provider is
        /// tried (a second try could bill twice).
        case recipient
    }

    public var code: FailureCode
    public var scope: Scope
    /// The HTTP status or SMTP reply code, when one came.
    public var status: Int?
    /// The provider's own error code (Twilio `21211`, SES `MessageRejected`, Vonage `9`).
    public var providerCode: String?
    /// How long the provider asked us to wait, in milliseconds.
    public var retryAfter: Int64?
    /// The provider may have accepted the message anyway (a timeout or a 5xx after the
    /// request left): a retry may send it twice unless the provider deduplicates.
    public var ambiguous: Bool
    /// A short explanation safe for the store and logs: never a secret, a code or a
    /// recipient.
    public var detail: String?

    public init(
        _ code: FailureCode, scope: Scope, status: Int? = nil, providerCode: String? = nil, retryAfter: Int64? = nil,
        ambiguous: Bool = false, detail: String? = nil
    ) {
        self.code = code
        self.scope = scope
        self.status = status
        self.providerCode = providerCode
        self.retryAfter = retryAfter
        self.ambiguous = ambiguous
        self.detail = detail
    }

    /// Whether another provider could mend it at once: anything but the recipient's
    /// problem, and but a rate limit that asks for only a few seconds (waiting for this
    /// provider is then the better course).
    public var failsOver: Bool {
        switch scope {
        case .recipient: return false
        case .provider: return true
        case .transient:
            if code == .rateLimited, let retryAfter, retryAfter <= 5_000 { return false }
            return true
        }
    }

    /// `code (status)`, with the provider's code when it gave one: what the message's
    /// `last_error` shows.
    public var reason: String {
        var text = code.rawValue
        switch (status, providerCode) {
        case (let status?, let provider?): text += " (\(status), \(provider))"
        case (let status?, nil): text += " (\(status))"
        case (nil, let provider?): text += " (\(provider))"
        case (nil, nil): break
        }
        return text
    }
}

/// Why an attempt failed: a bounded set of stable codes.
public struct FailureCode: RawRepresentable, Sendable, Equatable, Hashable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let connectionFailed = FailureCode(rawValue: "connection_failed")
    public static let timeout = FailureCode(rawValue: "timeout")
    public static let tlsFailed = FailureCode(rawValue: "tls_failed")
    public static let authFailed = FailureCode(rawValue: "auth_failed")
    /// The provider refused the API key or its permissions (HTTP 401/403).
    public static let providerAuthFailed = FailureCode(rawValue: "provider_auth_failed")
    public static let rejectedTemporarily = FailureCode(rawValue: "rejected_temporarily")
    public static let rejected = FailureCode(rawValue: "rejected")
    public static let badRecipient = FailureCode(rawValue: "bad_recipient")
    /// The recipient opted out (replied STOP, unsubscribed, suppressed).
    public static let recipientUnsubscribed = FailureCode(rawValue: "recipient_unsubscribed")
    /// A UTF-8 address, and a relay that does not offer SMTPUTF8.
    public static let smtpUTF8Unsupported = FailureCode(rawValue: "smtputf8_unsupported")
    public static let misconfigured = FailureCode(rawValue: "misconfigured")
    /// The provider refused the sender (an unverified From, a number not on the account).
    public static let senderRefused = FailureCode(rawValue: "sender_refused")
    public static let rateLimited = FailureCode(rawValue: "rate_limited")
    /// Credit, a daily quota or a sandbox allowance used up.
    public static let quotaExceeded = FailureCode(rawValue: "quota_exceeded")
    /// The provider refused the request as malformed (a 400 that names no recipient).
    public static let invalidRequest = FailureCode(rawValue: "invalid_request")
    /// The provider failed on its side (5xx).
    public static let providerUnavailable = FailureCode(rawValue: "provider_unavailable")
    public static let providerError = FailureCode(rawValue: "provider_error")
    public static let noContent = FailureCode(rawValue: "no_content")
    public static let writeFailed = FailureCode(rawValue: "write_failed")
    public static let internalError = FailureCode(rawValue: "internal_error")
}
