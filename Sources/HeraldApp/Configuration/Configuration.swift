import Foundation
public import HeraldCore
public import HeraldHTTPServer
import HeraldCrypto
import HeraldCurl
public import HeraldProviders

/// Herald's settings: environment variables first (twelve-factor), a JSON file for
/// structure, embedded defaults for everything else. Secrets come only from the
/// environment.
public struct Configuration: Sendable {
    /// The development secret `make run` uses. `herald serve` refuses it unless `--dev`.
    public static let developmentSecret = "whsec_ZGV2ZWxvcG1lbnQtb25seS1kby1ub3QtdXNl"
    public static let defaultConfigPath = "config/herald.json"
    public static let secretVariables = ["HERALD_WEBHOOK_SECRET", "CLERK_WEBHOOK_SIGNING_SECRET", "CLERK_WEBHOOK_SECRET"]

    public var listenHost = "127.0.0.1"
    public var listenPort: UInt16 = 8787
    /// Where `/metrics` is served instead of on the main listener (`HERALD_METRICS_LISTEN`,
    /// `metrics_listen`); nil: on the main listener.
    public var metricsListen: ListenAddress?
    public var webhookPath = "/webhooks/clerk"
    /// The store: a SQLite file (the default) or a PostgreSQL URL (`HERALD_DATABASE`).
    public var database = DatabaseLocation.sqlite(path: "var/herald.db")
    public var templatesPath = "templates"
    /// Which setting named the templates folder (`HERALD_TEMPLATES`, or the file's
    /// `templates`); nil for the default. A folder named explicitly must exist.
    public var templatesSource: String?
    /// Where the locale is read from in the event's template variables.
    public var localePath = "user.public_metadata.locale"
    /// Where the outbox transport writes messages.
    public var outboxPath = "var/outbox"
    /// Workers, leases, retries, expiry, and the sender (`HERALD_EMAIL_FROM`,
    /// `HERALD_EMAIL_DOMAIN` in `delivery.email`).
    public var delivery = DeliveryEngine.Settings()
    /// Email providers in failover order: `HERALD_EMAIL_URL`, then `HERALD_SMTP_URL`
    /// (environment only: they hold credentials). Empty: the outbox.
    public var emailProviders: [ConfiguredProvider] = []
    /// The routing rules (`routes`): which providers a message goes to, by channel, slug,
    /// recipient country or email domain. None: the URL order.
    public var routing = RoutingTable()
    /// When a provider's circuit opens and how long it stays open (`delivery.circuit`).
    public var breakers = CircuitBreaker.Settings()
    /// SMS providers in failover order (`HERALD_SMS_URL`). Empty: the outbox.
    public var smsProviders: [ConfiguredProvider] = []
    /// A CA bundle the HTTP providers' certificates are checked against (`HERALD_HTTP_CA_FILE`).
    public var httpCAFile: String?
    /// How long one HTTP provider request may take in all (`delivery.provider_timeout_seconds`);
    /// connecting gets at most 10 s of it.
    public var providerTimeoutSeconds = 30
    /// How long messages in a final state are kept, in milliseconds (`HERALD_RETENTION`,
    /// `retention`); nil keeps them for ever.
    public var retention: Int64? = Configuration.defaultRetention
    public static let defaultRetention: Int64 = 30 * 86_400_000
    public var logLevel = Logger.Level.info
    public var http = HTTPServerConfiguration()
    /// Signing secrets, from the environment; empty when none is set.
    public var secrets: [WebhookSecret] = []
    /// Which variable the secrets came from.
    public var secretSource: String?
    /// The file that was read, if any.
    public var configFile: String?

    public init() {}

    /// What is wrong with the templates folder, if anything: `refuse` when serve must not
    /// start (a folder named explicitly that is not there), else a warning. Either way
    /// every message would go out with Clerk's rendering.
    public func templatesFolderProblem() -> (message: String, refuse: Bool)? {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: templatesPath, isDirectory: &isDirectory)
        if !exists || !isDirectory.boolValue {
            let what = exists ? "is not a folder" : "does not exist"
            if let templatesSource {
                return ("\(templatesSource): the templates folder \(templatesPath) \(what); fix the path, or unset it to use ./templates", true)
            }
            return ("no templates folder at \(templatesPath) (\(what)): Clerk's rendering is sent for every message", false)
        }
        guard (try? FileManager.default.contentsOfDirectory(atPath: templatesPath)) != nil else {
            return ("the templates folder \(templatesPath) cannot be read: Clerk's rendering is sent for every message", false)
        }
        return nil
    }

    /// The first SMTP relay among the email providers (for `herald check --relay`).
    public var smtp: SMTPSettings? {
        for case .smtp(_, let settings) in emailProviders.map(\.definition) { return settings }
        return nil
    }

    /// What the delivery engine sends through.
    public var providers: DeliveryProviders {
        var http = HTTPTransportSettings()
        http.caFile = httpCAFile
        http.totalTimeoutMilliseconds = providerTimeoutSeconds * 1000
        http.connectTimeoutMilliseconds = min(10, providerTimeoutSeconds) * 1000
        return DeliveryProviders(
            email: emailProviders, sms: smsProviders, routing: routing, outboxPath: outboxPath, http: http, signer: OpenSSLRequestSigner())
    }

    /// Whether the configured secrets are exactly the development secret.
    public var usesDevelopmentSecret: Bool {
        guard let development = try? WebhookSecret(parsing: Self.developmentSecret) else { return false }
        return secrets.contains(development)
    }

    /// Reads the JSON file (`HERALD_CONFIG`, else `config/herald.json` when present), then
    /// the environment on top.
    public static func load(environment: [String: String]) throws(ConfigurationError) -> Configuration {
        var configuration = Configuration()
        let explicit = environment["HERALD_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        let path = explicit ?? Self.defaultConfigPath
        if explicit != nil || FileManager.default.fileExists(atPath: path) {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError("cannot read configuration file \(Self.shown(path))")
            }
            try configuration.apply(file: [UInt8](data), path: path)
            configuration.configFile = path
        }
        try configuration.apply(environment: environment)
        return configuration
    }

    mutating func apply(file bytes: [UInt8], path: String) throws(ConfigurationError) {
        guard let root = try? JSONValue.parse(bytes), case .object(let members) = root else {
            throw ConfigurationError("\(path): not a JSON object")
        }
        for (key, value) in members where !key.hasPrefix("$") {
            switch key {
            case "listen": try setListen(try Self.string(value, key, path), setting: "\(path): \"listen\"")
            case "metrics_listen": metricsListen = try ListenAddress(parsing: try Self.string(value, key, path), setting: "\(path): \"metrics_listen\"")
            case "webhook_path": webhookPath = try Self.path(try Self.string(value, key, path), key)
            case "database": database = try Self.database(try Self.string(value, key, path), "\(path): \"database\"", inFile: true)
            case "templates":
                templatesPath = try Self.string(value, key, path)
                templatesSource = "\(path): \"templates\""
            case "locale_path": localePath = try Self.string(value, key, path)
            case "outbox": outboxPath = try Self.string(value, key, path)
            case "email_from": delivery.email.from = try Self.mailbox(try Self.string(value, key, path), key)
            case "email_domain": delivery.email.domain = try Self.domain(try Self.string(value, key, path), key)
            case "delivery": try applyDelivery(value, path: path)
            case "routes": routing = try Self.routes(value, path: path)
            case "log_level": logLevel = try Self.level(try Self.string(value, key, path), "\(path): \"log_level\"")
            case "retention": retention = try Self.retention(try Self.string(value, key, path), "\(path): \"retention\"")
            case "http":
                guard case .object(let limits) = value else { throw ConfigurationError("\(path): \"http\" must be an object") }
                for (limit, number) in limits where !limit.hasPrefix("$") {
                    let amount = try Self.positive(number, "http.\(Self.shownName(limit))", path)
                    switch limit {
                    case "max_body_bytes": http.maxBodyBytes = amount
                    case "connection_limit": http.connectionLimit = amount
                    case "per_ip_connection_limit": http.perIPConnectionLimit = amount
                    case "connection_timeout_seconds": http.connectionTimeoutSeconds = amount
                    case "request_timeout_seconds": http.requestTimeoutSeconds = amount
                    case "threads": http.threads = amount
                    default: throw ConfigurationError("\(path): unknown setting \"http.\(Self.shownName(limit))\"")
                    }
                }
            case "webhook_secret", "webhook_secrets", "secret", "secrets", "smtp_url", "email_url", "sms_url":
                throw ConfigurationError(
                    "\(path): secrets are not read from files; set HERALD_WEBHOOK_SECRET, HERALD_EMAIL_URL, HERALD_SMS_URL or HERALD_SMTP_URL in the environment")
            default:
                throw ConfigurationError("\(path): unknown setting \"\(Self.shownName(key))\"")
            }
        }
    }

    mutating func apply(environment: [String: String]) throws(ConfigurationError) {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        if let listen = value("HERALD_LISTEN") { try setListen(listen, setting: "HERALD_LISTEN") }
        if let listen = value("HERALD_METRICS_LISTEN") { metricsListen = try ListenAddress(parsing: listen, setting: "HERALD_METRICS_LISTEN") }
        if let path = value("HERALD_WEBHOOK_PATH") { webhookPath = try Self.path(path, "HERALD_WEBHOOK_PATH") }
        if let text = value("HERALD_DATABASE") { database = try Self.database(text, "HERALD_DATABASE", inFile: false) }
        if let templates = value("HERALD_TEMPLATES") {
            templatesPath = templates
            templatesSource = "HERALD_TEMPLATES"
        }
        if let locale = value("HERALD_LOCALE_PATH") { localePath = locale }
        if let outbox = value("HERALD_OUTBOX") { outboxPath = outbox }
        if let from = value("HERALD_EMAIL_FROM") { delivery.email.from = try Self.mailbox(from, "HERALD_EMAIL_FROM") }
        if let domain = value("HERALD_EMAIL_DOMAIN") { delivery.email.domain = try Self.domain(domain, "HERALD_EMAIL_DOMAIN") }
        var smtpCAFile: String?
        if let caFile = value("HERALD_SMTP_CA_FILE") {
            guard FileManager.default.isReadableFile(atPath: caFile) else { throw ConfigurationError("HERALD_SMTP_CA_FILE: cannot read \(Self.shown(caFile))") }
            smtpCAFile = caFile
        }
        if let caFile = value("HERALD_HTTP_CA_FILE") {
            guard FileManager.default.isReadableFile(atPath: caFile) else { throw ConfigurationError("HERALD_HTTP_CA_FILE: cannot read \(Self.shown(caFile))") }
            httpCAFile = caFile
        }
        let providerEnvironment = ProviderEnvironment(ehloName: value("HERALD_SMTP_HELO") ?? ProcessInfo.processInfo.hostName, smtpCAFile: smtpCAFile)
        do throws(ProviderSetupError) {
            emailProviders = []
            if let urls = value("HERALD_EMAIL_URL") {
                emailProviders = try ProviderCatalog.providers(urls, channel: .email, variable: "HERALD_EMAIL_URL", environment: providerEnvironment)
            }
            if let url = value("HERALD_SMTP_URL") {
                guard url.lowercased().hasPrefix("smtp://") || url.lowercased().hasPrefix("smtps://"), !url.contains(" ") else {
                    throw ProviderSetupError(variable: "HERALD_SMTP_URL", url: "", problem: "must be one smtp:// or smtps:// URL, e.g. smtp://user:pass@host:587")
                }
                let relay = try ProviderCatalog.providers(url, channel: .email, variable: "HERALD_SMTP_URL", environment: providerEnvironment)
                guard !emailProviders.contains(where: { $0.name == relay.first?.name }) else {
                    throw ProviderSetupError(variable: "HERALD_SMTP_URL", url: "", problem: "HERALD_EMAIL_URL already has a provider named smtp; give one a ?name=")
                }
                emailProviders += relay
            }
            if let urls = value("HERALD_SMS_URL") {
                smsProviders = try ProviderCatalog.providers(urls, channel: .sms, variable: "HERALD_SMS_URL", environment: providerEnvironment)
            }
        } catch {
            throw ConfigurationError(error.description)
        }
        if let workers = value("HERALD_WORKERS") {
            guard let count = Int(workers), (1...256).contains(count) else { throw ConfigurationError("HERALD_WORKERS must be a whole number from 1 to 256") }
            delivery.workers = count
        }
        if let level = value("HERALD_LOG_LEVEL") { logLevel = try Self.level(level, "HERALD_LOG_LEVEL") }
        if let text = value("HERALD_RETENTION") { retention = try Self.retention(text, "HERALD_RETENTION") }
        for name in Self.secretVariables {
            guard let text = value(name) else { continue }
            do {
                secrets = try WebhookSecret.parseList(text)
            } catch {
                throw ConfigurationError("\(name) is not a valid signing secret (expected whsec_ followed by base64, several separated by spaces or commas): \(Self.describe(error))")
            }
            secretSource = name
            break
        }
    }

    mutating func applyDelivery(_ value: JSONValue, path: String) throws(ConfigurationError) {
        guard case .object(let members) = value else { throw ConfigurationError("\(path): \"delivery\" must be an object") }
        for (key, setting) in members where !key.hasPrefix("$") {
            switch key {
            case "workers": delivery.workers = min(try Self.positive(setting, "delivery.workers", path), 256)
            case "max_attempts": delivery.policy.maxAttempts = try Self.positive(setting, "delivery.max_attempts", path)
            case "circuit": try applyCircuit(setting, path: path)
            case "provider_timeout_seconds": providerTimeoutSeconds = min(try Self.positive(setting, "delivery.provider_timeout_seconds", path), 300)
            case "lease_seconds": delivery.leaseMilliseconds = Int64(try Self.positive(setting, "delivery.lease_seconds", path)) * 1000
            case "retry_base_seconds": delivery.policy.baseDelay = Int64(try Self.positive(setting, "delivery.retry_base_seconds", path)) * 1000
            case "retry_max_seconds": delivery.policy.maxDelay = Int64(try Self.positive(setting, "delivery.retry_max_seconds", path)) * 1000
            case "max_age":
                guard case .object(let ages) = setting else { throw ConfigurationError("\(path): \"delivery.max_age\" must be an object of durations") }
                for (slug, duration) in ages where !slug.hasPrefix("$") {
                    guard let text = duration.stringValue, let milliseconds = try? parseDuration(text), milliseconds > 0 else {
                        throw ConfigurationError("\(path): delivery.max_age.\(Self.shownName(slug)) must be a duration such as \"10m\" or \"24h\"")
                    }
                    if slug == "default" { delivery.policy.defaultMaxAge = milliseconds } else { delivery.policy.maxAge[slug] = milliseconds }
                }
            default:
                throw ConfigurationError("\(path): unknown setting \"delivery.\(Self.shownName(key))\"")
            }
        }
    }

    /// `delivery.circuit`: when a provider's circuit opens, and for how long.
    mutating func applyCircuit(_ value: JSONValue, path: String) throws(ConfigurationError) {
        guard case .object(let members) = value else { throw ConfigurationError("\(path): \"delivery.circuit\" must be an object") }
        for (key, setting) in members where !key.hasPrefix("$") {
            let name = "delivery.circuit.\(key)"
            switch key {
            case "failures": breakers.consecutiveFailures = try Self.positive(setting, name, path)
            case "minimum_attempts": breakers.minimumAttempts = try Self.positive(setting, name, path)
            case "failure_percent":
                let percent = try Self.positive(setting, name, path)
                guard percent <= 100 else { throw ConfigurationError("\(path): \"\(name)\" must be a percentage from 1 to 100") }
                breakers.failureRatio = Double(percent) / 100
            case "window_seconds": breakers.window = Int64(try Self.positive(setting, name, path)) * 1000
            case "cooldown_seconds": breakers.cooldown = Int64(try Self.positive(setting, name, path)) * 1000
            default: throw ConfigurationError("\(path): unknown setting \"\(name)\"")
            }
        }
    }

    /// `30d`, `12h`, `2w`... (at least an hour), or `off` to keep messages for ever.
    static func retention(_ text: String, _ key: String) throws(ConfigurationError) -> Int64? {
        if text.lowercased() == "off" { return nil }
        guard let milliseconds = try? parseDuration(text), milliseconds >= 3_600_000 else {
            throw ConfigurationError("\(key) must be a duration of at least an hour, such as \"30d\", or \"off\" to keep messages for ever")
        }
        return milliseconds
    }

    /// A file path, `sqlite:PATH` or a PostgreSQL URL; any other `scheme://` is refused, and
    /// so is a password in the file (secrets come from the environment).
    static func database(_ text: String, _ key: String, inFile: Bool) throws(ConfigurationError) -> DatabaseLocation {
        let location: DatabaseLocation
        do {
            location = try DatabaseLocation(parsing: text)
        } catch {
            throw ConfigurationError("\(key): \(error.problem)")
        }
        if inFile, case .postgres(let url) = location, !DatabaseLocation.passwords(in: url).isEmpty {
            throw ConfigurationError("\(key) holds a password: secrets are not read from files; set HERALD_DATABASE or PGPASSWORD in the environment")
        }
        return location
    }

    static func mailbox(_ text: String, _ key: String) throws(ConfigurationError) -> MailAddress {
        do {
            return try MailAddress(parsing: text)
        } catch {
            throw ConfigurationError("\(key) must be an address like \"Example <no-reply@example.com>\" (ASCII address)")
        }
    }

    static func domain(_ text: String, _ key: String) throws(ConfigurationError) -> String {
        guard Recipient.isValidEmail("x@" + text), text.unicodeScalars.allSatisfy(\.isASCII) else {
            throw ConfigurationError("\(key) must be a domain name like example.com")
        }
        return text
    }

    /// Parses `host:port`, `[v6]:port` or `:port` into the main listener's address.
    mutating func setListen(_ text: String, setting: String) throws(ConfigurationError) {
        let address = try ListenAddress(parsing: text, setting: setting)
        listenHost = address.host
        listenPort = address.port
    }

    /// The address clients use to reach the server (`0.0.0.0` becomes `127.0.0.1`).
    public var localURL: String {
        let host: String
        switch listenHost {
        case "0.0.0.0", "*": host = "127.0.0.1"
        case "::": host = "[::1]"
        default: host = listenHost.contains(":") ? "[\(listenHost)]" : listenHost
        }
        return "http://\(host):\(listenPort)\(webhookPath)"
    }

    static func describe(_ error: WebhookSecret.ParseError) -> String {
        switch error {
        case .empty: "empty"
        case .notBase64: "not base64"
        case .tooShort(let bytes): "key of \(bytes) bytes is too short (at least \(WebhookSecret.minimumKeyBytes))"
        }
    }

    private static func string(_ value: JSONValue, _ key: String, _ path: String) throws(ConfigurationError) -> String {
        guard let text = value.stringValue, !text.isEmpty else { throw ConfigurationError("\(path): \"\(shownName(key))\" must be a non-empty string") }
        return text
    }

    static func positive(_ value: JSONValue, _ key: String, _ path: String) throws(ConfigurationError) -> Int {
        guard case .int(let number) = value, number > 0, number <= Int64(Int32.max) else {
            throw ConfigurationError("\(path): \"\(key)\" must be a positive whole number")
        }
        return Int(number)
    }

    private static func path(_ text: String, _ key: String) throws(ConfigurationError) -> String {
        guard text.hasPrefix("/"), !text.contains("?"), !text.contains(" ") else {
            throw ConfigurationError("\(key) must be a path starting with /, e.g. /webhooks/clerk")
        }
        return text
    }

    private static func level(_ text: String, _ setting: String) throws(ConfigurationError) -> Logger.Level {
        guard let level = Logger.Level(name: text) else {
            throw ConfigurationError("\(setting): unknown log level \(shown(text)) (use trace, debug, info, notice, warning or error)")
        }
        return level
    }

    /// A value as a configuration error may show it: quoted, or, when it holds what looks
    /// like a credential pasted into the wrong setting, not at all.
    static func shown(_ text: String) -> String {
        holdsSecret(text) ? "(a value that looks like a secret, not shown)" : "\"\(text)\""
    }

    /// A key of the file as an error may show it (inside quotes of its own).
    static func shownName(_ text: String) -> String {
        holdsSecret(text) ? "(a name that looks like a secret, not shown)" : text
    }

    /// Whether `text`, or a part of it between separators (`127.0.0.1:whsec_...`,
    /// `[SG.xxx]`), looks like a credential (``ProviderURL/looksSecret(_:)``).
    static func holdsSecret(_ text: String) -> Bool {
        if ProviderURL.looksSecret(text) { return true }
        let parts = text.split { !($0.isLetter || $0.isNumber || "+/=_-.".contains($0)) }
        return parts.contains { ProviderURL.looksSecret(String($0)) }
    }
}

/// Where a listener binds.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// An IP literal; `0.0.0.0` for all interfaces.
    public var host: String
    /// 0 picks a free port.
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `[v6]:port` or `:port` (all interfaces); `setting` names where
    /// it came from in an error.
    public init(parsing text: String, setting: String) throws(ConfigurationError) {
        let host: Substring
        let port: Substring
        let shown = Configuration.shown(text)
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw ConfigurationError("\(setting): listen address \(shown) needs a port, e.g. [::1]:8787") }
            port = rest.dropFirst()
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        } else {
            throw ConfigurationError("\(setting): listen address \(shown) needs host:port, e.g. 127.0.0.1:8787")
        }
        guard let number = UInt16(port) else {
            throw ConfigurationError("\(setting): listen port \(Configuration.shown(String(port))) (of \(shown)) is not a port number")
        }
        self.host = host.isEmpty ? "0.0.0.0" : String(host)
        self.port = number
    }

    /// `127.0.0.1:8787`, `[::1]:8787`.
    public var description: String { "\(host.contains(":") ? "[\(host)]" : host):\(port)" }
}

/// A configuration problem, told to the user as is.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
