import Foundation
public import HeraldCore

/// Writes one logfmt line per record to standard error.
public struct StandardErrorLogHandler: LogHandler {
    public init() {}

    public func write(_ record: LogRecord) {
        let line = LogFormat.logfmt(record, timestamp: Timestamps.iso8601(milliseconds: Clock.nowMilliseconds())) + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}

/// Wall-clock time.
public enum Clock {
    public static func nowMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}

/// Formatting of stored times (Unix milliseconds, shown in UTC).
public enum Timestamps {
    /// `2026-11-22T11:02:03.123Z`.
    public static func iso8601(milliseconds: Int64) -> String {
        let fraction = String(format: "%03d", Int(((milliseconds % 1000) + 1000) % 1000))
        return short(milliseconds: milliseconds).replacingOccurrences(of: " ", with: "T") + ".\(fraction)Z"
    }

    /// `2026-11-22 11:02:03` (UTC), for tables.
    public static func short(milliseconds: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return "\(parts.year ?? 0)-\(two(parts.month))-\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute)):\(two(parts.second))"
    }
}
