import Foundation

/// A webhook signing secret: `whsec_` followed by base64 (the prefix is optional), giving
/// the HMAC key. Its description never shows the key.
public struct WebhookSecret: Sendable, Equatable, CustomStringConvertible {
    public enum ParseError: Error, Equatable, Sendable {
        case empty
        case notBase64
        case tooShort(bytes: Int)
    }

    /// Shortest key accepted. Svix issues 24 bytes; its docs example decodes to 18.
    public static let minimumKeyBytes = 16

    public let key: [UInt8]

    public init(key: [UInt8]) {
        self.key = key
    }

    /// Parses `whsec_<base64>` or bare base64 (padding optional), strictly.
    public init(parsing text: String) throws(ParseError) {
        var body = Substring(text.trimmingCharacters(in: .whitespaces))
        if body.hasPrefix("whsec_") { body = body.dropFirst("whsec_".count) }
        guard !body.isEmpty else { throw .empty }
        guard let bytes = Base64.decode(body) else { throw .notBase64 }
        guard bytes.count >= Self.minimumKeyBytes else { throw .tooShort(bytes: bytes.count) }
        self.key = bytes
    }

    /// Parses a list of secrets separated by spaces or commas (rotation: old and new).
    public static func parseList(_ text: String) throws(ParseError) -> [WebhookSecret] {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" || $0 == "\t" })
        var secrets: [WebhookSecret] = []
        for part in parts {
            secrets.append(try WebhookSecret(parsing: String(part)))
        }
        if secrets.isEmpty { throw .empty }
        return secrets
    }

    public var description: String { "WebhookSecret(\(key.count) bytes, redacted)" }
}

/// Strict standard base64 (RFC 4648 alphabet, `=` padding optional, no other characters).
public enum Base64 {
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var padded = String(text)
        guard !padded.isEmpty else { return [] }
        guard padded.utf8.allSatisfy({ isAlphabet($0) || $0 == UInt8(ascii: "=") }) else { return nil }
        let remainder = padded.utf8.filter { $0 != UInt8(ascii: "=") }.count % 4
        if !padded.hasSuffix("=") && remainder != 0 {
            padded += String(repeating: "=", count: 4 - remainder)
        }
        guard let data = Data(base64Encoded: padded) else { return nil }
        return [UInt8](data)
    }

    public static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    private static func isAlphabet(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"):
            true
        default:
            false
        }
    }
}
