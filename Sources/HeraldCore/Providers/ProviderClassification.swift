/// The rules every HTTP adapter shares (../shared/reference/providers.md section 0), so
/// that each adapter only adds what its provider says differently.
public enum ProviderClassification {
    /// A transport failure: nothing sent is plainly retried; after the request left, the
    /// retry is flagged ambiguous; an untrusted certificate is the provider's (or the
    /// configuration's) problem.
    public static func failure(_ failure: TransportFailure) -> Failure {
        switch failure {
        case .resolve, .connect:
            return Failure(.connectionFailed, scope: .transient, detail: failure.summary)
        case .tls(let certificate):
            return Failure(.tlsFailed, scope: certificate ? .provider : .transient, detail: failure.summary)
        case .timeout(let afterSend):
            return Failure(.timeout, scope: .transient, ambiguous: afterSend, detail: failure.summary)
        case .connectionLost(let afterSend):
            return Failure(.connectionFailed, scope: .transient, ambiguous: afterSend, detail: failure.summary)
        case .responseTooLarge:
            return Failure(.providerError, scope: .transient, ambiguous: true, detail: failure.summary)
        case .invalidRequest:
            return Failure(.misconfigured, scope: .provider, detail: failure.summary)
        }
    }

    /// The generic meaning of a non-2xx status: 429 waits for `Retry-After`; 408 and 5xx
    /// are retried (5xx flagged ambiguous: the provider may have sent it); 401/403 are the
    /// key (`provider_auth_failed`, retried with backoff: an operator can mend a key
    /// within a code's life); 402 is credit; other 4xx are refusals of this request.
    public static func failure(status: Int, headers: [HTTPField], now: Int64, providerCode: String? = nil, detail: String? = nil) -> Failure {
        let retryAfter = RetryAfter.milliseconds(headers[field: "Retry-After"], now: now)
        switch status {
        case 429:
            return Failure(.rateLimited, scope: .transient, status: status, providerCode: providerCode, retryAfter: retryAfter, detail: detail)
        case 408:
            return Failure(.timeout, scope: .transient, status: status, providerCode: providerCode, retryAfter: retryAfter, detail: detail)
        case 401, 403:
            return Failure(.providerAuthFailed, scope: .provider, status: status, providerCode: providerCode, detail: detail)
        case 402:
            return Failure(.quotaExceeded, scope: .provider, status: status, providerCode: providerCode, detail: detail)
        case 500..<600:
            return Failure(
                .providerUnavailable, scope: .transient, status: status, providerCode: providerCode, retryAfter: retryAfter,
                ambiguous: true, detail: detail)
        default:
            return Failure(.invalidRequest, scope: .provider, status: status, providerCode: providerCode, detail: detail)
        }
    }

    /// A short, single-line excerpt of a provider's error text for the attempt record:
    /// at most 200 characters, control characters removed. Providers' messages name the
    /// field at fault, not the secret.
    public static func excerpt(_ text: String?) -> String? {
        guard let text else { return nil }
        let cleaned = String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) }).trimmingWhitespace()
        guard !cleaned.isEmpty else { return nil }
        return cleaned.count > 200 ? String(cleaned.prefix(200)) + "…" : cleaned
    }
}
