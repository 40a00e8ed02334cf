import Foundation

/// Where and how to reach the SMTP relay. The password never appears in descriptions.
public struct SMTPSettings: Sendable, Equatable, CustomStringConvertible {
    /// `smtp://host:587/ehlo-name` or `smtps://host:465/ehlo-name`, without credentials.
    public var url: String
    public var username: String?
    public var password: String?
    /// STARTTLS required on `smtp://` (always, unless `disable_starttls=true` for a local relay).
    public var requireTLS: Bool
    public var connectTimeoutSeconds = 10
    public var responseTimeoutSeconds = 60
    public var totalTimeoutSeconds = 120
    /// A CA bundle to trust (tests, private relays).
    public var caFile: String?

    public init(url: String, username: String? = nil, password: String? = nil, requireTLS: Bool = true) {
        self.url = url
        self.username = username
        self.password = password
        self.requireTLS = requireTLS
    }

    /// Parses `HERALD_SMTP_URL`: `smtp[s]://[user[:password]@]host[:port][/ehlo][?disable_starttls=true]`.
    public init(parsing text: String, ehloName: String) throws(SMTPSettingsError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "smtp" || scheme == "smtps", let host = components.host, !host.isEmpty
        else {
            throw SMTPSettingsError("HERALD_SMTP_URL must look like smtp://user:pass@host:587 or smtps://user:pass@host:465")
        }
        var disableStartTLS = false
        for item in components.queryItems ?? [] {
            switch item.name {
            case "disable_starttls": disableStartTLS = item.value == "true" || item.value == "1"
            default: throw SMTPSettingsError("HERALD_SMTP_URL: unknown parameter '\(item.name)' (only disable_starttls)")
            }
        }
        let port = components.port ?? (scheme == "smtps" ? 465 : 587)
        let path = components.path.isEmpty || components.path == "/" ? "/" + ehloName : components.path
        let hostPart = host.contains(":") ? "[\(host)]" : host
        self.init(
            url: "\(scheme)://\(hostPart):\(port)\(path)", username: components.user?.removingPercentEncoding,
            password: components.password?.removingPercentEncoding, requireTLS: scheme == "smtp" && !disableStartTLS)
    }

    /// `smtp://host:port` (no credentials), for logs.
    public var description: String {
        // scheme://host:port, without the EHLO path (the URL never holds credentials).
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        return String(url[..<(rest.firstIndex(of: "/") ?? url.endIndex)])
    }
}

public struct SMTPSettingsError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

