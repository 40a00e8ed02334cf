/// Why a webhook request was rejected before anything was stored.
public enum SignatureError: Error, Equatable, Sendable {
    /// One of the id, timestamp or signature headers is missing or empty (HTTP 400).
    case missingHeaders([String])
    /// A header is present but unusable, e.g. a timestamp that is not plain digits (HTTP 400).
    case malformedHeader(String)
    /// The timestamp is more than the tolerance away from now (HTTP 401).
    case timestampTooOld
    case timestampTooNew
    /// No `v1` signature matches any configured secret (HTTP 401).
    case noMatchingSignature

    /// Stable short code for logs, metrics and response bodies.
    public var code: String {
        switch self {
        case .missingHeaders: "missing_signature_headers"
        case .malformedHeader: "malformed_signature_headers"
        case .timestampTooOld: "timestamp_too_old"
        case .timestampTooNew: "timestamp_too_new"
        case .noMatchingSignature: "signature_mismatch"
        }
    }

    /// The HTTP status the intake answers with.
    public var httpStatus: Int {
        switch self {
        case .missingHeaders, .malformedHeader: 400
        case .timestampTooOld, .timestampTooNew, .noMatchingSignature: 401
        }
    }
}
