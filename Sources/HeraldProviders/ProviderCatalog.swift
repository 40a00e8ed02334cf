import Foundation
public import HeraldCore

/// A provider as configured: how it sends, and its name.
public enum ProviderDefinition: Sendable {
    /// An HTTP API, through the shared libcurl transport.
    case http(any ProviderAdapter)
    /// An SMTP relay.
    case smtp(name: String, SMTPSettings)
    /// The local outbox (files).
    case outbox(name: String)

    public var name: String {
        switch self {
        case .http(let adapter): adapter.name
        case .smtp(let name, _), .outbox(let name): name
        }
    }
}

/// A provider as configured: its definition and what Herald itself applies to it.
public struct ConfiguredProvider: Sendable {
    public var definition: ProviderDefinition
    /// `?rate=10/s`: at most that many messages, per process.
    public var rate: RateLimit?

    public init(_ definition: ProviderDefinition, rate: RateLimit? = nil) {
        self.definition = definition
        self.rate = rate
    }

    public var name: String { definition.name }
}

/// What the catalog needs beyond the URL.
public struct ProviderEnvironment: Sendable {
    /// The EHLO name for SMTP (`HERALD_SMTP_HELO`).
    public var ehloName: String
    /// A CA bundle for SMTP relays (`HERALD_SMTP_CA_FILE`).
    public var smtpCAFile: String?

    public init(ehloName: String, smtpCAFile: String? = nil) {
        self.ehloName = ehloName
        self.smtpCAFile = smtpCAFile
    }
}

/// Every provider scheme Herald knows, in one list: which channels each serves and how
/// its URL becomes a ``ProviderDefinition``.
public enum ProviderCatalog {
    struct Entry: Sendable {
        let channels: Set<Channel>
        let make: @Sendable (ProviderURL, Channel, ProviderEnvironment) throws(ProviderURLError) -> ProviderDefinition
    }

    static let entries: [String: Entry] = [
        "outbox": Entry(channels: [.email, .sms]) { url, _, _ throws(ProviderURLError) in
            _ = try ProviderOptions(url, known: [])
            return .outbox(name: url.option("name") ?? "outbox")
        },
        "smtp": Entry(channels: [.email], make: SMTPProvider.make),
        "smtps": Entry(channels: [.email], make: SMTPProvider.make),
        "ses": Entry(channels: [.email]) { url, _, _ throws(ProviderURLError) in .http(try SESAdapter(url: url)) },
        "sns": Entry(channels: [.sms]) { url, _, _ throws(ProviderURLError) in .http(try SNSAdapter(url: url)) },
        "twilio": Entry(channels: [.sms]) { url, _, _ throws(ProviderURLError) in .http(try TwilioAdapter(url: url)) },
        "vonage": Entry(channels: [.sms]) { url, _, _ throws(ProviderURLError) in .http(try VonageAdapter(url: url)) },
        "plivo": Entry(channels: [.sms]) { url, _, _ throws(ProviderURLError) in .http(try PlivoAdapter(url: url)) },
        "telnyx": Entry(channels: [.sms]) { url, _, _ throws(ProviderURLError) in .http(try TelnyxAdapter(url: url)) },
        "messagebird": Entry(channels: [.sms]) { url, _, _ throws(ProviderURLError) in .http(try MessageBirdAdapter(url: url)) },
        "sendgrid": Entry(channels: [.email]) { url, _, _ throws(ProviderURLError) in .http(try SendGridAdapter(url: url)) },
        "postmark": Entry(channels: [.email]) { url, _, _ throws(ProviderURLError) in .http(try PostmarkAdapter(url: url)) },
        "resend": Entry(channels: [.email]) { url, _, _ throws(ProviderURLError) in .http(try ResendAdapter(url: url)) },
        "mailgun": Entry(channels: [.email]) { url, _, _ throws(ProviderURLError) in .http(try MailgunAdapter(url: url)) },
        "webhook": Entry(channels: [.email, .sms]) { url, channel, _ throws(ProviderURLError) in .http(try WebhookAdapter(url: url, channel: channel)) },
    ]

    /// The schemes, sorted, for messages.
    public static var schemes: [String] { entries.keys.sorted() }

    /// Which channels `scheme` can serve (empty when unknown).
    public static func channels(of scheme: String) -> Set<Channel> {
        entries[scheme]?.channels ?? []
    }

    /// One provider URL for `channel`.
    public static func provider(_ text: String, channel: Channel, environment: ProviderEnvironment) throws(ProviderURLError)
        -> ProviderDefinition
    {
        var text = text
        if text.lowercased() == "outbox://" { text = "outbox://default" }
        let url = try ProviderURL(parsing: text)
        guard let entry = entries[url.scheme] else { throw .unknownScheme(url.scheme, known: schemes) }
        if let variant = url.variant, !["api", "https", "http"].contains(variant) {
            throw .invalid("\(url.scheme)+\(variant) is not supported: Herald talks to \(url.scheme) over its HTTP API (\(url.scheme)://...)")
        }
        guard entry.channels.contains(channel) else {
            let serves = entry.channels.map(\.rawValue).sorted().joined(separator: " and ")
            throw .invalid("\(url.scheme) sends \(serves), not \(channel.rawValue)")
        }
        return try entry.make(url, channel, environment)
    }

    /// A space-separated list of provider URLs for `channel`, in failover order. `variable`
    /// names the setting in every error; no error holds a credential.
    public static func providers(_ text: String, channel: Channel, variable: String, environment: ProviderEnvironment) throws(ProviderSetupError)
        -> [ConfiguredProvider]
    {
        var definitions: [ConfiguredProvider] = []
        for item in text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }) {
            do throws(ProviderURLError) {
                let definition = try provider(String(item), channel: channel, environment: environment)
                guard !definitions.contains(where: { $0.name == definition.name }) else {
                    throw ProviderURLError.invalid("two providers are named \"\(definition.name)\": give one a ?name=")
                }
                var rate: RateLimit?
                if let text = (try? ProviderURL(parsing: String(item)))?.option("rate") {
                    guard let parsed = RateLimit(parsing: text) else {
                        throw ProviderURLError.invalid("rate must look like 10/s, 600/m or 3600/h")
                    }
                    rate = parsed
                }
                definitions.append(ConfiguredProvider(definition, rate: rate))
            } catch {
                let shown = (try? ProviderURL(parsing: String(item)))?.redacted ?? Self.scrub(String(item))
                throw ProviderSetupError(variable: variable, url: shown, problem: error.description)
            }
        }
        return definitions
    }

    /// An unparsable URL shown without anything that could be its credentials.
    static func scrub(_ text: String) -> String {
        guard let separator = text.range(of: "://") else { return "(not a URL)" }
        return text[..<separator.upperBound] + "..."
    }
}

/// A provider setting that cannot be used, worded for the operator; never holds a secret.
public struct ProviderSetupError: Error, Sendable, Equatable, CustomStringConvertible {
    public var variable: String
    public var url: String
    public var problem: String

    public init(variable: String, url: String, problem: String) {
        self.variable = variable
        self.url = url
        self.problem = problem
    }

    public var description: String { url.isEmpty ? "\(variable): \(problem)" : "\(variable): \(url): \(problem)" }
}
