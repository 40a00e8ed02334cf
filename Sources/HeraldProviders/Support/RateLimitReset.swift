import Foundation
public import HeraldCore

/// How long a 429 asks us to wait: `Retry-After` first, else the provider's own reset
/// header, in milliseconds from `now` (capped at a day, never negative).
public enum RateLimitReset {
    public enum Form: Sendable {
        /// Seconds from now (Resend's `ratelimit-reset`).
        case deltaSeconds
        /// A Unix time in seconds, whole or decimal (SendGrid's and Mailgun's `X-RateLimit-Reset`).
        case epochSeconds
    }

    public static func milliseconds(_ headers: [HTTPField], now: Int64, reset name: String, form: Form) -> Int64? {
        if let retryAfter = RetryAfter.milliseconds(headers[field: "Retry-After"], now: now) { return retryAfter }
        guard let text = headers[field: name]?.trimmingCharacters(in: .whitespaces), let value = Double(text), value.isFinite, value >= 0,
            value < 1e15
        else { return nil }
        let seconds = Int64(value)
        switch form {
        case .deltaSeconds:
            return min(seconds, 86_400) * 1000
        case .epochSeconds:
            guard seconds < Int64.max / 1000 else { return nil }
            return min(max(seconds * 1000 - now, 0), 86_400_000)
        }
    }
}
