/// The routing rules (`routes` in config/herald.json): the first rule that matches a
/// message names its providers in failover order. No rule: the channel's URL order.
public struct RoutingTable: Sendable, Equatable {
    public var rules: [RoutingRule]

    public init(rules: [RoutingRule] = []) {
        self.rules = rules
    }

    /// The provider names for a message, or nil when no rule matches.
    public func providers(channel: Channel, slug: String?, recipient: String) -> [String]? {
        rules.first { $0.matches(channel: channel, slug: slug, recipient: recipient) }?.providers
    }
}

/// One routing rule: every condition given must hold.
public struct RoutingRule: Sendable, Equatable {
    public var channel: Channel?
    /// Template slugs.
    public var slugs: [String]?
    /// ISO 3166 alpha-2 countries of an SMS recipient's number.
    public var countries: [String]?
    /// Domains of an email recipient (`example.com` also matches `mail.example.com`).
    public var emailDomains: [String]?
    public var providers: [String]

    public init(channel: Channel? = nil, slugs: [String]? = nil, countries: [String]? = nil, emailDomains: [String]? = nil, providers: [String]) {
        self.channel = channel
        self.slugs = slugs
        self.countries = countries
        self.emailDomains = emailDomains
        self.providers = providers
    }

    public func matches(channel: Channel, slug: String?, recipient: String) -> Bool {
        if let wanted = self.channel, wanted != channel { return false }
        if let slugs, !(slug.map(slugs.contains) ?? false) { return false }
        if let countries {
            guard channel == .sms, let country = CallingCodes.country(of: recipient), countries.contains(country) else { return false }
        }
        if let emailDomains {
            guard channel == .email, let at = recipient.lastIndex(of: "@") else { return false }
            let domain = recipient[recipient.index(after: at)...].lowercased()
            guard emailDomains.contains(where: { domain == $0 || domain.hasSuffix("." + $0) }) else { return false }
        }
        return true
    }
}
