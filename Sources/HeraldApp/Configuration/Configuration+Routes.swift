public import HeraldCore
import HeraldProviders

/// `routes` in the configuration file: the routing rules, first match wins.
extension Configuration {
    /// Each channel's provider names, as the delivery engine sees them (the outbox's
    /// when nothing else is configured for it).
    public var providerNames: [Channel: [String]] {
        let names = providers.names
        return Dictionary(uniqueKeysWithValues: Channel.allCases.map { channel in (channel, names.filter { $0.channel == channel }.map(\.name)) })
    }

    /// Refuses rules that name a provider not configured for their channel (`herald serve`).
    public func refuseUnknownRouteProviders() throws(ConfigurationError) {
        let unknown = routing.unknownProviders(providers: providerNames)
        guard !unknown.isEmpty else { return }
        let file = configFile ?? "the configuration file"
        throw ConfigurationError("\(file): " + unknown.map(\.description).joined(separator: "; "))
    }

    /// Parses `routes`: an array of rules, each an object with optional `channel`, `slug`,
    /// `country` and `email_domain`, and the required `providers`.
    static func routes(_ value: JSONValue, path: String) throws(ConfigurationError) -> RoutingTable {
        guard case .array(let items) = value else {
            throw ConfigurationError("\(path): \"routes\" must be an array of rules such as {\"country\": [\"US\"], \"providers\": [\"twilio\"]}")
        }
        var rules: [RoutingRule] = []
        for (index, item) in items.enumerated() {
            rules.append(try rule(item, place: "\(path): routes[\(index)]"))
        }
        return RoutingTable(rules: rules)
    }

    private static func rule(_ item: JSONValue, place: String) throws(ConfigurationError) -> RoutingRule {
        guard case .object(let members) = item else {
            throw ConfigurationError("\(place) must be an object with \"providers\" and optional \"channel\", \"slug\", \"country\", \"email_domain\"")
        }
        var rule = RoutingRule(providers: [])
        var providers: [String]?
        for (key, setting) in members.sorted(by: { $0.key < $1.key }) where !key.hasPrefix("$") {
            switch key {
            case "channel":
                guard let text = setting.stringValue, let channel = Channel(rawValue: text) else {
                    throw ConfigurationError("\(place): \"channel\" must be \"email\" or \"sms\"")
                }
                rule.channel = channel
            case "slug":
                rule.slugs = try strings(setting, key, place)
            case "country":
                rule.countries = try strings(setting, key, place).map { $0.uppercased() }
                for country in rule.countries ?? [] where country.utf8.count != 2 || !country.utf8.allSatisfy({ (65...90).contains($0) }) {
                    throw ConfigurationError("\(place): \"country\" must be ISO 3166-1 alpha-2 codes such as \"US\" (not \"\(country)\")")
                }
            case "email_domain":
                rule.emailDomains = try strings(setting, key, place).map { $0.lowercased() }
                for domain in rule.emailDomains ?? [] where !Recipient.isValidEmail("x@a." + domain) {
                    throw ConfigurationError("\(place): \"email_domain\" must be domain names such as \"example.com\" (not \"\(domain)\")")
                }
            case "providers":
                guard case .array = setting, let names = try? strings(setting, key, place) else {
                    throw ConfigurationError("\(place): \"providers\" must be a non-empty array of provider names, in failover order")
                }
                if let twice = names.enumerated().first(where: { names[..<$0.offset].contains($0.element) })?.element {
                    throw ConfigurationError("\(place): \"providers\" names \"\(twice)\" twice")
                }
                providers = names
            default:
                throw ConfigurationError("\(place): unknown key \"\(key)\" (a rule has channel, slug, country, email_domain and providers)")
            }
        }
        guard let providers else { throw ConfigurationError("\(place): \"providers\" is missing: the provider names, in failover order") }
        rule.providers = providers
        return rule
    }

    /// A non-empty string, or a non-empty array of them.
    private static func strings(_ value: JSONValue, _ key: String, _ place: String) throws(ConfigurationError) -> [String] {
        let items: [JSONValue]
        switch value {
        case .string: items = [value]
        case .array(let array): items = array
        default: items = []
        }
        let texts = items.compactMap { $0.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
        guard !texts.isEmpty, texts.count == items.count else {
            throw ConfigurationError("\(place): \"\(key)\" must be a non-empty string or a non-empty array of them")
        }
        return texts
    }
}
