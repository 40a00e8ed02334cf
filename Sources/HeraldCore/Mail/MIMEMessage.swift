import Foundation

/// Builds an RFC 5322 / MIME message for an auth email: CRLF only, 7-bit on the wire
/// (quoted-printable bodies, RFC 2047 encoded-words in headers), `multipart/alternative`
/// with the text part first and the HTML part last, lines within limits. Nothing from
/// the data can add a header: every header value is single-line and encoded.
public struct MIMEMessage: Sendable {
    public var from: MailAddress
    public var to: MailAddress
    public var replyTo: MailAddress?
    public var subject: String
    public var text: String?
    public var html: String?
    /// Unix milliseconds.
    public var date: Int64
    /// Without angle brackets: `left@right`.
    public var messageID: String
    /// A random token for the multipart boundary.
    public var boundary: String

    public init(
        from: MailAddress, to: MailAddress, replyTo: MailAddress? = nil, subject: String, text: String?, html: String?,
        date: Int64, messageID: String, boundary: String
    ) {
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.text = text
        self.html = html
        self.date = date
        self.messageID = messageID
        self.boundary = boundary
    }

    /// The message bytes.
    public func build() -> [UInt8] {
        var out = ""
        func header(_ name: String, _ value: String) { out += Self.fold("\(name): \(value)") + "\r\n" }
        header("From", from.headerValue)
        header("To", to.headerValue)
        if let replyTo { header("Reply-To", replyTo.headerValue) }
        header("Subject", Self.encodeText(Self.singleLine(subject), used: "Subject: ".count))
        header("Date", Self.rfc5322Date(date))
        header("Message-ID", "<\(messageID)>")
        header("MIME-Version", "1.0")
        let parts = [text.map { ("text/plain", $0) }, html.map { ("text/html", $0) }].compactMap { $0 }
        if parts.count == 1, let (type, body) = parts.first {
            header("Content-Type", "\(type); charset=utf-8")
            header("Content-Transfer-Encoding", "quoted-printable")
            out += "\r\n"
            var bytes = Array(out.utf8)
            bytes += Self.quotedPrintableBytes(body)
            return bytes
        } else {
            header("Content-Type", "multipart/alternative; boundary=\"\(boundary)\"")
            out += "\r\n"
            var bytes = Array(out.utf8)
            for (type, body) in parts {
                bytes += Array("--\(boundary)\r\nContent-Type: \(type); charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n".utf8)
                bytes += Self.quotedPrintableBytes(body)
            }
            bytes += Array("--\(boundary)--\r\n".utf8)
            return bytes
        }
    }

    // MARK: Headers

    /// One line: CR, LF, tabs and other line breaks become single spaces.
    public static func singleLine(_ text: String) -> String {
        if isSingleLine(text) { return text }
        var scalars = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar == " " || scalar == "\t" || scalar == "\r" || scalar == "\n" || scalar == "\u{0B}" || scalar == "\u{0C}"
                || scalar == "\u{85}" || scalar == "\u{2028}" || scalar == "\u{2029}"
            {
                pendingSpace = !scalars.isEmpty
                continue
            }
            if scalar.value == 0 { continue }
            if pendingSpace { scalars.append(" ") }
            pendingSpace = false
            scalars.append(scalar)
        }
        return String(scalars)
    }

    /// Whether ``singleLine(_:)`` would return `text` unchanged: no line breaks, tabs or
    /// NUL, no space at either end or twice in a row. A byte scan (the common case), so
    /// that most texts are not rebuilt scalar by scalar.
    static func isSingleLine(_ text: String) -> Bool {
        var previous: UInt8 = 0x20  // a leading space counts as doubled
        var beforePrevious: UInt8 = 0
        for byte in text.utf8 {
            switch byte {
            case 0x00, 0x09, 0x0A, 0x0B, 0x0C, 0x0D: return false
            case 0x20 where previous == 0x20: return false
            case 0x85 where previous == 0xC2: return false  // NEL
            case 0xA8, 0xA9: if previous == 0x80 && beforePrevious == 0xE2 { return false }  // LS, PS
            default: break
            }
            beforePrevious = previous
            previous = byte
        }
        return previous != 0x20 || text.utf8.isEmpty
    }

    /// Unstructured text (Subject): as is when printable ASCII that folds at its spaces
    /// into lines of 78, else encoded-words (which can break anywhere).
    public static func encodeText(_ text: String, used: Int = 0) -> String {
        if isSafeAsIs(text) { return text }
        return encodedWords(text, used: used)
    }

    /// A display name: an atom phrase, a quoted-string, or encoded-words.
    public static func encodePhrase(_ name: String) -> String {
        let text = singleLine(name)
        guard isSafeAsIs(text) else { return encodedWords(text) }
        if text.utf8.allSatisfy(isAtomTextOrSpace) { return text }
        var quoted: [UInt8] = [UInt8(ascii: "\"")]
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") { quoted.append(UInt8(ascii: "\\")) }
            quoted.append(byte)
        }
        quoted.append(UInt8(ascii: "\""))
        return String(decoding: quoted, as: UTF8.self)
    }

    /// Whether `text` can go into a header as it is, in one byte scan: printable ASCII, not
    /// looking like an encoded-word (`=?`), and no run without spaces over 60 characters (a
    /// header line folds only at spaces, and must stay under 998 characters).
    static func isSafeAsIs(_ text: String) -> Bool {
        var previous: UInt8 = 0
        var run = 0
        for byte in text.utf8 {
            guard byte >= 0x20 && byte < 0x7F, !(previous == UInt8(ascii: "=") && byte == UInt8(ascii: "?")) else { return false }
            run = byte == 0x20 ? 0 : run + 1
            if run > 60 { return false }
            previous = byte
        }
        return true
    }

    /// RFC 5322 atext, or a space between words.
    static func isAtomTextOrSpace(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: " "):
            return true
        default:
            return "!#$%&'*+-/=?^_`{|}~".utf8.contains(byte)
        }
    }

    /// `=?UTF-8?B?...?=` words, each on its own line of at most 76 characters (the first
    /// shares its line with `used` characters of header name), never splitting a
    /// character, separated by folding white space.
    static func encodedWords(_ text: String, used: Int = 0) -> String {
        var words: [String] = []
        var chunk: [UInt8] = []
        // An n-byte word is 12 + 4*ceil(n/3) characters; continuation lines start with a space.
        func capacity(_ lineUsed: Int) -> Int { max(3, (76 - lineUsed - 12) / 4 * 3) }
        for character in text {
            let bytes = Array(String(character).utf8)
            let limit = capacity(words.isEmpty ? used : 1)
            if chunk.count + bytes.count > limit && !chunk.isEmpty {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }

    /// Folds a header line longer than 78 characters at spaces (CRLF SP), never inside a
    /// word; lines that already contain folds are left as they are.
    static func fold(_ line: String) -> String {
        guard line.utf8.count > 78, !line.utf8.contains(0x0A) else { return line }
        var result = ""
        var current = ""
        for word in line.split(separator: " ", omittingEmptySubsequences: false) {
            if !current.isEmpty && current.utf8.count + 1 + word.utf8.count > 78 {
                result += current + "\r\n"
                current = " " + word
            } else {
                current += (current.isEmpty ? "" : " ") + word
            }
        }
        return result + current
    }

    /// `Sat, 22 Nov 2025 10:18:00 +0000`.
    public static func rfc5322Date(_ milliseconds: Int64) -> String {
        let time = UTCTime(milliseconds: milliseconds)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return "\(days[time.weekday]), \(time.day) \(months[Int(time.month) - 1]) \(time.year) "
            + "\(UTCTime.padded(time.hour)):\(UTCTime.padded(time.minute)):\(UTCTime.padded(time.second)) +0000"
    }

    // MARK: Bodies

    /// Quoted-printable (RFC 2045 6.7) of UTF-8 text: any line ending becomes CRLF, lines
    /// of at most 76 characters with soft breaks, trailing white space encoded, and a `.`
    /// or `From ` at the start of a line encoded too. Ends with CRLF; a text that ends
    /// with a line break gets one more, since the CRLF before a boundary belongs to it.
    public static func quotedPrintable(_ text: String) -> String {
        String(decoding: quotedPrintableBytes(text), as: UTF8.self)
    }

    /// Per byte: 1 printable ASCII but "=", 2 space or tab, 0 encoded.
    private static let quotedPrintableClasses: [UInt8] = (0..<256).map { byte in
        byte == 0x20 || byte == 0x09 ? 2 : (byte >= 33 && byte <= 126 && byte != 0x3D ? 1 : 0)
    }

    /// ``quotedPrintable(_:)`` as bytes, in one pass.
    public static func quotedPrintableBytes(_ text: String) -> [UInt8] {
        var source = Array(text.utf8)
        if source.contains(0x0D) {
            // Normalise line ends: CRLF and lone CR become LF.
            var normalized: [UInt8] = []
            normalized.reserveCapacity(source.count)
            var index = 0
            while index < source.count {
                if source[index] == 0x0D {
                    normalized.append(0x0A)
                    if index + 1 < source.count && source[index + 1] == 0x0A { index += 1 }
                } else {
                    normalized.append(source[index])
                }
                index += 1
            }
            source = normalized
        }
        // At most 3 bytes per input byte, plus a 3-byte soft break per 73 of those, plus the end.
        var out = [UInt8](repeating: 0, count: source.count * 3 + (source.count * 3 / 73 + 1) * 3 + 8)
        let written = out.withUnsafeMutableBufferPointer { output in
            source.withUnsafeBufferPointer { input in
                quotedPrintableClasses.withUnsafeBufferPointer { classes in
                    encodeQuotedPrintable(input, into: output, classes: classes)
                }
            }
        }
        out.removeSubrange(written...)
        return out
    }

    /// The loop of ``quotedPrintableBytes(_:)``: LF-only `input` in, the count written out.
    private static func encodeQuotedPrintable(
        _ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>, classes: UnsafeBufferPointer<UInt8>
    ) -> Int {
        let hex: StaticString = "0123456789ABCDEF"
        let digits = hex.utf8Start
        var written = 0
        var lineLength = 0
        let count = input.count
        var index = 0
        while index < count {
            let byte = input[index]
            if byte == 0x0A {
                output[written] = 0x0D
                output[written + 1] = 0x0A
                written += 2
                lineLength = 0
                index += 1
                continue
            }
            let literal: Bool
            switch classes[Int(byte)] {
            case 1:
                if lineLength == 0 && (byte == 0x2E || byte == 0x46) && (index == 0 || input[index - 1] == 0x0A) {
                    // "." or "From " at a line start is encoded.
                    literal = byte == 0x46
                        && !(index + 4 < count && input[index + 1] == 0x72 && input[index + 2] == 0x6F
                            && input[index + 3] == 0x6D && input[index + 4] == 0x20)
                } else {
                    literal = true
                }
            case 2: literal = index + 1 < count && input[index + 1] != 0x0A  // space or tab, unless it ends a line
            default: literal = false
            }
            let width = literal ? 1 : 3
            if lineLength + width > 75 {
                output[written] = 0x3D
                output[written + 1] = 0x0D
                output[written + 2] = 0x0A
                written += 3
                lineLength = 0
            }
            if literal {
                output[written] = byte
            } else {
                output[written] = 0x3D
                output[written + 1] = digits[Int(byte >> 4)]
                output[written + 2] = digits[Int(byte & 0x0F)]
            }
            written += width
            lineLength += width
            index += 1
        }
        // Every text ends with CRLF; a trailing line break adds one more (the CRLF before a
        // boundary belongs to the boundary).
        output[written] = 0x0D
        output[written + 1] = 0x0A
        return written + 2
    }
}
