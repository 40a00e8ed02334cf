import Foundation

/// A provider configured as a URL in the style of Symfony Mailer / Notifier DSNs:
/// `scheme://user:password@host[:port][/path][?option=value&...]`.
///
/// Credentials are percent-decoded and never shown (``redacted``). `+` stays `+` (a
/// phone number in `from=+1555...` needs no encoding); `%2B` works too. The credentials
/// run to the last `@` before the host, so a secret with an unencoded `/` or `+` (AWS
/// secrets have both) still parses.
public struct ProviderURL: Sendable, Equatable {
    /// Lower case, without a Symfony `+api` / `+https` suffix (kept in ``variant``).
    public var scheme: String
    /// `api` for `sendgrid+api://`, `https` for `webhook+https://`, ...
    public var variant: String?
    public var user: String?
    public var password: String?
    /// `default` for the provider's public API.
    public var host: String
    public var port: Int?
    /// Empty or starting with `/`.
    public var path: String
    /// In the order given; a repeated name keeps the last value.
    public var options: [(name: String, value: String)]
    /// The text as given, for error messages only through ``redacted``.
    public let original: String

    public static func == (lhs: ProviderURL, rhs: ProviderURL) -> Bool { lhs.original == rhs.original }

    public init(parsing text: String) throws(ProviderURLError) {
        original = text
        guard let separator = text.range(of: "://") else { throw .malformed("expected scheme://..., e.g. twilio://SID:TOKEN@default") }
        let fullScheme = text[..<separator.lowerBound].lowercased()
        guard !fullScheme.isEmpty, fullScheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }) else {
            throw .malformed("the scheme is missing or not letters")
        }
        let schemeParts = fullScheme.split(separator: "+", maxSplits: 1).map(String.init)
        scheme = schemeParts[0]
        variant = schemeParts.count > 1 ? schemeParts[1] : nil
        var rest = text[separator.upperBound...]
        // Credentials: up to the last "@" that comes before the query of the host part.
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                user = try Self.decode(userInfo[..<colon], "the user name")
                password = try Self.decode(userInfo[userInfo.index(after: colon)...], "the password")
            } else {
                user = try Self.decode(userInfo, "the user name")
            }
            if user?.isEmpty == true { user = nil }
        }
        var query: Substring = ""
        if let question = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: question)...]
            rest = rest[..<question]
        }
        if let hash = query.firstIndex(of: "#") { query = query[..<hash] }
        var authority = rest
        path = ""
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = String(rest[slash...])
        }
        // Host and port: [v6]:port, host:port, host.
        var hostText = authority
        port = nil
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            hostText = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { port = try Self.port(after.dropFirst()) } else if !after.isEmpty { throw .malformed("unexpected text after the host") }
        } else if let colon = authority.lastIndex(of: ":") {
            hostText = authority[..<colon]
            port = try Self.port(authority[authority.index(after: colon)...])
        }
        guard !hostText.isEmpty else { throw .malformed("the host is missing (use @default for the provider's public API)") }
        guard hostText.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" || $0 == "_") }) else {
            throw .malformed("the host is not a host name")
        }
        host = hostText.lowercased()
        options = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try Self.decode(parts[0], "an option name")
            let value = parts.count > 1 ? try Self.decode(parts[1], "the option \(name)") : ""
            guard !name.isEmpty else { throw .malformed("an option without a name") }
            options.removeAll { $0.name == name }
            options.append((name, value))
        }
    }

    /// The value of option `name`, if given.
    public func option(_ name: String) -> String? {
        options.last { $0.name == name }?.value
    }

    /// Whether the host is `default`: the provider's public API.
    public var isDefaultHost: Bool { host == "default" }

    /// The URL with its credentials replaced by `***`, for messages.
    public var redacted: String {
        var text = scheme + (variant.map { "+" + $0 } ?? "") + "://"
        if user != nil || password != nil { text += "***@" }
        text += host.contains(":") ? "[\(host)]" : host
        if let port { text += ":\(port)" }
        text += path
        if !options.isEmpty {
            text += "?" + options.map { "\($0.name)=\(Self.looksSecret($0.value) ? "***" : $0.value)" }.joined(separator: "&")
        }
        return text
    }

    /// Whether `text` looks like a credential rather than a setting (long, or with a known
    /// key prefix), so that it is never echoed.
    public static func looksSecret(_ text: String) -> Bool {
        let prefixes = ["whsec_", "sk_", "SG.", "re_", "key-", "xkeysib-", "AKIA", "ASIA"]
        if prefixes.contains(where: text.hasPrefix) { return true }
        return text.count >= 32 && text.allSatisfy { $0.isLetter || $0.isNumber || "+/=_-".contains($0) } && !text.hasPrefix("http")
    }

    private static func decode(_ text: Substring, _ what: String) throws(ProviderURLError) -> String {
        guard let decoded = String(text).removingPercentEncoding else { throw .malformed("\(what) has a bad %-escape") }
        return decoded
    }

    private static func port(_ text: Substring) throws(ProviderURLError) -> Int {
        guard let number = Int(text), (1...65535).contains(number) else { throw .malformed("the port is not a number from 1 to 65535") }
        return number
    }
}

/// Why a provider URL is not usable. The text never holds a credential.
public enum ProviderURLError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case unknownScheme(String, known: [String])
    case unknownOption(String, known: [String])
    case missing(String)
    case invalid(String)

    public var description: String {
        switch self {
        case .malformed(let detail): "not a provider URL: \(detail)"
        case .unknownScheme(let scheme, let known): "unknown provider \"\(scheme)\" (known: \(known.joined(separator: ", ")))"
        case .unknownOption(let name, let known):
            "unknown option \"\(name)\"" + (known.isEmpty ? " (this provider takes none)" : " (known: \(known.joined(separator: ", ")))")
        case .missing(let detail): "missing \(detail)"
        case .invalid(let detail): detail
        }
    }
}
