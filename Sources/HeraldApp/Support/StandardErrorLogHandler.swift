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

    /// `2026-11-22 11:02:03` (UTC), for tables.
    public static func short(milliseconds: Int64) -> String {
        UTCTime(milliseconds: milliseconds).short
    }
}
