/// `Retry-After` (RFC 9110 10.2.3): delta-seconds or an HTTP date, to milliseconds from
/// `now`. Nonsense gives nil; a date in the past gives 0. Capped at a day.
public enum RetryAfter {
    public static func milliseconds(_ value: String?, now: Int64) -> Int64? {
        guard let text = value?.trimmingWhitespace(), !text.isEmpty else { return nil }
        if let seconds = Int64(text) {
            guard seconds >= 0 else { return nil }
            return min(seconds, 86_400) * 1000
        }
        if let seconds = Double(text), seconds.isFinite, seconds >= 0 {
            return Int64(min(seconds, 86_400) * 1000)
        }
        guard let date = UTCTime.parseHTTPDate(text) else { return nil }
        return min(max(date - now, 0), 86_400_000)
    }
}
