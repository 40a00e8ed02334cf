/// A moment split into its UTC calendar fields, computed arithmetically (Howard Hinnant's
/// days-from-civil inverse), with no calendar object: cheap enough for every log line.
public struct UTCTime: Sendable, Equatable {
    public var year: Int64
    /// 1...12
    public var month: Int64
    /// 1...31
    public var day: Int64
    public var hour: Int64
    public var minute: Int64
    public var second: Int64
    public var millisecond: Int64
    /// 0 = Sunday ... 6 = Saturday
    public var weekday: Int

    /// From Unix milliseconds (negative values are before 1970).
    public init(milliseconds: Int64) {
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        millisecond = milliseconds - seconds * 1000
        var days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        hour = secondOfDay / 3600
        minute = secondOfDay / 60 % 60
        second = secondOfDay % 60
        weekday = Int(((days % 7) + 11) % 7)  // 1970-01-01 was a Thursday
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// Zero-padded to `width` digits.
    public static func padded(_ value: Int64, _ width: Int = 2) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    /// `2026-11-22 11:02:03`
    public var short: String {
        "\(year)-\(Self.padded(month))-\(Self.padded(day)) \(Self.padded(hour)):\(Self.padded(minute)):\(Self.padded(second))"
    }

    /// `2026-11-22T11:02:03.123Z`
    public var iso8601: String {
        "\(year)-\(Self.padded(month))-\(Self.padded(day))T\(Self.padded(hour)):\(Self.padded(minute)):\(Self.padded(second))."
            + "\(Self.padded(millisecond, 3))Z"
    }
}
