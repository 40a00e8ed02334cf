import Foundation
public import HeraldCore

/// Reads and checks a provider URL's options: only known names, `name=` and `endpoint=`
/// understood by every provider, the base URL of the API (the public one for `@default`).
public struct ProviderOptions: Sendable {
    public let url: ProviderURL
    /// The name recorded with attempts: `?name=`, else the scheme.
    public let name: String

    /// Options every provider takes.
    public static let common = ["name", "endpoint", "rate"]

    public init(_ url: ProviderURL, known: [String]) throws(ProviderURLError) {
        self.url = url
        let allowed = Self.common + known
        for option in url.options where !allowed.contains(option.name) {
            throw .unknownOption(option.name, known: allowed.sorted())
        }
        if let name = url.option("name") {
            guard (1...40).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                throw .invalid("name must be 1 to 40 letters, digits, - or _")
            }
            self.name = name.lowercased()
        } else {
            self.name = url.scheme
        }
    }

    /// An option that must be there.
    public func required(_ option: String, _ what: String) throws(ProviderURLError) -> String {
        guard let value = url.option(option), !value.isEmpty else { throw .missing("?\(option)= (\(what))") }
        return value
    }

    /// The credential in the user part.
    public func user(_ what: String) throws(ProviderURLError) -> String {
        guard let user = url.user, !user.isEmpty else { throw .missing("\(what) before the @") }
        return user
    }

    /// The credential after the `:` of the user part.
    public func password(_ what: String) throws(ProviderURLError) -> String {
        guard let password = url.password, !password.isEmpty else { throw .missing("\(what) after the : before the @") }
        return password
    }

    /// The API's base URL, without a trailing slash: `?endpoint=` when given, else the
    /// URL's host over HTTPS, else (for `@default`) `publicBase`. An `http://` endpoint is
    /// accepted only on a loopback address, so that credentials never cross a network in
    /// clear.
    public func base(default publicBase: String) throws(ProviderURLError) -> String {
        if let endpoint = url.option("endpoint") {
            return try Self.checkedEndpoint(endpoint)
        }
        if url.isDefaultHost { return publicBase }
        let host = url.host.contains(":") ? "[\(url.host)]" : url.host
        return "https://\(host)" + (url.port.map { ":\($0)" } ?? "") + (url.path == "/" ? "" : url.path)
    }

    static func checkedEndpoint(_ text: String) throws(ProviderURLError) -> String {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty, components.user == nil, components.password == nil
        else {
            throw .invalid("endpoint must be an absolute URL such as https://api.example.com")
        }
        switch scheme {
        case "https": break
        case "http":
            guard isLoopback(host) else {
                throw .invalid("endpoint \(text) is plain http on a host that is not loopback: credentials would cross the network in clear (use https)")
            }
        default:
            throw .invalid("endpoint must start with https:// (or http:// on a loopback address)")
        }
        var result = text
        while result.hasSuffix("/") { result.removeLast() }
        return result
    }

    /// 127.0.0.0/8, ::1 and localhost.
    public static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare == "localhost" || bare == "::1" { return true }
        let octets = bare.split(separator: ".")
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// A sender phone number (E.164) or an alphanumeric sender id (1 to 11 letters,
    /// digits and spaces, at least one letter), as `from=` gives it.
    public static func checkedSender(_ text: String, alphanumeric: Bool) throws(ProviderURLError) -> String {
        if Recipient.isValidPhone(text) { return text }
        if alphanumeric, (1...11).contains(text.count),
            text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == " ") }), text.contains(where: \.isLetter)
        {
            return text
        }
        throw .invalid(
            alphanumeric
                ? "from must be an E.164 number such as +15550001111 (encode + as %2B if your shell needs it) or a sender id of up to 11 letters and digits"
                : "from must be an E.164 number such as +15550001111")
    }
}
