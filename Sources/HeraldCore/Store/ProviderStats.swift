/// What the attempts through one provider came to over a stretch of time (every process
/// sharing the store): for `herald status`.
public struct ProviderStats: Sendable, Equatable {
    public var provider: String
    public var attempts: Int
    public var delivered: Int
    public var latency: LatencyHistogram
    /// The newest failure's reason and time, if any.
    public var lastError: String?
    public var lastErrorAt: Int64?

    public init(provider: String, attempts: Int = 0, delivered: Int = 0, latency: LatencyHistogram = LatencyHistogram(), lastError: String? = nil, lastErrorAt: Int64? = nil) {
        self.provider = provider
        self.attempts = attempts
        self.delivered = delivered
        self.latency = latency
        self.lastError = lastError
        self.lastErrorAt = lastErrorAt
    }

    /// Delivered over attempted, nil without attempts.
    public var successRatio: Double? { attempts == 0 ? nil : Double(delivered) / Double(attempts) }
}

/// Attempt durations counted in fixed buckets (milliseconds), so that a store can add
/// them up in SQL and percentiles come out of the counts.
public struct LatencyHistogram: Sendable, Equatable {
    /// Upper bounds of the buckets; the last one holds everything longer.
    public static let bounds: [Int64] = [5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, .max]

    public var counts: [Int]

    public init(counts: [Int] = Array(repeating: 0, count: LatencyHistogram.bounds.count)) {
        self.counts = counts.count == Self.bounds.count ? counts : Array(repeating: 0, count: Self.bounds.count)
    }

    /// The bucket a duration falls in.
    public static func bucket(_ milliseconds: Int64) -> Int {
        bounds.firstIndex { milliseconds <= $0 } ?? bounds.count - 1
    }

    public mutating func add(bucket: Int, count: Int) {
        guard counts.indices.contains(bucket) else { return }
        counts[bucket] += count
    }

    /// The upper bound of the bucket that holds the `fraction` quantile (0.5, 0.99); nil
    /// without data. The last bucket has no bound: it reports the one before it.
    public func percentile(_ fraction: Double) -> Int64? {
        let total = counts.reduce(0, +)
        guard total > 0 else { return nil }
        let rank = Int((Double(total) * fraction).rounded(.up))
        var seen = 0
        for (index, count) in counts.enumerated() {
            seen += count
            if seen >= max(rank, 1) { return index == Self.bounds.count - 1 ? Self.bounds[index - 1] : Self.bounds[index] }
        }
        return Self.bounds[Self.bounds.count - 2]
    }
}
