/// What `herald check` finds wrong with the routing rules, and what `herald serve` refuses.
extension RoutingTable {
    /// One finding about one rule (`routes[index]` in the configuration file, from 0).
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var rule: Int
        public var message: String

        public init(rule: Int, _ message: String) {
            self.rule = rule
            self.message = message
        }

        public var description: String { "routes[\(rule)]: \(message)" }
    }

    /// Every problem: providers not configured for the rule's channel, a channel the rule
    /// applies to without one of its providers, rules that can never match (conditions
    /// that exclude each other, an earlier rule that matches everything this one would, a
    /// country Herald never tells, a slug Clerk never sends on the channel). `providers`:
    /// each channel's provider names (the outbox's when nothing else is configured).
    public func problems(providers: [Channel: [String]]) -> [Problem] {
        var problems: [Problem] = []
        for (index, rule) in rules.enumerated() {
            let say = { (message: String) in problems.append(Problem(rule: index, message)) }
            let channels = rule.channels
            if channels.isEmpty { say("can never match: \(rule.contradiction)") }
            for message in rule.providerProblems(providers) { say(message) }
            if let countries = rule.countries {
                for country in countries where !CallingCodes.countries.contains(country) { say(Self.unknownCountry(country)) }
            }
            for slug in rule.slugs ?? [] { if let message = Self.slugProblem(slug, channels: channels) { say(message) } }
            if !channels.isEmpty, let earlier = rules[..<index].firstIndex(where: { !$0.channels.isEmpty && $0.covers(rule) }) {
                say("can never match: routes[\(earlier)] before it matches every message it would")
            }
        }
        return problems
    }

    /// The rules naming a provider that is not configured for their channel (for either
    /// channel when they have none): `herald serve` refuses them.
    public func unknownProviders(providers: [Channel: [String]]) -> [Problem] {
        rules.enumerated().flatMap { index, rule in rule.unknownProviders(providers).map { Problem(rule: index, $0) } }
    }

    static func unknownCountry(_ country: String) -> String {
        if let counted = CallingCodes.countedAs[country] {
            return "country \(country) can never match: Herald counts every \(counted.code) number as \(counted.country) (name \(counted.country))"
        }
        let hint = country == "UK" ? " (the United Kingdom is GB)" : ""
        return "unknown country \"\(country)\"\(hint): not an ISO 3166-1 alpha-2 code of a country with a calling code"
    }

    static func slugProblem(_ slug: String, channels: [Channel]) -> String? {
        let sentOn = Channel.allCases.filter { ClerkSlugs.slugs(for: $0).contains(slug) }
        guard !sentOn.isEmpty else { return "slug \"\(slug)\" is not one Clerk sends (typo?)" }
        guard !channels.isEmpty, !channels.contains(where: sentOn.contains) else { return nil }
        return "slug \"\(slug)\" can never match: Clerk sends it by \(sentOn.map(\.rawValue).joined(separator: " and ")) only"
    }
}

extension RoutingRule {
    /// The channels a matching message can be on: `channel`, narrowed to SMS by a country
    /// and to email by an email domain. Empty: the rule can never match.
    public var channels: [Channel] {
        Channel.allCases.filter { candidate in
            (channel.map { $0 == candidate } ?? true) && (countries == nil || candidate == .sms) && (emailDomains == nil || candidate == .email)
        }
    }

    /// Why ``channels`` is empty.
    var contradiction: String {
        if countries != nil && emailDomains != nil { return "it has both \"country\" (SMS only) and \"email_domain\" (email only)" }
        if countries != nil { return "\"country\" applies to SMS only, and the rule's channel is \(channel?.rawValue ?? "?")" }
        return "\"email_domain\" applies to email only, and the rule's channel is \(channel?.rawValue ?? "?")"
    }

    /// Whether this rule matches every message `other` would (so that `other`, after it,
    /// never gets one).
    public func covers(_ other: RoutingRule) -> Bool {
        guard Set(other.channels).isSubset(of: channels) else { return false }
        if let slugs {
            guard let theirs = other.slugs, Set(theirs).isSubset(of: slugs) else { return false }
        }
        if let countries {
            guard let theirs = other.countries, Set(theirs).isSubset(of: countries) else { return false }
        }
        if let emailDomains {
            guard let theirs = other.emailDomains else { return false }
            return theirs.allSatisfy { domain in emailDomains.contains { domain == $0 || domain.hasSuffix("." + $0) } }
        }
        return true
    }

    /// What the rule matches, for logs and `herald check`: `sms; country US, CA`.
    public var summary: String {
        let matched = channels.isEmpty ? [channel?.rawValue ?? "email and sms"] : channels.map(\.rawValue)
        var parts = [matched.joined(separator: " and ")]
        if let slugs { parts.append("slug " + slugs.joined(separator: ", ")) }
        if let countries { parts.append("country " + countries.joined(separator: ", ")) }
        if let emailDomains { parts.append("email_domain " + emailDomains.joined(separator: ", ")) }
        return parts.joined(separator: "; ")
    }

    /// The channels whose providers the rule's names are looked up in: its channel, or both.
    private var scope: [Channel] { channel.map { [$0] } ?? Channel.allCases }

    func unknownProviders(_ providers: [Channel: [String]]) -> [String] {
        let known = scope.flatMap { providers[$0] ?? [] }
        return self.providers.filter { !known.contains($0) }.map { name in
            let configured = scope.map { "\($0.rawValue): \((providers[$0] ?? []).joined(separator: ", "))" }.joined(separator: "; ")
            let which = channel.map { " for \($0.rawValue)" } ?? ""
            return "names provider \"\(name)\", which is not configured\(which) (\(configured))"
        }
    }

    func providerProblems(_ providers: [Channel: [String]]) -> [String] {
        let unknown = unknownProviders(providers)
        guard channel == nil, unknown.count < self.providers.count else { return unknown }
        // A rule without a channel applies to both (or to the one its conditions allow):
        // each needs one of its providers, or its messages there go in URL order.
        let missing = channels.filter { candidate in !self.providers.contains { (providers[candidate] ?? []).contains($0) } }
        return unknown + missing.map { candidate in
            let other = candidate == .email ? Channel.sms : .email
            let advice = channels.count > 1 ? ": give it \"channel\": \"\(other.rawValue)\"" : ""
            return "has no provider for \(candidate.rawValue) (none of \(self.providers.joined(separator: ", ")) delivers \(candidate.rawValue)), "
                + "so the \(candidate.rawValue) messages it matches go in URL order" + advice
        }
    }
}
