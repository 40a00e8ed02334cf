import HeraldCore
import Testing

/// logfmt lines as `StandardErrorLogHandler` writes them: one line per record whatever the
/// values hold, values quoted and escaped only where a logfmt reader needs it, keys made
/// safe, metadata keys sorted after the fixed ones.
@Suite struct LogFormatTests {
    func line(message: String = "event", label: String = "herald", _ metadata: Logger.Metadata = [:]) -> String {
        LogFormat.logfmt(LogRecord(level: .info, label: label, message: message, metadata: metadata), timestamp: "2026-01-02T03:04:05.678Z")
    }

    /// A value as written, and as it must appear after `key=`.
    @Test(arguments: [
        ("plain", "plain"),
        ("message.id", "message.id"),
        ("café—ünïcode✓", "café—ünïcode✓"),
        ("", #""""#),
        ("two words", #""two words""#),
        (#"say "hi""#, #""say \"hi\"""#),
        ("a=b", #""a=b""#),
        (#"C:\path"#, #""C:\\path""#),
        ("line\nbreak", #""line\nbreak""#),
        ("cr\rhere", #""cr\rhere""#),
        ("tab\there", #""tab\there""#),
        ("\u{0}", #""\u{0}""#),
        ("\u{1B}[31mred", #""\u{1b}[31mred""#),
        ("del\u{7F}", #""del\u{7f}""#),
        ("forged\nts=x level=error msg=\"pwned\"", #""forged\nts=x level=error msg=\"pwned\"""#),
        // C1 control characters are control characters too; NEL (U+0085) ends a line for
        // some readers.
        ("next\u{85}line", #""next\u{85}line""#),
        ("csi\u{9B}31m", #""csi\u{9b}31m""#),
    ])
    func valuesAreQuotedAndEscaped(_ value: String, _ written: String) {
        let text = line(["k": value])
        #expect(text.hasSuffix(" k=\(written)"), "\(text)")
        #expect(!text.unicodeScalars.contains { $0.properties.generalCategory == .control }, "\(text)")
    }

    /// A metadata key as given, and as written: letters, digits, `.` and `_` stay; anything
    /// else (space, `=`, quotes, control characters, symbols) becomes `_`; never empty.
    @Test(arguments: [
        ("message.id", "message.id"),
        ("http_status", "http_status"),
        ("provider2.name", "provider2.name"),
        ("ключ", "ключ"),
        ("two words", "two_words"),
        ("a=b", "a_b"),
        (#"q"uote"#, "q_uote"),
        ("new\nline", "new_line"),
        ("dash-key", "dash_key"),
        ("🔑", "_"),
        ("", "_"),
    ])
    func keysAreSanitised(_ key: String, _ written: String) {
        let text = line([key: "v"])
        #expect(text.hasSuffix(" \(written)=v"), "\(text)")
    }

    @Test func fixedFieldsComeFirstThenMetadataSorted() {
        let text = line(message: "delivery attempt", label: "herald.delivery", [
            "z.last": "1", "a.first": "2", "message.id": "3", "level.x": "4", "ts2": "5",
        ])
        #expect(text == #"ts=2026-01-02T03:04:05.678Z level=info logger=herald.delivery msg="delivery attempt" a.first=2 level.x=4 message.id=3 ts2=5 z.last=1"#)
    }

    @Test func labelAndMessageAreQuotedLikeValues() {
        #expect(line(message: "a\nb", label: "my logger") == #"ts=2026-01-02T03:04:05.678Z level=info logger="my logger" msg="a\nb""#)
        #expect(line(message: "", label: "x").hasSuffix(#" msg="""#))
    }

    @Test(arguments: Logger.Level.allCases)
    func everyLevelIsNamed(_ level: Logger.Level) {
        let text = LogFormat.logfmt(LogRecord(level: level, label: "l", message: "m", metadata: [:]), timestamp: "t")
        #expect(text == "ts=t level=\(level.name) logger=l msg=m")
    }
}
