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
        UTCTime(milliseconds: milliseconds).iso8601
    }

    /// The inverse of ``iso8601(milliseconds:)``: `2026-11-22T11:02:03.123Z` to Unix ms.
    public static func parseISO8601(_ text: String) -> Int64? {
        let digits = text.unicodeScalars.map { $0 }
        guard digits.count == 24, text.hasSuffix("Z") else { return nil }
        func number(_ from: Int, _ length: Int) -> Int64? { Int64(String(String.UnicodeScalarView(digits[from..<(from + length)]))) }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
            let minute = number(14, 2), let second = number(17, 2), let millisecond = number(20, 3)
        else { return nil }
        return UTCTime.milliseconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second) + millisecond
    }

    /// `2026-11-22 11:02:03` (UTC), for tables.
    public static func short(milliseconds: Int64) -> String {
        UTCTime(milliseconds: milliseconds).short
    }
}
