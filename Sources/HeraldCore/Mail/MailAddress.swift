import Foundation

/// A mailbox for headers and the SMTP envelope: an optional display name and an address
/// that is safe to put on the wire (ASCII, no CR/LF/NUL, no brackets, valid shape).
public struct MailAddress: Sendable, Equatable, CustomStringConvertible {
    public enum ParseError: Error, Equatable, Sendable {
        case invalid(String)
        /// Valid, but the local part is not ASCII where only ASCII may go (a sender). A
        /// recipient may have one (`allowUTF8`): it travels with SMTPUTF8 (RFC 6531).
        /// A non-ASCII domain is always converted to its ASCII form.
        case nonASCII(String)
    }

    public var name: String?
    public var address: String

    /// Checks `address` for the wire; an internationalised domain is put in its ASCII
    /// (`xn--`) form. A non-ASCII local part only with `allowUTF8`.
    public init(name: String? = nil, address: String, allowUTF8: Bool = false) throws(ParseError) {
        guard Recipient.isValidEmail(address), let at = address.lastIndex(of: "@") else { throw .invalid(address) }
        let local = address[..<at]
        let domain = address[address.index(after: at)...]
        guard allowUTF8 || local.unicodeScalars.allSatisfy(\.isASCII) else { throw .nonASCII(address) }
        var wire = address
        if !domain.unicodeScalars.allSatisfy(\.isASCII) {
            guard let ascii = try? IDNA.asciiDomain(domain), local.utf8.count + 1 + ascii.utf8.count <= 254 else {
                throw .invalid(address)
            }
            wire = local + "@" + ascii
        }
        let cleaned = name.map { MIMEMessage.singleLine($0) }
        self.name = cleaned?.isEmpty == true ? nil : cleaned
        self.address = wire
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

    /// Whether the address is UTF-8 (its local part: the domain is always ASCII), so that
    /// it can only travel with SMTPUTF8.
    public var needsSMTPUTF8: Bool { !address.utf8.allSatisfy { $0 < 0x80 } }

    /// The header form: `Name <address>`, the name quoted or RFC 2047-encoded as needed.
    public var headerValue: String {
        guard let name else { return "<\(address)>" }
        return "\(MIMEMessage.encodePhrase(name)) <\(address)>"
    }

    public var description: String { headerValue }
}
