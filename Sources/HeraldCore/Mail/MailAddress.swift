import Foundation

/// A mailbox for headers and the SMTP envelope: an optional display name and an address
/// that is safe to put on the wire (ASCII, no CR/LF/NUL, no brackets, valid shape).
public struct MailAddress: Sendable, Equatable, CustomStringConvertible {
    public enum ParseError: Error, Equatable, Sendable {
        case invalid(String)
        /// Valid, but needs SMTPUTF8 or IDNA, which Herald does not do yet.
        case nonASCII(String)
    }

    public var name: String?
    public var address: String

    /// Checks `address` for the wire.
    public init(name: String? = nil, address: String) throws(ParseError) {
        guard Recipient.isValidEmail(address) else { throw .invalid(address) }
        guard address.unicodeScalars.allSatisfy({ $0.isASCII }) else { throw .nonASCII(address) }
        let cleaned = name.map { MIMEMessage.singleLine($0) }
        self.name = cleaned?.isEmpty == true ? nil : cleaned
        self.address = address
    }

    /// Parses `Name <address>` or a bare `address`.
    public init(parsing text: String) throws(ParseError) {
        let trimmed = text.trimmingWhitespace()
        if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
            var name = String(trimmed[..<open]).trimmingWhitespace()
            if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 {
                name = String(name.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
            }
            let address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            try self.init(name: name.isEmpty ? nil : name, address: address)
        } else {
            try self.init(name: nil, address: trimmed)
        }
    }

    public var domain: String { String(address[address.index(after: address.lastIndex(of: "@")!)...]) }

    /// The header form: `Name <address>`, the name quoted or RFC 2047-encoded as needed.
    public var headerValue: String {
        guard let name else { return "<\(address)>" }
        return "\(MIMEMessage.encodePhrase(name)) <\(address)>"
    }

    public var description: String { headerValue }
}
