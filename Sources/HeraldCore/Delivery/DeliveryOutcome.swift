/// What one delivery attempt came to. Codes are stable short strings, stored with the
/// attempt and used in logs and metrics.
public enum DeliveryOutcome: Sendable, Equatable {
    /// Accepted by the transport; `providerID` is the relay's queue id or provider's id.
    case delivered(providerID: String?, code: Int?)
    /// Failed for now; worth trying again (after `retryAfter` milliseconds when the
    /// transport said so).
    case retryable(FailureCode, code: Int?, retryAfter: Int64?)
    /// Will not succeed however often it is tried.
    case permanent(FailureCode, code: Int?)

    public var code: Int? {
        switch self {
        case .delivered(_, let code), .retryable(_, let code, _), .permanent(_, let code): code
        }
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
    public static let rejectedTemporarily = FailureCode(rawValue: "rejected_temporarily")
    public static let rejected = FailureCode(rawValue: "rejected")
    public static let badRecipient = FailureCode(rawValue: "bad_recipient")
    /// A UTF-8 address, and a relay that does not offer SMTPUTF8.
    public static let smtpUTF8Unsupported = FailureCode(rawValue: "smtputf8_unsupported")
    public static let misconfigured = FailureCode(rawValue: "misconfigured")
    public static let rateLimited = FailureCode(rawValue: "rate_limited")
    public static let providerError = FailureCode(rawValue: "provider_error")
    public static let noContent = FailureCode(rawValue: "no_content")
    public static let writeFailed = FailureCode(rawValue: "write_failed")
    public static let internalError = FailureCode(rawValue: "internal_error")
}
