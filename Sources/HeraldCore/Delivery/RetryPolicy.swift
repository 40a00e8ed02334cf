/// When to try again, and when to give up: exponential backoff with jitter, a maximum
/// number of attempts, and a maximum age per slug after which a message is `expired`
/// instead of sent (a sign-in code half an hour late is useless).
public struct RetryPolicy: Sendable, Equatable {
    /// Delay before the second attempt; doubles each time.
    public var baseDelay: Int64
    public var maxDelay: Int64
    /// Each delay is spread by up to this fraction either way.
    public var jitter: Double
    public var maxAttempts: Int
    /// Maximum age (ms) by slug; `defaultMaxAge` for the others.
    public var maxAge: [String: Int64]
    public var defaultMaxAge: Int64

    public static let codeAndLinkSlugs = [
        "verification_code", "reset_password_code", "magic_link_sign_in", "magic_link_sign_up", "magic_link_user_profile",
    ]

    public init(
        baseDelay: Int64 = 2_000, maxDelay: Int64 = 300_000, jitter: Double = 0.2, maxAttempts: Int = 8,
        maxAge: [String: Int64] = Dictionary(uniqueKeysWithValues: RetryPolicy.codeAndLinkSlugs.map { ($0, 600_000) }),
        defaultMaxAge: Int64 = 86_400_000
    ) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.jitter = jitter
        self.maxAttempts = maxAttempts
        self.maxAge = maxAge
        self.defaultMaxAge = defaultMaxAge
    }

    public func maxAge(slug: String?) -> Int64 {
        slug.flatMap { maxAge[$0] } ?? defaultMaxAge
    }

    /// The delay after `attempts` failed attempts (1 = the first failed). `random` is in
    /// 0..<1; `retryAfter` (ms) from the transport is honoured, capped at `maxDelay`.
    public func delay(afterAttempts attempts: Int, retryAfter: Int64? = nil, random: Double) -> Int64 {
        let exponent = min(max(attempts - 1, 0), 30)
        let raw = min(Double(baseDelay) * Double(1 << exponent), Double(maxDelay))
        let spread = raw * jitter * (random * 2 - 1)
        let computed = Int64((raw + spread).rounded())
        if let retryAfter { return min(max(retryAfter, computed), maxDelay) }
        return max(computed, 0)
    }
}
