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

    /// Unstructured text (Subject): as is when printable ASCII, else encoded-words.
    public static func encodeText(_ text: String, used: Int = 0) -> String {
        if text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) && !text.contains("=?") { return text }
        return encodedWords(text, used: used)
    }

    /// A display name: an atom phrase, a quoted-string, or encoded-words.
    public static func encodePhrase(_ name: String) -> String {
        let text = singleLine(name)
        guard text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }), !text.contains("=?") else {
            return encodedWords(text)
        }
        let atomText = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~ ")
        if text.unicodeScalars.allSatisfy({ atomText.contains($0) }) { return text }
        return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
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
        guard line.utf8.count > 78, !line.contains("\r\n") else { return line }
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
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int?) -> String { value.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(days[(parts.weekday ?? 1) - 1]), \(parts.day ?? 1) \(months[(parts.month ?? 1) - 1]) \(parts.year ?? 1970) "
            + "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) +0000"
    }

    // MARK: Bodies

    /// Quoted-printable (RFC 2045 6.7) of UTF-8 text: any line ending becomes CRLF, lines
    /// of at most 76 characters with soft breaks, trailing white space encoded, and a `.`
    /// or `From ` at the start of a line encoded too. Ends with CRLF; a text that ends
    /// with a line break gets one more, since the CRLF before a boundary belongs to it.
    public static func quotedPrintable(_ text: String) -> String {
        String(decoding: quotedPrintableBytes(text), as: UTF8.self)
    }

    /// ``quotedPrintable(_:)`` as bytes, in one pass.
    public static func quotedPrintableBytes(_ text: String) -> [UInt8] {
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + text.utf8.count / 8 + 16)
        var lineLength = 0
        var utf8 = Array(text.utf8)
        // Normalise line ends: CRLF and lone CR become LF.
        if utf8.contains(0x0D) {
            var normalized: [UInt8] = []
            normalized.reserveCapacity(utf8.count)
            var index = 0
            while index < utf8.count {
                if utf8[index] == 0x0D {
                    normalized.append(0x0A)
                    if index + 1 < utf8.count && utf8[index + 1] == 0x0A { index += 1 }
                } else {
                    normalized.append(utf8[index])
                }
                index += 1
            }
            utf8 = normalized
        }
        func emit(_ bytes: UInt8...) {
            if lineLength + bytes.count > 75 {
                out.append(UInt8(ascii: "="))
                out.append(0x0D)
                out.append(0x0A)
                lineLength = 0
            }
            out.append(contentsOf: bytes)
            lineLength += bytes.count
        }
        func encoded(_ byte: UInt8) {
            emit(UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)])
        }
        let count = utf8.count
        var index = 0
        var atLineStart = true
        while index < count {
            let byte = utf8[index]
            if byte == 0x0A {
                out.append(0x0D)
                out.append(0x0A)
                lineLength = 0
                atLineStart = true
                index += 1
                continue
            }
            let endsLine = index + 1 == count || utf8[index + 1] == 0x0A
            if atLineStart && lineLength == 0 && byte == UInt8(ascii: ".") {
                encoded(byte)
            } else if atLineStart && lineLength == 0 && byte == UInt8(ascii: "F") && index + 4 < count
                && utf8[index + 1] == UInt8(ascii: "r") && utf8[index + 2] == UInt8(ascii: "o") && utf8[index + 3] == UInt8(ascii: "m")
                && utf8[index + 4] == UInt8(ascii: " ")
            {
                encoded(byte)
            } else if byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=") {
                emit(byte)
            } else if (byte == 0x20 || byte == 0x09) && !endsLine {
                emit(byte)
            } else {
                encoded(byte)
            }
            atLineStart = false
            index += 1
        }
        // Every text ends with CRLF; a trailing line break adds one more (the CRLF before a
        // boundary belongs to the boundary).
        out.append(0x0D)
        out.append(0x0A)
        return out
    }
}
