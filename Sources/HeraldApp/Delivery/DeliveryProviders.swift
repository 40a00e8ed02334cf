public import HeraldCore
public import HeraldCurl
public import HeraldProviders

/// Where the delivery engine finds a message's route (the providers to try, in order) and
/// a sender for each: the engine asks once per message and once per worker and provider.
public protocol SenderDirectory: Sendable {
    /// The provider names of `message`'s route, in failover order (never empty).
    func route(for message: ClaimedMessage) -> [String]
    /// A new sender for the named provider, for one worker thread.
    func makeSender(named name: String, channel: Channel) throws -> any MessageSender
    /// The provider's rate limit, if it has one.
    func rate(named name: String) -> RateLimit?
}

/// The providers of each channel, in failover order, the routing rules, and how each
/// worker makes its own sender for one (a sender keeps a connection, so it is never shared
/// between threads).
public struct DeliveryProviders: SenderDirectory {
    public var email: [ConfiguredProvider]
    public var sms: [ConfiguredProvider]
    public var routing: RoutingTable
    /// Where the outbox writes.
    public var outboxPath: String
    public var http: HTTPTransportSettings
    public var signer: (any RequestSigner)?

    public init(
        email: [ConfiguredProvider] = [], sms: [ConfiguredProvider] = [], routing: RoutingTable = RoutingTable(),
        outboxPath: String = "var/outbox", http: HTTPTransportSettings = HTTPTransportSettings(), signer: (any RequestSigner)? = nil
    ) {
        self.email = email
        self.sms = sms
        self.routing = routing
        self.outboxPath = outboxPath
        self.http = http
        self.signer = signer
    }

    /// The channel's providers in URL order; the outbox when none is configured.
    public func providers(for channel: Channel) -> [ConfiguredProvider] {
        let configured = channel == .email ? email : sms
        return configured.isEmpty ? [ConfiguredProvider(.outbox(name: "outbox"))] : configured
    }

    /// Every provider with its channel, the outbox included when a channel has none.
    public var names: [(name: String, channel: Channel)] {
        providers(for: .email).map { ($0.name, Channel.email) } + providers(for: .sms).map { ($0.name, Channel.sms) }
    }

    public func route(for message: ClaimedMessage) -> [String] {
        let available = providers(for: message.channel)
        if let named = routing.providers(channel: message.channel, slug: message.slug, recipient: message.recipient) {
            let known = named.filter { name in available.contains { $0.name == name } }
            if !known.isEmpty { return known }
        }
        return available.map(\.name)
    }

    public func makeSender(named name: String, channel: Channel) throws -> any MessageSender {
        guard let provider = providers(for: channel).first(where: { $0.name == name }) else {
            throw CommandError("no \(channel.rawValue) provider named \(name)")
        }
        return try makeSender(provider.definition)
    }

    public func rate(named name: String) -> RateLimit? {
        (email + sms).first { $0.name == name }?.rate
    }

    /// A new sender for `definition`, for one worker thread.
    public func makeSender(_ definition: ProviderDefinition) throws -> any MessageSender {
        switch definition {
        case .outbox(let name): return OutboxSender(root: outboxPath, name: name)
        case .smtp(let name, let settings): return try SMTPSender(name: name, settings: settings)
        case .http(let adapter): return HTTPProviderSender(adapter: adapter, transport: try CurlHTTPTransport(settings: http), signer: signer)
        }
    }

    /// One line per channel for the start-up log: `twilio, outbox`; never a credential.
    public func summary(for channel: Channel) -> String {
        providers(for: channel).map { provider in
            let rate = provider.rate.map { " at most \($0)" } ?? ""
            switch provider.definition {
            case .smtp(let name, let settings): return "\(name) \(settings)\(rate)"
            case .outbox(let name): return "\(name) \(outboxPath)\(rate)"
            case .http(let adapter): return adapter.name + rate
            }
        }.joined(separator: ", ")
    }
}

/// One sender factory for every message (tests, and the simplest embedding).
public struct SingleSenderDirectory: SenderDirectory {
    let make: @Sendable (Channel) throws -> any MessageSender

    public init(_ make: @escaping @Sendable (Channel) throws -> any MessageSender) {
        self.make = make
    }

    public func route(for message: ClaimedMessage) -> [String] { [message.channel.rawValue] }
    public func makeSender(named name: String, channel: Channel) throws -> any MessageSender { try make(channel) }
    public func rate(named name: String) -> RateLimit? { nil }
}
